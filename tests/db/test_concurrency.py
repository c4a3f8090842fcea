"""Two clerks, one database: optimistic locking on SQLite and on PostgreSQL.

Each test opens a second, independent ``Database`` on the same URL (a second program, or
a second clerk's PC on the county server) next to the ``database`` fixture.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from db.models import AuditLog, Household, Member
from db.session import open_database
from desktop.core import households
from desktop.core.demo import DemoOptions, generate


@pytest.fixture
def two(database):
    """The fixture's database (clerk 甲) and a second connection to it (clerk 乙), with 4 demo households."""
    with database.session() as s:
        generate(s, DemoOptions(households=4, seed=11))
    other = open_database(database.engine.url.render_as_string(hide_password=False))
    yield database, other
    other.dispose()


def _uuids(db) -> list[str]:
    with db.session() as s:
        hids = s.scalars(select(Member.household_id).group_by(Member.household_id)
                         .having(func.count() >= 2).order_by(Member.household_id)).all()
        return [s.get(Household, h).uuid for h in hids]


def _load(db, uuid):
    with db.session() as s:
        return households.load_card(s, uuid)


def test_second_save_of_the_same_card_is_refused_and_writes_nothing(two) -> None:
    a, b = two
    uuid = _uuids(a)[0]
    card_a, card_b = _load(a, uuid), _load(b, uuid)
    assert card_a.version == card_b.version

    card_a.members[1]["phone"] = "13911112222"  # 甲 edits one member only
    with a.session() as s:
        households.save_card(s, card_a, operator="甲")

    card_b.household["address"] = "乙写的地址"
    card_b.members[0]["note"] = "乙写的备注"
    card_b.incomes.append(households.new_row("incomes", year=2035, population=2))
    with b.session() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditLog))
    with pytest.raises(StaleDataError), b.session() as s:
        households.save_card(s, card_b, operator="乙")

    for db in (a, b):  # both connections see the same: 甲's edit, nothing of 乙's
        now = _load(db, uuid)
        assert now.members[1]["phone"] == "13911112222"
        assert now.household["address"] != "乙写的地址"
        assert now.members[0]["note"] != "乙写的备注"
        assert 2035 not in [r["year"] for r in now.incomes]
        assert now.version == card_a.version
    with b.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == audit_before
        assert not s.scalars(select(AuditLog).where(AuditLog.operator == "乙")).all()


def test_the_first_clerk_may_save_again_and_the_second_after_reloading(two) -> None:
    a, b = two
    uuid = _uuids(a)[0]
    card_a, card_b = _load(a, uuid), _load(b, uuid)
    card_a.visits.append(households.new_row("visits", visited_on=date(2030, 5, 1), content="甲的走访"))
    with a.session() as s:
        households.save_card(s, card_a, operator="甲")
    card_a.household["phone"] = "13000000001"
    with a.session() as s:  # 甲's card follows its own saves
        households.save_card(s, card_a, operator="甲")
    with pytest.raises(StaleDataError), b.session() as s:
        households.save_card(s, card_b, operator="乙")
    fresh = _load(b, uuid)
    fresh.household["bank_name"] = "信用社"
    with b.session() as s:
        households.save_card(s, fresh, operator="乙")
    final = _load(a, uuid)
    assert final.household["phone"] == "13000000001" and final.household["bank_name"] == "信用社"


def test_orm_level_stale_household_and_stale_member_only(two) -> None:
    a, b = two
    uuid = _uuids(a)[0]
    s1, s2 = a.session_factory(), b.session_factory()
    try:
        h1 = s1.scalar(select(Household).where(Household.uuid == uuid))
        h2 = s2.scalar(select(Household).where(Household.uuid == uuid))
        m2 = sorted(h2.members, key=lambda m: m.id)[0]
        h1.phone = "13100000000"
        s1.commit()
        m2.note = "只改了成员"  # the household row itself is not touched by this session
        with pytest.raises(StaleDataError):
            s2.flush()
        s2.rollback()
    finally:
        s1.close()
        s2.close()
    with b.session() as s:
        assert s.scalar(select(Household.phone).where(Household.uuid == uuid)) == "13100000000"
        assert "只改了成员" not in s.scalars(select(Member.note)).all()


def test_adding_members_to_different_households_at_once_both_succeed(two) -> None:
    a, b = two
    first, second = _uuids(a)[:2]
    s1, s2 = a.session_factory(), b.session_factory()
    try:
        h1 = s1.scalar(select(Household).where(Household.uuid == first))
        h2 = s2.scalar(select(Household).where(Household.uuid == second))
        h1.members.append(Member(name="甲加的人", relation="孙子", seq=99))
        h2.members.append(Member(name="乙加的人", relation="孙女", seq=99))
        s1.flush()
        s1.commit()
        s2.flush()
        s2.commit()
    finally:
        s1.close()
        s2.close()
    with a.session() as s:
        names = set(s.scalars(select(Member.name)))
    assert {"甲加的人", "乙加的人"} <= names


def test_a_waiting_writer_on_the_server_gets_the_conflict(two, backend) -> None:
    """PostgreSQL: 乙's UPDATE waits for 甲's open transaction, then finds the row changed."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time; the server case is about row locks")
    a, b = two
    uuid = _uuids(a)[0]
    card_b = _load(b, uuid)
    card_b.members[0]["note"] = "乙"
    outcome: dict[str, object] = {}
    s1 = a.session_factory()
    h1 = s1.scalar(select(Household).where(Household.uuid == uuid))
    h1.address = "甲改的地址"
    s1.flush()  # 甲 holds the row lock, not committed yet

    def second() -> None:
        try:
            with b.session() as s:
                households.save_card(s, card_b, operator="乙")
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.5)
    assert t.is_alive()  # waiting for 甲's lock
    s1.commit()
    s1.close()
    t.join(10)
    assert isinstance(outcome.get("error"), StaleDataError)
    now = _load(a, uuid)
    assert now.household["address"] == "甲改的地址" and now.members[0]["note"] != "乙"
