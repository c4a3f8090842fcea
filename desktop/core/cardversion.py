"""A household's ``version`` covers its whole card, not only the ``household`` row.

``Household.version`` is SQLAlchemy's ``version_id_col``: an ORM update of the household
row is ``UPDATE … WHERE version = <as loaded>`` and bumps it. A clerk who changed only a
member, an income record or a visit does not touch that row, so without help a second
clerk holding an older copy of the card would not notice. :func:`desktop.core.households.save_card`
always bumps the version itself; this ``before_flush`` listener (installed when
:mod:`desktop.core` is imported) does the same for every other ORM writer — the exchange
importer's updated rows, the county consolidation's deletions, any future dialog — so
"the card changed" always means "the household's version changed".

A household already in the session is bumped with ``UPDATE … WHERE version = <as loaded>``
(a concurrent change raises ``StaleDataError``, as for the household row itself); households
not loaded get one Core ``UPDATE … SET version = version + 1`` per flush.

Rows written with Core ``insert()``/``update()`` bypass the ORM and this listener: such a
writer calls :func:`bump_versions` with the household ids it touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from db.base import utcnow
from db.models import Assignment, ExitAssessment, HelpPlan, Household, IncomeRecord, Measure, Member, Visit

#: Models whose rows are part of a household's card (they carry ``household_id``).
CARD_MODELS = (Member, Assignment, HelpPlan, Measure, IncomeRecord, Visit, ExitAssessment)
_CHUNK = 500


def bump_versions(session: Session, household_ids: Iterable[int]) -> None:
    """Bump ``version`` (and ``updated_at``) of the households with these ids.

    A household loaded in ``session`` is bumped with ``UPDATE … WHERE version = <as loaded>``:
    if another connection changed it meanwhile, :class:`StaleDataError` is raised, as for an
    ORM update of the household row; its in-memory version follows without marking it dirty
    (a dirty household would make other listeners load its collections mid-flush). One the
    ORM will update anyway is left to the ORM. The rest get one ``version = version + 1``
    UPDATE per 500 ids.
    """
    table = Household.__table__
    now = utcnow()
    others: list[int] = []
    for hid in {h for h in household_ids if h is not None}:
        obj = session.identity_map.get(session.identity_key(Household, hid))
        if obj is None or "version" in inspect(obj).unloaded:
            others.append(hid)
            continue
        if obj in session.deleted or session.is_modified(obj, include_collections=False):
            continue  # deleted, or its own versioned UPDATE follows in this flush
        loaded = obj.version
        done = session.connection().execute(
            update(table).where(table.c.id == hid, table.c.version == loaded).values(version=loaded + 1,
                                                                                       updated_at=now))
        if done.rowcount != 1:
            raise StaleDataError(f"household {obj.uuid} changed since it was loaded (version {loaded})")
        set_committed_value(obj, "version", loaded + 1)
        set_committed_value(obj, "updated_at", now)
    others.sort()
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
