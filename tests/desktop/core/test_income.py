from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.core.income import IncomeError, summarise, to_money


def test_national_sample_record_arithmetic() -> None:
    s = summarise(
        {"wage": 6000, "production": 6000, "property_income": 1180, "transfer": 4205,
         "transfer_eco": 540, "transfer_other": 3665, "production_expense": 1000},
        population=4,
    )
    assert s.gross == Decimal("17385.00")
    assert s.net == Decimal("16385.00")
    assert s.per_capita == Decimal("4096.25")
    assert not s.transfer_items_exceed


def test_missing_amounts_are_zero_and_zero_population_gives_none() -> None:
    s = summarise({"wage": None, "production": ""}, population=0)
    assert s.gross == 0 and s.per_capita is None


def test_per_capita_rounds_half_up() -> None:
    assert summarise({"wage": "10.01"}, population=2).per_capita == Decimal("5.01")  # 5.005 -> 5.01


def test_transfer_items_exceeding_transfer_are_flagged() -> None:
    assert summarise({"transfer": 100, "transfer_dibao": 150}, population=1).transfer_items_exceed


def test_below_line() -> None:
    s = summarise({"wage": 3000}, population=1)
    assert s.below(Decimal("3335")) is True
    assert s.below(Decimal("2952")) is False


@pytest.mark.parametrize("bad", ["abc", "1,2,3x", "NaN", "inf"])
def test_bad_amounts_are_rejected(bad: str) -> None:
    with pytest.raises(IncomeError):
        to_money(bad)


def test_reads_orm_like_objects() -> None:
    class Row:
        wage = Decimal("100")
        production = None
        property_income = None
        transfer = None
        production_expense = Decimal("20")
        population = 2

    assert summarise(Row()).per_capita == Decimal("40.00")


@pytest.mark.parametrize("huge", ["1E100", "1e12", "-5E20"])
def test_absurd_amounts_are_refused(huge: str) -> None:
    with pytest.raises(IncomeError):
        to_money(huge)
