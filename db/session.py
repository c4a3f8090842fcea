"""Opening a database: connect, refuse what is not ours, upgrade to head."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import DatabaseError as SADatabaseError

from db import audit as _audit  # noqa: F401 - installs the audit listener
from db import migrate
from db.engine import Database, connect, to_url
from db.errors import DatabaseOpenError

SQLITE_MAGIC = b"SQLite format 3\x00"


def _precheck_sqlite_file(path: Path) -> None:
    """Reject a file that is not SQLite before SQLAlchemy touches it."""
    if not path.exists():
        return
    if path.is_dir():
        raise DatabaseOpenError(f"“{path}”是一个文件夹，不是数据库文件。", path=str(path), kind="not_database")
    if path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != SQLITE_MAGIC:
        raise DatabaseOpenError(
            f"“{path}”不是明白卡数据库文件（文件头不是 SQLite 格式），已停止打开，文件未作任何改动。",
            path=str(path),
            kind="not_database",
        )


def open_database(location: str | Path, *, upgrade: bool = True) -> Database:
    """Open (or create) the database at ``location`` and bring it to the newest schema."""
    url = to_url(location)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None:
        _precheck_sqlite_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    database = connect(location)
    try:
        revision = migrate.current_revision(database.engine)
        tables = set(inspect(database.engine).get_table_names())
    except (SADatabaseError, sqlite3.DatabaseError) as exc:
        database.dispose()
        raise DatabaseOpenError(
            f"数据库“{location}”已损坏或无法读取：{exc.orig if hasattr(exc, 'orig') else exc}",
            path=str(location),
            kind="damaged",
        ) from exc
    if revision is not None and revision not in migrate.known_revisions():
        database.dispose()
        raise DatabaseOpenError(
            f"数据库“{location}”由更新版本的明白卡创建（结构版本 {revision}），请升级本程序后再打开。文件未作任何改动。",
            path=str(location),
            kind="newer",
        )
    if revision is None and tables and "household" not in tables:
        database.dispose()
        raise DatabaseOpenError(
            f"“{location}”是一个 SQLite 数据库，但不是明白卡数据库，已停止打开。",
            path=str(location),
            kind="not_database",
        )
    if upgrade and migrate.needs_upgrade(database.engine):
        migrate.upgrade(database.engine)
    return database
