"""Small shared helpers for rule modules."""

from __future__ import annotations

from functools import cache
from typing import Any

from desktop.core import codelists
from desktop.core.checks.data import cents, is_no, num  # noqa: F401 - re-exported

NOT_IN_SCHOOL = "非在校生"
ABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
FULLY_ABLE = ("普通劳动力", "技能劳动力")
UNABLE = ("丧失劳动力", "无劳动力")
SICK = ("长期慢性病", "患有大病")


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def in_school(m: Any) -> bool:
    """A student (any school stage, including 学前教育)."""
    s = m.student_status
    return bool(s) and s != NOT_IN_SCHOOL


def is_sick(m: Any) -> bool:
    h = m.health or ""
    return any(s in h for s in SICK) or h == "大病"


def is_disabled(m: Any) -> bool:
    return "残疾" in (m.health or "")


def sick_members(ds: Any) -> Any:
    """Current members whose 健康状况 is (or includes) 长期慢性病 / 患有大病."""
    return ds.in_groups("health", [h for h in ds.distinct("health") if h and (any(s in h for s in SICK) or h == "大病")])


def disabled_members(ds: Any) -> Any:
    """Current members whose 健康状况 is (or includes) 残疾."""
    return ds.in_groups("health", [h for h in ds.distinct("health") if h and "残疾" in h])


def households_with_cause(ds: Any, cause: str) -> Any:
    """(household, field) for households naming ``cause`` as a cause (main cause first)."""
    seen = set()
    for column in ("main_cause", "other_cause_1", "other_cause_2"):
        for hv in ds.hh_where(column, (cause,)):
            if hv.uuid not in seen:
                seen.add(hv.uuid)
                yield hv, column


@cache
def student_stages() -> dict[str, str | None]:
    """在校生状况 label -> stage (学前 / 义务教育 / 高中 / 中职 / 高等 / None)."""
    return {i.label: i.extra.get("stage") for i in codelists.get("student_status").items}


SENIOR_STAGES = frozenset({"高中", "中职", "高等"})


def is_senior_or_above(m: Any) -> bool:
    stage = student_stages().get(m.student_status or "")
    if stage in SENIOR_STAGES:
        return True
    return m.education in ("高中", "大专及以上") and m.student_status in (None, "", NOT_IN_SCHOOL)


def is_primary_or_below(m: Any) -> bool:
    return m.student_status in ("学前教育", "小学")


@cache
def relation_sexes() -> dict[str, str]:
    return {i.label: i.extra["sex"] for i in codelists.get("relation_to_head").items if i.extra.get("sex")}


@cache
def change_directions() -> dict[str, str]:
    return {i.label: i.extra.get("direction") for i in codelists.get("member_change_reason").items}


def yuan(value: Any) -> str:
    """An amount for messages: ``1234.50``."""
    return f"{cents(value) / 100:.2f}"


def causes(row: Any) -> list[tuple[str, str]]:
    """(field, cause) pairs of a household, main cause first."""
    out = []
    for name in ("main_cause", "other_cause_1", "other_cause_2"):
        value = getattr(row, name)
        if value:
            out.append((name, value))
    return out


def digits_only(value: str) -> str:
    """``value`` without spaces and hyphens (phone and account numbers are often typed grouped)."""
    if value.isdigit():
        return value
    return "".join(ch for ch in value if not ch.isspace() and ch != "-")
