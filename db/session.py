"""Opening a database: look before touching, refuse what is not ours, back up, upgrade.

:func:`inspect_file` examines a SQLite file **read-only** (``immutable=1`` when no
``-wal``/``-journal`` file is beside it, so not even a sidecar file is created) and
raises :class:`~db.errors.DatabaseOpenError` with ``kind``:

* ``not_database`` — not SQLite at all (a renamed text file, a damaged header), a
  folder, or a SQLite database of another program;
* ``damaged`` — SQLite, but its pages cannot be read or ``PRAGMA quick_check`` finds
  faults (a sector overwritten, a truncated copy);
* ``newer`` — written by a newer version of Mingbaika (unknown schema revision).

The file is never modified on any of these paths. :func:`open_database` then connects,
takes a verified backup before every schema migration (:mod:`db.backup`) and upgrades.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from db import audit as _audit  # noqa: F401 - installs the audit listener
from db import migrate
from db.engine import Database, connect, to_url
from db.errors import DatabaseOpenError

SQLITE_MAGIC = b"SQLite format 3\x00"
#: How many problems ``PRAGMA quick_check`` reports at most (they are shown to the user).
CHECK_LIMIT = 5
#: Tables that make a SQLite file a Mingbaika database.
SIGNATURE_TABLES = frozenset({"household", "member", "village"})


@dataclass
class FileStatus:
    """What :func:`inspect_file` found in a usable (or not yet existing) database file."""

    path: Path
    exists: bool
    revision: str | None = None
    tables: set[str] = field(default_factory=set)
    checked: bool = False  # quick_check ran and passed

    @property
    def is_empty(self) -> bool:
        return not self.tables

    @property
    def needs_upgrade(self) -> bool:
        return self.revision not in migrate.script_heads()


def sqlite_path(location: str | Path) -> Path | None:
    """The file behind ``location``, or None for a non-SQLite URL."""
    url = to_url(location)
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    if rest.startswith("file:"):  # sqlite:///file:/abs/path?mode=ro&uri=true
        rest = rest.removeprefix("file:").split("?", 1)[0]
    return Path(rest)


def database_file(database: Database) -> Path | None:
    """The SQLite file behind an open ``Database`` (also one opened read-only), else None."""
    url = database.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    name = url.database
    if name.startswith("file:"):  # opened with uri=true (read-only)
        from urllib.parse import unquote

        name = unquote(name.removeprefix("file:").split("?", 1)[0])
    return Path(name)


def sidecars(path: Path) -> list[Path]:
    """The WAL, shared-memory and rollback-journal files that belong to ``path``."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def readonly_connection(path: Path) -> sqlite3.Connection:
    """A connection that cannot change ``path``.

    Without a ``-wal``/``-journal`` file the main file is the whole database and is opened
    ``immutable=1`` (no locks, no sidecar files). With one, it is opened ``mode=ro`` so that
    SQLite reads the committed pages from the WAL.
    """
    pending = any(p.exists() for p in sidecars(path) if not p.name.endswith("-shm"))
    mode = "mode=ro" if pending else "immutable=1"
    return sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)


def _not_database(path: Path, detail: str) -> DatabaseOpenError:
    return DatabaseOpenError(
        f"“{path}”不是明白卡数据库文件（{detail}），已停止打开，文件未作任何改动。",
        path=str(path),
        kind="not_database",
    )


def _damaged(path: Path, detail: str) -> DatabaseOpenError:
    return DatabaseOpenError(
        f"数据库“{path}”已损坏（{detail}），已停止打开，文件未作任何改动。",
        path=str(path),
        kind="damaged",
    )


def _newer(path: Path, revision: str) -> DatabaseOpenError:
    return DatabaseOpenError(
        f"数据库“{path}”由更新版本的明白卡创建（结构版本 {revision}），本程序无法识别。"
        "请升级本程序后再打开。文件未作任何改动。",
        path=str(path),
        kind="newer",
    )


def quick_check(connection: sqlite3.Connection, limit: int = CHECK_LIMIT) -> list[str]:
    """Problems ``PRAGMA quick_check`` reports (empty list: the file is sound)."""
    rows = [r[0] for r in connection.execute(f"PRAGMA quick_check({int(limit)})")]
    if rows == ["ok"]:
        return []
    # "*** in database main ***\nPage 237: …": keep the finding, drop the banner
    return [line for row in rows for line in str(row).splitlines() if line and not line.startswith("***")] or rows


def inspect_file(path: Path, *, integrity: bool = True) -> FileStatus:
    """Look at a database file without changing it; raise ``DatabaseOpenError`` if unusable."""
    if not path.exists():
        return FileStatus(path=path, exists=False)
    if path.is_dir():
        raise DatabaseOpenError(f"“{path}”是一个文件夹，不是数据库文件。", path=str(path), kind="not_database")
    size = path.stat().st_size
    if size == 0:
        return FileStatus(path=path, exists=True)
    with path.open("rb") as fh:
        head = fh.read(100)
    if head[:16] != SQLITE_MAGIC:
        if size < 100 and SQLITE_MAGIC.startswith(head[:16]):
            raise _damaged(path, f"文件只有 {size} 字节，已被截断")
        raise _not_database(path, "文件头不是 SQLite 格式；如果它原本是明白卡数据库，则文件头已损坏")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if size < 100 or page_size < 512 or page_size & (page_size - 1):
        raise _damaged(path, "文件头中的页大小无效")
    try:
        con = readonly_connection(path)
    except sqlite3.Error as exc:
        raise _damaged(path, f"无法读取：{exc}") from exc
    try:
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = None
            if "alembic_version" in tables:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        except sqlite3.DatabaseError as exc:
            raise _damaged(path, f"无法读取数据库结构：{exc}") from exc
        ours = SIGNATURE_TABLES <= tables
        if tables and not ours and revision is None:
            raise _not_database(path, "这是其他程序的 SQLite 数据库")
        if revision is not None and revision not in migrate.known_revisions():
            if not ours:
                raise _not_database(path, "这是其他程序的 SQLite 数据库")
            raise _newer(path, revision)
        status = FileStatus(path=path, exists=True, revision=revision, tables=tables)
        if integrity:
            try:
                problems = quick_check(con)
            except sqlite3.DatabaseError as exc:
                raise _damaged(path, f"完整性检查时读取出错：{exc}") from exc
            if problems:
                shown = "；".join(problems[:3])
                raise _damaged(path, f"完整性检查发现 {len(problems)}{'+' if len(problems) >= CHECK_LIMIT else ''}"
                                     f" 处问题：{shown}")
            status.checked = True
        return status
    finally:
        con.close()


def readonly_url(path: Path) -> str:
    """A SQLAlchemy URL that opens ``path`` read-only."""
    return f"sqlite:///file:{path.resolve().as_posix()}?mode=ro&uri=true"


def is_read_only(database: Database) -> bool:
    """True when ``database`` was opened with ``read_only=True``."""
    return database.engine.url.query.get("mode") == "ro"


def open_database(
    location: str | Path,
    *,
    upgrade: bool = True,
    integrity: bool = True,
    read_only: bool = False,
    backup_settings: object | None = None,
) -> Database:
    """Open (or create) the database at ``location`` and bring it to the newest schema.

    SQLite files are inspected first (:func:`inspect_file`; ``integrity`` runs
    ``PRAGMA quick_check``). Before a migration of an existing database a verified backup
    is written (``backup_settings``: a :class:`db.backup.BackupSettings`, default the
    user's settings); if that backup fails, nothing is migrated. ``read_only=True`` opens
    the file so that no write can reach it (a second instance while another holds the lock).
    """
    path = sqlite_path(location)
    if path is None:  # another dialect: nothing to inspect on disk
        database = connect(location)
        if upgrade and not read_only and migrate.needs_upgrade(database.engine):
            migrate.upgrade(database.engine)
        return database
    status = inspect_file(path, integrity=integrity)
    if read_only:
        if not status.exists:
            raise DatabaseOpenError(f"数据库“{path}”不存在，无法以只读方式打开。", path=str(path), kind="other")
        if status.needs_upgrade and not status.is_empty:
            raise DatabaseOpenError(
                f"数据库“{path}”需要先升级结构，只读方式无法打开。请等正在使用它的程序打开一次后再试。",
                path=str(path),
                kind="other",
            )
        return connect(readonly_url(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if upgrade and status.exists and not status.is_empty and status.needs_upgrade:
        from db import backup

        try:
            backup.backup_now(path, "upgrade", settings=backup_settings)
        except backup.BackupError as exc:
            raise DatabaseOpenError(
                f"升级数据库结构前需要先备份，但备份失败：{exc}\n数据库未作任何改动。",
                path=str(path),
                kind="backup_failed",
            ) from exc
    database = connect(location)
    try:
        if upgrade and migrate.needs_upgrade(database.engine):
            migrate.upgrade(database.engine)
    except BaseException:
        database.dispose()
        raise
    return database
