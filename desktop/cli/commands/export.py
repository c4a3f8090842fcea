"""``export``: write the exchange workbook (docs/exchange-format.md)."""

from __future__ import annotations

import argparse

from desktop.cli.common import (
    add_command,
    add_json_flag,
    end_status_line,
    opened_db,
    print_json,
    text_progress,
)
from desktop.cli.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "export", run,
        help="导出交换表（报送县扶贫办的工作簿）",
        description="将数据库导出为明白卡交换表（.xlsx）：说明（含导出序号与数据摘要）、各实体工作表和花名册。"
        "数据检查有错误时拒绝导出，除非用 --override-reason 写明理由（理由会被记录）。",
    )
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件")
    p.add_argument("--township", action="append", metavar="CODE", help="只导出这个乡镇（12位代码，可重复）")
    p.add_argument("--override-reason", metavar="TEXT", help="数据检查有错误时仍然导出的理由（记录在日志中）")
    p.add_argument("--operator", metavar="NAME", help="操作员姓名（记入日志）")
    add_json_flag(p)


def run(args: argparse.Namespace) -> int:
    from desktop.core.exchange.errors import ExchangeError, ExportBlocked
    from desktop.core.exchange.export import ExportOptions, export_database

    with opened_db(args) as db:
        try:
            options = ExportOptions(township_codes=args.township, override_reason=args.override_reason,
                                    operator=args.operator)
            result = export_database(db, args.out, options, text_progress(40))
        except ExportBlocked as exc:
            lines = [str(exc)]
            for p in exc.problems[:20]:
                lines.append(f"  {getattr(p, 'message', p)}")
            if len(exc.problems) > 20:
                lines.append(f"  …… 共 {len(exc.problems)} 个错误（mingbaika-cli check 查看全部）")
            raise UserError("\n".join(lines)) from exc
        except ExchangeError as exc:
            raise UserError(str(exc)) from exc
    end_status_line()
    if args.json:
        print_json({"path": str(result.path), "sequence": result.sequence, "digest": result.digest,
                    "rows": result.row_counts, "townships": result.townships,
                    "check_errors": result.check_errors, "override_reason": result.override_reason,
                    "seconds": round(result.seconds, 2)})
    else:
        rows = "，".join(f"{k} {v}" for k, v in result.row_counts.items())
        print(f"已导出到 {result.path}（导出序号 {result.sequence}，用时 {result.seconds:.1f} 秒）")
        print(f"行数：{rows}")
        print(f"数据摘要：{result.digest}")
        if result.override_reason:
            print(f"注意：数据检查有 {result.check_errors} 个错误，已按理由“{result.override_reason}”强制导出并记录。")
    return 0
