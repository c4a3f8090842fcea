"""Plant one fault of each kind into a (clean) demo database.

For the tests ("every rule fires on data that breaks it, once, and on nothing
else"), for demonstrations and for training clerks on the problems list. Each
:class:`Case` picks a suitable demo household, changes it so that exactly one
rule fires exactly once (``plant``), and knows a near miss that must not fire
(``near``). The changes use ORM objects only, so the same case serves the
whole-database run (after a commit) and ``check_household`` (in memory).

Only ever run this on demo data: it edits households in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from db.base import new_uuid
from db.models import (
    MEMBER_STATUS_ADDED,
    MEMBER_STATUS_REMOVED,
    Assignment,
    AuditLog,
    Helper,
    Household,
    Member,
)
from desktop.core.idnumber import check_char

EXITED = ("已脱贫（享受政策）", "已脱贫（不再享受政策）")
SAFE_CAUSES = ("缺技术", "缺资金", "缺土地", "交通条件落后", "自身发展动力不足", "因灾", "缺水")


# --------------------------------------------------------------------------- helpers


def age(m: Member, year: int) -> int:
    return year - m.birth_date.year


def student(m: Member) -> bool:
    return bool(m.student_status) and m.student_status not in ("非在校生", "学前教育")


def income(h: Household, year: int) -> Any:
    return next((r for r in h.incomes if r.year == year), None)


def net(r: Any) -> Decimal:
    def d(v: Any) -> Decimal:
        return Decimal(str(v or 0))
    return d(r.wage) + d(r.production) + d(r.property_income) + d(r.transfer) - d(r.production_expense)


def causes(h: Household) -> set[str]:
    return {c for c in (h.main_cause, h.other_cause_1, h.other_cause_2) if c}


def safe_causes(h: Household) -> bool:
    """Causes that no member change can contradict."""
    return causes(h) <= set(SAFE_CAUSES)


def workers(h: Household) -> list[Member]:
    return [m for m in h.current_members if m.work_location and (m.work_months or 0) > 0]


def exited(h: Household) -> bool:
    return h.exit_status in EXITED


def assessment(h: Household) -> Any:
    return next((a for a in h.exit_assessments if a.year == h.exit_year), None)


def first(h: Household, test: Callable[[Member], bool]) -> Member | None:
    return next((m for m in h.current_members if test(m)), None)


@dataclass
class Ctx:
    """Shared state of one planting session."""

    session: Session
    year: int
    households: list[Household]
    used: set[int] = field(default_factory=set)
    taken_ids: set[str] = field(default_factory=set)
    seq: int = 0

    def pick(self, test: Callable[[Household], bool]) -> Household:
        for h in self.households:
            if h.id not in self.used and test(self, h):
                self.used.add(h.id)
                return h
        raise LookupError("no demo household fits this case")

    def new_id(self, birth: date, sex: str, region: str = "411726") -> str:
        """A valid ID number, unused in this database."""
        while True:
            self.seq += 2
            seq = 600 + self.seq % 398
            if (seq % 2 == 1) != (sex == "男"):
                seq += 1
            body = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = body + check_char(body)
            if number not in self.taken_ids:
                self.taken_ids.add(number)
                return number

    def with_digits(self, number: str, birth: str) -> str:
        """``number`` with another 8-digit birth part and a correct check character."""
        body = number[:6] + birth + number[14:17]
        return body + check_char(body)


# A case: pick a household; plant returns the entity uuid the problem must name.
Plant = Callable[[Ctx, Household], str]


@dataclass(frozen=True)
class Case:
    rule: str
    pick: Callable[[Ctx, Household], bool]
    plant: Plant
    near: Callable[[Ctx, Household], None] | None = None
    needs_commit: bool = False  # fires only in a whole-database run (data the ORM cannot express)


CASES: dict[str, Case] = {}


def case(rule: str, pick: Callable[[Ctx, Household], bool], *, near: Callable[[Ctx, Household], None] | None = None,
         needs_commit: bool = False) -> Callable[[Plant], Plant]:
    def register(fn: Plant) -> Plant:
        CASES[rule] = Case(rule, pick, fn, near, needs_commit)
        return fn
    return register


def plain(m: Member) -> bool:
    """A member whose ID number can change without touching anything else."""
    return not m.disability_cert_no and m.id_number is not None and len(m.id_number) == 18


def _any_plain(c: Ctx, h: Household) -> bool:
    return first(h, plain) is not None


# --------------------------------------------------------------------------- ID numbers


@case("ID01", _any_plain, near=lambda c, h: setattr(first(h, plain), "id_number", f" {first(h, plain).id_number} "))
def _id01(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    m.id_number = None
    return m.uuid


@case("ID02", _any_plain, near=lambda c, h: setattr(first(h, plain), "id_number", first(h, plain).id_number.lower()))
def _id02(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    m.id_number = m.id_number[:17]
    return m.uuid


def _born_19xx(c: Ctx, h: Household) -> bool:
    return first(h, lambda m: plain(m) and m.birth_date.year < 2000) is not None


@case("ID03", _born_19xx)
def _id03(c: Ctx, h: Household) -> str:
    m = first(h, lambda m: plain(m) and m.birth_date.year < 2000)
    m.id_number = m.id_number[:6] + m.id_number[8:17]
    return m.uuid


@case("ID04", _any_plain, near=lambda c, h: None)
def _id04(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    right = m.id_number[17]
    m.id_number = m.id_number[:17] + ("1" if right != "1" else "2")
    return m.uuid


def _near_date(c: Ctx, h: Household) -> None:
    m = first(h, plain)
    m.id_number = c.with_digits(m.id_number, f"{m.birth_date:%Y}0228")


@case("ID05", _any_plain, near=_near_date)
def _id05(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    m.id_number = c.with_digits(m.id_number, f"{m.birth_date:%Y}0230")
    return m.uuid


@case("ID06", _any_plain, near=lambda c, h: setattr(
    first(h, plain), "id_number", c.with_digits(first(h, plain).id_number, f"{first(h, plain).birth_date:%Y}1201")))
def _id06(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    m.id_number = c.with_digits(m.id_number, f"{m.birth_date:%Y}1301")
    return m.uuid


def _has_cert(c: Ctx, h: Household) -> bool:
    return first(h, lambda m: bool(m.disability_cert_no)) is not None


def _cert_member(h: Household) -> Member:
    return first(h, lambda m: bool(m.disability_cert_no))


@case("ID07", _has_cert, near=lambda c, h: setattr(_cert_member(h), "disability_cert_no",
                                                   _cert_member(h).disability_cert_no.lower()))
def _id07(c: Ctx, h: Household) -> str:
    m = _cert_member(h)
    m.disability_cert_no = m.disability_cert_no[:19] + "9"  # grade 9 does not exist
    return m.uuid


def _flip_sex_digit(c: Ctx, m: Member, step: int) -> None:
    digit = (int(m.id_number[16]) + step) % 10
    body = m.id_number[:16] + str(digit)
    m.id_number = body + check_char(body)


@case("ID08", _any_plain, near=lambda c, h: _flip_sex_digit(c, first(h, plain), 2))
def _id08(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    _flip_sex_digit(c, m, 1)
    return m.uuid


def _shift_day(m: Member, days: int) -> None:
    b = m.birth_date
    moved = b + timedelta(days=days)
    if moved.year != b.year:
        moved = b - timedelta(days=days)
    m.birth_date = moved


@case("ID09", _any_plain)
def _id09(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    _shift_day(m, 1)
    return m.uuid


@case("ID10", _any_plain, near=lambda c, h: setattr(first(h, plain), "id_number",
                                                    c.new_id(first(h, plain).birth_date, first(h, plain).sex)))
def _id10(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    m.id_number = c.new_id(m.birth_date, m.sex, region="990101")
    return m.uuid


@case("ID11", _has_cert)
def _id11(c: Ctx, h: Household) -> str:
    m = _cert_member(h)
    other = c.new_id(m.birth_date, m.sex)
    m.disability_cert_no = other + m.disability_cert_no[18:]
    return m.uuid


@case("ID12", _has_cert)
def _id12(c: Ctx, h: Household) -> str:
    m = _cert_member(h)
    m.disability_type = "多重残疾" if m.disability_type != "多重残疾" else "视力残疾"
    return m.uuid


# --------------------------------------------------------------------------- duplicates


def _pair(c: Ctx, h: Household) -> tuple[Member, Member] | None:
    """A plain member of ``h`` and a plain member of an earlier unused household with the
    same sex and birth year."""
    for m in h.current_members:
        if not plain(m):
            continue
        for other in c.households:
            if other.id >= h.id or other.id in c.used:
                continue
            twin = first(other, lambda o, m=m: plain(o) and o.sex == m.sex and o.birth_date.year == m.birth_date.year)
            if twin is not None:
                return twin, m
    return None


@case("DUP01", lambda c, h: _pair(c, h) is not None)
def _dup01(c: Ctx, h: Household) -> str:
    a, b = _pair(c, h)
    c.used.add(a.household_id)
    b.id_number, b.birth_date = a.id_number, a.birth_date
    return b.uuid


def _school_child(m: Member) -> bool:
    return m.student_status in ("小学", "七年级", "八年级", "九年级") and m.health == "健康" and plain(m)


def _twin_pick(c: Ctx, h: Household) -> bool:
    return not exited(h) and safe_causes(h) and first(h, _school_child) is not None and income(h, c.year) is not None


def _add_twin(c: Ctx, h: Household, same_id: bool) -> Member:
    src = first(h, _school_child)
    twin = Member(**{col.key: getattr(src, col.key) for col in Member.__table__.columns
                     if col.key not in ("id", "uuid", "created_at", "updated_at", "household_id")})
    twin.uuid = new_uuid()
    twin.seq = max(m.seq for m in h.members) + 1
    twin.name = src.name[0] + "双"
    if not same_id:
        twin.id_number = c.new_id(src.birth_date, src.sex)
    h.members.append(twin)
    h.household_size = (h.household_size or 0) + 1
    income(h, c.year).population = (income(h, c.year).population or 0) + 1
    return twin


@case("DUP02", _twin_pick, near=lambda c, h: _add_twin(c, h, same_id=False))
def _dup02(c: Ctx, h: Household) -> str:
    return _add_twin(c, h, same_id=True).uuid


@case("DUP03", lambda c, h: any(o.id < h.id and o.id not in c.used for o in c.households))
def _dup03(c: Ctx, h: Household) -> str:
    a = next(o for o in c.households if o.id < h.id and o.id not in c.used)
    c.used.add(a.id)
    h.household_number = a.household_number
    return h.uuid


def _head_pair(c: Ctx, h: Household) -> Household | None:
    head = h.head
    if head is None or not plain(head):
        return None
    for other in c.households:
        if other.id < h.id and other.id not in c.used and other.village_id == h.village_id and other.head is not None:
            o = other.head
            if o.sex == head.sex and o.birth_date.year == head.birth_date.year and o.name != head.name:
                return other
    return None


@case("DUP04", lambda c, h: _head_pair(c, h) is not None)
def _dup04(c: Ctx, h: Household) -> str:
    a = _head_pair(c, h)
    c.used.add(a.id)
    head = h.head
    head.name, head.birth_date = a.head.name, a.head.birth_date
    head.id_number = c.new_id(head.birth_date, head.sex)
    return head.uuid


# --------------------------------------------------------------------------- structure


def _spouse(h: Household) -> Member | None:
    return first(h, lambda m: m.relation == "配偶")


@case("STR01", lambda c, h: True)
def _str01(c: Ctx, h: Household) -> str:
    h.head.relation = "其他"
    return h.uuid


@case("STR02", lambda c, h: _spouse(h) is not None)
def _str02(c: Ctx, h: Household) -> str:
    s = _spouse(h)
    s.relation = "户主"
    return s.uuid


def _opposite_child(h: Household) -> Member | None:
    return first(h, lambda m: m.relation in ("之子", "之女") and m.sex != h.head.sex)


@case("STR03", lambda c, h: _spouse(h) is not None and _opposite_child(h) is not None)
def _str03(c: Ctx, h: Household) -> str:
    m = _opposite_child(h)
    m.relation = "配偶"
    return m.uuid


@case("STR04", lambda c, h: _spouse(h) is not None and plain(_spouse(h)))
def _str04(c: Ctx, h: Household) -> str:
    s = _spouse(h)
    s.sex = h.head.sex
    _flip_sex_digit(c, s, 1)
    return s.uuid


def _son(h: Household) -> Member | None:
    return first(h, lambda m: m.relation == "之子")


@case("STR05", lambda c, h: _son(h) is not None)
def _str05(c: Ctx, h: Household) -> str:
    m = _son(h)
    m.relation = "之女"
    return m.uuid


@case("STR06", lambda c, h: True)
def _str06(c: Ctx, h: Household) -> str:
    h.household_size += 1
    return h.uuid


def _quiet(c: Ctx, h: Household) -> bool:
    """No exit, causes no member change can contradict."""
    return not exited(h) and safe_causes(h) and income(h, c.year) is not None


@case("STR07", _quiet)
def _str07(c: Ctx, h: Household) -> str:
    for m in list(h.members):
        h.members.remove(m)
        c.session.delete(m)
    return h.uuid


@case("STR08", lambda c, h: True, needs_commit=True)
def _str08(c: Ctx, h: Household) -> str:
    # The ORM cannot make a member without a household; plant_orphan() does it after the commit.
    c.used.discard(h.id)
    return ""


@case("STR09", _quiet)
def _str09(c: Ctx, h: Household) -> str:
    for m in h.members:
        m.status, m.change_reason, m.change_date = MEMBER_STATUS_REMOVED, "死亡", date(c.year, 6, 1)
    return h.uuid


def _father(h: Household) -> Member | None:
    return first(h, lambda m: m.relation == "之父")


@case("STR10", lambda c, h: _father(h) is not None)
def _str10(c: Ctx, h: Household) -> str:
    m = _father(h)
    m.relation = "之子"
    return m.uuid


@case("STR11", lambda c, h: _son(h) is not None and h.head is not None)
def _str11(c: Ctx, h: Household) -> str:
    m = _son(h)
    m.relation = "之父"
    return m.uuid


# --------------------------------------------------------------------------- member status


def _single_head(c: Ctx, h: Household) -> bool:
    return len(h.current_members) == 1 and plain(h.head) and h.attribute != "特困供养贫困户"


@case("MEM01", _single_head, near=lambda c, h: _rebirth(c, h.head, date(c.year - 100, 3, 1)))
def _mem01(c: Ctx, h: Household) -> str:
    _rebirth(c, h.head, date(c.year - 101, 3, 1))
    return h.head.uuid


def _rebirth(c: Ctx, m: Member, born: date) -> None:
    m.birth_date = born
    m.id_number = c.new_id(born, m.sex)


def _leaver(h: Household) -> Member | None:
    """A non-head member whose departure changes nothing else."""
    return first(h, lambda m: m.relation in ("之子", "之女", "之儿媳") and not m.work_location and not m.on_dibao
                 and not m.on_tekun and m.health == "健康")


def _leaver_pick(c: Ctx, h: Household) -> bool:
    return _quiet(c, h) and len(h.current_members) >= 3 and _leaver(h) is not None and h.attribute == "一般贫困户"


def _leave(c: Ctx, h: Household, reason: str | None, when: date | None) -> Member:
    m = _leaver(h)
    m.status, m.change_reason, m.change_date = MEMBER_STATUS_REMOVED, reason, when
    h.household_size -= 1
    income(h, c.year).population -= 1
    return m


@case("MEM02", _leaver_pick, near=lambda c, h: _leave(c, h, "嫁出", date(c.year, 5, 1)) and None)
def _mem02(c: Ctx, h: Household) -> str:
    return _leave(c, h, None, None).uuid


def _any_child(c: Ctx, h: Household) -> bool:
    return first(h, lambda m: m.relation in ("之子", "之女")) is not None


def _child(h: Household) -> Member:
    return first(h, lambda m: m.relation in ("之子", "之女"))


def _near_added(c: Ctx, h: Household) -> None:
    m = _child(h)
    m.status, m.change_reason, m.change_date = MEMBER_STATUS_ADDED, "新生儿", m.birth_date


@case("MEM03", _any_child, near=_near_added)
def _mem03(c: Ctx, h: Household) -> str:
    m = _child(h)
    m.status = MEMBER_STATUS_ADDED
    return m.uuid


@case("MEM04", _any_child, near=_near_added)
def _mem04(c: Ctx, h: Household) -> str:
    m = _child(h)
    m.status, m.change_reason, m.change_date = MEMBER_STATUS_ADDED, "死亡", m.birth_date + timedelta(days=30)
    return m.uuid


def _toddler(h: Household) -> Member | None:
    return first(h, lambda m: m.relation in ("之子", "之女", "之孙子", "之孙女") and m.education == "学龄前儿童"
                 and plain(m))


@case("MEM05", lambda c, h: _toddler(h) is not None,
      near=lambda c, h: _rebirth(c, _toddler(h), date(c.year, 12, 31)))
def _mem05(c: Ctx, h: Household) -> str:
    m = _toddler(h)
    _rebirth(c, m, date(c.year + 1, 2, 1))
    return m.uuid


@case("MEM06", _any_child, near=_near_added)
def _mem06(c: Ctx, h: Household) -> str:
    m = _child(h)
    m.status, m.change_reason, m.change_date = MEMBER_STATUS_ADDED, "新生儿", m.birth_date - timedelta(days=10)
    return m.uuid


@case("MEM07", _any_child)
def _mem07(c: Ctx, h: Household) -> str:
    m = _child(h)
    m.change_reason = "嫁出"
    return m.uuid


def _mem08_near(c: Ctx, h: Household) -> None:
    _leave(c, h, "嫁出", date.today())


@case("MEM08", _leaver_pick, near=_mem08_near)
def _mem08(c: Ctx, h: Household) -> str:
    m = _leave(c, h, "嫁出", date(c.year - 2, 5, 1))
    c.session.add(AuditLog(operator="demo", action="update", entity="household", entity_uuid=h.uuid,
                           household_uuid=h.uuid, field_name="household_size",
                           old_value=str(h.household_size + 1), new_value=str(h.household_size)))
    assert m is not None
    return h.uuid


# --------------------------------------------------------------------------- required fields


def _adult_non_student(c: Ctx, h: Household) -> Member | None:
    return first(h, lambda m: 24 <= age(m, c.year) <= 60 and m.student_status == "非在校生" and m.relation != "户主")


def _member_field_case(rule: str, column: str, chooser: Callable[[Ctx, Household], Member | None]) -> None:
    def plant(c: Ctx, h: Household) -> str:
        m = chooser(c, h)
        setattr(m, column, None)
        return m.uuid

    case(rule, lambda c, h: chooser(c, h) is not None)(plant)


_member_field_case("REQ01", "ethnicity", _adult_non_student)
_member_field_case("REQ02", "education", _adult_non_student)
_member_field_case("REQ03", "student_status",
                   lambda c, h: first(h, lambda m: 18 <= age(m, c.year) <= 23 and m.student_status == "非在校生"))
_member_field_case("REQ04", "health", lambda c, h: first(h, lambda m: m.health == "健康" and m.relation != "户主"))
_member_field_case("REQ05", "labour_skill", _adult_non_student)
_member_field_case("REQ06", "sex", _adult_non_student)
_member_field_case("REQ07", "relation", lambda c, h: first(h, lambda m: m.relation in ("之子", "之女")))
_member_field_case("REQ08", "disability_cert_no", lambda c, h: _cert_member(h) if _has_cert(c, h) else None)
_member_field_case("REQ09", "disability_type", lambda c, h: _cert_member(h) if _has_cert(c, h) else None)
_member_field_case("REQ10", "illness_name", lambda c, h: first(h, lambda m: m.health in ("长期慢性病", "患有大病")))


def _household_field_case(rule: str, column: str) -> None:
    def plant(c: Ctx, h: Household) -> str:
        setattr(h, column, None)
        return h.uuid

    case(rule, lambda c, h: getattr(h, column) is not None)(plant)


for _rule, _column in (("REQ11", "main_cause"), ("REQ12", "identification_standard"), ("REQ13", "attribute"),
                       ("REQ14", "household_size"), ("REQ21", "domestic_power"), ("REQ22", "production_power"),
                       ("REQ23", "joined_cooperative"), ("REQ24", "distance_to_road_km"),
                       ("REQ25", "access_road_type"), ("REQ26", "housing_area"),
                       ("REQ27", "drinking_water_difficult"), ("REQ28", "drinking_water_safe"),
                       ("REQ29", "main_fuel"), ("REQ30", "has_sanitary_toilet")):
    _household_field_case(_rule, _column)


# --------------------------------------------------------------------------- causes


def _no(h: Household, test: Callable[[Member], bool]) -> bool:
    return not any(test(m) for m in h.current_members)


def _set_main(cause: str) -> Plant:
    def plant(c: Ctx, h: Household) -> str:
        h.main_cause = cause
        return h.uuid
    return plant


def _cause_pick(cause: str, test: Callable[[Member], bool]) -> Callable[[Ctx, Household], bool]:
    return lambda c, h: cause not in causes(h) and _no(h, test)


case("CAU01", _cause_pick("因病", lambda m: m.health in ("长期慢性病", "患有大病")))(_set_main("因病"))
case("CAU02", _cause_pick("因学", student))(_set_main("因学"))
case("CAU03", _cause_pick("因残", lambda m: m.health == "残疾"))(_set_main("因残"))
case("CAU06", lambda c, h: "缺劳力" not in causes(h)
     and first(h, lambda m: m.labour_skill in ("普通劳动力", "技能劳动力")) is not None)(_set_main("缺劳力"))


@case("CAU04", lambda c, h: h.other_cause_1 is not None and h.other_cause_2 is None)
def _cau04(c: Ctx, h: Household) -> str:
    h.other_cause_1 = h.main_cause
    return h.uuid


@case("CAU05", lambda c, h: h.main_cause != "缺资金" and "缺资金" not in causes(h))
def _cau05(c: Ctx, h: Household) -> str:
    h.other_cause_1 = h.other_cause_2 = "缺资金"
    return h.uuid


@case("CAU07", lambda c, h: h.main_cause != "缺资金" and h.other_cause_1 is None)
def _cau07(c: Ctx, h: Household) -> str:
    h.other_cause_2 = "缺资金"
    return h.uuid


# --------------------------------------------------------------------------- 低保 / 五保


@case("SOC01", lambda c, h: h.attribute == "低保贫困户")
def _soc01(c: Ctx, h: Household) -> str:
    for m in h.members:
        m.on_dibao = False
    return h.uuid


@case("SOC02", lambda c, h: h.attribute == "一般贫困户")
def _soc02(c: Ctx, h: Household) -> str:
    h.head.on_dibao = True
    return h.head.uuid


@case("SOC03", lambda c, h: h.attribute == "一般贫困户" and income(h, c.year) is not None)
def _soc03(c: Ctx, h: Household) -> str:
    r = income(h, c.year)
    r.transfer_dibao, r.transfer = Decimal(100), Decimal(str(r.transfer or 0)) + 100
    return r.uuid


def _tekun_single(c: Ctx, h: Household) -> bool:
    return h.attribute == "特困供养贫困户" and len(h.current_members) == 1 and plain(h.head) \
        and "缺劳力" not in causes(h)


def _soc04_near(c: Ctx, h: Household) -> None:
    _rebirth(c, h.head, date(c.year - 57, 4, 1))
    h.head.health, h.head.labour_skill = "残疾", "丧失劳动力"


@case("SOC04", _tekun_single, near=_soc04_near)
def _soc04(c: Ctx, h: Household) -> str:
    _rebirth(c, h.head, date(c.year - 57, 4, 1))
    h.head.labour_skill = "普通劳动力"
    return h.head.uuid


@case("SOC05", lambda c, h: h.attribute == "低保贫困户" and income(h, c.year) is not None)
def _soc05(c: Ctx, h: Household) -> str:
    r = income(h, c.year)
    r.transfer_wubao, r.transfer = Decimal(100), Decimal(str(r.transfer or 0)) + 100
    return r.uuid


def _move_to_other(r: Any, column: str) -> None:
    amount = Decimal(str(getattr(r, column) or 0))
    setattr(r, column, Decimal(0))
    r.transfer_other = Decimal(str(r.transfer_other or 0)) + amount


@case("SOC06", lambda c, h: h.attribute == "低保贫困户" and income(h, c.year) is not None)
def _soc06(c: Ctx, h: Household) -> str:
    r = income(h, c.year)
    _move_to_other(r, "transfer_dibao")
    return r.uuid


@case("SOC07", lambda c, h: h.attribute == "特困供养贫困户" and income(h, c.year) is not None)
def _soc07(c: Ctx, h: Household) -> str:
    r = income(h, c.year)
    _move_to_other(r, "transfer_wubao")
    return r.uuid


@case("SOC08", lambda c, h: h.attribute == "低保贫困户")
def _soc08(c: Ctx, h: Household) -> str:
    h.head.on_tekun = True
    return h.head.uuid


# --------------------------------------------------------------------------- labour and work


def _idle_adult(c: Ctx, h: Household) -> Member | None:
    return first(h, lambda m: 20 <= age(m, c.year) <= 60 and m.health == "健康" and m.student_status == "非在校生"
                 and m.labour_skill in ("普通劳动力", "技能劳动力") and not m.work_location)


@case("LAB01", lambda c, h: _idle_adult(c, h) is not None and "缺劳力" not in causes(h))
def _lab01(c: Ctx, h: Household) -> str:
    m = _idle_adult(c, h)
    m.labour_skill = "无劳动力"
    return m.uuid


def _elder(c: Ctx, h: Household) -> Member | None:
    return first(h, lambda m: m.labour_skill in ("无劳动力", "丧失劳动力") and age(m, c.year) >= 66)


@case("LAB02", lambda c, h: _elder(c, h) is not None and workers(h) and income(h, c.year) is not None)
def _lab02(c: Ctx, h: Household) -> str:
    m = _elder(c, h)
    m.work_location, m.work_months = "乡（镇）内务工", 6
    return m.uuid


def _kid(c: Ctx, h: Household) -> Member | None:
    return first(h, lambda m: age(m, c.year) < 16 and m.labour_skill == "无劳动力")


@case("LAB03", lambda c, h: _kid(c, h) is not None and "缺劳力" not in causes(h))
def _lab03(c: Ctx, h: Household) -> str:
    m = _kid(c, h)
    m.labour_skill = "普通劳动力"
    return m.uuid


def _worker(h: Household) -> Member | None:
    w = workers(h)
    return w[0] if w else None


@case("WRK01", lambda c, h: _worker(h) is not None, near=lambda c, h: setattr(_worker(h), "work_months", 12))
def _wrk01(c: Ctx, h: Household) -> str:
    m = _worker(h)
    m.work_months = 13
    return m.uuid


@case("WRK02", lambda c, h: _worker(h) is not None, near=lambda c, h: setattr(_worker(h), "work_months", 1))
def _wrk02(c: Ctx, h: Household) -> str:
    m = _worker(h)
    m.work_months = 0
    return m.uuid


@case("WRK03", lambda c, h: _worker(h) is not None)
def _wrk03(c: Ctx, h: Household) -> str:
    m = _worker(h)
    m.work_location = None
    return m.uuid


@case("WRK04", lambda c, h: True, near=lambda c, h: setattr(h.head, "public_job_months", 12))
def _wrk04(c: Ctx, h: Household) -> str:
    h.head.public_job_months = 13
    return h.head.uuid


# --------------------------------------------------------------------------- income


def _quiet_income(c: Ctx, h: Household) -> bool:
    r = income(h, c.year)
    return _quiet(c, h) and r is not None and net(r) > 1000 * len(h.current_members)


def _income_case(rule: str, change: Callable[[Any, Household], None], pick: Callable[[Ctx, Household], bool] = None,
                 near: Callable[[Any, Household], None] | None = None) -> None:
    def plant(c: Ctx, h: Household) -> str:
        r = income(h, c.year)
        change(r, h)
        return r.uuid

    near_fn = (lambda c, h: near(income(h, c.year), h)) if near else None
    case(rule, pick or _quiet_income, near=near_fn)(plant)


def _set(**values: Any) -> Callable[[Any, Household], None]:
    def change(r: Any, h: Household) -> None:
        for key, value in values.items():
            setattr(r, key, value)
    return change


_income_case("INC01", _set(production=Decimal(1000), production_expense=Decimal(0)),
             near=_set(production=Decimal(1000), production_expense=Decimal("0.01")))
_income_case("INC02", lambda r, h: setattr(r, "production_expense", Decimal(str(r.production_expense or 0)) + net(r)),
             near=lambda r, h: setattr(r, "production_expense",
                                       Decimal(str(r.production_expense or 0)) + net(r) - Decimal("0.01") * r.population))
_income_case("INC03", lambda r, h: setattr(r, "property_income", Decimal(200_000) * r.population))
_income_case("INC04", _set(wage=Decimal(1000)), pick=lambda c, h: _quiet_income(c, h) and not any(
    m.work_location or (m.work_months or 0) > 0 or (m.public_job_months or 0) > 0 for m in h.current_members))
_income_case("INC05", _set(wage=Decimal(0)), pick=lambda c, h: _quiet_income(c, h) and bool(workers(h))
             and net(income(h, c.year)) - Decimal(str(income(h, c.year).wage or 0)) > 100 * len(h.current_members))
_income_case("INC06", lambda r, h: setattr(r, "population", r.population + 1))
_income_case("INC07", lambda r, h: setattr(r, "transfer_other", Decimal(str(r.transfer_other or 0)) + 100),
             near=lambda r, h: None)
_income_case("INC08", _set(property_income=Decimal(-10)), near=_set(property_income=Decimal(0)))


# --------------------------------------------------------------------------- plausibility


@case("PLA01", lambda c, h: True, near=lambda c, h: setattr(h, "cultivated_land", Decimal(50) * h.household_size))
def _pla01(c: Ctx, h: Household) -> str:
    h.cultivated_land = h.cultivated_land_confirmed = Decimal(51) * len(h.current_members)
    return h.uuid


@case("PLA02", lambda c, h: True)
def _pla02(c: Ctx, h: Household) -> str:
    h.forest_land = Decimal(71) * len(h.current_members)
    return h.uuid


@case("PLA03", lambda c, h: True, near=lambda c, h: setattr(h, "distance_to_road_km", Decimal(50)))
def _pla03(c: Ctx, h: Household) -> str:
    h.distance_to_road_km = Decimal(60)
    return h.uuid


def _pupil(c: Ctx, h: Household) -> Member | None:
    return first(h, lambda m: 8 <= age(m, c.year) <= 14 and m.student_status in ("小学", "七年级", "八年级", "九年级"))


@case("PLA04", lambda c, h: _pupil(c, h) is not None)
def _pla04(c: Ctx, h: Household) -> str:
    m = _pupil(c, h)
    m.student_status = "高中一年级"
    return m.uuid


@case("PLA05", lambda c, h: _adult_non_student(c, h) is not None)
def _pla05(c: Ctx, h: Household) -> str:
    m = _adult_non_student(c, h)
    m.student_status = "小学"
    return m.uuid


def _grader(c: Ctx, h: Household) -> Member | None:
    return first(h, lambda m: m.student_status in ("七年级", "八年级", "九年级"))


@case("PLA06", lambda c, h: _grader(c, h) is not None,
      near=lambda c, h: setattr(_grader(c, h), "created_at", datetime(c.year - 1, 3, 1)))
def _pla06(c: Ctx, h: Household) -> str:
    m = _grader(c, h)
    m.created_at = datetime(c.year - 2, 3, 1)
    return m.uuid


@case("PLA07", lambda c, h: not exited(h) and "因学" not in causes(h) and _pupil(c, h) is not None)
def _pla07(c: Ctx, h: Household) -> str:
    m = _pupil(c, h)
    m.student_status = "非在校生"
    return m.uuid


@case("PLA08", lambda c, h: h.cultivated_land is not None)
def _pla08(c: Ctx, h: Household) -> str:
    h.irrigated_land = Decimal(str(h.cultivated_land)) + 1
    return h.uuid


@case("PLA09", lambda c, h: h.forest_land is not None)
def _pla09(c: Ctx, h: Household) -> str:
    h.returned_farmland_forest = Decimal(str(h.forest_land)) + 1
    return h.uuid


@case("PLA10", lambda c, h: True, near=lambda c, h: setattr(h, "phone", "138-0000-0000"))
def _pla10(c: Ctx, h: Household) -> str:
    h.phone = "1380000000"
    return h.uuid


@case("PLA11", lambda c, h: True, near=lambda c, h: setattr(h.head, "phone", "13800000000"))
def _pla11(c: Ctx, h: Household) -> str:
    h.head.phone = "0396-12345"
    return h.head.uuid


@case("PLA12", lambda c, h: not exited(h) and h.dangerous_house_grade in ("A级", "B级"))
def _pla12(c: Ctx, h: Household) -> str:
    h.is_dangerous_house = True
    return h.uuid


@case("PLA13", lambda c, h: True, near=lambda c, h: setattr(h, "bank_account", "6229 1234 5678 9012 345"))
def _pla13(c: Ctx, h: Household) -> str:
    h.bank_account = "6229-ABC"
    return h.uuid


# --------------------------------------------------------------------------- exited households


def _exited_with_income(c: Ctx, h: Household) -> bool:
    return exited(h) and income(h, c.year) is not None and assessment(h) is not None and h.exit_year == c.year


def _below_line(c: Ctx, h: Household, margin: Decimal) -> None:
    r = income(h, c.year)
    target = Decimal(3335) * r.population - margin * r.population  # the 2017 脱贫标准
    r.production_expense = Decimal(str(r.production_expense or 0)) + net(r) - target


@case("EXT01", _exited_with_income, near=lambda c, h: _below_line(c, h, Decimal(0)))
def _ext01(c: Ctx, h: Household) -> str:
    _below_line(c, h, Decimal("0.01"))
    return income(h, c.year).uuid


@case("EXT02", lambda c, h: exited(h) and "因学" not in causes(h) and _pupil(c, h) is not None)
def _ext02(c: Ctx, h: Household) -> str:
    m = _pupil(c, h)
    m.student_status = "非在校生"
    return m.uuid


@case("EXT03", lambda c, h: exited(h))
def _ext03(c: Ctx, h: Household) -> str:
    h.dangerous_house_grade, h.is_dangerous_house = "C级", True
    return h.uuid


@case("EXT04", lambda c, h: exited(h))
def _ext04(c: Ctx, h: Household) -> str:
    h.drinking_water_difficult = True
    return h.uuid


@case("EXT05", lambda c, h: exited(h) and "因病" in causes(h)
      and first(h, lambda m: m.health in ("长期慢性病", "患有大病")) is not None)
def _ext05(c: Ctx, h: Household) -> str:
    m = first(h, lambda m: m.health in ("长期慢性病", "患有大病"))
    m.in_serious_illness_insurance = False
    return m.uuid


@case("EXT06", lambda c, h: exited(h), near=lambda c, h: setattr(h, "housing_area", Decimal("0.01")))
def _ext06(c: Ctx, h: Household) -> str:
    h.housing_area = Decimal(0)
    return h.uuid


@case("EXT07", lambda c, h: exited(h), near=lambda c, h: setattr(h.head, "in_employee_medical", True) or setattr(
    h.head, "in_rural_medical", False))
def _ext07(c: Ctx, h: Household) -> str:
    h.head.in_rural_medical = False
    return h.head.uuid


@case("EXT08", lambda c, h: exited(h))
def _ext08(c: Ctx, h: Household) -> str:
    h.exit_year = None
    return h.uuid


@case("EXT09", lambda c, h: h.exit_status == "未脱贫")
def _ext09(c: Ctx, h: Household) -> str:
    h.exit_year = c.year
    return h.uuid


@case("EXT10", _exited_with_income)
def _ext10(c: Ctx, h: Household) -> str:
    assessment(h).decision = "待定"
    return h.uuid


@case("EXT11", _exited_with_income)
def _ext11(c: Ctx, h: Household) -> str:
    a = assessment(h)
    a.food_ok = False
    return a.uuid


@case("EXT12", lambda c, h: exited(h) and h.exit_year is not None)
def _ext12(c: Ctx, h: Household) -> str:
    h.identification_year = h.exit_year + 1
    return h.uuid


@case("EXT13", _exited_with_income)
def _ext13(c: Ctx, h: Household) -> str:
    a = assessment(h)
    a.publicity_end = a.publicity_start - timedelta(days=1)
    return a.uuid


@case("EXT14", _exited_with_income, near=lambda c, h: setattr(
    assessment(h), "publicity_end", assessment(h).publicity_start + timedelta(days=7)))
def _ext14(c: Ctx, h: Household) -> str:
    a = assessment(h)
    a.publicity_end = a.publicity_start + timedelta(days=3)
    return a.uuid


@case("EXT15", lambda c, h: h.exit_status == "未脱贫" and h.exit_year is None)
def _ext15(c: Ctx, h: Household) -> str:
    h.exit_status, h.relapse_cause = "返贫", "因病"
    return h.uuid


# --------------------------------------------------------------------------- helpers


def _helper(h: Household) -> Helper | None:
    return next((a.helper for a in h.assignments if a.end_date is None), None)


def _private_helper(c: Ctx, h: Household, **values: Any) -> Helper:
    """A new helper serving only ``h`` (so a helper-level fault is reported once)."""
    helper = Helper(uuid=new_uuid(), township_id=h.village.township_id, name="测试帮扶人", unit="县扶贫开发办公室",
                    post="干部", phone="13800000000", active=True)
    for key, value in values.items():
        setattr(helper, key, value)
    c.session.add(helper)
    for a in h.assignments:
        a.helper = helper
    return helper


@case("HLP01", lambda c, h: True)
def _hlp01(c: Ctx, h: Household) -> str:
    for a in h.assignments:
        a.end_date = date(c.year, 1, 1)
    return h.uuid


@case("HLP02", lambda c, h: _any_plain(c, h))
def _hlp02(c: Ctx, h: Household) -> str:
    m = first(h, plain)
    _private_helper(c, h, id_number=m.id_number)
    return m.uuid


@case("HLP03", lambda c, h: True, near=lambda c, h: _private_helper(c, h) and None)
def _hlp03(c: Ctx, h: Household) -> str:
    return _private_helper(c, h, post=None).uuid


@case("HLP04", lambda c, h: True, near=lambda c, h: _private_helper(c, h, phone="138 0000 0000") and None)
def _hlp04(c: Ctx, h: Household) -> str:
    return _private_helper(c, h, phone="1380000").uuid


@case("HLP05", lambda c, h: True, near=lambda c, h: _private_helper(
    c, h, id_number=c.new_id(date(1980, 1, 1), "男")) and None)
def _hlp05(c: Ctx, h: Household) -> str:
    number = c.new_id(date(1980, 1, 1), "男")
    return _private_helper(c, h, id_number=number[:17] + ("1" if number[17] != "1" else "2")).uuid


@case("HLP06", lambda c, h: True)
def _hlp06(c: Ctx, h: Household) -> str:
    _private_helper(c, h, active=False)
    return next(a for a in h.assignments if a.end_date is None).uuid


@case("HLP07", lambda c, h: True)
def _hlp07(c: Ctx, h: Household) -> str:
    helper = _private_helper(c, h)
    limit = 50
    for other in c.households:
        if len(helper.assignments) > limit:
            break
        if other.id != h.id:
            c.session.add(Assignment(uuid=new_uuid(), household=other, helper=helper, start_date=date(c.year, 3, 1)))
    return helper.uuid


@case("HLP08", lambda c, h: bool(h.visits))
def _hlp08(c: Ctx, h: Household) -> str:
    for v in h.visits:
        v.visited_on = date(c.year - 1, v.visited_on.month, min(v.visited_on.day, 28))
    return h.uuid


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Planted:
    rule: str
    household_uuid: str | None
    entity_uuid: str


def load_households(session: Session, *, eager: bool = True) -> list[Household]:
    stmt = select(Household).order_by(Household.id)
    if eager:
        stmt = stmt.options(
            selectinload(Household.members), selectinload(Household.incomes), selectinload(Household.assignments),
            selectinload(Household.exit_assessments), selectinload(Household.visits))
    return list(session.scalars(stmt))


def context(session: Session, year: int, *, eager: bool = False) -> Ctx:
    """Planting state; ``eager`` loads every household's records up front (for planting them all)."""
    households = load_households(session, eager=eager)
    taken = set(session.scalars(select(Member.id_number).where(Member.id_number.is_not(None))))
    return Ctx(session, year, households, taken_ids=taken)


def plant_all(session: Session, year: int = 2017, rules: list[str] | None = None) -> list[Planted]:
    """Plant one fault per rule (or per rule in ``rules``) into the demo data of ``session``.

    The caller commits; :func:`plant_orphan` then adds the STR08 fault. Audit logging is
    switched off for the session (MEM08 writes its own log row), so planted edits do
    not look like unexplained history.
    """
    session.info["audit_disabled"] = True
    ctx = context(session, year, eager=True)
    planted = []
    for rule, c in CASES.items():
        if rules is not None and rule not in rules:
            continue
        if c.needs_commit:
            continue
        h = ctx.pick(c.pick)
        entity = c.plant(ctx, h)
        planted.append(Planted(rule, h.uuid, entity))
    session.flush()
    return planted


def plant_orphan(location: str | Path) -> Planted:
    """STR08: a member whose household does not exist (written with foreign keys off).

    ``location``: the database's file path or URL (SQLite or PostgreSQL).
    """
    from db.dialects import allow_broken_references
    from db.engine import make_engine

    uuid = new_uuid()
    stamp = datetime(2017, 12, 31, 23, 0, 0)
    engine = make_engine(location)
    try:
        with engine.connect() as con:
            allow_broken_references(con)
            con.execute(
                text("INSERT INTO member (uuid, household_id, seq, name, sex, id_type, status, created_at, updated_at)"
                     " VALUES (:uuid, :hid, 1, '无户成员', '男', '居民身份证', '正常', :at, :at)"),
                {"uuid": uuid, "hid": 999_999_999, "at": stamp})
            con.commit()
    finally:
        engine.dispose()
    return Planted("STR08", None, uuid)
