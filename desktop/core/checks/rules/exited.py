"""Exited households and the exit assessment (domain.md §3.2, §3.5, §5.2.11).

A household counts as exited when its 脱贫状态 is one of ``exit_statuses`` in the
settings (default 已脱贫（享受政策） and 已脱贫（不再享受政策）).
"""

from __future__ import annotations

from desktop.core.checks.engine import ERROR, WARNING, Finding, rule
from desktop.core.checks.rules._common import cents, empty, is_no, sick_members
from desktop.core.checks.rules.plausibility import _compulsory_dropouts

CAT = "脱贫户"
ITEMS = (
    ("food_ok", "不愁吃"),
    ("clothing_ok", "不愁穿"),
    ("education_ok", "义务教育有保障"),
    ("medical_ok", "基本医疗有保障"),
    ("housing_ok", "住房安全有保障"),
    ("water_ok", "饮水安全有保障"),
)
STEPS = (
    ("democratic_review_on", "民主评议"),
    ("village_verified_on", "村两委及工作队核实"),
    ("head_confirmed_on", "户主签字"),
    ("publicity_start", "公示开始"),
    ("publicity_end", "公示结束"),
    ("township_reviewed_on", "乡镇审核"),
    ("county_approved_on", "县审定"),
)


def _exited(ds):
    return ds.exited


@rule("EXT01", ERROR, "脱贫户人均纯收入低于当年标准", category=CAT,
      needs=("household.exit_year", "income_record.*", "poverty_line"),
      description="脱贫户在检查年度（以及脱贫年度，若不同）的年人均纯收入低于当年脱贫标准"
                  "（贫困标准表中该年的“脱贫标准”，没有时用“国家”标准）。")
def income_below_line(ds):
    for hv in _exited(ds):
        years = {ds.year}
        if hv.row.exit_year and hv.row.exit_year < ds.year:
            years.add(hv.row.exit_year)
        for year in sorted(years, reverse=True):
            r = hv.incomes.get(year)
            line = ds.line_cents(year)
            if r is None or line is None:
                continue
            pc = ds.per_capita_cents(r)
            if pc is not None and pc < line:
                yield Finding(hv, f"{year}年度人均纯收入 {pc / 100:.2f} 元，低于当年标准 {line / 100:.2f} 元", field="population",
                              entity="income", entity_uuid=r.uuid, value=f"{pc / 100:.2f}")
                break


@rule("EXT02", ERROR, "脱贫户有义务教育阶段辍学儿童", category=CAT,
      needs=("member.birth_date", "member.student_status"), settings=("ages.compulsory_school",),
      description="脱贫户中，年龄在义务教育区间（默认6–14岁）的成员在校生状况为空或“非在校生”（义务教育有保障）。")
def dropout(ds):
    for hv, m, age in _compulsory_dropouts(ds):
        if ds.is_exited(hv):
            yield Finding(hv, f"脱贫户成员{age}岁，在校生状况为“{m.student_status or '未填'}”（义务教育无保障）", m,
                          "student_status", value=m.student_status)


@rule("EXT03", ERROR, "脱贫户住危房", category=CAT,
      needs=("household.is_dangerous_house", "household.dangerous_house_grade"),
      description="脱贫户“是否危房户”为是，或危房等级为C级/D级（住房安全有保障）。")
def dangerous_house(ds):
    for hv in _exited(ds):
        row = hv.row
        if row.is_dangerous_house or row.dangerous_house_grade in ("C级", "D级"):
            field = "dangerous_house_grade" if row.dangerous_house_grade in ("C级", "D级") else "is_dangerous_house"
            yield Finding(hv, f"脱贫户仍住危房（{row.dangerous_house_grade or '危房'}）", field=field,
                          value=getattr(row, field))


@rule("EXT04", ERROR, "脱贫户饮水安全未解决", category=CAT,
      needs=("household.drinking_water_difficult", "household.drinking_water_safe"),
      description="脱贫户“饮水是否困难”为是，或“饮水是否安全”为否。")
def water(ds):
    for hv in _exited(ds):
        row = hv.row
        if row.drinking_water_difficult:
            yield Finding(hv, "脱贫户饮水困难", field="drinking_water_difficult", value=True)
        elif is_no(row.drinking_water_safe):
            yield Finding(hv, "脱贫户饮水不安全", field="drinking_water_safe", value=False)


@rule("EXT05", ERROR, "因病脱贫户患病成员未参加大病保险", category=CAT,
      needs=("household.main_cause", "household.other_cause_1", "household.other_cause_2", "member.health",
             "member.in_serious_illness_insurance"),
      description="致贫原因含“因病”的脱贫户，有长期慢性病或大病成员未参加大病保险。")
def sick_without_insurance(ds):
    for m in sick_members(ds):
        if m.in_serious_illness_insurance:
            continue
        hv = ds.hv_of(m)
        row = hv.row
        if ds.is_exited(hv) and "因病" in (row.main_cause, row.other_cause_1, row.other_cause_2):
            yield Finding(hv, f"健康状况为“{m.health}”，未参加大病保险", m, "in_serious_illness_insurance",
                              value=m.in_serious_illness_insurance)


@rule("EXT06", ERROR, "脱贫户住房面积为0", category=CAT, needs=("household.housing_area",),
      description="脱贫户住房面积为0（无房）。住房面积为空由必填项规则 REQ26 报告。")
def no_house(ds):
    for hv in _exited(ds):
        area = hv.row.housing_area
        if area is not None and cents(area) <= 0:
            yield Finding(hv, "脱贫户住房面积为0", field="housing_area", value=area)


@rule("EXT07", ERROR, "脱贫户成员未参加基本医疗保险", category=CAT,
      needs=("member.in_rural_medical", "member.in_employee_medical"),
      description="脱贫户的在册成员既未参加城乡居民基本医疗保险（新农合），也未参加城镇职工基本医疗保险。")
def no_medical_insurance(ds):
    for m in ds.falsy("in_rural_medical"):
        hv = ds.hv_of(m)
        if not m.in_employee_medical and ds.is_exited(hv):
            yield Finding(hv, "未参加基本医疗保险（基本医疗无保障）", m, "in_rural_medical", value=m.in_rural_medical)


@rule("EXT08", ERROR, "已脱贫但脱贫年度未填", category=CAT, needs=("household.exit_year",),
      description="脱贫状态为已脱贫，脱贫年度为空。")
def exit_year_missing(ds):
    for hv in _exited(ds):
        if hv.row.exit_year is None:
            yield Finding(hv, f"脱贫状态为“{hv.row.exit_status}”，未填脱贫年度", field="exit_year")


@rule("EXT09", WARNING, "未脱贫却填了脱贫年度", category=CAT, needs=("household.exit_year",),
      description="脱贫状态为未脱贫或预脱贫，脱贫年度却有值。")
def exit_year_without_exit(ds):
    for hv in ds.households:
        if hv.row.exit_status in ("未脱贫", "预脱贫") and hv.row.exit_year is not None:
            yield Finding(hv, f"脱贫状态为“{hv.row.exit_status}”，脱贫年度却为 {hv.row.exit_year}", field="exit_year",
                          value=hv.row.exit_year)


def _assessment(hv):
    year = hv.row.exit_year
    return hv.exits.get(year) if year is not None else None


@rule("EXT10", WARNING, "脱贫户无通过的脱贫评估", category=CAT,
      needs=("household.exit_year", "exit_assessment.decision"),
      description="脱贫户在脱贫年度没有评估结论为“通过”的脱贫评估记录。")
def no_assessment(ds):
    for hv in _exited(ds):
        if hv.row.exit_year is None:
            continue
        a = _assessment(hv)
        if a is None or a.decision != "通过":
            what = "没有脱贫评估记录" if a is None else f"脱贫评估结论为“{a.decision or '未填'}”"
            yield Finding(hv, f"{hv.row.exit_year}年度{what}", field="exit_status", value=hv.row.exit_status)


@rule("EXT11", ERROR, "脱贫评估中两不愁三保障有未达标项", category=CAT,
      needs=("household.exit_year", *(f"exit_assessment.{f}" for f, _l in ITEMS)),
      description="脱贫户在脱贫年度的脱贫评估中，两不愁三保障（及饮水安全）有一项为“否”。")
def assessment_item_failed(ds):
    for hv in _exited(ds):
        a = _assessment(hv)
        if a is None or 0 not in (a.food_ok, a.clothing_ok, a.education_ok, a.medical_ok, a.housing_ok, a.water_ok):
            continue  # (0 == False: bulk rows carry 0/1, ORM objects bools)
        failed = [label for f, label in ITEMS if is_no(getattr(a, f))]
        if failed:
            yield Finding(hv, f"{a.year}年度脱贫评估“{'、'.join(failed)}”为否，却已标为脱贫", entity="exit_assessment",
                          entity_uuid=a.uuid, field=next(f for f, label in ITEMS if label == failed[0]))


@rule("EXT12", ERROR, "脱贫年度早于识别年度", category=CAT,
      needs=("household.exit_year", "household.identification_year"),
      description="脱贫年度早于识别年度。")
def exit_before_identification(ds):
    for hv in ds.households:
        e, i = hv.row.exit_year, hv.row.identification_year
        if e is not None and i is not None and e < i:
            yield Finding(hv, f"脱贫年度 {e} 早于识别年度 {i}", field="exit_year", value=e)


@rule("EXT13", WARNING, "脱贫评估程序日期顺序错误", category=CAT,
      needs=tuple(f"exit_assessment.{f}" for f, _l in STEPS),
      description="脱贫评估的程序日期没有按 民主评议 → 核实 → 户主签字 → 公示开始 → 公示结束 → 乡镇审核 → 县审定 的顺序。")
def steps_out_of_order(ds):
    for hv in ds.households:
        for a in hv.exits.values():
            try:  # the usual case: every date there, in order
                if (a.democratic_review_on <= a.village_verified_on <= a.head_confirmed_on <= a.publicity_start
                        <= a.publicity_end <= a.township_reviewed_on <= a.county_approved_on):
                    continue
            except TypeError:  # a date is missing: compare the ones that are there
                pass
            dated = [(getattr(a, f), label) for f, label in STEPS if getattr(a, f) is not None]
            for (d1, l1), (d2, l2) in zip(dated, dated[1:], strict=False):
                if d2 < d1:
                    yield Finding(hv, f"{a.year}年度脱贫评估：{l2}（{d2:%Y-%m-%d}）早于{l1}（{d1:%Y-%m-%d}）",
                                  entity="exit_assessment", entity_uuid=a.uuid,
                                  field=next(f for f, label in STEPS if label == l2), value=d2)
                    break


@rule("EXT14", WARNING, "公示期不足", category=CAT,
      needs=("exit_assessment.publicity_start", "exit_assessment.publicity_end"),
      settings=("thresholds.publicity_min_days",),
      description="脱贫评估的村内公示不足 publicity_min_days（默认7）天（公示结束日期 − 公示开始日期）。")
def publicity_too_short(ds):
    days = ds.settings.publicity_min_days
    for hv in ds.households:
        for a in hv.exits.values():
            s, e = a.publicity_start, a.publicity_end
            if s is not None and e is not None and e >= s and (e - s).days < days:
                yield Finding(hv, f"{a.year}年度公示 {s:%Y-%m-%d} 至 {e:%Y-%m-%d}，仅 {(e - s).days} 天（应不少于{days}天）",
                              entity="exit_assessment", entity_uuid=a.uuid, field="publicity_end", value=e)


@rule("EXT15", ERROR, "返贫户未填返贫年度或原因", category=CAT,
      needs=("household.relapse_year", "household.relapse_cause"),
      description="脱贫状态为返贫，返贫年度或返贫原因为空。")
def relapse_details(ds):
    for hv in ds.households:
        row = hv.row
        if row.exit_status == "返贫":
            if row.relapse_year is None:
                yield Finding(hv, "脱贫状态为返贫，未填返贫年度", field="relapse_year")
            elif empty(row.relapse_cause):
                yield Finding(hv, "脱贫状态为返贫，未填返贫原因", field="relapse_cause")
