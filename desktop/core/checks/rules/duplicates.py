"""Duplicate persons and households (domain.md §5.2.2).

A duplicate found by a whole-database run is reported once: on every occurrence
except the first (lowest record id), naming the first. A single-household check
(the card editor) reports it on the household being edited whenever another
household has the same number.
"""

from __future__ import annotations

from desktop.core.checks.data import normalised_id
from desktop.core.checks.engine import ERROR, WARNING, Finding, rule

CAT = "重复人员"
BIG = 1 << 62


def _order(ref) -> int:
    return ref.member_id if ref.member_id is not None else BIG


def _pairs(ds, groups):
    """(ref to report, ref it duplicates) for each group, following the module's policy."""
    for refs in groups.values():
        households = {r.household_uuid for r in refs}
        if len(households) < 2:
            continue
        if ds.single is None:
            anchor = min(refs, key=_order)
            for r in refs:
                if r.household_uuid != anchor.household_uuid:
                    yield r, anchor
        else:
            own = ds.households[0].uuid
            others = [r for r in refs if r.household_uuid != own]
            target = min(others, key=_order)
            for r in refs:
                if r.household_uuid == own:
                    yield r, target


@rule("DUP01", ERROR, "同一身份证号码登记在两户", category=CAT, needs=("member.id_number",),
      description="同一身份证号码作为在册成员出现在数据库中两个（或更多）户（县级汇总库即县内重复）。")
def same_id_two_households(ds):
    for r, target in _pairs(ds, ds.members_by_id_number()):
        hv = ds.by_id.get(r.household_id) if r.household_id is not None else ds.households[0]
        if hv is None or r.member is None:
            continue
        where = ds.describe_household(target.household_id, target.household_uuid, target.household_number)
        yield Finding(hv, f"身份证号码 {r.id_number} 与{where}的成员 {target.name} 相同", r.member, "id_number",
                      value=r.id_number)


@rule("DUP02", ERROR, "同户内身份证号码重复", category=CAT, needs=("member.id_number",),
      description="同一户内两名在册成员的身份证号码相同。")
def same_id_same_household(ds):
    if ds.single is not None:
        numbers = [m.id_number for m in ds.members if m.id_number]
        candidates = ds.households if len(set(numbers)) != len(numbers) else []
    else:  # the database's duplicate numbers (one indexed SQL query, shared with DUP01)
        candidates = {r.household_uuid: ds.by_id[r.household_id]
                      for refs in ds.members_by_id_number().values()
                      if len({r.household_uuid for r in refs}) < len(refs)
                      for r in refs if r.household_id in ds.by_id}.values()
    for hv in candidates:
        seen: dict[str, object] = {}
        for m in hv.current:
            key = normalised_id(m.id_number)
            if not key:
                continue
            if key in seen:
                yield Finding(hv, f"与本户成员 {seen[key].name} 的身份证号码相同（{key}）", m, "id_number", value=key)
            else:
                seen[key] = m


@rule("DUP03", ERROR, "户编号重复", category=CAT, needs=("household.household_number",),
      description="两个户使用同一户编号（重复户）。")
def same_household_number(ds):
    for refs in ds.households_by_number().values():
        if ds.single is None:
            anchor = min(refs, key=lambda r: r[0] if r[0] is not None else BIG)
            pairs = [(r, anchor) for r in refs if r is not anchor]
        else:
            own = ds.households[0].uuid
            others = [r for r in refs if r[1] != own]
            if not others:
                continue
            target = min(others, key=lambda r: r[0] if r[0] is not None else BIG)
            pairs = [(r, target) for r in refs if r[1] == own]
        for (hid, _huuid, number), (tid, tuuid, tnumber) in pairs:
            hv = ds.by_id.get(hid) if hid is not None else ds.households[0]
            if hv is None:
                continue
            where = ds.describe_household(tid, tuuid, tnumber)
            yield Finding(hv, f"户编号与{where}相同", field="household_number", value=number)


@rule("DUP04", WARNING, "疑似重复户（同村户主姓名和出生日期相同）", category=CAT,
      needs=("member.name", "member.birth_date", "duplicate_dismissal"),
      description="同一行政村的两个户，户主姓名和出生日期相同而身份证号码不同，可能是同一户录入两次。"
                  "在“重复人员核查”中标记为“不是重复”的成对户主不再提示。")
def similar_heads(ds):
    groups = ds.heads_by_name_birth()
    if not groups:
        return
    dismissed = ds.dismissed_pairs()
    for r, target in _pairs(ds, groups):
        if r.id_number and r.id_number == target.id_number:
            continue  # the same person: DUP01
        if (r.member_uuid, target.member_uuid) in dismissed:
            continue
        hv = ds.by_id.get(r.household_id) if r.household_id is not None else ds.households[0]
        if hv is None or r.member is None:
            continue
        where = ds.describe_household(target.household_id, target.household_uuid, target.household_number)
        yield Finding(hv, f"户主 {r.name}（出生 {ds.birth(r.member):%Y-%m-%d}）与{where}的户主姓名、出生日期相同，"
                          "疑似重复户", r.member, "name", value=r.name)
