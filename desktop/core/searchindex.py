"""Keeps ``search_key`` of households and helpers current on every flush."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from db.models import Helper, Household, Member
from desktop.core.searchkey import helper_search_key, household_search_key


def household_key(household: Household) -> str:
    members = household.current_members
    return household_search_key(
        household.household_number,
        household.phone,
        [m.name for m in members],
        [m.id_number for m in members],
        [m.phone for m in members],
    )


@event.listens_for(Session, "before_flush")
def _refresh_search_keys(session: Session, _context: Any, _instances: Any) -> None:
    touched: set[Household] = set()
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Household):
            touched.add(obj)
        elif isinstance(obj, Member) and obj.household is not None:
            touched.add(obj.household)
        elif isinstance(obj, Helper):
            obj.search_key = helper_search_key(obj.name, obj.unit, obj.phone)
    for household in touched:
        key = household_key(household)
        if household.search_key != key:
            household.search_key = key
