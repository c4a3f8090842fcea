"""``stats``: row counts per table."""

from __future__ import annotations

import argparse

from desktop.cli.common import open_db, print_json
from desktop.core.stats import TABLE_LABELS, table_counts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="显示各表记录数", description="显示数据库中各表的记录数。")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        with db.session() as session:
            counts = table_counts(session)
    finally:
        db.dispose()
    if args.json:
        print_json(counts)
    else:
        for name, count in counts.items():
            print(f"{TABLE_LABELS[name]:<8}\t{name:<16}\t{count}")
    return 0
