"""Member status: dead or departed members still listed, changes without a
recorded event (domain.md §5.2.13)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, select

from db.models import MEMBER_STATUS_ADDED, MEMBER_STATUS_NORMAL, MEMBER_STATUS_REMOVED, AuditLog
from desktop.core.checks.engine import WARNING, Finding, rule
from desktop.core.checks.rules._common import change_directions, empty

CAT = "成员状态"


@rule("MEM01", WARNING, "年龄超过100岁", category=CAT, needs=("member.birth_date",),
      settings=("ages.max_plausible",),
      description="在册成员的年龄（年度末）超过 max_plausible 岁，请核实是否已去世仍在册。")
def too_old(ds):
    limit = ds.settings.max_plausible_age
    for m in ds.born_before(date(ds.year - limit, 1, 1)):
        age = ds.age(m)
        if age is not None and age > limit:
            yield Finding(ds.hv_of(m), f"{age}岁（超过{limit}岁），请核实是否已去世或迁出", m, "birth_date",
                          value=m.birth_date)


@rule("MEM02", WARNING, "减少的成员未记录变动原因或日期", category=CAT,
      needs=("member.change_reason", "member.change_date"),
      description="成员状态为“自然减少”，但变动原因或变动日期为空。")
def removed_without_event(ds):
    for m in ds.removed:
        if empty(m.change_reason) or m.change_date is None:
            missing = "变动原因" if empty(m.change_reason) else "变动日期"
            yield Finding(ds.hv_of(m), f"已自然减少，但未填{missing}", m,
                          "change_reason" if missing == "变动原因" else "change_date")


@rule("MEM03", WARNING, "增加的成员未记录变动原因或日期", category=CAT,
      needs=("member.change_reason", "member.change_date"),
      description="成员状态为“自然增加”，但变动原因或变动日期为空。")
def added_without_event(ds):
    for m in ds.in_groups("status", (MEMBER_STATUS_ADDED,)):
        if empty(m.change_reason) or m.change_date is None:
            missing = "变动原因" if empty(m.change_reason) else "变动日期"
            yield Finding(ds.hv_of(m), f"为自然增加，但未填{missing}", m,
                          "change_reason" if missing == "变动原因" else "change_date")


@rule("MEM04", WARNING, "变动原因与成员状态不符", category=CAT, needs=("member.change_reason",),
      description="“自然减少”的成员填了增加类原因（新生儿、嫁入…），或“自然增加”的成员填了减少类原因（死亡、嫁出…）。")
def reason_direction(ds):
    directions = change_directions()
    for m in [*ds.removed, *ds.in_groups("status", (MEMBER_STATUS_ADDED,))]:
        d = directions.get(m.change_reason or "")
        if (m.status == MEMBER_STATUS_REMOVED and d == "in") or (m.status == MEMBER_STATUS_ADDED and d == "out"):
            yield Finding(ds.hv_of(m), f"成员状态为“{m.status}”，变动原因却是“{m.change_reason}”", m, "change_reason",
                              value=m.change_reason)


@rule("MEM05", WARNING, "出生日期晚于检查年度", category=CAT, needs=("member.birth_date",),
      description="成员在检查年度之后才出生（年龄为负）。")
def born_after_year(ds):
    for m in ds.born_on_or_after(date(ds.year + 1, 1, 1)):
        age = ds.age(m)
        if age is not None and age < 0:
            yield Finding(ds.hv_of(m), f"出生于 {ds.birth(m):%Y-%m-%d}，晚于检查年度 {ds.year} 年", m, "birth_date",
                              value=m.birth_date)


@rule("MEM06", WARNING, "变动日期不合理", category=CAT, needs=("member.change_date", "member.birth_date"),
      description="变动日期早于出生日期，或晚于今天。")
def change_date_implausible(ds):
    today = date.today()
    for m in [*ds.truthy("change_date"), *ds.removed]:
        d = m.change_date
        if d is None:
            continue
        born = ds.birth(m)
        if d > today:
            yield Finding(ds.hv_of(m), f"变动日期 {d:%Y-%m-%d} 晚于今天", m, "change_date", value=d)
        elif born is not None and d < born:
            yield Finding(ds.hv_of(m), f"变动日期 {d:%Y-%m-%d} 早于出生日期 {born:%Y-%m-%d}", m, "change_date",
                          value=d)


@rule("MEM07", WARNING, "填了变动原因但成员仍为正常", category=CAT, needs=("member.change_reason",),
      description="成员状态为“正常”，却填了变动原因（如死亡、嫁出），可能漏改成员状态。")
def reason_but_normal(ds):
    for m in ds.truthy("change_reason"):
        if m.status == MEMBER_STATUS_NORMAL and not empty(m.change_reason):
            yield Finding(ds.hv_of(m), f"变动原因为“{m.change_reason}”，成员状态仍为“正常”", m, "status", value=m.status)


def _size_change_years(ds) -> dict[str, set[int]]:
    if "size_changes" in ds._cache:
        return ds._cache["size_changes"]
    stmt = select(AuditLog.entity_uuid, AuditLog.at, AuditLog.old_value, AuditLog.new_value).where(
        AuditLog.entity == "household", AuditLog.field_name == "household_size", AuditLog.action == "update")
    if ds.single is not None:
        stmt = stmt.where(AuditLog.entity_uuid == ds.single.uuid)
    years: dict[str, set[int]] = {}
    for uuid, at, old, new in ds.session.execute(stmt):
        if old is not None and old != new:
            years.setdefault(uuid, set()).add(at.year)
    if ds.single is not None and ds.single.uuid is not None:
        history = inspect(ds.single).attrs.household_size.history
        if history.deleted and history.deleted[0] is not None and history.added:
            years.setdefault(ds.single.uuid, set()).add(date.today().year)
    ds._cache["size_changes"] = years
    return years


@rule("MEM08", WARNING, "家庭人口数变动但无成员变动记录", category=CAT,
      needs=("member.change_date", "audit_log"),
      description="修改日志显示某年改过家庭人口数，但该年没有任何成员增加（新登记）或变动（变动日期在该年）。")
def size_changed_without_event(ds):
    changes = _size_change_years(ds)
    if not changes:
        return
    for hv in ds.households:
        years = changes.get(hv.uuid)
        if not years:
            continue
        created = ds.created_at(hv.members)
        for year in sorted(years):
            events = any(
                (m.change_date is not None and m.change_date.year == year)
                or (m.uuid in created and created[m.uuid].year == year)
                or m.id is None  # a member being added right now
                for m in hv.members
            )
            if not events:
                yield Finding(hv, f"{year}年修改过家庭人口数，但该年没有成员增减记录", field="household_size",
                              value=hv.row.household_size)
                break
