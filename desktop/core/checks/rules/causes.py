"""Cause logic (domain.md §2.3 and §5.2.5)."""

from __future__ import annotations

from itertools import compress
from operator import eq

from desktop.core.checks.engine import ERROR, WARNING, Finding, rule
from desktop.core.checks.rules._common import (
    FULLY_ABLE,
    disabled_members,
    households_with_cause,
    sick_members,
)

CAT = "致贫原因"
CAUSE_NEEDS = ("household.main_cause", "household.other_cause_1", "household.other_cause_2")


def _cause_without(ds, cause: str, members) -> object:
    """Households naming ``cause`` where none of ``members`` (an iterator over the members who
    justify it) lives."""
    candidates = list(households_with_cause(ds, cause))
    if not candidates:
        return
    having = ds.household_ids_of(members)
    for hv, field in candidates:
        if hv.current and hv.key not in having:
            yield Finding(hv, f"致贫原因为“{cause}”，但{_WHY[cause]}", field=field, value=cause)


_WHY = {"因病": "没有患长期慢性病或大病的成员", "因学": "没有在校生", "因残": "没有残疾成员"}


@rule("CAU01", WARNING, "因病致贫但无患病成员", category=CAT, needs=(*CAUSE_NEEDS, "member.health"),
      description="主要或其他致贫原因为“因病”，但没有成员的健康状况为长期慢性病或患有大病。")
def illness_without_sick(ds):
    yield from _cause_without(ds, "因病", sick_members(ds))


@rule("CAU02", WARNING, "因学致贫但无在校生", category=CAT, needs=(*CAUSE_NEEDS, "member.student_status"),
      description="致贫原因为“因学”，但没有在校生（学前教育不计）。")
def school_without_student(ds):
    statuses = [s for s in ds.distinct("student_status") if s and s not in ("非在校生", "学前教育")]
    yield from _cause_without(ds, "因学", ds.in_groups("student_status", statuses))


@rule("CAU03", WARNING, "因残致贫但无残疾成员", category=CAT, needs=(*CAUSE_NEEDS, "member.health"),
      description="致贫原因为“因残”，但没有成员的健康状况为残疾。")
def disability_without_disabled(ds):
    yield from _cause_without(ds, "因残", disabled_members(ds))


@rule("CAU04", ERROR, "其他致贫原因与主要原因重复", category=CAT, needs=CAUSE_NEEDS,
      description="其他致贫原因与主要致贫原因相同。")
def other_repeats_main(ds):
    main = ds.hh_values("main_cause")
    both = [*compress(ds.households, map(eq, ds.hh_values("other_cause_1"), main)),
            *compress(ds.households, map(eq, ds.hh_values("other_cause_2"), main))]
    for hv in {hv.uuid: hv for hv in both}.values():
        row = hv.row
        for field in ("other_cause_1", "other_cause_2"):
            value = getattr(row, field)
            if value and value == row.main_cause:
                yield Finding(hv, f"“{value}”已是主要致贫原因", field=field, value=value)
                break


@rule("CAU05", ERROR, "两个其他致贫原因相同", category=CAT, needs=CAUSE_NEEDS,
      description="其他致贫原因1与其他致贫原因2相同。")
def others_repeat(ds):
    for hv in ds.hh_truthy("other_cause_2"):
        row = hv.row
        if row.other_cause_1 and row.other_cause_1 == row.other_cause_2 and row.other_cause_1 != row.main_cause:
            yield Finding(hv, f"与其他致贫原因1同为“{row.other_cause_2}”", field="other_cause_2",
                          value=row.other_cause_2)


@rule("CAU06", WARNING, "缺劳力但有劳动力", category=CAT, needs=(*CAUSE_NEEDS, "member.labour_skill"),
      description="致贫原因为“缺劳力”，但有成员为普通劳动力或技能劳动力。")
def lacks_labour_but_able(ds):
    for hv, field in households_with_cause(ds, "缺劳力"):
        able = [m.name for m in hv.current if m.labour_skill in FULLY_ABLE]
        if able:
            yield Finding(hv, f"致贫原因为“缺劳力”，但 {'、'.join(able)} 为劳动力", field=field, value="缺劳力")


@rule("CAU07", WARNING, "其他致贫原因2已填而原因1为空", category=CAT, needs=CAUSE_NEEDS,
      description="其他致贫原因2有值，其他致贫原因1为空。")
def second_without_first(ds):
    for hv in ds.hh_truthy("other_cause_2"):
        if hv.row.other_cause_2 and not hv.row.other_cause_1:
            yield Finding(hv, f"其他致贫原因1为空，原因2为“{hv.row.other_cause_2}”", field="other_cause_1")
