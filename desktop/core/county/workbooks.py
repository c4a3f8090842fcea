"""Workbooks of the county consolidation: the problems workbook and the summary report by township.

The problems workbook (``--problems``) holds everything the officer needs to act on, one sheet each:
说明, 文件核验 (the verdict of every file), 对账 (the reconciliation), 变更明细 (the change report
against the previous round), 问题清单 (UUID conflicts and cross-township duplicates, with the UUIDs
to find the records), 文件问题 (cell problems of the files). ID numbers are text cells.

The summary report (``--report``) is the exchange issue's report (desktop.core.exchange.report:
按村汇总 with a 乡镇 column, 致贫原因, 帮扶措施, 收入分组) plus a 按乡镇汇总 sheet whose 合计 row is
checked against the same figures counted for the whole county.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from db.engine import Database
from db.models import MEMBER_STATUS_REMOVED, Household, Measure, Member, Township, Village
from desktop.core import codelists
from desktop.core.exchange import format as fmt
from desktop.core.exchange.export import atomic_write
from desktop.core.exchange.report import build_report

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
BAD_FONT = Font(bold=True, color="C00000")
OK_FONT = Font(color="375623")
TEXT_HEADERS = {"证件号码", "户编号", "另一方户编号", "乡镇代码", "UUID", "户UUID", "成员UUID", "另一方户UUID",
                "另一方成员UUID", "值"}


def _sheet(wb: Workbook, title: str, headers: list[str], widths: list[float]) -> Any:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    return ws


def _append(ws: Any, values: list[Any], headers: list[str]) -> None:
    row = []
    for v in values:
        if v is not None and not isinstance(v, int | float | str | Decimal):
            v = fmt.canonical_text(v)
        row.append(v)
    ws.append(row)
    r = ws.max_row
    for i, h in enumerate(headers, 1):
        cell = ws.cell(row=r, column=i)
        if isinstance(cell.value, str) and (h in TEXT_HEADERS or cell.value.startswith(fmt.FORMULA_PREFIXES)):
            cell.data_type = "s"
            cell.number_format = "@"


def _finish(ws: Any, headers: list[str]) -> None:
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(ws.max_row, 2)}"


def write_problems_workbook(result: Any, path: str | Path) -> Path:
    """The problems workbook of a :class:`~desktop.core.county.consolidate.ConsolidationResult`."""
    path = Path(path)

    def write(tmp: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        _notes(wb, result)
        _verdicts(wb, result)
        _reconciliation(wb, result.reconciliation)
        _changes(wb, result)
        _problems(wb, result)
        _file_problems(wb, result)
        wb.save(tmp)

    atomic_write(path, write)
    return path


def _notes(wb: Workbook, result: Any) -> None:
    ws = _sheet(wb, "说明", ["项目", "值"], [24, 100])
    rec = result.reconciliation
    rows = [
        ("内容", "明白卡县级汇总问题清单" + ("（试汇总，未写入县库）" if result.dry_run else "")),
        ("生成时间", datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
        ("县级数据库", result.database),
        ("结果", result.summary_text()),
        ("文件数", len(result.verdicts)),
        ("采用", "、".join(v.path.name for v in result.taken) or "无"),
        ("暂缓或无法使用", "、".join(f"{v.path.name}（{v.label}）" for v in result.held_back) or "无"),
        ("问题数（按规则）", "，".join(f"{rule} {n} 个" for rule, n in sorted(Counter(
            p.rule_id for p in result.problems).items())) or "无"),
        ("对账", "一致" if rec is None or rec.ok else "不一致：" + "；".join(rec.failures()[:20])),
        ("县汇总表", str(result.county_workbook) if result.county_workbook else "（未写）"),
        ("说明", "“文件核验”是每个文件的结论；“对账”逐乡镇逐表核对行数；“变更明细”是与上次汇总相比的逐字段变化；"
               "“问题清单”是 UUID 冲突和跨乡镇重复人员（按户UUID/成员UUID可在程序中找到该户）；"
               "“文件问题”是文件中的单元格问题。"),
    ]
    for row in rows:
        ws.append(list(row))
    for cell in ws["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


VERDICT_HEADERS = ["文件", "乡镇代码", "乡镇名称", "导出序号", "上次序号", "导出时间", "结论", "说明", "新增", "修改", "删除",
                   "不变", "数据摘要(说明)", "数据摘要(核算)"]


def _verdicts(wb: Workbook, result: Any) -> None:
    ws = _sheet(wb, "文件核验", VERDICT_HEADERS, [28, 14, 10, 8, 8, 18, 26, 70, 8, 8, 8, 8, 20, 20])
    for v in result.verdicts:
        t = v.totals() if v.taken else {}
        _append(ws, [v.path.name, v.township_code, v.township_name, v.sequence, v.previous_sequence, v.exported_at,
                     v.label, v.message, t.get("新增"), t.get("修改"), t.get("删除"), t.get("不变"),
                     v.manifest_digest, v.computed_digest], VERDICT_HEADERS)
        if v.held_back:
            ws.cell(row=ws.max_row, column=7).font = BAD_FONT
    for cell in ws["H"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _finish(ws, VERDICT_HEADERS)


RECON_HEADERS = ["乡镇代码", "乡镇名称", "工作表", "文件说明行数", "文件读取行数", "采用行数", "县库行数", "县汇总表行数", "依据",
                 "结论", "说明"]


def _reconciliation(wb: Workbook, rec: Any) -> None:
    ws = _sheet(wb, "对账", RECON_HEADERS, [14, 10, 10, 12, 12, 10, 10, 12, 12, 8, 50])
    if rec is None:
        return
    for r in rec.rows:
        _append(ws, [r.township_code, r.township_name, r.sheet, r.file_rows, r.read_rows, r.accepted, r.db_rows,
                     r.workbook_rows, r.basis, "一致" if r.ok else "不一致", r.note], RECON_HEADERS)
        ws.cell(row=ws.max_row, column=10).font = OK_FONT if r.ok else BAD_FONT
    _finish(ws, RECON_HEADERS)
    ws.append([])
    start = ws.max_row + 1
    ws.append(["县合计核对", "工作表", "各乡镇之和", "县库全表行数", "县汇总表说明行数", "县汇总表读回行数", "无法归属乡镇的行",
               "结论"])
    for cell in ws[start]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for t in rec.totals:
        ws.append(["", t.sheet, t.townships_sum, t.county_db, t.workbook_manifest, t.workbook_read, t.unassigned,
                   "一致" if t.ok else "不一致"])
        ws.cell(row=ws.max_row, column=8).font = OK_FONT if t.ok else BAD_FONT
    ws.append([])
    start = ws.max_row + 1
    from desktop.core.county.reconcile import FIGURES

    ws.append(["主要数字", "乡镇", *FIGURES])
    for cell in ws[start]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for f in rec.figures:
        ws.append([f.township_code, f.township_name, *[f.values.get(k) for k in FIGURES]])
        if f.township_code in ("合计", "县"):
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    ws.append(["核对", "县合计 = 各乡镇之和", *["一致" if rec.figures_ok.get(k) else "不一致" for k in FIGURES]])
    for i, k in enumerate(FIGURES, 3):
        ws.cell(row=ws.max_row, column=i).font = OK_FONT if rec.figures_ok.get(k) else BAD_FONT


CHANGE_HEADERS = ["乡镇代码", "乡镇名称", "工作表", "变更", "记录", "列", "原值", "新值", "UUID", "户UUID"]


def _changes(wb: Workbook, result: Any) -> None:
    ws = _sheet(wb, "变更明细", CHANGE_HEADERS, [14, 10, 10, 10, 26, 18, 24, 24, 38, 38])
    for c in result.changes:
        _append(ws, [c.township_code, c.township_name, c.sheet, c.kind, c.record, c.column,
                     None if c.old is None else fmt.canonical_text(c.old),
                     None if c.new is None else fmt.canonical_text(c.new), c.uuid, c.household_uuid], CHANGE_HEADERS)
    _finish(ws, CHANGE_HEADERS)


PROBLEM_HEADERS = ["级别", "规则", "问题类型", "说明", "乡镇", "行政村", "户编号", "户主", "姓名", "证件号码", "另一方乡镇",
                   "另一方行政村", "另一方户编号", "另一方姓名", "户UUID", "成员UUID", "另一方户UUID", "另一方成员UUID"]


def _problems(wb: Workbook, result: Any) -> None:
    ws = _sheet(wb, "问题清单", PROBLEM_HEADERS,
                [6, 7, 22, 80, 10, 10, 14, 8, 8, 20, 10, 10, 14, 8, 38, 38, 38, 38])
    for p in result.problems:
        _append(ws, [p.severity, p.rule_id, p.title, p.message, p.township_name, p.village, p.household_number,
                     p.head_name, p.member_name, p.id_number, p.other_township_name, p.other_village,
                     p.other_household_number, p.other_name, p.household_uuid, p.member_uuid, p.other_household_uuid,
                     p.other_member_uuid], PROBLEM_HEADERS)
        if p.severity == "错误":
            ws.cell(row=ws.max_row, column=1).font = BAD_FONT
    _finish(ws, PROBLEM_HEADERS)


FILE_PROBLEM_HEADERS = ["文件", "级别", "工作表", "行号", "列", "列号", "值", "问题"]


def _file_problems(wb: Workbook, result: Any) -> None:
    ws = _sheet(wb, "文件问题", FILE_PROBLEM_HEADERS, [28, 6, 12, 8, 16, 6, 28, 80])
    for v in result.verdicts:
        for p in v.problems:
            value = p.value if p.value is None or isinstance(p.value, int | float | str) else str(p.value)
            _append(ws, [v.path.name, p.level, p.sheet, p.row, p.column, p.column_letter, value, p.message],
                    FILE_PROBLEM_HEADERS)
        if v.error_count > len([p for p in v.problems if p.level == "错误"]):
            ws.append([v.path.name, "错误", "", None, "", "", "", f"共 {v.error_count} 个错误，此处只列出一部分"])
    _finish(ws, FILE_PROBLEM_HEADERS)


# ----------------------------------------------------------------------------- summary report

def add_township_sheet(session: Any, wb: Workbook) -> bool:
    """Insert 按乡镇汇总 (second sheet); returns whether the 合计 row equals the whole-county count."""
    statuses = [s for s in codelists.labels("exit_status")]
    towns = session.execute(select(Township.id, Township.code, Township.name).order_by(Township.code)).all()
    villages = dict(session.execute(select(Village.township_id, func.count(Village.id)).group_by(Village.township_id)).all())
    hh = Counter()
    by_status: dict[int, Counter] = {}
    q = (select(Village.township_id, Household.exit_status, func.count(Household.id))
         .join(Household, Household.village_id == Village.id).group_by(Village.township_id, Household.exit_status))
    for tid, status, n in session.execute(q):
        hh[tid] += n
        by_status.setdefault(tid, Counter())[status or "（未填）"] += n
    people = dict(session.execute(
        select(Village.township_id, func.count(Member.id)).join(Household, Household.village_id == Village.id)
        .join(Member, Member.household_id == Household.id).where(Member.status != MEMBER_STATUS_REMOVED)
        .group_by(Village.township_id)).all())
    funds = dict(session.execute(
        select(Village.township_id, func.sum(Measure.amount)).join(Household, Household.village_id == Village.id)
        .join(Measure, Measure.household_id == Household.id).group_by(Village.township_id)).all())
    seen = {s for c in by_status.values() for s in c}
    statuses = [s for s in statuses if s in seen] + sorted(seen - set(statuses))
    ws = wb.create_sheet("按乡镇汇总", 1)
    headers = ["乡镇代码", "乡镇名称", "行政村数", "户数", "人数", *[f"{s}(户)" for s in statuses], "帮扶措施资金(元)"]
    ws.append(headers)
    total = [0] * (len(headers) - 2)
    for tid, code, name in towns:
        row = [villages.get(tid, 0), hh[tid], people.get(tid, 0),
               *[by_status.get(tid, Counter())[s] for s in statuses], Decimal(funds.get(tid) or 0)]
        cells = [code, name, *row]
        ws.append(cells)
        ws.cell(row=ws.max_row, column=1).number_format = "@"
        ws.cell(row=ws.max_row, column=len(headers)).number_format = "#,##0.00"
        total = [a + b for a, b in zip(total, row, strict=True)]
    ws.append(["合计", "", *total])
    ws.cell(row=ws.max_row, column=len(headers)).number_format = "#,##0.00"
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    county = [
        int(session.scalar(select(func.count()).select_from(Village)) or 0),
        int(session.scalar(select(func.count()).select_from(Household)) or 0),
        int(session.scalar(select(func.count()).select_from(Member).where(Member.status != MEMBER_STATUS_REMOVED)) or 0),
    ]
    county_funds = Decimal(session.scalar(select(func.sum(Measure.amount))) or 0)
    ok = total[:3] == county and sum(total[3:-1]) == county[1] and total[-1] == county_funds
    ws.append(["全县（直接统计）", "", *county, *[""] * len(statuses), county_funds])
    ws.append(["核对", "合计 = 全县" if ok else "合计 ≠ 全县！"])
    ws.cell(row=ws.max_row, column=2).font = OK_FONT if ok else BAD_FONT
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.freeze_panes = "C2"
    return ok


def write_summary_report(database: Database, path: str | Path, *, year: int | None = None) -> Path:
    """The exchange summary report of the whole county with the 按乡镇汇总 sheet, written atomically."""
    path = Path(path)
    with database.session() as session:
        wb, _result = build_report(session, year)
        add_township_sheet(session, wb)
    atomic_write(path, wb.save)
    return path
