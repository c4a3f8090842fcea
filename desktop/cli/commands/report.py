"""``report``: the summary workbook (按村汇总, 致贫原因, 帮扶措施, 收入分组) with charts."""

from __future__ import annotations

import argparse

from desktop.cli.common import add_command, add_json_flag, opened_db, print_json, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "report", run,
        help="生成汇总报表（按村统计，含图表）",
        description="生成汇总工作簿：各村户数和人数（按脱贫状态、贫困户属性）、致贫原因、帮扶措施（数量和资金）、"
        "人均纯收入分组（对照当年贫困线），并附 Excel 图表。",
    )
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件")
    p.add_argument("--year", type=int, metavar="YYYY", help="收入和措施的年度（默认：最近有收入记录的年度）")
    p.add_argument("--township", action="append", metavar="CODE", help="只统计这个乡镇（可重复）")
    add_json_flag(p)


def run(args: argparse.Namespace) -> int:
    from desktop.core.exchange.errors import ExchangeError
    from desktop.core.exchange.report import write_report

    with opened_db(args) as db, user_errors(ExchangeError):
        result = write_report(db, args.out, year=args.year, township_codes=args.township)
    if args.json:
        print_json({"path": str(result.path), "year": result.year, "line": result.line,
                    "villages": result.villages, "households": result.households, "people": result.people,
                    "sheets": result.sheets})
    else:
        print(f"已生成汇总报表 {result.path}：{result.villages} 个村，{result.households} 户，{result.people} 人，"
              f"年度 {result.year}，贫困线 {result.line} 元")
    return 0
