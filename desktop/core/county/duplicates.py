"""Cross-township checks of a county database (domain.md §5.2 items 2 and 12).

Rules (current members only: a member whose status is 自然减少 has left the household):

* **CTY01 同一身份证号码登记在两户** (错误): the same ID number for members of two (or more)
  households, within a township or across townships. Reported on every occurrence except the first
  (by township code, 户编号, 序号), naming the first.
* **CTY02 重复户** (错误): the same household entered twice — two households with the same 户编号,
  or the same 户主 (by ID number), or at least two members with the same ID numbers. Reported once
  per pair, on the later household; the members the two share are not reported again under CTY01.
* **CTY03 帮扶责任人同时是贫困人口** (错误): a helper's ID number is a current member's.
* **CTY04 疑似重复人员** (警告): two people in different households with the same birth date and the
  same or a similar name by pinyin (same characters; 同音: at every character some toneless reading
  is shared — a 多音字 counts with every reading in common use and a surname with its surname
  readings, :func:`desktop.core.pinyin.name_readings`; or 近音: the same after merging the sounds often
  confused: zh/z, ch/c, sh/s, n/l and the nasal endings ang/an, eng/en, ing/in), whose ID numbers are
  not the same. For a person to review; a pair marked "not a
  duplicate" (:func:`dismiss`, table ``duplicate_dismissal``) is not reported again.
* **CTY00 UUID冲突** (错误) problems are made from the consolidation's conflicts
  (:func:`conflict_problems`), so the GUI lists them with the others.

The problems reuse the checks engine's :class:`~desktop.core.checks.engine.Problem` (subclass
:class:`CountyProblem` adds the township and the other side of each pair).
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    MEMBER_STATUS_REMOVED,
    AuditLog,
    DuplicateDismissal,
    Helper,
    Household,
    Member,
    Township,
    Village,
)
from desktop.core.checks.engine import ERROR, WARNING, Problem
from desktop.core.idnumber import IdNumberError
from desktop.core.idnumber import normalise as normalise_id
from desktop.core.idnumber import parse as parse_id
from desktop.core.pinyin import name_readings

RULE_TITLES = {
    "CTY00": "UUID冲突（两个乡镇登记同一条记录）",
    "CTY01": "同一身份证号码登记在两户",
    "CTY02": "重复户（同一户录入两次）",
    "CTY03": "帮扶责任人同时是贫困人口",
    "CTY04": "疑似重复人员（出生日期相同、姓名相同或读音相近）",
}
RULE_SEVERITY = {"CTY00": ERROR, "CTY01": ERROR, "CTY02": ERROR, "CTY03": ERROR, "CTY04": WARNING}
CATEGORY = {"CTY00": "重复人员", "CTY01": "重复人员", "CTY02": "重复人员", "CTY03": "帮扶责任人", "CTY04": "重复人员"}
SAME_NAME, SAME_SOUND, SIMILAR_SOUND = "姓名相同", "姓名同音", "姓名近音"
AUDIT_ACTION, AUDIT_UNDO = "不是重复", "撤销不重复"
AUDIT_ENTITY = "重复人员核查"


@dataclass(frozen=True)
class CountyProblem(Problem):
    """A cross-township problem: the checks engine's Problem plus the township and the other side."""

    township_code: str | None = None
    township_name: str | None = None
    id_number: str | None = None
    other_household_uuid: str | None = None
    other_member_uuid: str | None = None
    other_township_name: str | None = None
    other_village: str | None = None
    other_household_number: str | None = None
    other_name: str | None = None
    similarity: str | None = None  # CTY04: 姓名相同 / 姓名同音 / 姓名近音

    @property
    def pair(self) -> tuple[str, str] | None:
        """The two member UUIDs (sorted) of a CTY04 pair, the key of a "not a duplicate" mark."""
        if self.member_uuid and self.other_member_uuid:
            a, b = sorted((self.member_uuid, self.other_member_uuid))
            return a, b
        return None

    @property
    def dismissible(self) -> bool:
        return self.rule_id == "CTY04" and self.pair is not None


class _Person(NamedTuple):
    order: tuple
    uuid: str
    name: str
    id_number: str
    birth: date | None
    relation: str | None
    household_uuid: str
    household_number: str | None
    household_id: int
    village: str
    township_code: str
    township_name: str


# ----------------------------------------------------------------------------- names

def _clean(name: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


_UNIT_SETS: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}


def _unit_sets(unit: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    sets = _UNIT_SETS.get(unit)
    if sets is None:
        sets = _UNIT_SETS[unit] = (frozenset(unit), frozenset(_fuzzy(r) for r in unit))
    return sets


def readings(name: str) -> tuple[frozenset[str], ...]:
    """The plausible toneless readings of each character of a name (多音字 with every reading in
    common use, the surname's surname readings too): :func:`desktop.core.pinyin.name_readings`."""
    return tuple(_unit_sets(unit)[0] for unit in name_readings(_clean(name)))


_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))


def _fuzzy(syllable: str) -> str:
    for long, short in _INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[2:]
            break
    if syllable.startswith("n") and len(syllable) > 1:
        syllable = "l" + syllable[1:]
    if syllable.endswith("ng") and len(syllable) > 2:
        syllable = syllable[:-1]
    return syllable


def fuzzy_readings(name: str) -> tuple[frozenset[str], ...]:
    """:func:`readings` with the sounds most often confused merged (zh/z, ch/c, sh/s, n/l, -ng/-n)."""
    return tuple(_unit_sets(unit)[1] for unit in name_readings(_clean(name)))


def _meet(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...]) -> bool:
    """True when two names have as many characters and their reading sets meet at every one."""
    return len(a) == len(b) and all(x & y for x, y in zip(a, b, strict=True))


def name_keys(name: str) -> tuple[str, str]:
    """(toneless pinyin, fuzzy pinyin) of a name's most usual reading, syllables joined by '-'."""
    syl = [unit[0] for unit in name_readings(_clean(name))]
    return "-".join(syl), "-".join(_fuzzy(s) for s in syl)


def similarity(a: str, b: str) -> str | None:
    """姓名相同 / 姓名同音 / 姓名近音, or None when the names are not alike by pinyin.

    同音: some reading of every character of one name is a reading of the other's character at
    the same place (多音字 count with every reading, 单 as shan, dan or chan); 近音: the same
    after merging the confused sounds.
    """
    na, nb = _clean(a), _clean(b)
    if not na or not nb:
        return None
    if na == nb:
        return SAME_NAME
    if _meet(readings(na), readings(nb)):
        return SAME_SOUND
    if _meet(fuzzy_readings(na), fuzzy_readings(nb)):
        return SIMILAR_SOUND
    return None


# ----------------------------------------------------------------------------- dismissals

def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def dismissed_pairs(session: Session) -> set[tuple[str, str]]:
    return {(a, b) for a, b in session.execute(select(DuplicateDismissal.uuid_a, DuplicateDismissal.uuid_b))}


def dismiss(session: Session, member_a: str, member_b: str, note: str | None = None,
            operator: str | None = None, household_uuid: str | None = None) -> bool:
    """Remember that two people are not the same person; False when already remembered."""
    if member_a == member_b:
        raise ValueError("同一个人不能标记为“不是重复”")
    a, b = _ordered(member_a, member_b)
    existing = session.scalar(select(DuplicateDismissal).where(DuplicateDismissal.uuid_a == a,
                                                              DuplicateDismissal.uuid_b == b))
    if existing is not None:
        return False
    session.add(DuplicateDismissal(uuid_a=a, uuid_b=b, note=(note or "").strip() or None, operator=operator or None))
    session.add(AuditLog(operator=operator or None, action=AUDIT_ACTION, entity=AUDIT_ENTITY, entity_uuid=member_a,
                         household_uuid=household_uuid, field_name="CTY04", new_value=f"与 {member_b} 不是同一人",
                         note=(note or "").strip() or None))
    session.flush()
    return True


def undismiss(session: Session, member_a: str, member_b: str, operator: str | None = None) -> bool:
    """Forget a "not a duplicate" mark; False when there was none."""
    a, b = _ordered(member_a, member_b)
    row = session.scalar(select(DuplicateDismissal).where(DuplicateDismissal.uuid_a == a, DuplicateDismissal.uuid_b == b))
    if row is None:
        return False
    session.delete(row)
    session.add(AuditLog(operator=operator or None, action=AUDIT_UNDO, entity=AUDIT_ENTITY, entity_uuid=member_a,
                         field_name="CTY04", old_value=f"与 {member_b} 不是同一人"))
    session.flush()
    return True


# ----------------------------------------------------------------------------- loading

def _people(session: Session) -> list[_Person]:
    q = (select(Member.uuid, Member.name, Member.id_number, Member.birth_date, Member.relation, Member.seq, Member.id,
                Household.uuid, Household.household_number, Household.id, Village.name, Township.code, Township.name)
         .join(Household, Household.id == Member.household_id)
         .join(Village, Village.id == Household.village_id)
         .join(Township, Township.id == Village.township_id)
         .where(Member.status != MEMBER_STATUS_REMOVED))
    people = []
    for (uid, name, number, birth, relation, seq, mid, huuid, hnumber, hid, village, tcode, tname) in session.execute(
            q.execution_options(yield_per=5000)):
        key = normalise_id(number) if number else ""
        people.append(_Person((tcode, hnumber or "", hid, seq or 0, mid), uid, name or "", key, birth, relation,
                              huuid, hnumber, hid, village or "", tcode, tname))
    people.sort(key=lambda p: p.order)
    return people


def _birth(p: _Person) -> date | None:
    if p.birth is not None:
        return p.birth
    if len(p.id_number) in (15, 18):
        try:
            return parse_id(p.id_number).birth_date
        except IdNumberError:
            return None
    return None


def _where(p: _Person, heads: dict[str, str]) -> str:
    head = heads.get(p.household_uuid)
    return (f"{p.township_name}{p.village} 户 {p.household_number or '（无户编号）'}"
            f"（户主 {head or '未知'}）")


def _problem(rule_id: str, p: _Person, message: str, heads: dict[str, str], *, other: _Person | None = None,
             field: str | None = "id_number", value: Any = None, similarity: str | None = None,
             entity: str = "member") -> CountyProblem:
    return CountyProblem(
        rule_id=rule_id, severity=RULE_SEVERITY[rule_id], message=message, household_uuid=p.household_uuid,
        member_uuid=p.uuid if entity == "member" else None, field=field, entity=entity,
        entity_uuid=p.uuid if entity == "member" else p.household_uuid, title=RULE_TITLES[rule_id],
        category=CATEGORY[rule_id], household_number=p.household_number, head_name=heads.get(p.household_uuid),
        member_name=p.name if entity == "member" else None, village=p.village, value=None if value is None else str(value),
        township_code=p.township_code, township_name=p.township_name, id_number=p.id_number or None,
        other_household_uuid=other.household_uuid if other else None,
        other_member_uuid=other.uuid if other and entity == "member" else None,
        other_township_name=other.township_name if other else None, other_village=other.village if other else None,
        other_household_number=other.household_number if other else None,
        other_name=other.name if other else None, similarity=similarity,
    )


# ----------------------------------------------------------------------------- the rules

def find_duplicates(session: Session, *, rules: Iterable[str] | None = None) -> list[CountyProblem]:
    """Every CTY01–CTY04 problem of the database, errors first, then by township and 户编号."""
    wanted = set(rules) if rules is not None else {"CTY01", "CTY02", "CTY03", "CTY04"}
    people = _people(session)
    heads: dict[str, str] = {}
    head_ids: dict[str, str] = {}
    for p in people:
        if p.relation == "户主" and p.household_uuid not in heads:
            heads[p.household_uuid] = p.name
            if p.id_number:
                head_ids[p.household_uuid] = p.id_number
    first_of_household: dict[str, _Person] = {}
    for p in people:
        first_of_household.setdefault(p.household_uuid, p)
    by_id: dict[str, list[_Person]] = defaultdict(list)
    for p in people:
        if p.id_number:
            by_id[p.id_number].append(p)
    shared = {k: v for k, v in by_id.items() if len({p.household_uuid for p in v}) > 1}
    problems: list[CountyProblem] = []

    # CTY02: the same household twice
    hh_order = {p.household_uuid: p.order[:3] for p in people}
    numbers: dict[str, list[str]] = defaultdict(list)
    for hh, p in first_of_household.items():
        if p.household_number and p.household_number.strip():
            numbers[p.household_number.strip()].append(hh)
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)

    def pair(a: str, b: str) -> tuple[str, str]:
        return (a, b) if hh_order[a] <= hh_order[b] else (b, a)

    for _number, hhs in numbers.items():
        hhs = sorted(set(hhs), key=lambda h: hh_order[h])
        for h in hhs[1:]:
            reasons[pair(hhs[0], h)].append("户编号相同")
    heads_by_id: dict[str, list[str]] = defaultdict(list)
    for hh, number in head_ids.items():
        heads_by_id[number].append(hh)
    for _number, hhs in heads_by_id.items():
        hhs = sorted(set(hhs), key=lambda h: hh_order[h])
        for h in hhs[1:]:
            reasons[pair(hhs[0], h)].append("户主身份证号码相同")
    together = Counter()
    for group in shared.values():
        hhs = sorted({p.household_uuid for p in group}, key=lambda h: hh_order[h])
        for i, a in enumerate(hhs):
            for b in hhs[i + 1:]:
                together[(a, b)] += 1
    for (a, b), n in together.items():
        if n >= 2:
            reasons[pair(a, b)].append(f"{n} 名成员身份证号码相同")
    dup_pairs = set(reasons)
    if "CTY02" in wanted:
        for (a, b), why in sorted(reasons.items(), key=lambda kv: (hh_order[kv[0][1]], hh_order[kv[0][0]])):
            pa, pb = first_of_household.get(a), first_of_household.get(b)
            if pb is None or pa is None:
                continue
            problems.append(_problem(
                "CTY02", pb, f"{_where(pb, heads)} 与 {_where(pa, heads)} 疑为同一户录入两次：{'，'.join(dict.fromkeys(why))}",
                heads, other=pa, field="household_number", value=pb.household_number, entity="household"))

    # CTY01: the same ID number in two households
    if "CTY01" in wanted:
        for number, group in shared.items():
            anchor = group[0]
            for p in group[1:]:
                if p.household_uuid == anchor.household_uuid:
                    continue  # within one household: the ordinary checks (DUP02)
                if pair(anchor.household_uuid, p.household_uuid) in dup_pairs:
                    continue
                problems.append(_problem(
                    "CTY01", p, f"{_where(p, heads)} 的成员 {p.name} 的身份证号码 {number} 与 {_where(anchor, heads)} "
                                f"的成员 {anchor.name} 相同", heads, other=anchor, value=number))

    # CTY03: helpers who are poor persons
    if "CTY03" in wanted:
        q = (select(Helper.uuid, Helper.name, Helper.id_number, Helper.unit, Township.name)
             .join(Township, Township.id == Helper.township_id).where(Helper.id_number.is_not(None))
             .order_by(Township.code, Helper.name))
        for _huid, hname, hnumber, unit, tname in session.execute(q):
            key = normalise_id(hnumber)
            for p in by_id.get(key, []):
                problems.append(_problem(
                    "CTY03", p, f"{_where(p, heads)} 的成员 {p.name}（{key}）同时登记为{tname}的帮扶责任人 {hname}"
                                f"（{unit or '单位未填'}）", heads, value=key))

    # CTY04: likely duplicates by birth date and pinyin
    if "CTY04" in wanted:
        dismissed = dismissed_pairs(session)
        # Blocks of one birth date, name length and one fuzzy reading of the surname: cheap to build and
        # small, and a 多音字 cannot split a pair across blocks as a single sound key would (a person
        # whose surname has two readings is in two blocks; a pair met twice is reported once).
        groups: dict[tuple[date, int, str], list[_Person]] = defaultdict(list)
        fuzzy: dict[str, tuple[frozenset[str], ...]] = {}
        for p in people:
            birth = _birth(p)
            if birth is None or not p.name:
                continue
            key = fuzzy.get(p.name)
            if key is None:
                key = fuzzy[p.name] = fuzzy_readings(p.name)
            for first in (key[0] if key else ()):
                groups[(birth, len(key), first)].append(p)
        met: set[tuple[str, str]] = set()
        for (birth, _size, _first), group in groups.items():
            if len(group) < 2:
                continue
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if a.household_uuid == b.household_uuid:
                        continue
                    fa, fb = fuzzy[a.name], fuzzy[b.name]
                    if not all(x & y for x, y in zip(fa, fb, strict=True)):
                        continue
                    if (len(fa[0]) > 1 or len(fb[0]) > 1) and (a.uuid, b.uuid) in met:
                        continue
                    met.add((a.uuid, b.uuid))
                    if a.id_number and a.id_number == b.id_number:
                        continue  # the same person: CTY01
                    if pair(a.household_uuid, b.household_uuid) in dup_pairs:
                        continue
                    if _ordered(a.uuid, b.uuid) in dismissed:
                        continue
                    how = similarity(a.name, b.name)
                    if how is None:
                        continue
                    problems.append(_problem(
                        "CTY04", b, f"{_where(b, heads)} 的成员 {b.name}（{b.id_number or '无证件号码'}）与 "
                                    f"{_where(a, heads)} 的成员 {a.name}（{a.id_number or '无证件号码'}）出生日期相同"
                                    f"（{birth:%Y-%m-%d}），{how}，疑似同一人", heads, other=a, field="name",
                        value=b.name, similarity=how))
    problems.sort(key=lambda p: (p.severity != ERROR, p.rule_id, p.township_code or "", p.household_number or "",
                                 p.member_name or ""))
    return problems


def conflict_problems(conflicts: Iterable[Any]) -> list[CountyProblem]:
    """CTY00 problems from the consolidation's UUID conflicts (to open the county database's copy)."""
    out = []
    for c in conflicts:
        out.append(CountyProblem(
            rule_id="CTY00", severity=ERROR, message=c.text(), household_uuid=c.household_uuid, member_uuid=None,
            field=None, entity="conflict", entity_uuid=c.uuid, title=RULE_TITLES["CTY00"], category=CATEGORY["CTY00"],
            household_number=None, head_name=None, member_name=None, village=None, value=c.uuid,
            township_code=c.township_code, township_name=c.township_name,
            other_township_name=c.other_township_name, other_name=c.record,
        ))
    return out
