"""``consolidate``: take township exchange workbooks into a county database (县级汇总).

Exit code 0 when every file was taken (or was older or identical) and the totals reconcile; 1 when
a file was held back or refused, or the reconciliation failed (the outputs are written first).
Duplicates found do not change the exit code: they are listed and written to ``--problems``.
"""

from __future__ import annotations

import argparse
from collections import Counter

from desktop.cli.common import (
    add_command,
    add_json_flag,
    end_status_line,
    opened_db,
    print_json,
    text_progress,
    user_errors,
)
from desktop.cli.errors import UserError

SHOWN = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "consolidate", run,
        help="县级汇总：汇总多个乡镇交换表，查重复，对账",
        description="把各乡镇报送的明白卡交换表汇总到县级数据库：核验每个文件（格式版本、数据摘要；被修改或损坏的文件"
        "暂缓，除非确认采用），较新的导出（导出序号更大）替换该乡镇的数据并列出逐字段变更，较旧或相同的文件不作改动；"
        "两个乡镇登记同一 UUID 的记录为冲突，暂缓并报告。然后查找跨乡镇重复人员，核对每个乡镇每张表的行数和全县合计。",
    )
    p.add_argument("files", nargs="+", metavar="IN.xlsx", help="乡镇交换表文件（可多个）")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="县级数据库：文件路径或服务器数据库地址（也可写在命令名之前）；新的空数据库会被建成县级汇总库")
    p.add_argument("--out", metavar="county.xlsx", help="写出县汇总表（交换表格式，含全部乡镇），并读回对账")
    p.add_argument("--problems", metavar="problems.xlsx", help="写出问题清单（文件核验、对账、变更明细、重复人员）")
    p.add_argument("--report", metavar="report.xlsx", help="写出汇总报表（按乡镇、按村）")
    p.add_argument("--accept-edited", action="store_true", help="采用在导出后被修改过（数据摘要不符）的文件")
    p.add_argument("--dry-run", action="store_true", help="试汇总：全部核验和查重，但不写入数据库，不写县汇总表和报表")
    p.add_argument("--operator", metavar="NAME", help="操作员姓名（记入修改日志）")
    p.add_argument("--changes", action="store_true", help="列出全部变更明细（默认只列前 30 条）")
    add_json_flag(p)


def _json(result) -> dict:  # noqa: ANN001 - ConsolidationResult
    rec = result.reconciliation
    return {
        "ok": result.ok,
        "dry_run": result.dry_run,
        "summary": result.summary_text(),
        "seconds": round(result.seconds, 3),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "files": [{
            "file": str(v.path), "township_code": v.township_code, "township_name": v.township_name,
            "sequence": v.sequence, "previous_sequence": v.previous_sequence, "status": v.status, "verdict": v.label,
            "message": v.message, "taken": v.taken, "held_back": v.held_back, "edited": v.edited,
            "edited_reasons": v.edited_reasons, "counts": v.counts, "errors": v.error_count,
            "conflicts": v.conflict_count,
        } for v in result.verdicts],
        "changes": [{"township": c.township_code, "sheet": c.sheet, "kind": c.kind, "uuid": c.uuid, "record": c.record,
                     "column": c.column, "old": c.old, "new": c.new} for c in result.changes],
        "conflicts": [c.text() for c in result.conflicts],
        "problems": [{"rule": p.rule_id, "severity": p.severity, "message": p.message, "township": p.township_name,
                      "household_uuid": p.household_uuid, "member_uuid": p.member_uuid,
                      "other_household_uuid": p.other_household_uuid, "other_member_uuid": p.other_member_uuid}
                     for p in result.problems],
        "reconciliation": None if rec is None else {"ok": rec.ok, "failures": rec.failures()},
        "notes": result.notes,
        "outputs": {"county_workbook": str(result.county_workbook or ""),
                    "problems": str(result.problems_workbook or ""), "report": str(result.report or "")},
    }


def _print(result, args: argparse.Namespace) -> None:  # noqa: ANN001
    print("文件核验：")
    for v in result.verdicts:
        who = f"{v.township_name}（{v.township_code}）" if v.township_code else ""
        seq = f" 序号 {v.sequence}" if v.sequence is not None else ""
        print(f"  [{v.label}] {v.path.name} {who}{seq}")
        print(f"      {v.message}")
    if result.changes:
        shown = result.changes if args.changes else result.changes[:SHOWN]
        print(f"变更明细（与上次汇总相比，共 {len(result.changes)} 条）：")
        for c in shown:
            print(f"  {c.text()}")
        if len(shown) < len(result.changes):
            print(f"  …… 其余 {len(result.changes) - len(shown)} 条用 --changes 列出，或见 --problems 的“变更明细”")
    if result.problems:
        counts = Counter((p.rule_id, p.title, p.severity) for p in result.problems)
        print(f"问题（共 {len(result.problems)} 个）：")
        for (rule, title, severity), n in sorted(counts.items()):
            print(f"  {rule} {title}［{severity}］：{n}")
        for p in result.problems[:SHOWN]:
            print(f"  - {p.message}")
        if len(result.problems) > SHOWN:
            print("  …… 其余见 --problems 问题清单")
    rec = result.reconciliation
    if rec is not None:
        if rec.ok:
            what = "文件行数 = 采用行数 = 县库行数" + (" = 县汇总表行数" if rec.workbook else "")
            print(f"对账：一致（{len(rec.rows)} 项，{what}；县合计 = 各乡镇之和）")
        else:
            print("对账：不一致！")
            for line in rec.failures()[:SHOWN]:
                print(f"  {line}")
    for note in result.notes:
        print(f"注意：{note}")
    for label, path in (("县汇总表", result.county_workbook), ("问题清单", result.problems_workbook),
                        ("汇总报表", result.report)):
        if path:
            print(f"{label}：{path}")
    print(f"{result.summary_text()}（用时 {result.seconds:.1f} 秒）")


def run(args: argparse.Namespace) -> int:
    from desktop.core.county.consolidate import ConsolidationError, consolidate
    from desktop.core.exchange.errors import ExchangeError

    with opened_db(args) as db, user_errors(ConsolidationError, ExchangeError):
        result = consolidate(db, args.files, accept_edited=args.accept_edited, operator=args.operator,
                             out=args.out, problems_out=args.problems, report_out=args.report, dry_run=args.dry_run,
                             progress=text_progress(60, clip=True))
    end_status_line()
    if args.json:
        print_json(_json(result))
    else:
        _print(result, args)
    reasons = []
    if result.held_back:
        reasons.append(f"{len(result.held_back)} 个文件暂缓或无法使用：" +
                       "、".join(f"{v.path.name}（{v.label}）" for v in result.held_back))
    if result.reconciliation is not None and not result.reconciliation.ok:
        reasons.append("对账不一致")
    if reasons:
        raise UserError("；".join(reasons))
    return 0
