"""``check``: run the data-quality rules (问题清单); exit 1 when errors exist."""

from __future__ import annotations

import argparse
import sys
import time

from desktop.cli.common import (
    add_command,
    database_label,
    end_status_line,
    opened_db,
    print_json,
    tty_status,
    user_errors,
)
from desktop.cli.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "check", run,
        help="数据检查（问题清单），有错误时退出码为 1",
        description="按内置规则检查整个数据库（或一个乡镇）的数据质量：身份证号码、重复人员、家庭结构、必填项、"
                    "致贫原因、低保五保、劳动力、收入、务工、合理性、脱贫户两不愁三保障、帮扶责任人、成员状态。"
                    "有“错误”时退出码为 1，只有“警告”时为 0。",
    )
    p.add_argument("--out", metavar="FILE.xlsx", help="把问题清单保存为工作簿")
    p.add_argument("--json", action="store_true", help="以 JSON 输出问题列表（没有问题时为 []）")
    p.add_argument("--township", metavar="CODE", help="只检查这个乡镇（12位乡镇代码）")
    p.add_argument("--rule", action="append", metavar="ID", help="只运行这些规则（可多次给出）")
    p.add_argument("--year", type=int, help="检查年度（默认：设置中的工作年度，或最新的收入年度）")
    p.add_argument("--list-rules", action="store_true", help="列出全部规则后退出")


def _list_rules(as_json: bool) -> int:
    from desktop.core.checks.engine import ordered_rules

    if as_json:
        print_json([{"id": r.id, "severity": r.severity, "title": r.title, "category": r.category,
                     "description": r.description} for r in ordered_rules()])
    else:
        for r in ordered_rules():
            print(f"{r.id}\t{r.severity}\t{r.category}\t{r.title}")
    return 0


def run(args: argparse.Namespace) -> int:
    from desktop.core.checks import RULES, CheckError, has_errors, run_checks
    from desktop.core.checks import settings as check_settings
    from desktop.core.checks.export import ExportError, write_workbook

    if args.list_rules:
        return _list_rules(args.json)
    unknown = sorted(set(args.rule or ()) - set(RULES))
    if unknown:
        raise UserError(f"没有这些规则：{'、'.join(unknown)}（用 --list-rules 查看全部规则）")
    with opened_db(args) as db:
        started = time.perf_counter()
        progress = tty_status(lambda done, total, text: f"{done}/{total} {text[:40]:<40}")
        with db.session() as session, user_errors(CheckError, check_settings.SettingsError):
            settings = check_settings.load(session)
            year = args.year or check_settings.check_year(session, settings)
            problems = run_checks(session, township_code=args.township, progress=progress, settings=settings,
                                  only=args.rule, year=year)
        end_status_line()
        if args.out:
            with user_errors(ExportError):
                write_workbook(problems, args.out, year=year, source=database_label(db))
    errors = sum(1 for p in problems if p.severity == "错误")
    warnings = len(problems) - errors
    acknowledged = sum(1 for p in problems if p.acknowledged)
    if args.json:
        print_json([p.to_dict() for p in problems])
    else:
        for p in problems:
            mark = "（已核实）" if p.acknowledged else ""
            print(f"{p.severity}\t{p.rule_id}\t{p.message}{mark}")
        print(f"{year}年度检查完成，用时 {time.perf_counter() - started:.1f} 秒：错误 {errors} 条，警告 {warnings} 条"
              f"（其中已核实 {acknowledged} 条）" + (f"；问题清单已保存到 {args.out}" if args.out else ""))
    if has_errors(problems):
        print(f"发现 {errors} 条错误，请改正后再导出。", file=sys.stderr)
        return 1
    return 0
