from __future__ import annotations

from sqlalchemy import select

from db.models import AuditLog, Household, Member


def test_changes_are_logged_with_operator(demo_db) -> None:
    with demo_db.session() as s:
        s.info["operator"] = "李娜"
        hh = s.scalars(select(Household).limit(1)).one()
        old_phone = hh.phone
        hh.phone = "13900000000"
        head = hh.head
        head.health = "残疾" if head.health != "残疾" else "健康"
        uuid = hh.uuid
    with demo_db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.household_uuid == uuid)).all()
        phone = next(r for r in rows if r.field_name == "phone")
        assert (phone.old_value, phone.new_value, phone.operator) == (old_phone, "13900000000", "李娜")
        assert any(r.entity == "member" and r.field_name == "health" for r in rows)
        assert s.scalars(select(Household).where(Household.uuid == uuid)).one().version == 2


def test_unchanged_values_are_not_logged(demo_db) -> None:
    with demo_db.session() as s:
        hh = s.scalars(select(Household).limit(1)).one()
        hh.phone = hh.phone
        uuid = hh.uuid
    with demo_db.session() as s:
        assert s.query(AuditLog).filter_by(household_uuid=uuid).count() == 0


def test_new_member_logged_and_search_key_updated(demo_db) -> None:
    with demo_db.session() as s:
        hh = s.scalars(select(Household).limit(1)).one()
        hh.members.append(Member(name="单雄信", sex="男", relation="之子", seq=99))
        uuid = hh.uuid
    with demo_db.session() as s:
        hh = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        assert "shanxiongxin" in hh.search_key and "sxx" in hh.search_key
        assert s.query(AuditLog).filter_by(household_uuid=uuid, action="create", entity="member").count() == 1
