"""PostgreSQL-specific SQL (see :mod:`db.dialects`)."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

#: Seconds to wait for a database server before reporting that it cannot be reached.
CONNECT_TIMEOUT_S = 10
#: Memory for one sort/hash: a broad two-letter search sorts ~50,000 ids, which spills to disk
#: with the server default of 4 MB (measured: benchmarks/cases/backends.py). Per connection only.
WORK_MEM = "16MB"


def engine_options(url: URL, *, read_only: bool) -> dict:
    """Extra ``create_engine`` arguments: a bounded connect wait, a named application, enough
    sort memory for the household list, and read-only transactions when asked."""
    args: dict = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        args["application_name"] = "mingbaika"
    options = [f"-c work_mem={WORK_MEM}"]
    if read_only:
        options.append("-c default_transaction_read_only=on")
    if "options" not in url.query:
        args["options"] = " ".join(options)
    return {"pool_pre_ping": True, "connect_args": args}


def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    """Nothing per connection beyond :func:`engine_options`."""


def after_bulk_load(session: Session, tables: list) -> None:  # noqa: ANN001
    """ANALYZE the loaded tables, so the next search is planned for their real size rather
    than waiting for autovacuum (allowed inside the import's transaction)."""
    for table in tables:
        session.execute(text(f'ANALYZE "{table.name}"'))


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


# ----------------------------------------------------------------------------- household search index

SEARCH_INDEX = "ix_household_search_key"
LIST_INDEX = "ix_household_list_search"
_log = logging.getLogger(__name__)


def upgrade_search_index(connection: Connection) -> bool:
    """Make ``ix_household_search_key`` a GIN trigram index (migration 0004).

    Search-as-you-type is ``search_key LIKE '%term%'``: a B-tree cannot seek on an infix
    pattern, a ``gin_trgm_ops`` index can (for terms of three or more characters). The
    ``pg_trgm`` extension is created inside a SAVEPOINT: on a server where this role may not
    create it (PostgreSQL < 13 without superuser, or the extension package missing), the
    migration goes on with the portable B-tree index and logs a warning — search still works,
    by scanning. Returns True when the trigram index is in place.

    ``ix_household_list_search`` (SQLite's covering index for the list order) is declared in the
    model for both databases; here it is an empty partial index, never used, never maintained.
    """
    connection.execute(text(f"CREATE INDEX {LIST_INDEX} ON household "
                            "(village_id, household_number, id, search_key) WHERE false"))
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError as exc:
        _log.warning("pg_trgm is not available in this database (%s); household search keeps the B-tree "
                     "index and scans. Ask the server administrator to run CREATE EXTENSION pg_trgm "
                     "(see docs/postgresql.md).", str(getattr(exc, "orig", exc)).strip().splitlines()[0])
        return False
    connection.execute(text(f"DROP INDEX IF EXISTS {SEARCH_INDEX}"))
    connection.execute(text(f"CREATE INDEX {SEARCH_INDEX} ON household USING gin (search_key gin_trgm_ops)"))
    return True


def downgrade_search_index(connection: Connection) -> None:
    """Back to the portable B-tree index of migration 0003 (the extension stays installed)."""
    connection.execute(text(f"DROP INDEX IF EXISTS {LIST_INDEX}"))
    connection.execute(text(f"DROP INDEX IF EXISTS {SEARCH_INDEX}"))
    connection.execute(text(f"CREATE INDEX {SEARCH_INDEX} ON household (search_key)"))


def search_index_kind(bind: Session | Connection) -> str | None:
    """How ``ix_household_search_key`` is built here: ``"trigram"``, ``"btree"`` or None (missing)."""
    definition = bind.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n AND tablename = 'household'"),
                              {"n": SEARCH_INDEX}).scalar()
    if definition is None:
        return None
    return "trigram" if "gin_trgm_ops" in definition else "btree"


def query_plan(session: Session, statement: Executable) -> str:
    """The server's plan for ``statement`` (with its parameters), as one string."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled.string}", dict(compiled.params))
    return "\n".join(str(r[0]) for r in rows)


# ----------------------------------------------------------------------------- demo and test data


def allow_broken_references(connection: Connection) -> None:
    """Let this connection write rows whose foreign keys point nowhere (planted demo faults only).

    Replica mode skips the foreign-key triggers for this session; only a superuser may set it
    (the throw-away test server's role is one). Never used on clerks' data.
    """
    connection.exec_driver_sql("SET session_replication_role = replica")


def safety_copy(database, reason: str) -> None:  # noqa: ANN001 - Database
    """Nothing: a server database is backed up with ``pg_dump`` by its administrator
    (docs/postgresql.md); the bulk write itself is one transaction."""
    return None
