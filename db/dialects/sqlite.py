"""SQLite-specific SQL (see :mod:`db.dialects`)."""

from __future__ import annotations

from sqlalchemy.orm import Session


def after_explicit_ids(session: Session, tables: list) -> None:  # noqa: ANN001
    """Nothing to do: SQLite's rowid keys continue after the largest id present."""
