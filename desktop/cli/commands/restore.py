"""``restore``: replace the database with a backup, after a preview and a backup of the current file."""

from __future__ import annotations

import argparse
import sys

from db import backup as db_backup
from db.lock import LockHeldError
from db.session import sqlite_path
from desktop.cli.errors import UserError
from desktop.core.location import server_backup_message
from desktop.core.paths import database_location
from desktop.core.stats import TABLE_LABELS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "restore",
        help="从备份恢复数据库（先预览，先备份当前数据库，再整体替换）",
        description="检查备份文件并显示其中各表的记录数；确认后先备份当前数据库（损坏的文件则原样复制保存），"
        "再把备份整体替换为当前数据库。明白卡程序正在使用该数据库时不能恢复。"
        "服务器数据库（PostgreSQL）不用此命令：由服务器管理员用 pg_restore 恢复，见 docs/postgresql.md。",
    )
    p.add_argument("file", metavar="FILE", help="备份文件（.sqlite3）")
    p.add_argument("--yes", "-y", action="store_true", help="不询问，直接恢复（用于脚本）")
    p.add_argument("--operator", metavar="NAME", default="", help="操作员姓名（记入锁文件）")
    p.set_defaults(func=run)


def preview_lines(info: db_backup.BackupInfo) -> list[str]:
    lines = [f"备份文件：{info.path}（{info.size / 1e6:.1f} MB，结构版本 {info.revision or '—'}）"]
    if info.last_change:
        lines.append(f"最后修改：{str(info.last_change)[:19]}")
    for name, label in TABLE_LABELS.items():
        if name in info.counts:
            lines.append(f"  {label:<8}\t{info.counts[name]}")
    return lines


def run(args: argparse.Namespace) -> int:
    location = database_location(getattr(args, "db", None))
    target = sqlite_path(location)
    if target is None:
        raise UserError(server_backup_message("恢复"))
    try:
        info = db_backup.inspect_backup(args.file)
    except db_backup.BackupError as exc:
        raise UserError(f"不能用这个文件恢复：{exc}") from exc
    print("\n".join(preview_lines(info)))
    print(f"将替换：{target}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("未确认，未作任何改动。非交互使用时请加 --yes。")
        answer = input("确认恢复？当前数据库会先备份。输入 y 继续：").strip().lower()
        if answer not in ("y", "yes", "是"):
            print("已取消，未作任何改动。")
            return 1
    try:
        result = db_backup.restore(target, info.path, operator=args.operator)
    except LockHeldError as exc:
        raise UserError(f"{exc}请先关闭正在使用它的明白卡程序。未作任何改动。") from exc
    except db_backup.BackupError as exc:
        raise UserError(f"恢复失败：{exc}") from exc
    if result.previous_backup:
        print(f"原数据库已备份到：{result.previous_backup}")
    if result.previous_copy:
        print(f"原数据库无法正常备份（已损坏或不可用），已原样复制到：{result.previous_copy}")
    print(f"已恢复：{result.target}（{result.info.households} 户）")
    return 0
