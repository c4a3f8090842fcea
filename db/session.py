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

A SQLAlchemy URL of a database server (``postgresql+psycopg://user:pw@host:port/name``)
is examined by :func:`inspect_server` instead, with the same kinds plus ``unreachable``,
``login_failed`` and ``missing``; messages name host, port and database, never the password.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

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


def url_file(url: URL) -> Path | None:
    """The SQLite file a URL names (also a read-only ``file:`` URI), else None."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    name = url.database
    if name.startswith("file:"):  # opened with uri=true (read-only)
        from urllib.parse import unquote

        name = unquote(name.removeprefix("file:").split("?", 1)[0])
    return Path(name)


def database_file(database: Database) -> Path | None:
    """The SQLite file behind an open ``Database`` (also one opened read-only), else None."""
    return url_file(database.engine.url)


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


# ----------------------------------------------------------------------------- database servers

#: SQLSTATEs of a refused login (invalid_password, invalid_authorization_specification).
_LOGIN_REFUSED = {"28P01", "28000"}
#: SQLSTATE of a database name the server does not have (invalid_catalog_name).
_NO_SUCH_DATABASE = "3D000"


def safe_location(location: str | Path) -> str:
    """``location`` fit to show or log: a URL with its password replaced by ``***``."""
    text_location = str(location)
    if "://" not in text_location:
        return text_location
    try:
        return make_url(text_location).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "（格式不对的数据库地址）"


def server_label(url: URL) -> str:
    """“服务器 host 端口 port 上的数据库“name””, for messages — never the password."""
    host = url.host or "本机"
    port = url.port or "默认"
    return f"服务器 {host} 端口 {port} 上的数据库“{url.database or ''}”"


def _driver_detail(exc: BaseException, url: URL) -> str:
    """The driver's first line, with the password taken out should the driver ever echo it."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    detail = lines[0] if lines else type(orig).__name__
    if url.password:
        detail = detail.replace(str(url.password), "***")
    return detail


def _server_error(url: URL, exc: BaseException) -> DatabaseOpenError:
    label = server_label(url)
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if state is None:  # libpq reports a refused connection as text only; the server's reason follows "FATAL:"
        message = str(getattr(exc, "orig", None) or exc)
        reason = message.split("FATAL:", 1)[1] if "FATAL:" in message else ""
        if 'database "' in reason and "does not exist" in reason:
            state = _NO_SUCH_DATABASE
        elif "authentication" in reason or "pg_hba.conf" in reason or ('role "' in reason and "does not exist" in reason):
            state = "28000"
        elif reason:
            state = "FATAL"
    if state in _LOGIN_REFUSED:
        why, kind = f"登录被拒绝：用户名“{url.username or ''}”或密码不对，或此用户无权连接", "login_failed"
    elif state == _NO_SUCH_DATABASE:
        why, kind = "服务器上没有这个数据库，请检查数据库名，或请管理员先创建它", "missing"
    elif state is None:
        why, kind = "无法连接到数据库服务器（服务器未启动、地址或端口不对，或被防火墙阻挡）", "unreachable"
    else:
        why, kind = "服务器拒绝了请求", "other"
    return DatabaseOpenError(f"无法打开{label}：{why}。\n详细信息：{_driver_detail(exc, url)}",
                             path=url.render_as_string(hide_password=True), kind=kind)


def inspect_server(database: Database) -> str | None:
    """Look at a server database before migrating it; return its schema revision (None: empty).

    Raises :class:`~db.errors.DatabaseOpenError` naming host, port and database (never the
    password) when the server cannot be reached, refuses the login, has no such database,
    holds another program's tables (``not_database``) or a newer Mingbaika schema (``newer``).
    Nothing is written.
    """
    url = database.engine.url
    try:
        with database.engine.connect() as conn:
            tables = set(sa_inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise _server_error(url, exc) from None
    label = server_label(url)
    ours = SIGNATURE_TABLES <= tables
    foreign = DatabaseOpenError(f"{label}不是明白卡数据库（其中已有其他程序的数据表），已停止打开，未作任何改动。",
                                path=url.render_as_string(hide_password=True), kind="not_database")
    if tables and not ours and revision is None:
        raise foreign
    if revision is not None and revision not in migrate.known_revisions():
        if not ours:
            raise foreign
        raise DatabaseOpenError(f"{label}由更新版本的明白卡创建（结构版本 {revision}），本程序无法识别。"
                                "请升级本程序后再打开。数据库未作任何改动。",
                                path=url.render_as_string(hide_password=True), kind="newer")
    return revision


def _open_server(location: str | Path, *, upgrade: bool, read_only: bool) -> Database:
    """Open a database on a server (PostgreSQL): inspect, then upgrade unless read-only."""
    try:
        database = connect(location, read_only=read_only)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseOpenError(f"无法识别的数据库地址（格式不对或不支持）：{exc}",
                                path=safe_location(location), kind="other") from None
    except ImportError as exc:  # the driver is not installed
        raise DatabaseOpenError(f"无法打开“{safe_location(location)}”：缺少数据库驱动（{exc.name}）。",
                                path=safe_location(location), kind="other") from None
    try:
        revision = inspect_server(database)
        if revision is not None and revision not in migrate.script_heads() and read_only:
            raise DatabaseOpenError(f"{server_label(database.engine.url)}需要先升级结构，只读方式无法打开。",
                                    path=safe_location(location), kind="other")
        if upgrade and not read_only and revision not in migrate.script_heads():
            try:
                migrate.upgrade(database.engine)
            except DBAPIError as exc:
                raise _server_error(database.engine.url, exc) from None
    except BaseException:
        database.dispose()
        raise
    return database


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
    if path is None:  # a database server: nothing to inspect on disk
        return _open_server(location, upgrade=upgrade, read_only=read_only)
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
