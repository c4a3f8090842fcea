"""SQLite-specific SQL (see :mod:`db.dialects`)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

#: Milliseconds a connection waits for another writer before giving up.
BUSY_TIMEOUT_MS = 5000


def engine_options(url: URL, *, read_only: bool) -> dict:
    """Extra ``create_engine`` arguments (a read-only file is opened through its URL instead)."""
    return {}


def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    """Every connection: foreign keys on, wait for a busy writer, WAL journal, full sync."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def after_explicit_ids(session: Session, tables: list) -> None:  # noqa: ANN001
    """Nothing to do: SQLite's rowid keys continue after the largest id present."""


def after_bulk_load(session: Session, tables: list) -> None:  # noqa: ANN001
    """Nothing to do: without ANALYZE statistics SQLite already picks the indexes we rely on
    (and ANALYZE would freeze plans measured on an empty file)."""


# ----------------------------------------------------------------------------- household search index

SEARCH_INDEX = "ix_household_search_key"


LIST_INDEX = "ix_household_list_search"


def upgrade_search_index(connection: Connection) -> bool:
    """Migration 0004. SQLite has no trigram index: a LIKE '%term%' scans an index. A search in
    the list's default order (village, 户编号, id) becomes one scan of this covering index, in
    order, with no sort and no table rows — at 100,000 households about 40 % less time than
    testing each row of ``ix_household_village_number`` against the matches of a separate
    scan of ``ix_household_search_key`` (docs/benchmarks.md). Returns False: no trigram index."""
    connection.execute(text(f"CREATE INDEX IF NOT EXISTS {LIST_INDEX} ON household "
                            "(village_id, household_number, id, search_key)"))
    return False


def downgrade_search_index(connection: Connection) -> None:
    connection.execute(text(f"DROP INDEX IF EXISTS {LIST_INDEX}"))


def search_index_kind(bind: Session | Connection) -> str | None:
    """How ``ix_household_search_key`` is built here: ``"btree"`` or None (missing)."""
    found = bind.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :n"),
                         {"n": SEARCH_INDEX}).scalar()
    return "btree" if found else None


def query_plan(session: Session, statement: Executable) -> str:
    """SQLite's plan for ``statement`` (EXPLAIN QUERY PLAN), as one string."""
    sql = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    return "\n".join(str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


# ----------------------------------------------------------------------------- demo and test data


def allow_broken_references(connection: Connection) -> None:
    """Let this connection write rows whose foreign keys point nowhere (planted demo faults only).

    Must run before the connection's transaction begins: SQLite ignores the PRAGMA inside one.
    """
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")


def safety_copy(database, reason: str):  # noqa: ANN001, ANN201 - Database -> db.backup.BackupFile
    """A verified backup of the file before a bulk write (raises ``db.backup.BackupError``)."""
    from db.backup import backup_now

    return backup_now(database, reason)
