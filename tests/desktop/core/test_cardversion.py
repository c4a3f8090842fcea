"""Any change of a card's rows bumps its household's version, whoever writes it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from db.models import Household, IncomeRecord, Member, Visit
from desktop.core import households
from desktop.core.cardversion import bump_versions


def _household_with_rows(db) -> tuple[int, str]:
    """A household with at least two members, an income record and a visit."""
    with db.session() as s:
        ids = set(s.scalars(select(IncomeRecord.household_id))) & set(s.scalars(select(Visit.household_id)))
        for hid in sorted(ids):
            if len(s.scalars(select(Member.id).where(Member.household_id == hid)).all()) >= 2:
                return hid, s.get(Household, hid).uuid
    raise AssertionError("the demo has no such household")


def _version(db, hid: int) -> int:
    with db.session() as s:
        return s.scalar(select(Household.version).where(Household.id == hid))


def test_orm_update_of_a_member_alone_bumps_the_household(demo_db) -> None:
    hid, _uuid = _household_with_rows(demo_db)
    before = _version(demo_db, hid)
    with demo_db.session() as s:  # like the exchange importer: the member is loaded, the household is not
        member = s.scalars(select(Member).where(Member.household_id == hid)).first()
        member.note = "导入时修改"
    assert _version(demo_db, hid) == before + 1


def test_deleting_adding_and_editing_card_rows_bump_the_household(demo_db) -> None:
    hid, _uuid = _household_with_rows(demo_db)
    v = _version(demo_db, hid)
    with demo_db.session() as s:
        s.delete(s.scalars(select(Visit).where(Visit.household_id == hid)).first())
    assert _version(demo_db, hid) == v + 1
    with demo_db.session() as s:
        household = s.get(Household, hid)  # loaded: bumped through the ORM
        household.incomes[0].wage = Decimal("1234.50")
    assert _version(demo_db, hid) == v + 2
    with demo_db.session() as s:
        s.add(Visit(household_id=hid, visited_on=date(2030, 1, 2), content="补录走访"))
    assert _version(demo_db, hid) == v + 3


def test_unchanged_rows_do_not_bump(demo_db) -> None:
    hid, _uuid = _household_with_rows(demo_db)
    v = _version(demo_db, hid)
    with demo_db.session() as s:
        member = s.scalars(select(Member).where(Member.household_id == hid)).first()
        member.note = member.note  # same value: not a change
    assert _version(demo_db, hid) == v


def test_a_card_loaded_before_an_import_like_member_update_is_stale(demo_db) -> None:
    hid, uuid = _household_with_rows(demo_db)
    with demo_db.session() as s:
        card = households.load_card(s, uuid)
    with demo_db.session() as s:
        s.scalars(select(IncomeRecord).where(IncomeRecord.household_id == hid)).first().note = "乡镇交换表"
    card.members[1]["phone"] = "13900000000"
    with pytest.raises(StaleDataError), demo_db.session() as s:
        households.save_card(s, card)


def test_bump_versions_for_core_writers(demo_db) -> None:
    hid, _uuid = _household_with_rows(demo_db)
    with demo_db.session() as s:
        other = s.scalar(select(Household.id).where(Household.id != hid).limit(1))
    v, w = _version(demo_db, hid), _version(demo_db, other)
    with demo_db.session() as s:
        loaded = s.get(Household, hid)
        bump_versions(s, [hid, other, None])
        s.flush()
        assert loaded.version == v + 1
    assert (_version(demo_db, hid), _version(demo_db, other)) == (v + 1, w + 1)
