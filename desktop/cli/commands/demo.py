"""``demo``: fill the database with synthetic households."""

from __future__ import annotations

import argparse
import time

from desktop.cli.common import add_command, end_status_line, opened_db, tty_status, user_errors
from desktop.cli.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "demo", run,
        help="生成演示数据（虚构人员，可重复生成）",
        description="为一个乡镇生成确定性的虚构演示数据：村、组、贫困户、成员、帮扶责任人、措施、收入、走访。",
    )
    p.add_argument("--households", type=int, required=True, metavar="N", help="户数")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="随机种子（默认 1）")
    p.add_argument("--township-code", default="411726100000", metavar="CODE", help="12位乡镇代码")
    p.add_argument("--township-name", default="泌水镇", metavar="NAME", help="乡镇名称")
    p.add_argument("--year", type=int, default=2017, help="工作年度（默认 2017）")


def run(args: argparse.Namespace) -> int:
    from desktop.core.demo import DemoError, DemoOptions, generate

    if args.households < 1:
        raise UserError("--households 必须大于 0")
    options = DemoOptions(
        households=args.households,
        seed=args.seed,
        township_code=args.township_code,
        township_name=args.township_name,
        county_code=args.township_code[:6],
        year=args.year,
    )
    with opened_db(args) as db:
        started = time.perf_counter()
        progress = tty_status(lambda done, total: f"已生成 {done}/{total} 户")
        with user_errors(DemoError), db.session() as session:
            result = generate(session, options, progress)
    end_status_line()
    print(
        f"已生成 {result.households} 户、{result.members} 人、{result.helpers} 名帮扶责任人、"
        f"{result.villages} 个村，用时 {time.perf_counter() - started:.1f} 秒"
    )
    return 0
