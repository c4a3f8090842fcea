"""Required fields (domain.md §5.2.4)."""

from __future__ import annotations

from desktop.core.checks.engine import ERROR, WARNING, Finding, rule
from desktop.core.checks.rules._common import disabled_members, empty, in_school, sick_members

CAT = "必填项"


def _member_field(rule_id: str, column: str, title: str, description: str, *, severity: str = ERROR,
                  condition=None, condition_needs: tuple[str, ...] = (), settings: tuple[str, ...] = ()):
    @rule(rule_id, severity, title, category=CAT, needs=(f"member.{column}", *condition_needs),
          description=description, settings=settings)
    def check(ds):
        for m in ds.falsy(column):
            if empty(getattr(m, column)) and (condition is None or condition(ds, m)):
                yield Finding(ds.hv_of(m), "未填", m, column)

    check.__name__ = f"required_{column}"
    return check


def _age_between(key: str):
    def test(ds, m) -> bool:
        low, high = getattr(ds.settings, key)
        age = ds.age(m)
        return age is not None and low <= age <= high
    return test


_member_field("REQ01", "ethnicity", "民族未填", "在册成员的民族为空。")
_member_field("REQ02", "education", "文化程度未填（非在校生）", "不在校（在校生状况为空或“非在校生”）的成员文化程度为空。",
              condition=lambda _ds, m: not in_school(m), condition_needs=("member.student_status",))
_member_field("REQ03", "student_status", "在校生状况未填", "年龄在 student_status_required 区间（默认6–23岁）的成员在校生状况为空。",
              condition=_age_between("student_status_age"), condition_needs=("member.birth_date",),
              settings=("ages.student_status_required",))
_member_field("REQ04", "health", "健康状况未填", "在册成员的健康状况为空。")
_member_field("REQ05", "labour_skill", "劳动技能未填", "年龄在 labour_skill_required 区间（默认16–65岁）的成员劳动技能为空。",
              condition=_age_between("labour_skill_age"), condition_needs=("member.birth_date",),
              settings=("ages.labour_skill_required",))
_member_field("REQ06", "sex", "性别未填", "在册成员的性别为空。")
_member_field("REQ07", "relation", "与户主关系未填", "在册成员的与户主关系为空。")


@rule("REQ08", WARNING, "残疾人无残疾证号", category=CAT,
      needs=("member.health", "member.disability_cert_no", "member.id_number"),
      description="健康状况为残疾，但没有残疾证号（证件号码也不是残疾人证号）。")
def disabled_without_cert(ds):
    for m in disabled_members(ds):
        if empty(m.disability_cert_no) and len((m.id_number or "").strip()) not in (20, 22):
            yield Finding(ds.hv_of(m), "健康状况为残疾，未填残疾证号", m, "disability_cert_no")


@rule("REQ09", WARNING, "残疾类别或等级未填", category=CAT,
      needs=("member.health", "member.disability_type", "member.disability_grade"),
      description="健康状况为残疾，但残疾类别或残疾等级为空。")
def disability_details(ds):
    for m in disabled_members(ds):
        if empty(m.disability_type):
            yield Finding(ds.hv_of(m), "健康状况为残疾，未填残疾类别", m, "disability_type")
        elif empty(m.disability_grade):
            yield Finding(ds.hv_of(m), "健康状况为残疾，未填残疾等级", m, "disability_grade")


@rule("REQ10", WARNING, "患病名称未填", category=CAT, needs=("member.health", "member.illness_name"),
      description="健康状况为长期慢性病或患有大病，但患病名称为空。")
def illness_name(ds):
    for m in sick_members(ds):
        if empty(m.illness_name):
            yield Finding(ds.hv_of(m), f"健康状况为“{m.health}”，未填患病名称", m, "illness_name")


def _household_field(rule_id: str, column: str, title: str, description: str, severity: str = ERROR):
    @rule(rule_id, severity, title, category=CAT, needs=(f"household.{column}",), description=description)
    def check(ds):
        for hv in ds.hh_empty(column):
            yield Finding(hv, "未填", field=column)

    check.__name__ = f"required_{column}"
    return check


_household_field("REQ11", "main_cause", "主要致贫原因未填", "主要致贫原因为空（必填，单选）。")
_household_field("REQ12", "identification_standard", "识别标准未填", "识别标准（国家/省定/市定标准）为空。")
_household_field("REQ13", "attribute", "贫困户属性未填", "贫困户属性（一般/低保/特困供养贫困户）为空。")
_household_field("REQ14", "household_size", "家庭人口数未填", "家庭人口数为空。")

# 生产生活条件 (domain.md §5.2.4), one rule per field so each can be switched off or downgraded.
LIVING_CONDITIONS = (
    ("REQ21", "domestic_power", "是否通生活用电"),
    ("REQ22", "production_power", "是否通生产用电"),
    ("REQ23", "joined_cooperative", "是否加入农民专业合作社"),
    ("REQ24", "distance_to_road_km", "与村主干路距离"),
    ("REQ25", "access_road_type", "入户路类型"),
    ("REQ26", "housing_area", "住房面积"),
    ("REQ27", "drinking_water_difficult", "饮水是否困难"),
    ("REQ28", "drinking_water_safe", "饮水是否安全"),
    ("REQ29", "main_fuel", "主要燃料类型"),
    ("REQ30", "has_sanitary_toilet", "有无卫生厕所"),
)
for _id, _column, _label in LIVING_CONDITIONS:
    _household_field(_id, _column, f"{_label}未填", f"生产生活条件“{_label}”为空。")
