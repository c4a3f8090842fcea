"""PostgreSQL-specific SQL (see :mod:`db.dialects`)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def after_explicit_ids(session: Session, tables: list) -> None:  # noqa: ANN001
    """Move each table's id sequence past the largest id, so the next ORM insert does not collide.

    Rows inserted with explicit ids do not advance a SERIAL column's sequence; without this,
    the next clerk-entered record would fail with a duplicate-key error.
    """
    for table in tables:
        name = table.name
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"))
