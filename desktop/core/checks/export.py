"""The problems list as a workbook (问题清单.xlsx), written atomically."""

from __future__ import annotations

import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from desktop.core.checks.engine import ERROR, RULES, Problem

COLUMNS = (
    ("序号", 6), ("严重程度", 8), ("规则编号", 9), ("规则", 28), ("类别", 10), ("行政村", 12), ("户编号", 14),
    ("户主", 9), ("成员", 9), ("字段", 16), ("问题描述", 70), ("帮扶责任人", 14), ("已核实", 7), ("登记值", 22),
)
SHEET_PROBLEMS = "问题清单"
SHEET_SUMMARY = "按规则汇总"


class ExportError(ValueError):
    """The workbook cannot be written; the message is Chinese and names the file."""


def _header(ws, titles: Iterable[tuple[str, int]]) -> list[WriteOnlyCell]:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    cells = []
    for title, _width in titles:
        cell = WriteOnlyCell(ws, title)
        cell.font, cell.fill = bold, fill
        cells.append(cell)
    return cells


def _row(ws, values: list, error: bool) -> list[WriteOnlyCell]:
    red = Font(color="C00000")
    wrap = Alignment(wrap_text=False, vertical="top")
    out = []
    for i, value in enumerate(values):
        cell = WriteOnlyCell(ws, value)
        if isinstance(value, str):
            cell.number_format = "@"  # 户编号 and ID-like values stay text
        cell.alignment = wrap
        if error and i == 1:
            cell.font = red
        out.append(cell)
    return out


def write_workbook(problems: list[Problem], path: str | Path, *, year: int | None = None,
                   source: str = "") -> Path:
    """Write ``problems`` to ``path`` (.xlsx) via a temporary file; returns the path."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ExportError(f"问题清单只能保存为 .xlsx 工作簿：{target}")
    if not target.parent.exists():
        raise ExportError(f"保存问题清单失败：文件夹“{target.parent}”不存在")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_PROBLEMS)
    for i, (_title, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{chr(ord('A') + len(COLUMNS) - 1)}{len(problems) + 1}"
    ws.append(_header(ws, COLUMNS))
    for n, p in enumerate(problems, 1):
        ws.append(_row(ws, [
            n, p.severity, p.rule_id, p.title, p.category, p.village or "", p.household_number or "",
            p.head_name or "", p.member_name or "", p.field_label or "", p.message, "、".join(p.helpers),
            "是" if p.acknowledged else "", p.value or "",
        ], p.severity == ERROR))

    summary = wb.create_sheet(SHEET_SUMMARY)
    columns = (("规则编号", 9), ("规则", 32), ("类别", 10), ("严重程度", 8), ("问题数", 8), ("涉及户数", 9),
               ("已核实", 8))
    for i, (_t, width) in enumerate(columns):
        summary.column_dimensions[chr(ord("A") + i)].width = width
    summary.append(_header(summary, columns))
    counts = Counter(p.rule_id for p in problems)
    acknowledged = Counter(p.rule_id for p in problems if p.acknowledged)
    households: dict[str, set[str]] = defaultdict(set)
    for p in problems:
        if p.household_uuid:
            households[p.rule_id].add(p.household_uuid)
    for rule_id in sorted(counts, key=lambda r: (-counts[r], r)):
        rule = RULES.get(rule_id)
        severity = next(p.severity for p in problems if p.rule_id == rule_id)
        summary.append([rule_id, rule.title if rule else "", rule.category if rule else "", severity,
                        counts[rule_id], len(households[rule_id]), acknowledged[rule_id]])
    errors = sum(1 for p in problems if p.severity == ERROR)
    summary.append([])
    summary.append(["合计", f"错误 {errors} 条，警告 {len(problems) - errors} 条", "", "", len(problems),
                    len({p.household_uuid for p in problems if p.household_uuid}), sum(acknowledged.values())])
    summary.append(["生成时间", datetime.now().strftime("%Y-%m-%d %H:%M")])
    if year is not None:
        summary.append(["检查年度", str(year)])
    if source:
        summary.append(["数据库", source])

    fd, tmp = tempfile.mkstemp(prefix=".问题清单-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"保存问题清单“{target}”失败：{exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
