"""Which kind of database the program is on, in words a clerk reads (never the password).

* a SQLite file on this PC → 本机数据库：D:\\明白卡\\mingbaika.sqlite3
* a server (PostgreSQL) → 服务器数据库：PostgreSQL dbserver:5432/mingbaika（用户 mb_clerk）

Used by the main window (title, permanent status-bar label), the 关于 dialog and the
backup/restore commands, which explain that a server database is backed up on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from db.session import url_file

LOCAL = "local"
SERVER = "server"
#: Where a server database's backups are explained (pg_dump, by the server's administrator).
SERVER_BACKUP_DOC = "docs/postgresql.md"
_PRODUCTS = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mssql": "SQL Server", "oracle": "Oracle"}


@dataclass(frozen=True)
class Where:
    kind: str  # LOCAL or SERVER
    text: str  # "本机数据库：…" / "服务器数据库：…"
    short: str  # for the window title: the file name, or "PostgreSQL host:port/db"
    user: str = ""

    @property
    def kind_label(self) -> str:
        return "本机数据库（SQLite 文件）" if self.kind == LOCAL else "服务器数据库（多人同时使用）"

    @property
    def is_server(self) -> bool:
        return self.kind == SERVER


def _url_of(target: object) -> URL:
    engine = getattr(target, "engine", None)
    if engine is not None:
        return engine.url
    if isinstance(target, URL):
        return target
    text = str(target)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text)))
    return make_url(text)


def describe(target: object) -> Where:
    """``target``: an open ``Database``, a SQLAlchemy URL, a URL string or a file path."""
    url = _url_of(target)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = url_file(url)
        shown = str(path) if path is not None else "（内存）"
        return Where(LOCAL, f"本机数据库：{shown}", Path(shown).name or shown)
    product = _PRODUCTS.get(backend, backend)
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    short = f"{product} {host}{port}/{url.database or ''}"
    user = url.username or ""
    text = f"服务器数据库：{short}" + (f"（用户 {user}）" if user else "")
    return Where(SERVER, text, short, user)


def server_backup_message(what: str = "备份") -> str:
    """Why ``backup``/``restore`` does not apply to a server database, and what to do instead."""
    if what == "恢复":
        return ("当前是服务器数据库（PostgreSQL），不能用本程序恢复：服务器数据库由服务器管理员用 pg_restore "
                f"从 pg_dump 备份恢复（恢复会影响所有正在使用它的人）。做法见 {SERVER_BACKUP_DOC}“Backups: pg_dump”一节。"
                "未作任何改动。")
    return ("当前是服务器数据库（PostgreSQL），不能用本程序备份：服务器数据库由服务器管理员在服务器上用 pg_dump "
            f"定时备份，备份文件保存在服务器上。做法见 {SERVER_BACKUP_DOC}“Backups: pg_dump”一节。")
