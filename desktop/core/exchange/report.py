"""Summary workbook (``mingbaika-cli report``, the GUI's 汇总报表), with native Excel charts.

Sheets: 按村汇总 (households and people by 脱贫状态 and by 贫困户属性, per village, with a total row),
致贫原因 (households by main cause per village), 帮扶措施 (measures by category: count, funds),
收入分组 (per-capita net income bands against the year's poverty line) and 说明. Counting is done in
SQL; per-capita income uses ``desktop.core.income.summarise`` and the line from
``desktop.core.povertylines.line_for``. Written atomically.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    MEMBER_STATUS_REMOVED,
    Household,
    IncomeRecord,
    Measure,
    Member,
    Township,
    Village,
)
from desktop.core import codelists
from desktop.core.exchange.errors import ExchangeError
from desktop.core.exchange.export import atomic_write
from desktop.core.income import summarise
from desktop.core.povertylines import line_for
from desktop.core.progress import NULL_PROGRESS, Progress

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
TOTAL_FONT = Font(bold=True)
NONE_LABEL = "（未填）"
BANDS = (
    ("低于贫困线", None, Decimal("1.0")),
    ("贫困线1—1.5倍", Decimal("1.0"), Decimal("1.5")),
    ("1.5—2倍", Decimal("1.5"), Decimal("2.0")),
    ("2倍及以上", Decimal("2.0"), None),
)
NO_INCOME = "无收入记录"


@dataclass
class ReportResult:
    path: Path
    year: int | None
    line: Decimal | None
    villages: int
    households: int
    people: int
    sheets: list[str] = field(default_factory=list)


def _style_header(ws: Any, row: int = 1) -> None:
    for cell in ws[row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _finish(ws: Any, widths: dict[int, float] | None = None, default: float = 12.0) -> None:
    ws.freeze_panes = "B2"
    _page_setup(ws)
    for i in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(i, default)


def _page_setup(ws: Any) -> None:
    """Printed: landscape A4, one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _bold_last_row(ws: Any) -> None:
    for cell in ws[ws.max_row]:
        cell.font = TOTAL_FONT


def _village_rows(session: Session, township_ids: list[int] | None) -> list[tuple[int, str, str]]:
    q = (select(Village.id, Village.name, Township.name).join(Township, Township.id == Village.township_id)
         .order_by(Township.code, Village.code))
    if township_ids is not None:
        q = q.where(Village.township_id.in_(township_ids))
    return [tuple(r) for r in session.execute(q)]


def _count_by(session: Session, column: Any, people: bool) -> dict[int, Counter]:
    """village id -> Counter(label -> households or current people)."""
    if people:
        q = (select(Household.village_id, column, func.count(Member.id))
             .join(Member, Member.household_id == Household.id)
             .where(Member.status != MEMBER_STATUS_REMOVED).group_by(Household.village_id, column))
    else:
        q = select(Household.village_id, column, func.count(Household.id)).group_by(Household.village_id, column)
    result: dict[int, Counter] = defaultdict(Counter)
    for vid, label, n in session.execute(q):
        result[vid][label or NONE_LABEL] += n
    return result


def _labels(name: str, seen: set[str]) -> list[str]:
    labels = [lab for lab in codelists.labels(name)]
    extra = sorted(seen - set(labels))
    return labels + extra


def _add_bar(ws: Any, title: str, data_cols: tuple[int, int], rows: int, anchor: str, *, stacked: bool = True,
             y_title: str = "户数", cats_col: int = 1) -> None:
    if rows < 1:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
    data = Reference(ws, min_col=data_cols[0], max_col=data_cols[1], min_row=1, max_row=rows + 1)
    cats = Reference(ws, min_col=cats_col, min_row=2, max_row=rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.y_axis.number_format = "#,##0"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.width, chart.height = 24, 10
    ws.add_chart(chart, anchor)


def build_report(session: Session, year: int | None = None, township_codes: list[str] | None = None,
                 progress: Progress | None = None) -> tuple[Workbook, ReportResult]:
    progress = progress or NULL_PROGRESS
    township_ids = None
    if township_codes:
        township_ids = list(session.scalars(select(Township.id).where(Township.code.in_(township_codes))))
        if not township_ids:
            raise ExchangeError(f"数据库中没有乡镇“{'、'.join(township_codes)}”。", code="no_township")
    villages = _village_rows(session, township_ids)
    if not villages:
        raise ExchangeError("数据库中还没有村和贫困户数据，无法生成汇总报表。", code="empty")
    village_ids = {v[0] for v in villages}
    if year is None:
        year = session.scalar(select(func.max(IncomeRecord.year)))
    wb = Workbook()
    wb.remove(wb.active)

    # 1. by village: 脱贫状态 and 贫困户属性, households and people
    progress.update(0, 5, "正在统计各村户数和人数…")
    status_h = _count_by(session, Household.exit_status, people=False)
    status_p = _count_by(session, Household.exit_status, people=True)
    attr_h = _count_by(session, Household.attribute, people=False)
    attr_p = _count_by(session, Household.attribute, people=True)
    statuses = _labels("exit_status", {k for c in status_h.values() for k in c})
    statuses = [s for s in statuses if any(status_h[v][s] for v in village_ids)] or statuses[:1]
    attrs = _labels("household_attribute", {k for c in attr_h.values() for k in c})
    attrs = [a for a in attrs if any(attr_h[v][a] for v in village_ids)] or attrs[:1]
    ws = wb.create_sheet("按村汇总")
    header = ["行政村", "乡镇", "户数", "人数"]
    header += [f"{s}(户)" for s in statuses] + [f"{s}(人)" for s in statuses]
    header += [f"{a}(户)" for a in attrs] + [f"{a}(人)" for a in attrs]
    ws.append(header)
    totals = [0] * (len(header) - 2)
    for vid, vname, tname in villages:
        h, p = status_h[vid], status_p[vid]
        row = [sum(h.values()), sum(p.values())]
        row += [h[s] for s in statuses] + [p[s] for s in statuses]
        row += [attr_h[vid][a] for a in attrs] + [attr_p[vid][a] for a in attrs]
        ws.append([vname, tname, *row])
        totals = [a + b for a, b in zip(totals, row, strict=True)]
    ws.append(["合计", "", *totals])
    _bold_last_row(ws)
    _style_header(ws)
    _finish(ws, {1: 14, 2: 12})
    n = len(villages)
    first_status = 5
    _add_bar(ws, "各村贫困户脱贫状态（户）", (first_status, first_status + len(statuses) - 1), n,
             f"A{n + 4}")
    households_total, people_total = totals[0], totals[1]

    # 2. main causes
    progress.update(1, 5, "正在统计致贫原因…")
    cause_h = _count_by(session, Household.main_cause, people=False)
    causes = _labels("poverty_cause", {k for c in cause_h.values() for k in c})
    causes = [c for c in causes if any(cause_h[v][c] for v in village_ids)]
    ws = wb.create_sheet("致贫原因")
    ws.append(["行政村", *causes, "合计"])
    col_totals = Counter()
    for vid, vname, _t in villages:
        values = [cause_h[vid][c] for c in causes]
        col_totals.update(dict(zip(causes, values, strict=True)))
        ws.append([vname, *values, sum(values)])
    ws.append(["合计", *[col_totals[c] for c in causes], sum(col_totals.values())])
    _bold_last_row(ws)
    _style_header(ws)
    _finish(ws, {1: 14}, 10)
    # pie of the county-wide shares, from a small table below
    start = n + 4
    ws.cell(row=start, column=1, value="主要致贫原因")
    ws.cell(row=start, column=2, value="户数")
    for i, c in enumerate(causes, 1):
        ws.cell(row=start + i, column=1, value=c)
        ws.cell(row=start + i, column=2, value=col_totals[c])
    if causes:
        pie = PieChart()
        pie.title = "主要致贫原因构成（户）"
        pie.add_data(Reference(ws, min_col=2, min_row=start, max_row=start + len(causes)), titles_from_data=True)
        pie.set_categories(Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(causes)))
        pie.width, pie.height = 16, 10
        ws.add_chart(pie, f"D{start}")

    # 3. measures by category
    progress.update(2, 5, "正在统计帮扶措施…")
    q = (select(Measure.category, func.count(Measure.id), func.sum(Measure.amount),
                func.count(func.distinct(Measure.household_id)))
         .join(Household, Household.id == Measure.household_id).group_by(Measure.category))
    if township_ids is not None:
        q = q.where(Household.village_id.in_(village_ids))
    if year is not None:
        q = q.where(Measure.year == year)
    by_cat = {c: (cnt, Decimal(s or 0), hh) for c, cnt, s, hh in session.execute(q)}
    categories = [c for c in _labels("help_measure_category", set(by_cat)) if c in by_cat]
    ws = wb.create_sheet("帮扶措施")
    ws.append(["措施大类", "措施数", "受益户数", "资金(元)"])
    for c in categories:
        cnt, amount, hh = by_cat[c]
        ws.append([c, cnt, hh, amount])
        ws.cell(row=ws.max_row, column=4).number_format = "#,##0.00"
    ws.append(["合计", sum(v[0] for v in by_cat.values()), None, sum((v[1] for v in by_cat.values()), Decimal(0))])
    ws.cell(row=ws.max_row, column=4).number_format = "#,##0.00"
    _bold_last_row(ws)
    _style_header(ws)
    _finish(ws, {1: 14, 4: 16})
    if categories:
        _add_bar(ws, f"{year or ''}年度各类帮扶措施资金（元）", (4, 4), len(categories), "F2", stacked=False,
                 y_title="元")
        _add_bar(ws, f"{year or ''}年度各类帮扶措施数量", (2, 2), len(categories), "F24", stacked=False,
                 y_title="项")

    # 4. income bands
    progress.update(3, 5, "正在计算人均纯收入分组…")
    line = line_for(session, year) if year is not None else None
    bands_by_village: dict[int, Counter] = defaultdict(Counter)
    recorded: set[int] = set()
    if year is not None:
        q = (select(IncomeRecord, Household.village_id).join(Household, Household.id == IncomeRecord.household_id)
             .where(IncomeRecord.year == year))
        for rec, vid in session.execute(q.execution_options(yield_per=2000)):
            if vid not in village_ids:
                continue
            recorded.add(rec.household_id)
            per_capita = summarise(rec).per_capita
            band = NO_INCOME
            if per_capita is not None and line:
                ratio = per_capita / line
                for label, low, high in BANDS:
                    if (low is None or ratio >= low) and (high is None or ratio < high):
                        band = label
                        break
            bands_by_village[vid][band] += 1
    counts_all = dict(session.execute(select(Household.village_id, func.count(Household.id))
                                      .group_by(Household.village_id)).all())
    ws = wb.create_sheet("收入分组")
    band_labels = [b[0] for b in BANDS] + [NO_INCOME]
    ws.append(["行政村", *band_labels, "户数"])
    band_totals = Counter()
    for vid, vname, _t in villages:
        c = bands_by_village[vid]
        c[NO_INCOME] += counts_all.get(vid, 0) - sum(c.values())
        band_totals.update(c)
        ws.append([vname, *[c[b] for b in band_labels], counts_all.get(vid, 0)])
    ws.append(["合计", *[band_totals[b] for b in band_labels], sum(band_totals.values())])
    _bold_last_row(ws)
    _style_header(ws)
    _finish(ws, {1: 14}, 13)
    _add_bar(ws, f"{year or ''}年度人均纯收入与贫困线（{line or '未设'}元）", (2, len(BANDS) + 1), n, f"A{n + 4}")

    # 5. notes
    ws = wb.create_sheet("说明", 0)
    ws.append(["项目", "值"])
    info = [
        ("报表", "明白卡汇总报表"),
        ("生成时间", datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
        ("乡镇", "、".join(sorted({v[2] for v in villages}))),
        ("行政村数", len(villages)),
        ("贫困户数", households_total),
        ("贫困人口数（不含自然减少）", people_total),
        ("收入及措施年度", year if year is not None else "（无收入记录）"),
        ("贫困线(元/人·年)", float(line) if line is not None else "（未设）"),
        ("收入分组", "年人均纯收入 ÷ 当年贫困线；人均纯收入按收入核算规则计算（不录入）"),
    ]
    for row in info:
        ws.append(list(row))
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(horizontal="left")
    _style_header(ws)
    _page_setup(ws)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 60
    progress.update(5, 5, "正在保存…")
    result = ReportResult(path=Path(), year=year, line=line, villages=len(villages), households=households_total,
                          people=people_total, sheets=wb.sheetnames)
    return wb, result


def write_report(database: Database, path: str | Path, *, year: int | None = None,
                 township_codes: list[str] | None = None, progress: Progress | None = None) -> ReportResult:
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ExchangeError(f"报表文件名应以 .xlsx 结尾：“{path.name}”", code="suffix")
    with database.session() as session:
        wb, result = build_report(session, year, township_codes, progress)
    atomic_write(path, wb.save)
    result.path = path
    return result
