"""Engine and session factory.

Nothing here depends on the kind of database: what a connection needs (SQLite's
PRAGMAs, a server's connect timeout and read-only transactions) comes from
``engine_options`` and ``on_connect`` in :mod:`db.dialects`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from db import dialects


def to_url(location: str | Path) -> str:
    """A file path becomes a SQLite URL; anything with ``://`` is used as is."""
    text = str(location)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def make_engine(location: str | Path, *, echo: bool = False, read_only: bool = False) -> Engine:
    """An engine for a file path or URL. ``read_only`` applies to server URLs (a SQLite file is
    opened read-only through its URL, see :func:`db.session.readonly_url`)."""
    text = str(location)
    if "://" in text:
        url = make_url(text)
    else:  # build the URL from parts so '%' or '%20' in a file name is not decoded
        url = URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    dialect = dialects.for_name(url.get_backend_name())
    engine = create_engine(url, echo=echo, **dialect.engine_options(url, read_only=read_only))
    event.listen(engine, "connect", dialect.on_connect)
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
