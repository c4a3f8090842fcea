"""A household's ``version`` covers its whole card, not only the ``household`` row.

``Household.version`` is SQLAlchemy's ``version_id_col``: an ORM update of the household
row is ``UPDATE … WHERE version = <as loaded>`` and bumps it. A clerk who changed only a
member, an income record or a visit does not touch that row, so without help a second
clerk holding an older copy of the card would not notice. :func:`desktop.core.households.save_card`
always bumps the version itself; this ``before_flush`` listener (installed when
:mod:`desktop.core` is imported) does the same for every other ORM writer — the exchange
importer's updated rows, the county consolidation's deletions, any future dialog — so
"the card changed" always means "the household's version changed".

Households already in the session are bumped through the ORM (their ``updated_at`` is
set, which makes the mapper emit the versioned UPDATE); households not loaded are bumped
with one Core ``UPDATE … SET version = version + 1`` per flush.

Rows written with Core ``insert()``/``update()`` bypass the ORM and this listener: such a
writer calls :func:`bump_versions` with the household ids it touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Assignment, ExitAssessment, HelpPlan, Household, IncomeRecord, Measure, Member, Visit

#: Models whose rows are part of a household's card (they carry ``household_id``).
CARD_MODELS = (Member, Assignment, HelpPlan, Measure, IncomeRecord, Visit, ExitAssessment)
_CHUNK = 500


def bump_versions(session: Session, household_ids: Iterable[int]) -> None:
    """Bump ``version`` (and ``updated_at``) of households changed by Core statements.

    Households loaded in ``session`` are bumped through the ORM so their in-memory version
    stays right; the rest with one UPDATE per 500 ids.
    """
    loaded: list[Household] = []
    others: list[int] = []
    for hid in set(household_ids):
        if hid is None:
            continue
        obj = session.identity_map.get(session.identity_key(Household, hid))
        (loaded.append(obj) if obj is not None else others.append(hid))
    now = utcnow()
    for obj in loaded:
        if obj not in session.deleted:
            obj.updated_at = now
    others.sort()
    table = Household.__table__
    for start in range(0, len(others), _CHUNK):
        chunk = others[start:start + _CHUNK]
        session.connection().execute(
            update(table).where(table.c.id.in_(chunk)).values(version=table.c.version + 1, updated_at=now))


def _household_ids(session: Session, obj: Any) -> set[int]:
    """The household(s) a changed card row belongs (or belonged) to."""
    ids: set[int] = set()
    household = obj.__dict__.get("household")
    if household is not None:
        if household.id is not None:
            ids.add(household.id)
        elif household in session.new:
            return set()  # a new household: nothing to version yet
    state = inspect(obj)
    history = state.attrs.household_id.history
    ids.update(v for v in chain(history.added, history.unchanged, history.deleted) if v is not None)
    return ids


@event.listens_for(Session, "before_flush")
def _bump_card_versions(session: Session, _context: Any, _instances: Any) -> None:
    ids: set[int] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, CARD_MODELS):
            ids |= _household_ids(session, obj)
    for obj in session.dirty:
        if isinstance(obj, CARD_MODELS) and session.is_modified(obj, include_collections=False):
            ids |= _household_ids(session, obj)
    if ids:
        bump_versions(session, ids)
