"""Income accounting (domain.md §1.4).

年收入 = 工资性 + 生产经营性 + 财产性 + 转移性
年纯收入 = 年收入 − 生产经营性支出
年人均纯收入 = 年纯收入 ÷ 人口, rounded half-up to 2 decimals.
Missing amounts count as zero. Totals are always computed, never typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
# Amounts fit Numeric(14, 2); anything larger is a typing or import error.
MAX_AMOUNT = Decimal("1000000000000")
ZERO = Decimal("0")

TRANSFER_ITEMS = (
    "transfer_family_planning",
    "transfer_dibao",
    "transfer_wubao",
    "transfer_pension",
    "transfer_eco",
    "transfer_other",
)


class IncomeError(ValueError):
    pass


def to_money(value: Any) -> Decimal:
    """Parse an amount of yuan; None and "" are zero; rejects non-numbers and NaN."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise IncomeError(f"金额“{value}”不是有效数字") from None
    if not amount.is_finite():
        raise IncomeError(f"金额“{value}”不是有效数字")
    if abs(amount) >= MAX_AMOUNT:
        raise IncomeError(f"金额“{value}”不是有效数字（超出上限 {MAX_AMOUNT:,} 元）")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IncomeSummary:
    gross: Decimal  # 年收入
    net: Decimal  # 年纯收入
    per_capita: Decimal | None  # 年人均纯收入 (None when population is 0/unknown)
    population: int
    transfer: Decimal  # 转移性收入
    transfer_items_total: Decimal  # sum of 其中 items; must not exceed 转移性收入

    @property
    def transfer_items_exceed(self) -> bool:
        return self.transfer_items_total > self.transfer

    def below(self, line: Decimal | None) -> bool | None:
        if line is None or self.per_capita is None:
            return None
        return self.per_capita < line


def summarise(record: Any, population: int | None = None) -> IncomeSummary:
    """Compute totals for an income record (an ORM row, a mapping or any object)."""

    def get(name: str) -> Decimal:
        value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
        return to_money(value)

    wage, production, prop, transfer = get("wage"), get("production"), get("property_income"), get("transfer")
    expense = get("production_expense")
    gross = wage + production + prop + transfer
    net = gross - expense
    if population is None:
        population = record.get("population") if isinstance(record, dict) else getattr(record, "population", None)
    pop = int(population or 0)
    per_capita = (net / pop).quantize(CENT, rounding=ROUND_HALF_UP) if pop > 0 else None
    items_total = sum((get(name) for name in TRANSFER_ITEMS), ZERO)
    return IncomeSummary(
        gross=gross,
        net=net,
        per_capita=per_capita,
        population=pop,
        transfer=transfer,
        transfer_items_total=items_total,
    )
