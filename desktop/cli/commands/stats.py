"""``stats``: row counts per table."""

from __future__ import annotations

import argparse

from desktop.cli.common import add_command, add_json_flag, opened_db, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "stats", run, help="显示各表记录数", description="显示数据库中各表的记录数。")
    add_json_flag(p, "以 JSON 输出")


def run(args: argparse.Namespace) -> int:
    from desktop.core.stats import TABLE_LABELS, table_counts

    with opened_db(args) as db, db.session() as session:
        counts = table_counts(session)
    if args.json:
        print_json(counts)
    else:
        for name, count in counts.items():
            print(f"{TABLE_LABELS[name]:<8}\t{name:<16}\t{count}")
    return 0
