from __future__ import annotations

from sqlalchemy import select

from db.models import AuditLog, Household, Member


def test_changes_are_logged_with_operator(demo_db) -> None:
    with demo_db.session() as s:
        s.info["operator"] = "李娜"
        hh = s.scalars(select(Household).order_by(Household.id).limit(1)).one()
        old_phone, old_version = hh.phone, hh.version
        hh.phone = "13900000000"
        head = hh.head
        head.health = "残疾" if head.health != "残疾" else "健康"
        uuid = hh.uuid
    with demo_db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.household_uuid == uuid)).all()
        phone = next(r for r in rows if r.field_name == "phone")
        assert (phone.old_value, phone.new_value, phone.operator) == (old_phone, "13900000000", "李娜")
        assert any(r.entity == "member" and r.field_name == "health" for r in rows)
        assert s.scalars(select(Household).where(Household.uuid == uuid)).one().version > old_version


def test_unchanged_values_are_not_logged(demo_db) -> None:
    with demo_db.session() as s:
        hh = s.scalars(select(Household).order_by(Household.id).limit(1)).one()
        hh.phone = hh.phone
        uuid = hh.uuid
    with demo_db.session() as s:
        assert s.query(AuditLog).filter_by(household_uuid=uuid).count() == 0


def test_new_member_logged_and_search_key_updated(demo_db) -> None:
    with demo_db.session() as s:
        hh = s.scalars(select(Household).order_by(Household.id).limit(1)).one()
        hh.members.append(Member(name="单雄信", sex="男", relation="之子", seq=99))
        uuid = hh.uuid
    with demo_db.session() as s:
        hh = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        assert "shanxiongxin" in hh.search_key and "sxx" in hh.search_key
        assert s.query(AuditLog).filter_by(household_uuid=uuid, action="create", entity="member").count() == 1


def test_typed_values_are_logged_alike_on_every_backend(demo_db) -> None:
    """Booleans, dates and money read back from either database give the same audit text."""
    from datetime import date
    from decimal import Decimal

    with demo_db.session() as s:
        hh = s.scalars(select(Household).order_by(Household.id).limit(1)).one()
        hh.is_dangerous_house, hh.verified_on, hh.housing_area = None, date(2016, 3, 1), Decimal("80.5")
        uuid = hh.uuid
    with demo_db.session() as s:  # a fresh load: the old values come from the database, typed by its driver
        s.info["operator"] = "王会计"
        hh = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        hh.is_dangerous_house, hh.verified_on, hh.housing_area = True, date(2017, 12, 31), Decimal("95")
    with demo_db.session() as s:
        rows = {r.field_name: (r.old_value, r.new_value, r.operator) for r in s.scalars(
            select(AuditLog).where(AuditLog.household_uuid == uuid, AuditLog.operator == "王会计"))}
    assert rows == {"is_dangerous_house": (None, "是", "王会计"),
                    "verified_on": ("2016-03-01", "2017-12-31", "王会计"),
                    "housing_area": ("80.50", "95.00", "王会计")}


def test_deleting_a_record_is_logged(demo_db) -> None:
    from db.models import Visit

    with demo_db.session() as s:
        s.info["operator"] = "张文书"
        visit = s.scalars(select(Visit).order_by(Visit.id).limit(1)).one()
        visit_uuid, household_uuid = visit.uuid, visit.household.uuid
        s.delete(visit)
    with demo_db.session() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.entity_uuid == visit_uuid)).one()
        assert (row.action, row.entity, row.household_uuid, row.operator) == \
            ("delete", "visit", household_uuid, "张文书")
        assert row.at is not None
