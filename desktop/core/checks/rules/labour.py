"""Labour capacity (domain.md §2.8 and §5.2.7)."""

from __future__ import annotations

from datetime import date

from desktop.core.checks.engine import WARNING, Finding, rule
from desktop.core.checks.rules._common import ABLE, UNABLE, in_school

CAT = "劳动力"


@rule("LAB01", WARNING, "健康的劳动年龄人口标为无劳动力", category=CAT,
      needs=("member.birth_date", "member.health", "member.student_status", "member.labour_skill"),
      settings=("ages.working",),
      description="劳动年龄（默认16–65岁）、健康、不在校的成员，劳动技能为丧失劳动力或无劳动力。")
def healthy_unable(ds):
    low, high = ds.settings.working_age
    for m in ds.matching(labour_skill=UNABLE, health=("健康",), student_status=(None, "", "非在校生"),
                         born_from=ds.year - high, born_to=ds.year - low):
        if not in_school(m):
            age = ds.age(m)
            if age is not None and low <= age <= high:
                yield Finding(ds.hv_of(m), f"{age}岁、健康、不在校，劳动技能却为“{m.labour_skill}”", m, "labour_skill",
                              value=m.labour_skill)


@rule("LAB02", WARNING, "无劳动能力者有务工记录", category=CAT,
      needs=("member.labour_skill", "member.work_location", "member.work_months"),
      description="劳动技能为丧失劳动力或无劳动力，但填了务工所在地或务工时间。")
def unable_but_working(ds):
    for m in ds.in_groups("labour_skill", UNABLE):
        if m.work_location or (m.work_months or 0) > 0:
            yield Finding(ds.hv_of(m), f"劳动技能为“{m.labour_skill}”，却有务工记录（{m.work_location or '地点未填'}，"
                                       f"{m.work_months or 0}个月）", m, "labour_skill", value=m.labour_skill)


@rule("LAB03", WARNING, "未满劳动年龄标为劳动力", category=CAT,
      needs=("member.birth_date", "member.labour_skill"), settings=("ages.working",),
      description="年龄低于劳动年龄下限（默认16岁）的成员劳动技能为普通、技能或弱劳动力。")
def child_labour(ds):
    low = ds.settings.working_age[0]
    for m in ds.born_on_or_after(date(ds.year - low + 1, 1, 1)):
        if m.labour_skill in ABLE:
            age = ds.age(m)
            if age is not None and 0 <= age < low:
                yield Finding(ds.hv_of(m), f"{age}岁，劳动技能为“{m.labour_skill}”", m, "labour_skill",
                              value=m.labour_skill)
