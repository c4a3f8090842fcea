"""Automatic audit log: every ORM write of a domain record is logged.

A ``before_flush`` listener on all sessions writes one ``AuditLog`` row per
changed field (``update``), and one row per created or deleted record. The
operator comes from ``session.info["operator"]``. Bulk Core inserts (demo data,
fast imports) bypass it and log a summary row themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from db.models import (
    Assignment,
    AuditLog,
    ExitAssessment,
    Helper,
    HelpPlan,
    Household,
    IncomeRecord,
    Measure,
    Member,
    PovertyLine,
    Village,
    VillageGroup,
    Visit,
)

AUDITED = (Household, Member, Helper, Assignment, HelpPlan, Measure, IncomeRecord, Visit, ExitAssessment,
           Village, VillageGroup, PovertyLine)
SKIPPED_FIELDS = {"id", "created_at", "updated_at", "search_key", "version"}
ENTITY_NAMES = {cls: cls.__tablename__ for cls in AUDITED}


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{Decimal(repr(value)):.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _household_uuid(session: Session, obj: Any) -> str | None:
    if isinstance(obj, Household):
        return obj.uuid
    household = getattr(obj, "household", None)
    if household is not None:
        return household.uuid
    household_id = getattr(obj, "household_id", None)
    if household_id is not None:
        found = session.get(Household, household_id)
        return found.uuid if found else None
    return None


def _log(session: Session, obj: Any, action: str, **fields: Any) -> None:
    session.add(
        AuditLog(
            operator=session.info.get("operator"),
            action=action,
            entity=ENTITY_NAMES[type(obj)],
            entity_uuid=obj.uuid,
            household_uuid=_household_uuid(session, obj),
            **fields,
        )
    )


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("audit_disabled"):
        return
    for obj in list(session.new):
        if isinstance(obj, AUDITED):
            if obj.uuid is None:
                from db.base import new_uuid

                obj.uuid = new_uuid()
            _log(session, obj, "create")
    for obj in list(session.deleted):
        if isinstance(obj, AUDITED):
            _log(session, obj, "delete")
    for obj in list(session.dirty):
        if not isinstance(obj, AUDITED) or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            if attr.key in SKIPPED_FIELDS:
                continue
            history = state.attrs[attr.key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if to_text(old) == to_text(new):
                continue
            _log(session, obj, "update", field_name=attr.key, old_value=to_text(old), new_value=to_text(new))
