"""One household card: load, check, save in one transaction, departures, stale copies, history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from db.models import AuditLog, Household, Measure, Member, Visit
from desktop.core import households
from desktop.core.households import CarryForward, Issue

YEAR = 2017
GOOD_ID = "11010519491231002X"  # female, 1949-12-31 (GB 11643 example)
BAD_ID = "110105194912310021"  # one digit off: wrong check character


def _first_uuid(db) -> str:
    with db.session() as s:
        return s.scalar(select(Household.uuid).order_by(Household.id).limit(1))


def _audit_count(db, uuid: str) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.household_uuid == uuid))


def _issues(card, **where) -> list[Issue]:
    return [i for i in households.validate(card, YEAR) if all(getattr(i, k) == v for k, v in where.items())]


def test_load_and_save_unchanged_writes_no_audit_rows(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    assert card.members and card.assignments and card.incomes
    assert card.members[0]["uuid"] and card.assignments[0]["_name"]
    before = _audit_count(demo_db, uuid)
    with demo_db.session() as s:
        households.save_card(s, card.copy(), operator="王")
    assert _audit_count(demo_db, uuid) == before
    with demo_db.session() as s:
        again = households.load_card(s, uuid)
    assert again.snapshot() == card.snapshot()
    assert again.version == card.version + 1  # every save bumps the version


def test_new_household_with_four_members_in_one_transaction(demo_db) -> None:
    with demo_db.session() as s:
        village_id = s.scalar(select(Household.village_id).limit(1))
    card = households.new_card(village_id=village_id)
    card.household.update(household_number="4117260001", main_cause="因病", phone="13800001111")
    for name, rel, sex in (("杜甫", "户主", "男"), ("杨氏", "配偶", "女"), ("杜宗文", "之子", "男"), ("杜宗武", "之子", "男")):
        card.members.append(households.new_row("members", name=name, relation=rel, sex=sex))
    card.incomes.append(households.new_row("incomes", year=YEAR, population=4, wage=Decimal("8000")))
    with demo_db.session() as s:
        h = households.save_card(s, card, operator="李娜")
        assert h.household_size == 4
    assert card.uuid and card.version == 1 and all(m["uuid"] for m in card.members)
    with demo_db.session() as s:
        h = s.scalars(select(Household).where(Household.uuid == card.uuid)).one()
        assert [m.name for m in h.members] == ["杜甫", "杨氏", "杜宗文", "杜宗武"]
        assert [m.seq for m in h.members] == [1, 2, 3, 4]
        assert {"df", "dufu", "杜甫"} <= set(h.search_key.split())
        logged = s.scalars(select(AuditLog).where(AuditLog.household_uuid == card.uuid)).all()
        assert {r.operator for r in logged} == {"李娜"}
        assert sum(1 for r in logged if r.action == "create" and r.entity == "member") == 4


def test_a_failing_save_changes_nothing(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    card.household["phone"] = "13000000000"
    card.incomes.append(households.new_row("incomes", year=card.incomes[0]["year"]))  # duplicate year: unique index
    with pytest.raises(Exception), demo_db.session() as s:  # noqa: B017, PT011 - any DB error
        households.save_card(s, card.copy())
    with demo_db.session() as s:
        assert s.scalar(select(Household.phone).where(Household.uuid == uuid)) != "13000000000"


def test_departed_member_is_kept_and_not_counted(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    size = len(card.current_members)
    leaving = card.members[-1]
    households.depart(leaving, "死亡", date(2017, 6, 1))
    with demo_db.session() as s:
        h = households.save_card(s, card, operator="王")
        assert h.household_size == size - 1
    with demo_db.session() as s:
        m = s.scalars(select(Member).where(Member.uuid == leaving["uuid"])).one()
        assert (m.status, m.change_reason, m.change_date) == ("自然减少", "死亡", date(2017, 6, 1))
        key = s.scalar(select(Household.search_key).where(Household.uuid == uuid))
        others = {m["name"] for m in card.current_members}
        assert leaving["name"] in others or leaving["name"] not in key.split()


def test_members_missing_from_the_card_are_never_deleted(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
        before = s.scalar(select(func.count()).select_from(Member).join(Household).where(Household.uuid == uuid))
    card.members = card.members[:1]
    with demo_db.session() as s:
        households.save_card(s, card)
    with demo_db.session() as s:
        after = s.scalar(select(func.count()).select_from(Member).join(Household).where(Household.uuid == uuid))
    assert after == before


def test_stale_copy_is_refused_even_if_only_a_member_changed(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        first = households.load_card(s, uuid)
    second = first.copy()
    first.members[0]["phone"] = "13111111111"
    with demo_db.session() as s:
        households.save_card(s, first, operator="甲")
    second.household["phone"] = "13222222222"
    with pytest.raises(StaleDataError), demo_db.session() as s:
        households.save_card(s, second, operator="乙")
    with demo_db.session() as s:
        assert s.scalar(select(Household.phone).where(Household.uuid == uuid)) != "13222222222"


def test_save_of_a_deleted_household_says_so(demo_db) -> None:
    card = households.Card(uuid="no-such-uuid", version=1, household={"village_id": 1})
    with pytest.raises(households.CardGone), demo_db.session() as s:
        households.save_card(s, card)


def test_removed_rows_are_deleted_and_logged(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    assert card.visits
    gone = card.visits.pop(0)
    card.removed["visits"] = [gone["uuid"]]
    card.removed["members"] = [card.members[0]["uuid"]]  # ignored: members are never deleted
    with demo_db.session() as s:
        households.save_card(s, card, operator="王")
    with demo_db.session() as s:
        assert s.scalar(select(Visit).where(Visit.uuid == gone["uuid"])) is None
        assert s.scalar(select(Member).where(Member.uuid == card.members[0]["uuid"])) is not None
        assert s.scalar(select(AuditLog).where(AuditLog.entity_uuid == gone["uuid"], AuditLog.action == "delete"))


def test_measure_beneficiary_is_a_member_of_the_card(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    row = households.new_row("measures", year=YEAR, category="教育扶贫", amount=Decimal("500"),
                             beneficiary_uuid=card.members[0]["uuid"])
    card.measures.append(row)
    with demo_db.session() as s:
        households.save_card(s, card)
    with demo_db.session() as s:
        m = s.scalars(select(Measure).where(Measure.uuid == row["uuid"])).one()
        assert m.beneficiary.uuid == card.members[0]["uuid"]
        reloaded = households.load_card(s, uuid)
    assert next(r for r in reloaded.measures if r["uuid"] == row["uuid"])["beneficiary_uuid"] == card.members[0]["uuid"]


def test_id_facts() -> None:
    facts = households.id_facts(GOOD_ID, 2017)
    assert (facts.birth_date, facts.sex, facts.age, facts.error) == (date(1949, 12, 31), "女", 68, None)
    assert households.id_facts(GOOD_ID.lower(), 2017).sex == "女"
    assert "校验" in households.id_facts(BAD_ID, 2017).error
    assert households.id_facts("11010519491332002X", 2017).error  # month 13
    assert households.id_facts("", 2017) == households.IdFacts()
    cert = households.id_facts(GOOD_ID + "42", 2017)
    assert (cert.disability_type, cert.disability_grade, cert.sex) == ("肢体残疾", "二级", "女")
    assert "Excel" in households.id_facts("4.11726E+17", 2017).error


def test_validate_flags_member_problems_on_the_spot() -> None:
    card = households.new_card(village_id=1)
    card.household["main_cause"] = "因病"
    card.members = [
        households.new_row("members", name="甲", relation="户主", sex="男", id_number=BAD_ID),
        households.new_row("members", name="乙", relation="之女", sex="男"),
        households.new_row("members", name="丙", relation="配偶", sex="男", id_number=GOOD_ID,
                           birth_date=date(1949, 12, 31)),
        households.new_row("members", name="", relation="之女", sex="女", id_number=GOOD_ID),
        households.new_row("members", name=" ", relation="之子"),  # a blank new row: ignored
    ]
    assert _issues(card, row=0, field="id_number")[0].severity == "错误"
    rel = _issues(card, row=1, field="relation")
    assert rel and "女" in rel[0].message
    assert _issues(card, row=2, field="sex")  # the ID says 女
    assert _issues(card, row=3, field="name")[0].blocking
    assert not _issues(card, row=2, field="birth_date")
    assert not _issues(card, row=4)
    assert len(card.current_members) == 4


def test_validate_household_rules() -> None:
    card = households.new_card()
    card.household.update(main_cause="因病", other_cause_1="因病", other_cause_2="缺资金")
    card.members = [households.new_row("members", name="甲", relation="户主", sex="男"),
                    households.new_row("members", name="乙", relation="户主", sex="女")]
    card.incomes = [households.new_row("incomes", year=2017), households.new_row("incomes", year=2017)]
    card.measures = [households.new_row("measures", year=None)]
    card.visits = [households.new_row("visits")]
    assert _issues(card, field="village_id")[0].blocking
    assert _issues(card, field="other_cause_1")[0].blocking
    assert not _issues(card, field="other_cause_2")
    assert _issues(card, section="members", field="relation")  # two heads
    assert _issues(card, section="incomes", row=1, field="year")[0].blocking
    assert {i.field for i in _issues(card, section="measures")} == {"year", "category"}
    assert _issues(card, section="visits", field="visited_on")[0].blocking
    card.household["other_cause_1"] = "缺资金"
    assert _issues(card, field="other_cause_2")[0].blocking  # the two others repeat each other


def test_departure_needs_reason_and_date() -> None:
    card = households.new_card(village_id=1)
    row = households.new_row("members", name="甲", relation="户主", sex="男", status="自然减少")
    card.members = [row]
    assert {i.field for i in _issues(card, blocking=True)} == {"change_reason", "change_date"}
    households.depart(row, "死亡", date(2017, 1, 1))
    assert not _issues(card, blocking=True)
    households.reinstate(row)
    assert row["status"] == "正常" and row["change_reason"] is None


def test_income_transfer_items_warning() -> None:
    card = households.new_card(village_id=1)
    card.incomes = [households.new_row("incomes", year=2017, transfer=Decimal(100), transfer_dibao=Decimal(150))]
    assert _issues(card, section="incomes")[0].severity == "警告"


def test_carry_forward_of_village_group_and_helpers(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
        carry = CarryForward.from_card(card)
        nxt = households.new_card(carry, village_id=999, session=s)
    assert carry.village_id == card.household["village_id"] and carry.helper_ids
    assert nxt.household["village_id"] == card.household["village_id"]
    assert nxt.household["group_id"] == card.household["group_id"]
    assert [a["helper_id"] for a in nxt.assignments] == list(carry.helper_ids)
    assert nxt.assignments[0]["_name"] and nxt.uuid is None and not nxt.members
    assert households.new_card(village_id=5, group_id=7).household["village_id"] == 5


def test_snapshot_sees_every_saved_change_but_not_display_keys(demo_db) -> None:
    with demo_db.session() as s:
        card = households.load_card(s, _first_uuid(demo_db))
    copy = card.copy()
    copy.assignments[0]["_name"] = "别的名字"
    assert copy.snapshot() == card.snapshot()
    copy.household["phone"] = ""
    card.household["phone"] = None
    assert copy.snapshot() == card.snapshot()  # "" and None are the same
    copy.incomes[0]["wage"] = Decimal("1.5")
    assert copy.snapshot() != card.snapshot()


def test_history_names_fields_people_and_operator(demo_db) -> None:
    uuid = _first_uuid(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    old_phone = card.household["phone"]
    card.household["phone"] = "13700000000"
    card.members[0]["health"] = "残疾" if card.members[0]["health"] != "残疾" else "健康"
    with demo_db.session() as s:
        households.save_card(s, card, operator="赵会计")
    with demo_db.session() as s:
        entries = households.history(s, uuid)
    phone = next(e for e in entries if e.field == "联系电话")
    assert (phone.old, phone.new, phone.operator, phone.action, phone.entity) == (
        old_phone or "", "13700000000", "赵会计", "修改", "户信息")
    health = next(e for e in entries if e.field == "健康状况")
    assert health.entity == f"家庭成员 {card.members[0]['name']}"
    assert len(entries[0].at) == 19 and entries[0].at[4] == "-"
