"""``import``: take in an exchange workbook (all or nothing), or just compare it (``--dry-run``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from desktop.cli.common import (
    add_command,
    add_json_flag,
    end_status_line,
    opened_db,
    print_json,
    text_progress,
)
from desktop.cli.errors import UserError

if TYPE_CHECKING:
    from desktop.core.exchange.importer import ImportPlan

SHOWN = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "import", run,
        help="导入交换表（按 UUID 新增/修改，全部成功或全部不导入）",
        description="导入明白卡交换表：按 UUID 匹配，新增新记录、修改有变化的记录、相同的记录不动；"
        "有任何错误时不导入任何数据。成员不会被删除，文件中没有的记录保持不变。",
    )
    p.add_argument("file", metavar="IN.xlsx", help="交换表文件")
    p.add_argument("--dry-run", action="store_true", help="只比较并报告（新增/修改/不变/错误），不写入数据库")
    p.add_argument("--accept-edited", action="store_true", help="文件在导出后被修改过（数据摘要不符）时仍然导入")
    p.add_argument("--errors", metavar="ERR.xlsx", help="有错误时把错误清单写到这个工作簿")
    p.add_argument("--diff", action="store_true", help="列出逐字段的修改")
    p.add_argument("--operator", metavar="NAME", help="操作员姓名（记入修改日志）")
    add_json_flag(p)


def _report(plan: ImportPlan, args: argparse.Namespace, *, applied: bool) -> None:
    if args.json:
        print_json({
            "file": str(plan.path), "applied": applied, "dry_run": args.dry_run, "counts": plan.counts(),
            "totals": plan.totals(), "edited": plan.edited, "edited_reasons": plan.edited_reasons,
            "digest": plan.computed_digest, "manifest_digest": plan.manifest.digest,
            "sequence": plan.manifest.sequence, "townships": plan.township_codes,
            "problems": [p.text() for p in plan.problems],
            "diffs": [d.text() for d in plan.diffs] if args.diff else [],
        })
        return
    print(f"{'工作表':<8}\t新增\t修改\t不变\t错误")
    for title, c in plan.counts().items():
        print(f"{title:<8}\t{c['新增']}\t{c['修改']}\t{c['不变']}\t{c['错误']}")
    for p in plan.warnings[:SHOWN]:
        print(p.text())
    if args.diff:
        for d in plan.diffs:
            print(d.text())
    if plan.edited:
        print(f"注意：文件在导出后被修改过（{'；'.join(plan.edited_reasons)}）。")
    verb = "已导入" if applied else "试导入（未写入）"
    print(f"{verb}：{plan.summary_text()}")


def run(args: argparse.Namespace) -> int:
    from desktop.core.exchange.errors import (
        EditedFileError,
        ExchangeError,
        ImportRejected,
        write_error_workbook,
    )
    from desktop.core.exchange.importer import import_workbook

    with opened_db(args) as db:
        try:
            plan = import_workbook(db, args.file, dry_run=args.dry_run or False, accept_edited=args.accept_edited,
                                   operator=args.operator, progress=text_progress(40))
        except ImportRejected as exc:
            if args.errors:
                write_error_workbook(exc.problems, args.errors, source=args.file)
            lines = [str(exc)] + [p.text() for p in exc.problems[:SHOWN]]
            if len(exc.problems) > SHOWN:
                lines.append(f"…… 共 {len(exc.problems)} 个问题" + (f"，全部见 {args.errors}" if args.errors else
                                                              "（用 --errors ERR.xlsx 保存全部）"))
            elif args.errors:
                lines.append(f"错误清单已保存到 {args.errors}")
            raise UserError("\n".join(lines)) from exc
        except EditedFileError as exc:
            raise UserError(f"{exc}\n如确认无误，请加 --accept-edited 重新导入。") from exc
        except ExchangeError as exc:
            raise UserError(str(exc)) from exc
    end_status_line()
    if args.dry_run and plan.has_errors:
        if args.errors:
            write_error_workbook(plan.problems, args.errors, source=args.file)
        _report(plan, args, applied=False)
        raise UserError(f"文件有 {plan.error_count} 个错误，不能导入：\n" +
                        "\n".join(p.text() for p in plan.errors[:SHOWN]))
    _report(plan, args, applied=not args.dry_run)
    return 0
