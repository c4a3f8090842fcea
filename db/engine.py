"""Engine and session factory.

SQLite connections get foreign keys, WAL, a busy timeout and full sync on every
connect. Nothing here is SQLite-only except inside ``_sqlite_pragmas``: a
SQLAlchemy URL for another dialect works the same way (a PostgreSQL server gets a
connect timeout and, when opened read-only, read-only transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 5000
#: Seconds to wait for a database server before reporting that it cannot be reached.
CONNECT_TIMEOUT_S = 10


def to_url(location: str | Path) -> str:
    """A file path becomes a SQLite URL; anything with ``://`` is used as is."""
    text = str(location)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _server_connect_args(url: URL, read_only: bool) -> dict:
    """libpq options for a database server (psycopg): a bounded wait, and read-only when asked."""
    args: dict = {}
    if url.get_backend_name() == "postgresql":
        if "connect_timeout" not in url.query:
            args["connect_timeout"] = CONNECT_TIMEOUT_S
        if "application_name" not in url.query:
            args["application_name"] = "mingbaika"
        if read_only:
            args["options"] = "-c default_transaction_read_only=on"
    return args


def make_engine(location: str | Path, *, echo: bool = False, read_only: bool = False) -> Engine:
    """An engine for a file path or URL. ``read_only`` applies to server URLs (a SQLite file is
    opened read-only through its URL, see :func:`db.session.readonly_url`)."""
    text = str(location)
    if "://" in text:
        url = make_url(text)
    else:  # build the URL from parts so '%' or '%20' in a file name is not decoded
        url = URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True,
                               connect_args=_server_connect_args(url, read_only))
    return engine


@dataclass
class Database:
    """An open database: its engine and a factory for units of work."""

    engine: Engine
    session_factory: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        if self.dialect != "sqlite" or not self.engine.url.database:
            return None
        return Path(self.engine.url.database)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def reader(self) -> Session:
        """A session for reading only; the caller closes it."""
        return self.session_factory()

    def dispose(self) -> None:
        self.engine.dispose()


def connect(location: str | Path, *, echo: bool = False, read_only: bool = False) -> Database:
    engine = make_engine(location, echo=echo, read_only=read_only)
    return Database(engine=engine, session_factory=sessionmaker(engine, expire_on_commit=False))
