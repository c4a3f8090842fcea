"""Dialect-specific SQL, one module per database kind.

Everything else in ``db/`` and ``desktop/core/`` is written against SQLAlchemy Core/ORM
constructs that mean the same on SQLite and PostgreSQL. Where a feature needs SQL that does
not (sequence bookkeeping, trigram indexes, backup tools), the portable caller asks
:func:`for_dialect` for the module of the connection's dialect and calls the same-named
function there. Add a function to every module here, never an ``if dialect ==`` elsewhere.
"""

from __future__ import annotations

from types import ModuleType

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session


def dialect_name(bind: Session | Connection | Engine) -> str:
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def for_dialect(bind: Session | Connection | Engine) -> ModuleType:
    """The module of ``db.dialects`` for the dialect ``bind`` talks to."""
    return for_name(dialect_name(bind))


def for_name(name: str) -> ModuleType:
    """The module of ``db.dialects`` for a SQLAlchemy backend name (``sqlite``, ``postgresql``)."""
    if name == "postgresql":
        from db.dialects import postgresql

        return postgresql
    if name == "sqlite":
        from db.dialects import sqlite

        return sqlite
    # A ValueError, so opening such a URL is the usual clear "cannot use this address" message.
    raise ValueError(f"不支持的数据库种类“{name}”（可用：SQLite 数据库文件、PostgreSQL 服务器）")


def after_bulk_load(session: Session, tables: list) -> None:  # noqa: ANN001 - sqlalchemy Tables
    """Call after a bulk load (an import, the demo generator) so the planner knows the new sizes."""
    for_dialect(session).after_bulk_load(session, tables)


def after_explicit_ids(session: Session, tables: list) -> None:  # noqa: ANN001 - sqlalchemy Tables
    """Call after inserting rows with ids chosen in Python (bulk imports, the demo generator)."""
    for_dialect(session).after_explicit_ids(session, tables)


def allow_broken_references(connection: Connection) -> None:
    """Let ``connection`` write rows with dangling foreign keys (planted demo faults, tests)."""
    for_dialect(connection).allow_broken_references(connection)
