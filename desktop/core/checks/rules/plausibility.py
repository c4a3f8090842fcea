"""Plausibility (domain.md §5.2.10 and the county checkers' phone rule)."""

from __future__ import annotations

from datetime import date
from itertools import compress, repeat
from operator import gt, mul

from desktop.core.checks.engine import WARNING, Finding, rule
from desktop.core.checks.rules._common import (
    digits_only,
    in_school,
    is_no,
    is_primary_or_below,
    is_senior_or_above,
    num,
)

CAT = "合理性"


def _per_capita_area(ds, column: str, limit: float, label: str):
    areas = [a or 0 for a in ds.hh_values(column)]
    # area > limit × people (C-level), then the exact test for the few candidates
    for hv in compress(ds.households, map(gt, areas, map(mul, ds.hh_sizes(), repeat(limit)))):
        area = getattr(hv.row, column)
        n = len(hv.current)
        if area is None or n == 0:
            continue
        per = num(area) / n
        if per > limit:
            yield Finding(hv, f"{label} {num(area):g} 亩，{n} 人，人均 {per:.1f} 亩，超过 {limit:g} 亩", field=column,
                          value=area)


@rule("PLA01", WARNING, "人均耕地面积过大", category=CAT, needs=("household.cultivated_land",),
      settings=("thresholds.cultivated_land_per_capita_max",),
      description="耕地面积除以在册人数超过 cultivated_land_per_capita_max（默认50亩）。")
def land_per_capita(ds):
    yield from _per_capita_area(ds, "cultivated_land", ds.settings.cultivated_land_per_capita_max, "耕地")


@rule("PLA02", WARNING, "人均林地面积过大", category=CAT, needs=("household.forest_land",),
      settings=("thresholds.forest_land_per_capita_max",),
      description="林地面积除以在册人数超过 forest_land_per_capita_max（默认70亩）。")
def forest_per_capita(ds):
    yield from _per_capita_area(ds, "forest_land", ds.settings.forest_land_per_capita_max, "林地")


@rule("PLA03", WARNING, "与村主干路距离过远", category=CAT, needs=("household.distance_to_road_km",),
      settings=("thresholds.road_distance_km_max",),
      description="与村主干路距离超过 road_distance_km_max（默认50公里；常见错误是按米填写）。")
def road_distance(ds):
    limit = ds.settings.road_distance_km_max
    for hv in ds.households:
        d = hv.row.distance_to_road_km
        if d is not None and num(d) > limit:
            yield Finding(hv, f"{num(d):g} 公里，超过 {limit:g} 公里（是否按米填写？）", field="distance_to_road_km",
                          value=d)


@rule("PLA04", WARNING, "年龄过小却在读高中及以上", category=CAT,
      needs=("member.birth_date", "member.student_status", "member.education"),
      settings=("ages.young_in_senior_school",),
      description="年龄不超过 young_in_senior_school（默认14岁），在校生状况或文化程度为高中及以上。")
def young_senior(ds):
    limit = ds.settings.young_in_senior_school
    for m in ds.born_on_or_after(date(ds.year - limit, 1, 1)):
        if is_senior_or_above(m):
            age = ds.age(m)
            if age is not None and 0 <= age <= limit:
                field = "student_status" if in_school(m) else "education"
                yield Finding(ds.hv_of(m), f"{age}岁，{'在校生状况' if in_school(m) else '文化程度'}为“{getattr(m, field)}”",
                              m, field, value=getattr(m, field))


@rule("PLA05", WARNING, "年龄过大却在读小学及以下", category=CAT,
      needs=("member.birth_date", "member.student_status"), settings=("ages.old_in_primary_school",),
      description="年龄不小于 old_in_primary_school（默认20岁），在校生状况为小学或学前教育。")
def old_primary(ds):
    limit = ds.settings.old_in_primary_school
    for m in ds.in_groups("student_status", ("学前教育", "小学")):
        if is_primary_or_below(m):
            age = ds.age(m)
            if age is not None and age >= limit:
                yield Finding(ds.hv_of(m), f"{age}岁，在校生状况为“{m.student_status}”", m, "student_status",
                                  value=m.student_status)


@rule("PLA06", WARNING, "同一年级连续多年", category=CAT,
      needs=("member.student_status", "audit_log"), settings=("thresholds.same_grade_years",),
      description="在校生状况为某一年级（如“八年级”），且自登记或上次修改起已连续 same_grade_years（默认3）个年度未变。")
def same_grade(ds):
    years = ds.settings.same_grade_years
    graded = [s for s in ds.distinct("student_status") if s and "年级" in s]
    if not graded:
        return
    latest = date(ds.year - years + 2, 1, 1)  # registered before this: in that grade for `years` years
    if ds.single is not None:
        candidates = list(ds.in_groups("student_status", graded))
        created = ds.created_at(candidates)
    else:  # let the database pick the members registered long enough ago
        from sqlalchemy import select

        from db.models import Member

        rows = ds.session.execute(select(Member.id, Member.uuid, Member.created_at).where(
            Member.student_status.in_(graded), Member.created_at < latest)).all()
        created = {uuid: at for _id, uuid, at in rows}
        ids = {mid for mid, _uuid, _at in rows}
        candidates = [m for m in ds.in_groups("student_status", graded) if m.id in ids] if ids else []
    changed = ds.student_status_changed() if candidates else {}
    for m in candidates:
        status = m.student_status
        since = changed.get(m.uuid) or created.get(m.uuid)
        if since is not None and ds.year - since.year + 1 >= years:
            yield Finding(ds.hv_of(m), f"自{since.year}年起在校生状况一直为“{status}”，"
                                       f"已连续{ds.year - since.year + 1}个年度", m, "student_status", value=status)


def _compulsory_dropouts(ds):
    """(household, member, age) of members of compulsory-school age who are not in school."""
    low, high = ds.settings.compulsory_school_age
    for m in ds.born_on_or_after(date(ds.year - high, 1, 1)):
        if m.student_status in (None, "", "非在校生"):
            age = ds.age(m)
            if age is not None and low <= age <= high:
                yield ds.hv_of(m), m, age


@rule("PLA07", WARNING, "义务教育阶段适龄儿童未在校", category=CAT,
      needs=("member.birth_date", "member.student_status"), settings=("ages.compulsory_school",),
      description="未脱贫户中，年龄在义务教育区间（默认6–14岁）的成员在校生状况为空或“非在校生”。"
                  "（脱贫户的同一情况由 EXT02 作为错误报告。）")
def compulsory_not_in_school(ds):
    for hv, m, age in _compulsory_dropouts(ds):
        if not ds.is_exited(hv):
            yield Finding(hv, f"{age}岁，在校生状况为“{m.student_status or '未填'}”", m, "student_status",
                          value=m.student_status)


@rule("PLA08", WARNING, "灌溉或确权面积大于耕地面积", category=CAT,
      needs=("household.cultivated_land", "household.irrigated_land", "household.cultivated_land_confirmed"),
      description="有效灌溉面积或确权面积大于耕地面积。")
def land_parts(ds):
    for hv in ds.households:
        row = hv.row
        total = num(row.cultivated_land)
        for column, label in (("irrigated_land", "有效灌溉面积"), ("cultivated_land_confirmed", "确权面积")):
            part = getattr(row, column)
            if part is not None and num(part) > total:
                yield Finding(hv, f"{label} {num(part):g} 亩，大于耕地面积 {total:g} 亩", field=column, value=part)
                break


@rule("PLA09", WARNING, "退耕还林面积大于林地面积", category=CAT,
      needs=("household.forest_land", "household.returned_farmland_forest"),
      description="退耕还林面积大于林地面积。")
def forest_parts(ds):
    for hv in ds.households:
        part = hv.row.returned_farmland_forest
        if part is not None and num(part) > num(hv.row.forest_land):
            yield Finding(hv, f"退耕还林面积 {num(part):g} 亩，大于林地面积 {num(hv.row.forest_land):g} 亩",
                          field="returned_farmland_forest", value=part)


def _bad_phone(value, length: int) -> bool:
    if not value or not str(value).strip():
        return False
    d = digits_only(str(value))
    return not (d.isdigit() and len(d) == length)


@rule("PLA10", WARNING, "户联系电话位数不对", category=CAT, needs=("household.phone",),
      settings=("thresholds.phone_length",),
      description="户联系电话不是 phone_length（默认11）位数字（县级核查把位数不是11的号码都标出）。")
def household_phone(ds):
    n = ds.settings.phone_length
    for hv in ds.households:
        if _bad_phone(hv.row.phone, n):
            yield Finding(hv, f"“{hv.row.phone}”不是{n}位数字", field="phone", value=hv.row.phone)


@rule("PLA11", WARNING, "成员联系电话位数不对", category=CAT, needs=("member.phone",),
      settings=("thresholds.phone_length",),
      description="成员联系电话不是 phone_length（默认11）位数字。")
def member_phone(ds):
    n = ds.settings.phone_length
    for m in ds.truthy("phone"):
        if _bad_phone(m.phone, n):
            yield Finding(ds.hv_of(m), f"“{m.phone}”不是{n}位数字", m, "phone", value=m.phone)


@rule("PLA12", WARNING, "是否危房与危房等级不一致", category=CAT,
      needs=("household.is_dangerous_house", "household.dangerous_house_grade"),
      description="“是否危房户”为是而危房等级为A/B级，或为否而危房等级为C/D级。")
def dangerous_flag(ds):
    for hv in ds.households:
        flag, grade = hv.row.is_dangerous_house, hv.row.dangerous_house_grade
        if flag and grade in ("A级", "B级"):
            yield Finding(hv, f"是否危房户为“是”，危房等级却为{grade}", field="dangerous_house_grade", value=grade)
        elif is_no(flag) and grade in ("C级", "D级"):
            yield Finding(hv, f"是否危房户为“否”，危房等级却为{grade}", field="is_dangerous_house", value=flag)


@rule("PLA13", WARNING, "银行账号格式异常", category=CAT, needs=("household.bank_account",),
      description="银行账号含数字以外的字符，或位数不在10–25之间。")
def bank_account(ds):
    for hv in ds.households:
        value = hv.row.bank_account
        if value and value.strip():
            d = digits_only(value)
            if not (d.isdigit() and 10 <= len(d) <= 25):
                yield Finding(hv, f"“{value}”不是10–25位数字", field="bank_account", value=value)
