"""``backup``: a verified copy of the database, made with SQLite's online backup API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from db import backup as db_backup
from db.session import inspect_file, sqlite_path
from desktop.cli.errors import UserError
from desktop.core.location import server_backup_message
from desktop.core.paths import database_location
from desktop.core.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backup",
        help="备份数据库（可在程序使用中备份；备份后自动校验）",
        description="用 SQLite 在线备份接口复制数据库，并用完整性检查校验副本。"
        "不给 DEST 时写入备份文件夹（见备份设置）并按 保留最近/每日/每周/每月 规则清理旧备份；"
        "DEST 可以是文件夹或 .sqlite3 文件名（不会覆盖已有文件）。"
        "服务器数据库（PostgreSQL）不用此命令：由服务器管理员用 pg_dump 备份，见 docs/postgresql.md。",
    )
    p.add_argument("dest", nargs="?", metavar="DEST", help="备份到这个文件夹或文件（默认：备份文件夹）")
    p.add_argument("--list", action="store_true", help="只列出已有备份，不备份")
    p.set_defaults(func=run)


def _progress() -> Progress:
    def show(done: int, total: int, text: str) -> None:
        if sys.stderr.isatty():
            pct = f" {done * 100 // total}%" if total else ""
            print(f"\r{text}{pct}   ", end="", file=sys.stderr)

    return Progress(on_update=show)


def run(args: argparse.Namespace) -> int:
    location = database_location(getattr(args, "db", None))
    path = sqlite_path(location)
    if path is None:
        raise UserError(server_backup_message("备份"))
    settings = db_backup.load_settings()
    if args.list:
        folder = settings.resolved_folder()
        found = db_backup.list_backups(path, folder)
        print(f"备份文件夹：{folder}")
        for b in found:
            print(f"{b.taken_at:%Y-%m-%d %H:%M:%S}\t{b.reason_label}\t{b.size / 1e6:.1f} MB\t{b.path.name}")
        print(f"共 {len(found)} 份备份")
        return 0
    if not path.exists():
        raise UserError(f"数据库“{path}”不存在，没有可备份的内容。")
    inspect_file(path, integrity=False)  # not ours / newer: the usual message, exit 1
    try:
        made = db_backup.backup_now(path, "manual", settings=settings, dest=Path(args.dest) if args.dest else None,
                                    progress=_progress())
    except db_backup.BackupError as exc:
        raise UserError(f"备份失败：{exc}") from exc
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)
    print(f"已备份并校验：{made.path}（{made.size / 1e6:.1f} MB）")
    return 0
