"""Throw-away databases for the tests, on SQLite or on a PostgreSQL server.

Database-facing tests run once per active backend (see ``tests/conftest.py``). SQLite is
always active. PostgreSQL is active when ``MINGBAIKA_TEST_PG_URL`` (or ``--pg-url``) names a
server the tests may create and drop databases on — ``.ci/start-postgres`` starts one on
loopback and prints that URL. Each PostgreSQL test gets its own database, copied with
``CREATE DATABASE … TEMPLATE`` from a migrated (or demo-filled) template made once per run,
so a test costs a file-level copy, not a migration.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
PG_URL_ENV = "MINGBAIKA_TEST_PG_URL"
PREFIX = "mbtest_"


def pg_server_url(option: str | None = None) -> URL | None:
    """The server URL from ``--pg-url`` or the environment, or None."""
    text_url = option or os.environ.get(PG_URL_ENV, "")
    return make_url(text_url) if text_url else None


class PgServer:
    """Creates and drops per-test databases on one PostgreSQL server."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.run_id = uuid.uuid4().hex[:8]
        self._templates: dict[str, str] = {}
        self._pending: list[str] = []
        with self.admin.connect() as conn:  # fail loudly: a configured server must be there
            conn.execute(text("SELECT 1"))

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """A new empty (or template-copied) database; returns its name."""
        name = f"{PREFIX}{self.run_id}_{uuid.uuid4().hex[:10]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_later(self, name: str) -> None:
        """Drop ``name`` at the end of the run (or at :meth:`drop_pending`).

        A widget of a GUI test may still read its database from a queued Qt event after the
        test's fixtures are torn down; with SQLite the file is still there, so it must be here.
        """
        self._pending.append(name)

    def drop_pending(self) -> None:
        while self._pending:
            self.drop(self._pending.pop())

    def template(self, key: str, build) -> str:  # noqa: ANN001 - build(url) fills the database
        """A template database made once per run by ``build(url)``; connections closed after."""
        if key not in self._templates:
            name = self.create()
            build(self.url_for(name))
            self._templates[key] = name
        return self._templates[key]

    def close(self) -> None:
        self.drop_pending()
        for name in self._templates.values():
            self.drop(name)
        with self.admin.connect() as conn:  # leftovers of this run (a test that crashed mid-way)
            rows = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                {"p": f"{PREFIX}{self.run_id}_%"}).scalars().all()
        for name in rows:
            self.drop(name)
        self.admin.dispose()


def _sqlite_like(value):  # noqa: ANN001, ANN202
    """A value as the bare sqlite3 module returns it (dates as text, numerics as floats)."""
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def raw_rows(db, sql: str, *args) -> list[tuple]:  # noqa: ANN001 - db.engine.Database
    """``sql`` (``?`` placeholders) on the bare DBAPI driver, below SQLAlchemy and the code under test:
    sqlite3 on the file, psycopg on a server (values converted to what sqlite3 would return)."""
    if db.path is not None:
        import sqlite3

        con = sqlite3.connect(db.path)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
    con = db.engine.raw_connection()
    try:
        cur = con.cursor()
        cur.execute(sql.replace("%", "%%").replace("?", "%s"), args)
        return [tuple(_sqlite_like(v) for v in row) for row in cur.fetchall()]
    finally:
        con.close()
