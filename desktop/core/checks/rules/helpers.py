"""Helpers (帮扶责任人, domain.md §1.5 and §5.2.12)."""

from __future__ import annotations

from desktop.core.checks.data import classify_id, normalised_id
from desktop.core.checks.engine import ERROR, WARNING, Finding, rule
from desktop.core.checks.rules._common import digits_only, empty, is_no

CAT = "帮扶责任人"


@rule("HLP01", ERROR, "无帮扶责任人", category=CAT, needs=("assignment",),
      description="户没有当前的帮扶结对（结束日期为空或不早于今天）。脱贫状态在 no_helper_needed_statuses "
                  "（默认“已脱贫（不再享受政策）”）中的户除外。")
def no_helper(ds):
    skip = ds.settings.no_helper_needed_statuses
    for hv in ds.households:
        if hv.row.exit_status not in skip and not any(h is not None for _a, h in hv.assignments):
            yield Finding(hv, "没有帮扶责任人")


@rule("HLP02", ERROR, "帮扶责任人同时是贫困人口", category=CAT, needs=("member.id_number", "helper.id_number"),
      description="某帮扶责任人的身份证号码与贫困户的在册成员相同。")
def helper_is_poor(ds):
    helpers = ds.helper_id_numbers()
    if not helpers:
        return
    for m in ds.where("id_number", helpers.__contains__):
        key = normalised_id(m.id_number)
        if key in helpers:
            h = helpers[key][0]
            yield Finding(ds.hv_of(m), f"此人同时登记为帮扶责任人 {h.name}（{h.unit or '单位未填'}）", m, "id_number", value=key)


CORE = (("name", "姓名"), ("unit", "单位名称"), ("post", "职务"), ("phone", "联系电话"))


@rule("HLP03", WARNING, "帮扶责任人信息不全", category=CAT, needs=("helper.post", "helper.phone"),
      description="帮扶责任人的姓名、单位名称、职务、联系电话（明白卡上印的四项）有空项。")
def helper_incomplete(ds):
    for h in ds.scoped_helpers:
        missing = [label for col, label in CORE if empty(getattr(h, col))]
        if missing:
            field = next(col for col, label in CORE if label == missing[0])
            yield Finding(None, f"未填{'、'.join(missing)}", helper=h, field=field, entity="helper")


@rule("HLP04", WARNING, "帮扶责任人联系电话位数不对", category=CAT, needs=("helper.phone",),
      settings=("thresholds.phone_length",),
      description="帮扶责任人联系电话不是 phone_length（默认11）位数字。")
def helper_phone(ds):
    n = ds.settings.phone_length
    for h in ds.scoped_helpers:
        if h.phone and h.phone.strip():
            d = digits_only(h.phone)
            if not (d.isdigit() and len(d) == n):
                yield Finding(None, f"“{h.phone}”不是{n}位数字", helper=h, field="phone", entity="helper", value=h.phone)


@rule("HLP05", ERROR, "帮扶责任人身份证号码无效", category=CAT, needs=("helper.id_number",),
      description="帮扶责任人的身份证号码已填，但位数、字符、校验位或出生日期有误。")
def helper_id(ds):
    for h in ds.scoped_helpers:
        if h.id_number and h.id_number.strip():
            r = classify_id(h.id_number, None, ds.ref_date)
            if r.kind not in ("ok", "upgrade15"):
                yield Finding(None, r.detail or "号码有误", helper=h, field="id_number",
                              entity="helper", value=h.id_number)


@rule("HLP06", WARNING, "不在岗的帮扶责任人仍在结对", category=CAT, needs=("helper.active", "assignment"),
      description="帮扶责任人已标为不在岗，但仍是某户当前的帮扶责任人（应结束结对并另行安排）。")
def inactive_helper(ds):
    for hv in ds.households:
        for a, h in hv.assignments:
            if h is not None and is_no(h.active):
                yield Finding(hv, f"帮扶责任人 {h.name} 已不在岗，结对仍未结束", entity="assignment", entity_uuid=a.uuid)


@rule("HLP07", WARNING, "帮扶户数过多", category=CAT, needs=("assignment",),
      settings=("thresholds.max_households_per_helper",),
      description="一名帮扶责任人当前结对的户数超过 max_households_per_helper（默认20）。")
def too_many_households(ds):
    limit = ds.settings.max_households_per_helper
    counts = ds.helper_household_counts()
    for h in ds.scoped_helpers:
        n = counts.get(h.id, 0)
        if n > limit:
            yield Finding(None, f"当前结对 {n} 户，超过 {limit} 户", helper=h, entity="helper", value=n)


@rule("HLP08", WARNING, "本年度无走访记录", category=CAT, needs=("visit",),
      settings=("thresholds.min_visits_per_year",),
      description="需要帮扶的户在检查年度的走访记录少于 min_visits_per_year（默认1）次。")
def no_visits(ds):
    need = ds.settings.min_visits_per_year
    skip = ds.settings.no_helper_needed_statuses
    for hv in ds.households:
        if hv.row.exit_status not in skip and hv.current and hv.visits < need:
            yield Finding(hv, f"{ds.year}年度走访 {hv.visits} 次，少于 {need} 次")
