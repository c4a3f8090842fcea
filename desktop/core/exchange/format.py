"""The exchange workbook contract (format version, sheets, columns), derived from the models.

Every entity sheet is keyed by the record's UUID; foreign keys are the UUIDs of the referenced
records. Headers are the Chinese labels from the models' column ``info``; code-list columns carry
canonical labels. ``docs/exchange-format.md`` documents the result; ``format_table()`` renders it.

The module is pure data plus small value helpers, shared by export, import, digest and the county
consolidation: nothing here touches a database or a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Text

from db.models import (
    Assignment,
    ExitAssessment,
    Helper,
    HelpPlan,
    Household,
    IncomeRecord,
    Measure,
    Member,
    Township,
    Village,
    VillageGroup,
    Visit,
)

FORMAT_NAME = "明白卡交换表"
FORMAT_VERSION = "1.0"
# Versions this program reads (same major version; minor versions only add optional columns).
READABLE_VERSIONS = ("1.0",)

MANIFEST_SHEET = "说明"
ROSTER_SHEET = "花名册"
CODES_SHEET = "代码表"

# Kinds of column.
UUID, REF, TEXT, INT, DECIMAL, DATE, BOOL, CODE, INFO = (
    "uuid", "ref", "text", "int", "decimal", "date", "bool", "code", "info",
)
KIND_LABELS = {
    UUID: "UUID (key)", REF: "UUID (reference)", TEXT: "text", INT: "integer", DECIMAL: "number, 2 decimals",
    DATE: "date", BOOL: "是/否", CODE: "code-list label", INFO: "for reading only (ignored on import)",
}
BOOL_TRUE, BOOL_FALSE = "是", "否"

# Columns whose digits must never be turned into numbers by Excel: stored as text cells with the
# text number format '@'.
TEXT_FORMAT_ATTRS = frozenset({
    "id_number", "phone", "bank_account", "household_number", "local_number", "disability_cert_no",
    "chronic_card_no", "first_secretary_phone", "paired_enterprise_credit_code", "code",
})
SKIPPED_ATTRS = frozenset({"id", "uuid", "created_at", "updated_at"})

# Characters XML 1.0 cannot carry (openpyxl refuses them); removed on export and in the digest.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULA_PREFIXES = ("=", "+", "-", "@")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    header: str  # Chinese header, exactly as in row 1
    kind: str
    attr: str | None = None  # model attribute (None for info columns)
    codelist: str | None = None
    ref_sheet: str | None = None  # key of the sheet a REF column points to
    required: bool = False
    max_length: int | None = None
    text_format: bool = False
    width: float = 12.0
    note: str = ""  # English explanation for the docs

    @property
    def in_digest(self) -> bool:
        return self.kind != INFO


@dataclass(frozen=True)
class Sheet:
    key: str  # English key: "households"
    title: str  # Chinese sheet name
    model: type
    columns: tuple[Column, ...]
    note: str = ""
    # Column attrs that must be unique together (besides the UUID), e.g. (household_id, year).
    unique_together: tuple[str, ...] = ()

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def data_columns(self) -> list[Column]:
        return [c for c in self.columns if c.kind != INFO]

    def column(self, attr: str) -> Column:
        return next(c for c in self.columns if c.attr == attr)

    @property
    def refs(self) -> list[Column]:
        return [c for c in self.columns if c.kind == REF]


def _kind_of(col: Any) -> str:
    if col.info.get("codelist"):
        return CODE
    t = col.type
    if isinstance(t, Boolean):
        return BOOL
    if isinstance(t, Numeric):
        return DECIMAL
    if isinstance(t, DateTime | Date):
        return DATE
    if isinstance(t, Integer):
        return INT
    if isinstance(t, String | Text):
        return TEXT
    raise TypeError(f"no exchange kind for {col}")  # pragma: no cover - schema guard


def _width(header: str, kind: str, max_length: int | None) -> float:
    base = max(len(header) * 2 + 2, 8)
    if kind in (UUID, REF):
        return 38.0
    if kind == DATE:
        return max(base, 12)
    if kind == TEXT and max_length:
        return float(min(max(base, min(max_length, 40) * 0.8), 48))
    if kind == TEXT:
        return float(max(base, 30))
    return float(min(base, 24))


def _model_columns(model: type, refs: dict[str, tuple[str, str]], *, skip: tuple[str, ...] = (),
                   info_after: dict[str, Column] | None = None) -> tuple[Column, ...]:
    """UUID first, then every column of the model in declaration order: foreign keys become
    REF columns (``refs``: attr -> (header, sheet key)); ids, timestamps and internal columns are
    left out."""
    table = model.__table__
    result = [Column("UUID", UUID, "uuid", required=True, width=38.0, note="the record's stable key")]
    info_after = info_after or {}
    for col in table.columns:
        name = col.name
        if name in SKIPPED_ATTRS or name in skip or col.info.get("internal"):
            continue
        if name in refs:
            header, sheet = refs[name]
            result.append(Column(header, REF, name, ref_sheet=sheet, required=not col.nullable, width=38.0))
        else:
            label = col.info.get("label")
            if not label:
                raise TypeError(f"{table.name}.{name} has no label")  # pragma: no cover - schema guard
            kind = _kind_of(col)
            max_length = getattr(col.type, "length", None) if kind in (TEXT, CODE) else None
            has_default = col.default is not None
            result.append(Column(
                label, kind, name, codelist=col.info.get("codelist"),
                required=not col.nullable and not has_default, max_length=max_length,
                text_format=kind == TEXT and name in TEXT_FORMAT_ATTRS,
                width=_width(label, kind, max_length),
            ))
        if name in info_after:
            result.append(info_after[name])
    headers = [c.header for c in result]
    if len(headers) != len(set(headers)):  # pragma: no cover - schema guard
        raise TypeError(f"duplicate headers in {table.name}: {headers}")
    return tuple(result)


HH = ("户UUID", "households")


@cache
def sheets() -> tuple[Sheet, ...]:
    """The entity sheets in dependency order (parents before children)."""
    info_hh_number = Column("户编号", INFO, width=16.0, note="the household's 户编号, for reading only")
    township_cols = (
        Column("UUID", UUID, "uuid", required=True, width=38.0, note="the township's stable key"),
        Column("县代码", TEXT, "county_code", required=True, max_length=6, text_format=True, width=10.0,
               note="GB/T 2260 county code (6 digits)"),
        Column("县名称", TEXT, "county_name", required=True, max_length=50, width=14.0),
        Column("省", TEXT, "province", max_length=50, width=10.0),
        Column("市", TEXT, "prefecture", max_length=50, width=12.0),
        Column("乡镇代码", TEXT, "code", required=True, max_length=12, text_format=True, width=16.0,
               note="12-digit 统计用区划代码 of the township"),
        Column("乡镇名称", TEXT, "name", required=True, max_length=50, width=14.0),
    )
    return (
        Sheet("townships", "乡镇", Township, township_cols,
              note="One row per township (a county workbook has many). County columns are repeated."),
        Sheet("villages", "行政村", Village, _model_columns(Village, {"township_id": ("乡镇UUID", "townships")}),
              note="Administrative villages with the village exit indicators."),
        Sheet("groups", "村民小组", VillageGroup,
              _model_columns(VillageGroup, {"village_id": ("行政村UUID", "villages")}),
              note="Villagers' groups (村民小组) within villages."),
        Sheet("helpers", "帮扶责任人", Helper, _model_columns(Helper, {"township_id": ("乡镇UUID", "townships")}),
              note="Helpers (帮扶责任人); one helper usually serves several households."),
        Sheet("households", "贫困户", Household, _model_columns(
            Household,
            {"village_id": ("行政村UUID", "villages"), "group_id": ("村民小组UUID", "groups")},
            info_after={"village_id": Column("村名称", INFO, width=12.0, note="the village's name, for reading only")},
        ), note="Poor households with their production and living conditions."),
        Sheet("members", "家庭成员", Member, _model_columns(
            Member, {"household_id": HH}, info_after={"household_id": info_hh_number},
        ), note="Every person ever in a household; departures are a status, never a deleted row."),
        Sheet("assignments", "帮扶结对", Assignment, _model_columns(
            Assignment,
            {"household_id": HH, "helper_id": ("帮扶责任人UUID", "helpers")},
            info_after={"household_id": info_hh_number},
        ), note="Which helper serves which household, from when to when."),
        Sheet("plans", "帮扶计划", HelpPlan, _model_columns(
            HelpPlan, {"household_id": HH}, info_after={"household_id": info_hh_number},
        ), note="One help plan per household and year.", unique_together=("household_id", "year")),
        Sheet("measures", "帮扶措施", Measure, _model_columns(
            Measure, {"household_id": HH, "beneficiary_id": ("受益成员UUID", "members")},
            info_after={"household_id": info_hh_number},
        ), note="Measures of help with funds."),
        Sheet("incomes", "收入情况", IncomeRecord, _model_columns(
            IncomeRecord, {"household_id": HH}, info_after={"household_id": info_hh_number},
        ), note="Income items per household and year; totals and per-capita income are computed, not stored.",
            unique_together=("household_id", "year")),
        Sheet("visits", "走访记录", Visit, _model_columns(
            Visit, {"household_id": HH, "helper_id": ("帮扶责任人UUID", "helpers")},
            info_after={"household_id": info_hh_number},
        ), note="Visits to households."),
        Sheet("exits", "脱贫评估", ExitAssessment, _model_columns(
            ExitAssessment, {"household_id": HH}, info_after={"household_id": info_hh_number},
        ), note="Exit assessment (脱贫验收) per household and year.", unique_together=("household_id", "year")),
    )


@cache
def sheet_by_key() -> dict[str, Sheet]:
    return {s.key: s for s in sheets()}


@cache
def sheet_by_title() -> dict[str, Sheet]:
    return {s.title: s for s in sheets()}


# ----------------------------------------------------------------------------- the flat roster

@dataclass(frozen=True)
class RosterColumn:
    header: str
    source: str  # "hh.<attr>", "m.<attr>", or a computed name
    kind: str = TEXT
    codelist: str | None = None
    text_format: bool = False
    width: float = 12.0


def _roster_columns() -> tuple[RosterColumn, ...]:
    def from_model(prefix: str, model: type, attr: str, header: str | None = None) -> RosterColumn:
        col = model.__table__.columns[attr]
        kind = _kind_of(col)
        label = header or col.info["label"]
        return RosterColumn(label, f"{prefix}.{attr}", kind, col.info.get("codelist"),
                            text_format=attr in TEXT_FORMAT_ATTRS, width=_width(label, kind, None) if kind != TEXT
                            else max(len(label) * 2 + 2, 12))

    hh = [from_model("hh", Household, a) for a in (
        "household_number", "phone", "household_size", "identification_standard", "attribute", "main_cause",
        "identification_year", "exit_status", "exit_year")]
    hh[1] = from_model("hh", Household, "phone", "户联系电话")
    members = [from_model("m", Member, a) for a in (
        "seq", "name", "sex", "id_type", "id_number", "birth_date", "relation", "ethnicity", "political_status",
        "education", "student_status", "health", "disability_type", "disability_grade", "labour_skill",
        "work_location", "work_months", "on_dibao", "on_tekun", "in_rural_medical", "in_serious_illness_insurance",
        "in_rural_pension", "phone", "status", "change_reason", "change_date")]
    return (
        RosterColumn("县名称", "county_name"),
        RosterColumn("乡镇名称", "township_name"),
        RosterColumn("村名称", "village_name"),
        RosterColumn("村民小组", "group_name", width=8.0),
        hh[0],
        RosterColumn("户主姓名", "head_name"),
        RosterColumn("户主证件号码", "head_id_number", text_format=True, width=20.0),
        *hh[1:],
        *members,
        RosterColumn("户UUID", "household_uuid", REF, width=38.0),
        RosterColumn("成员UUID", "member_uuid", UUID, width=38.0),
    )


ROSTER_COLUMNS = _roster_columns()


# ----------------------------------------------------------------------------- values

def clean_text(value: str) -> str:
    """Text as written to and compared in the workbook: XML-illegal characters removed, line
    ends normalised to ``\\n``, surrounding whitespace stripped."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL_XML.sub("", value).strip()


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def db_to_canonical(column: Column | RosterColumn, value: Any) -> Any:
    """A database value in the canonical Python form the workbook carries."""
    if value is None:
        return None
    kind = column.kind
    if kind in (TEXT, CODE, UUID, REF, INFO):
        text = clean_text(str(value))
        return text if text != "" else None
    if kind == DECIMAL:
        return to_decimal(value)
    if kind == DATE:
        return value.date() if isinstance(value, datetime) else value
    if kind == BOOL:
        return bool(value)
    if kind == INT:
        return int(value)
    return value  # pragma: no cover


def canonical_text(value: Any) -> str:
    """The digest's text for one canonical value (documented in docs/exchange-format.md)."""
    if value is None:
        return ""
    if value is True:
        return BOOL_TRUE
    if value is False:
        return BOOL_FALSE
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(text: str) -> bool:
    """A lower-case UUID in the canonical 8-4-4-4-12 form."""
    return len(text) == 36 and _UUID.fullmatch(text) is not None


def format_table() -> str:
    """Markdown tables of every sheet's columns (used to write docs/exchange-format.md)."""
    lines: list[str] = []
    for sheet in sheets():
        lines += [f"### {sheet.title} (`{sheet.key}`, table `{sheet.model.__tablename__}`)", "", sheet.note, ""]
        if sheet.unique_together:
            lines += [f"Unique together besides the UUID: {', '.join(sheet.unique_together)}.", ""]
        lines += ["| # | header | field | type | code list / target | required |", "|---:|---|---|---|---|---|"]
        for i, c in enumerate(sheet.columns, 1):
            target = c.codelist or (f"→ {sheet_by_key()[c.ref_sheet].title}" if c.ref_sheet else "")
            extra = " (text cell '@')" if c.text_format else ""
            lines.append(f"| {i} | {c.header} | `{c.attr or '—'}` | {KIND_LABELS[c.kind]}{extra} | {target} | "
                         f"{'yes' if c.required else ''} |")
        lines.append("")
    lines += [f"### {ROSTER_SHEET} (flat roster, derived, not imported)", "",
              "| # | header | source | type |", "|---:|---|---|---|"]
    for i, c in enumerate(ROSTER_COLUMNS, 1):
        lines.append(f"| {i} | {c.header} | `{c.source}` | {KIND_LABELS[c.kind]} |")
    return "\n".join(lines) + "\n"
