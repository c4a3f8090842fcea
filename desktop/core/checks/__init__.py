"""Data-quality checks (问题清单).

Public API (used by the problems list, the card editor, export and county
consolidation):

* :func:`run_checks` — the whole database, or one township;
* :func:`check_household` — one household (its ORM objects, unsaved edits included);
* :class:`Problem`, :data:`RULES`, :func:`has_errors`.

Every rule, its severity and settings are listed in ``docs/checks.md``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CheckAcknowledgement, Household
from desktop.core.checks import rules as _rules  # noqa: F401 - registers the rules
from desktop.core.checks import settings as settings_mod
from desktop.core.checks.data import LOAD_STEPS, CheckError, from_household, load
from desktop.core.checks.engine import (
    ERROR,
    RULES,
    WARNING,
    Problem,
    Rule,
    enabled_rules,
    has_errors,
    run_rules,
    sort_key,
)
from desktop.core.checks.settings import Settings

__all__ = [
    "ERROR",
    "RULES",
    "WARNING",
    "CheckError",
    "Problem",
    "Rule",
    "Settings",
    "acknowledged_keys",
    "check_household",
    "has_errors",
    "run_checks",
]


def acknowledged_keys(session: Session) -> set[tuple[str, str]]:
    """(rule_id, entity_uuid) of warnings marked as checked (not revoked)."""
    rows = session.execute(
        select(CheckAcknowledgement.rule_id, CheckAcknowledgement.entity_uuid).where(
            CheckAcknowledgement.revoked.is_(False))
    ).all()
    return {(r, e) for r, e in rows}


class _CallableProgress:
    """Adapts a plain ``fn(done, total, text)`` callback to the Progress interface."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def update(self, done: int, total: int, text: str = "") -> None:
        self.fn(done, total, text)


def _progress(progress: Any) -> Any:
    if progress is None or hasattr(progress, "update"):
        return progress
    return _CallableProgress(progress)


def run_checks(
    session: Session,
    *,
    township_code: str | None = None,
    progress: Any = None,
    settings: Settings | None = None,
    only: Iterable[str] | None = None,
    year: int | None = None,
) -> list[Problem]:
    """Run every enabled rule over the database (or one township).

    ``progress`` is a :class:`desktop.core.progress.Progress` (or a callable
    ``(done, total, text)``); cancelling it raises ``Cancelled``. ``only`` limits the
    run to some rule ids. Problems come sorted: errors first, then by village,
    户编号 and rule.
    """
    progress = _progress(progress)
    settings = settings or settings_mod.load(session)
    year = year or settings_mod.check_year(session, settings)
    chosen = enabled_rules(settings, only)
    total = LOAD_STEPS + len(chosen)
    # A run allocates millions of small objects that all stay alive until it ends; the cyclic
    # garbage collector would rescan them again and again (a third of the run time at 100,000
    # households) without finding anything to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        ds = load(session, settings, year, chosen, township_code=township_code, progress=progress, steps=total)
        problems = run_rules(ds, chosen, acknowledged_keys(session), progress, done_before=LOAD_STEPS, total=total)
    finally:
        if collecting:
            gc.enable()
    problems.sort(key=sort_key)
    return problems


def check_household(
    session: Session,
    household: Household,
    *,
    settings: Settings | None = None,
    only: Iterable[str] | None = None,
    year: int | None = None,
) -> list[Problem]:
    """Run every enabled rule on one household (as it is in memory, unsaved edits included).

    A duplicate ID number or 户编号 is reported on this household whenever another
    household has it (the whole-database run reports each duplicate once).
    """
    settings = settings or settings_mod.load(session)
    year = year or settings_mod.check_year(session, settings)
    chosen = enabled_rules(settings, only)
    with session.no_autoflush:
        ds = from_household(session, settings, year, household)
        problems = run_rules(ds, chosen, acknowledged_keys(session))
    problems.sort(key=sort_key)
    return problems
