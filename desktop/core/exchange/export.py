"""Export the database to an exchange workbook (``mingbaika-cli export``, the GUI's 导出交换表).

Rows are streamed with SQLAlchemy Core into an openpyxl write-only workbook, written to a
temporary file beside the target and renamed into place only when complete; a failure or a
cancel leaves no partial file. The export sequence number (setting ``exchange.export_sequence``)
is raised and an ``exchange_log`` row written in the same transaction, which commits before the
rename. See docs/exchange-format.md.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from db.base import utcnow
from db.engine import Database
from db.models import (
    AuditLog,
    County,
    ExchangeLog,
    Household,
    Member,
    Setting,
    Township,
    Village,
    VillageGroup,
)
from desktop import __version__
from desktop.core import codelists
from desktop.core.exchange import digest as digest_mod
from desktop.core.exchange import format as fmt
from desktop.core.exchange.errors import ExchangeError, ExportBlocked
from desktop.core.exchange.xlsxfast import FastSheet
from desktop.core.progress import NULL_PROGRESS, Progress

SEQUENCE_KEY = "exchange.export_sequence"
DATABASE_KIND_KEY = "database.kind"  # "county" for a county database (issue 6); absent = township
BATCH = 2000
MAX_EXCEL_ROWS = 1_048_576
EXCEL_EARLIEST = date(1900, 3, 1)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
HEADER_BORDER = Border(bottom=Side(style="thin", color="1F3864"))
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass
class ExportOptions:
    township_codes: list[str] | None = None  # None: every township in the database
    override_reason: str | None = None  # export despite data-quality errors, reason recorded
    operator: str | None = None
    now: datetime | None = None  # export time (tests)
    run_checks: bool = True


@dataclass
class ExportResult:
    path: Path
    sequence: int
    digest: str
    row_counts: dict[str, int]  # by sheet title, including the roster
    townships: list[tuple[str, str]]
    check_errors: int = 0
    override_reason: str | None = None
    seconds: float = 0.0
    exported_at: datetime = field(default_factory=utcnow)


# ----------------------------------------------------------------------------- checks gate

def checks_available() -> bool:
    """True when the data-quality checks package (issue 7) is installed in this tree."""
    try:
        return importlib.util.find_spec("desktop.core.checks") is not None
    except (ImportError, ValueError):
        return False


def blocking_problems(session: Session, progress: Progress | None = None,
                      township_code: str | None = None) -> list[Any]:
    """Problems of severity 错误 from ``desktop.core.checks.run_checks``; [] without the package."""
    if not checks_available():
        return []
    from desktop.core import checks  # noqa: PLC0415 - optional, developed concurrently

    run = getattr(checks, "run_checks", None)
    if run is None:
        return []
    if township_code is not None:
        problems = run(session, progress=progress, township_code=township_code)
    else:
        problems = run(session, progress=progress)
    return [p for p in problems if getattr(p, "severity", None) == "错误"]


# ----------------------------------------------------------------------------- cells

class _Cells:
    """Makes styled write-only cells quickly (one style array copied per cell)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        text = WriteOnlyCell(ws, "x")
        text.number_format = "@"
        self.text_style = text._style

    def text(self, value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws)
        cell._value = value
        cell.data_type = "s"
        cell._style = StyleArray(self.text_style)
        return cell


@dataclass(frozen=True)
class _Styles:
    text: int
    money: int
    date: int


def _styles(ws: FastSheet) -> _Styles:
    return _Styles(ws.register_style("@"), ws.register_style("0.00"), ws.register_style("yyyy-mm-dd"))


def _converter(column: fmt.Column | fmt.RosterColumn, st: _Styles) -> Callable[[Any], Any]:
    """Canonical value -> the cell (``xlsxfast.Cell``) to write for this column, or None."""
    kind = column.kind
    if kind == fmt.DECIMAL:
        return lambda v: None if v is None else ("n", f"{v:.2f}", st.money)
    if kind == fmt.BOOL:
        return lambda v: None if v is None else ("s", fmt.BOOL_TRUE if v else fmt.BOOL_FALSE, 0)
    if kind == fmt.INT:
        return lambda v: None if v is None else ("n", v, 0)
    if kind == fmt.DATE:
        # Excel's 1900 date system has no dates before 1900-03-01 (GB 11643 birth dates start in 1880):
        # those are written as ISO text, which the import reads as a date.
        return lambda v: None if v is None else (("d", v, st.date) if v >= EXCEL_EARLIEST
                                                 else ("s", v.isoformat(), st.text))
    if column.text_format:
        return lambda v: None if v is None else ("s", v, st.text)

    def text(v: Any) -> Any:
        if v is None:
            return None
        return ("s", v, st.text if v.startswith(fmt.FORMULA_PREFIXES) else 0)

    return text


def _header(ws: Any, headers: list[str]) -> list[WriteOnlyCell]:
    row = []
    for h in headers:
        cell = WriteOnlyCell(ws, h)
        cell.data_type = "s"
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_BORDER, HEADER_ALIGN
        row.append(cell)
    return row


def _prepare_sheet(ws: Any, columns: list[Any]) -> None:
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = c.width


def _finish_sheet(ws: Any, columns: list[Any], rows: int, code_ranges: dict[str, str]) -> None:
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{max(rows + 1, 2)}"
    end = MAX_EXCEL_ROWS
    for i, c in enumerate(columns, 1):
        letter = get_column_letter(i)
        if c.kind == fmt.CODE and c.codelist in code_ranges:
            dv = DataValidation(type="list", formula1=code_ranges[c.codelist], allow_blank=True)
        elif c.kind == fmt.BOOL:
            dv = DataValidation(type="list", formula1=f'"{fmt.BOOL_TRUE},{fmt.BOOL_FALSE}"', allow_blank=True)
        else:
            continue
        dv.error = f"请从下拉列表中选择“{c.header}”的有效值"
        dv.errorTitle = "无效的值"
        dv.showErrorMessage = True
        dv.add(f"{letter}2:{letter}{end}")
        ws.data_validations.append(dv)


# ----------------------------------------------------------------------------- queries

def _household_scope(township_ids: list[int] | None) -> Any:
    if township_ids is None:
        return None
    return Village.township_id.in_(township_ids)


def _sheet_query(sheet: fmt.Sheet, township_ids: list[int] | None) -> Select:
    """A select giving, per row, the canonical-order values of the sheet's columns (refs as UUIDs)."""
    if sheet.key == "townships":
        q = (select(Township.uuid, County.code, County.name, County.province, County.prefecture,
                    Township.code, Township.name)
             .join(County, County.id == Township.county_id).order_by(Township.code))
        if township_ids is not None:
            q = q.where(Township.id.in_(township_ids))
        return q
    table = sheet.model.__table__
    exprs: list[Any] = []
    joins: list[tuple[Any, Any]] = []
    hh = vil = None
    for col in sheet.columns:
        if col.kind == fmt.INFO:
            if col.header == "村名称":
                vil = vil or aliased(Village, name="v_info")
                exprs.append(vil.name)
            else:  # 户编号
                hh = hh or aliased(Household, name="hh_info")
                exprs.append(hh.household_number)
            continue
        if col.kind == fmt.REF:
            target = fmt.sheet_by_key()[col.ref_sheet].model
            alias = aliased(target, name=f"ref_{col.attr}")
            joins.append((alias, alias.id == table.c[col.attr]))
            exprs.append(alias.uuid)
            continue
        exprs.append(table.c[col.attr])
    q = select(*exprs).select_from(table)
    for alias, cond in joins:
        q = q.outerjoin(alias, cond)
    if sheet.key == "villages":
        q = q.order_by(table.c.code)
        if township_ids is not None:
            q = q.where(table.c.township_id.in_(township_ids))
        return q
    if sheet.key == "groups":
        v = aliased(Village, name="v_scope")
        q = q.join(v, v.id == table.c.village_id).order_by(v.code, table.c.name, table.c.uuid)
        if township_ids is not None:
            q = q.where(v.township_id.in_(township_ids))
        return q
    if sheet.key == "helpers":
        if township_ids is not None:
            q = q.where(table.c.township_id.in_(township_ids))
        return q.order_by(table.c.id)
    if sheet.key == "households":
        vil = vil or aliased(Village, name="v_info")
        q = q.join(vil, vil.id == table.c.village_id)
        scope = None if township_ids is None else vil.township_id.in_(township_ids)
        q = q.order_by(vil.code, table.c.household_number, table.c.id)
        return q.where(scope) if scope is not None else q
    # children of a household
    hh = hh or aliased(Household, name="hh_info")
    v = aliased(Village, name="v_scope")
    q = q.join(hh, hh.id == table.c.household_id).join(v, v.id == hh.village_id)
    if township_ids is not None:
        q = q.where(v.township_id.in_(township_ids))
    order = [v.code, hh.household_number, hh.id]
    order += {
        "members": [table.c.seq if "seq" in table.c else table.c.id],
        "plans": [table.c.year] if "year" in table.c else [],
        "incomes": [table.c.year] if "year" in table.c else [],
        "exits": [table.c.year] if "year" in table.c else [],
        "measures": [table.c.year] if "year" in table.c else [],
        "visits": [table.c.visited_on] if "visited_on" in table.c else [],
        "assignments": [table.c.start_date] if "start_date" in table.c else [],
    }.get(sheet.key, [])
    return q.order_by(*order, table.c.id)


def _roster_query(township_ids: list[int] | None) -> Select:
    hh, m, v, t, c = Household, Member, Village, Township, County
    g = aliased(VillageGroup, name="g")
    head = aliased(Member, name="head")
    exprs: list[Any] = []
    for col in fmt.ROSTER_COLUMNS:
        src = col.source
        if src.startswith("hh."):
            exprs.append(getattr(hh, src[3:]))
        elif src.startswith("m."):
            exprs.append(getattr(m, src[2:]))
        else:
            exprs.append({
                "county_name": c.name, "township_name": t.name, "village_name": v.name, "group_name": g.name,
                "head_name": head.name, "head_id_number": head.id_number, "household_uuid": hh.uuid,
                "member_uuid": m.uuid,
            }[src])
    # The head: the first current member whose relation is 户主.
    hm = aliased(Member, name="hm")
    first_head = (select(hm.id).where(hm.household_id == hh.id, hm.relation == "户主", hm.status != "自然减少")
                  .order_by(hm.seq, hm.id).limit(1).correlate(hh).scalar_subquery())
    q = (select(*exprs).select_from(m).join(hh, hh.id == m.household_id).join(v, v.id == hh.village_id)
         .join(t, t.id == v.township_id).join(c, c.id == t.county_id)
         .outerjoin(g, g.id == hh.group_id)
         .outerjoin(head, and_(head.id == first_head)))
    if township_ids is not None:
        q = q.where(v.township_id.in_(township_ids))
    return q.order_by(v.code, hh.household_number, hh.id, m.seq, m.id)


def _stream(session: Session, q: Select) -> Iterator[Any]:
    result = session.execute(q.execution_options(yield_per=BATCH))
    yield from result


# ----------------------------------------------------------------------------- manifest

@dataclass
class Manifest:
    """What the 说明 sheet says. Keys in ``FIELDS`` order; row counts and township list follow."""

    format_name: str = fmt.FORMAT_NAME
    format_version: str = fmt.FORMAT_VERSION
    county_code: str = ""
    county_name: str = ""
    township_codes: list[str] = field(default_factory=list)
    township_names: list[str] = field(default_factory=list)
    exported_at: str = ""
    app_version: str = ""
    sequence: int | None = None
    digest: str = ""
    database_kind: str = "乡镇"
    row_counts: dict[str, int] = field(default_factory=dict)

    FIELDS = (
        ("格式名称", "format_name"), ("格式版本", "format_version"), ("县代码", "county_code"),
        ("县名称", "county_name"), ("乡镇代码", "township_codes"), ("乡镇名称", "township_names"),
        ("数据库类型", "database_kind"), ("导出时间", "exported_at"), ("程序版本", "app_version"),
        ("导出序号", "sequence"), ("数据摘要(SHA-256)", "digest"),
    )
    COUNTS_HEADER = "各工作表行数"
    LIST_SEPARATOR = "、"

    def rows(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for label, attr in self.FIELDS:
            value = getattr(self, attr)
            if isinstance(value, list):
                value = self.LIST_SEPARATOR.join(value)
            out.append((label, value))
        return out


def _write_manifest(wb: Workbook, manifest: Manifest) -> None:
    ws = wb.create_sheet(fmt.MANIFEST_SHEET, 0)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 70
    ws.append(_header(ws, ["项目", "值"]))
    cells = _Cells(ws)
    for label, value in manifest.rows():
        ws.append([label, cells.text(str(value)) if isinstance(value, str) else value])
    ws.append([])
    ws.append(_header(ws, [Manifest.COUNTS_HEADER, "行数"]))
    for title, count in manifest.row_counts.items():
        ws.append([title, count])
    ws.append([])
    ws.append(["注意", "本文件由明白卡导出。请勿修改“UUID”列；“花名册”供查阅分析，导入时不读取。"
                      "数据摘要用于核对文件是否被改动。"])


def _write_codes(wb: Workbook, lists: list[str]) -> dict[str, str]:
    """The hidden 代码表 sheet: one column per code list; returns list name -> range formula."""
    ws = wb.create_sheet(fmt.CODES_SHEET)
    ws.sheet_state = "hidden"
    columns = [codelists.get(name) for name in lists]
    ranges: dict[str, str] = {}
    for i, cl in enumerate(columns, 1):
        letter = get_column_letter(i)
        ranges[cl.name] = f"'{fmt.CODES_SHEET}'!${letter}$2:${letter}${len(cl.labels) + 1}"
        ws.column_dimensions[letter].width = 16
    ws.append([cl.title or cl.name for cl in columns])
    longest = max((len(cl.labels) for cl in columns), default=0)
    for r in range(longest):
        ws.append([cl.labels[r] if r < len(cl.labels) else None for cl in columns])
    return ranges


# ----------------------------------------------------------------------------- writing

@dataclass
class WrittenWorkbook:
    digest: str
    row_counts: dict[str, int]


def write_workbook(
    session: Session,
    target: Path,
    manifest: Manifest,
    township_ids: list[int] | None = None,
    progress: Progress | None = None,
) -> WrittenWorkbook:
    """Write the exchange workbook of ``township_ids`` (None: all) to ``target`` (not atomic:
    callers write to a temporary name). Fills ``manifest.digest`` and ``manifest.row_counts``."""
    progress = progress or NULL_PROGRESS
    wb = Workbook(write_only=True)
    try:
        return _write_workbook(wb, session, target, manifest, township_ids, progress)
    except BaseException:
        _discard(wb)
        raise


def _discard(wb: Workbook) -> None:
    """Close the half-written sheets of a failed export and remove their temporary files."""
    for ws in wb._sheets:
        rows, writer = getattr(ws, "_rows", None), getattr(ws, "_writer", None)
        if rows is not None:
            ws._rows = None
            with contextlib.suppress(Exception):
                rows.close()
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(Exception):
                writer.cleanup()


def _write_workbook(wb: Workbook, session: Session, target: Path, manifest: Manifest,
                    township_ids: list[int] | None, progress: Progress) -> WrittenWorkbook:
    used_lists = sorted({c.codelist for s in fmt.sheets() for c in s.columns if c.codelist})
    code_ranges = _write_codes(wb, used_lists)
    digests: list[digest_mod.SheetDigest] = []
    counts: dict[str, int] = {}
    total_steps = len(fmt.sheets()) + 1
    for step, sheet in enumerate(fmt.sheets()):
        progress.update(step, total_steps, f"正在导出“{sheet.title}”…")
        ws = FastSheet(parent=wb, title=sheet.title)
        wb._add_sheet(ws)
        columns = list(sheet.columns)
        _prepare_sheet(ws, columns)
        ws.append(_header(ws, sheet.headers))
        converters = [_converter(c, _styles(ws)) for c in columns]
        data_idx = [i for i, c in enumerate(columns) if c.kind != fmt.INFO]
        canon = [fmt.db_to_canonical] * len(columns)
        sd = digest_mod.SheetDigest(sheet)
        n = 0
        for row in _stream(session, _sheet_query(sheet, township_ids)):
            values = [canon[i](c, row[i]) for i, c in enumerate(columns)]
            sd.add([values[i] for i in data_idx])
            ws.append_cells([conv(v) for conv, v in zip(converters, values, strict=True)])
            n += 1
            if n % BATCH == 0:
                progress.update(step, total_steps, f"正在导出“{sheet.title}”：{n} 行")
        if n + 1 > MAX_EXCEL_ROWS:
            raise ExchangeError(f"工作表“{sheet.title}”有 {n} 行，超过 Excel 的行数上限，请按乡镇分别导出。")
        _finish_sheet(ws, columns, n, code_ranges)
        digests.append(sd)
        counts[sheet.title] = n
    progress.update(total_steps - 1, total_steps, f"正在导出“{fmt.ROSTER_SHEET}”…")
    ws = FastSheet(parent=wb, title=fmt.ROSTER_SHEET)
    wb._add_sheet(ws)
    columns = list(fmt.ROSTER_COLUMNS)
    _prepare_sheet(ws, columns)
    ws.append(_header(ws, [c.header for c in columns]))
    converters = [_converter(c, _styles(ws)) for c in columns]
    n = 0
    for row in _stream(session, _roster_query(township_ids)):
        ws.append_cells([conv(fmt.db_to_canonical(c, v)) for conv, c, v in zip(converters, columns, row,
                                                                                 strict=True)])
        n += 1
        if n % BATCH == 0:
            progress.update(total_steps - 1, total_steps, f"正在导出“{fmt.ROSTER_SHEET}”：{n} 行")
    _finish_sheet(ws, columns, n, code_ranges)
    counts[fmt.ROSTER_SHEET] = n
    manifest.digest = digest_mod.combine(digests)
    manifest.row_counts = counts
    _write_manifest(wb, manifest)
    # the manifest goes first, the hidden code sheet last
    wb._sheets.sort(key=lambda s: (s.title != fmt.MANIFEST_SHEET, s.title == fmt.CODES_SHEET))
    progress.update(total_steps, total_steps, "正在保存文件…")
    wb.save(target)
    return WrittenWorkbook(manifest.digest, counts)


def temp_path_for(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.{time.monotonic_ns()}.tmp.xlsx")


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Any:
    """Call ``write(tmp)`` then rename ``tmp`` onto ``path``; on any failure remove ``tmp``."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise ExchangeError(f"文件夹“{path.parent}”不存在。", code="no_folder", path=str(path))
    tmp = temp_path_for(path)
    try:
        result = write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return result


def database_kind(session: Session) -> str:
    kind = session.get(Setting, DATABASE_KIND_KEY)
    if kind is not None and kind.value == "county":
        return "county"
    return "township"


def export_database(
    database: Database,
    path: str | Path,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Export to ``path`` (.xlsx). Raises ExportBlocked when data-quality errors exist and no
    override reason is given; ExchangeError for other refusals. Nothing is left behind on failure."""
    options = options or ExportOptions()
    progress = progress or NULL_PROGRESS
    started = time.perf_counter()
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ExchangeError(f"导出文件名应以 .xlsx 结尾：“{path.name}”", code="suffix", path=str(path))
    if not path.parent.is_dir():
        raise ExchangeError(f"文件夹“{path.parent}”不存在。", code="no_folder", path=str(path))
    with database.session() as session:
        session.info["operator"] = options.operator
        q = select(Township.id, Township.code, Township.name, County.code, County.name).join(
            County, County.id == Township.county_id).order_by(Township.code)
        if options.township_codes:
            q = q.where(Township.code.in_(options.township_codes))
        towns = session.execute(q).all()
        if not towns:
            if options.township_codes:
                raise ExchangeError(f"数据库中没有乡镇“{'、'.join(options.township_codes)}”。", code="no_township")
            raise ExchangeError("数据库中还没有乡镇数据，无可导出。", code="empty")
        errors: list[Any] = []
        if options.run_checks:
            progress.update(0, 1, "正在检查数据质量…")
            only = options.township_codes[0] if options.township_codes and len(options.township_codes) == 1 else None
            errors = blocking_problems(session, progress, only) if only else blocking_problems(session, progress)
            if errors and not (options.override_reason or "").strip():
                raise ExportBlocked(
                    f"数据检查发现 {len(errors)} 个错误，不能导出。请先改正，或填写理由后强制导出（理由将被记录）。",
                    errors,
                )
        setting = session.get(Setting, SEQUENCE_KEY)
        sequence = (int(setting.value) if setting and setting.value else 0) + 1
        now = options.now or datetime.now().replace(microsecond=0)
        county_codes = sorted({t[3] for t in towns})
        manifest = Manifest(
            county_code="、".join(county_codes),
            county_name="、".join(sorted({t[4] for t in towns})),
            township_codes=[t[1] for t in towns],
            township_names=[t[2] for t in towns],
            exported_at=now.strftime("%Y-%m-%d %H:%M:%S"),
            app_version=__version__,
            sequence=sequence,
            database_kind="县" if database_kind(session) == "county" else "乡镇",
        )
        township_ids = None if not options.township_codes else [t[0] for t in towns]
        tmp = temp_path_for(path)
        try:
            written = write_workbook(session, tmp, manifest, township_ids, progress)
            progress.check()
            if setting is None:
                session.add(Setting(key=SEQUENCE_KEY, value=str(sequence)))
            else:
                setting.value = str(sequence)
            summary = {"rows": written.row_counts}
            if errors:
                summary["override_reason"] = options.override_reason
                summary["check_errors"] = len(errors)
                session.add(AuditLog(operator=options.operator, action="export", entity="exchange",
                                     entity_uuid=written.digest[:36], field_name="override_reason",
                                     new_value=options.override_reason,
                                     note=f"数据检查有 {len(errors)} 个错误，强制导出：{path.name}"))
            session.add(ExchangeLog(
                direction="export",
                township_code=manifest.township_codes[0] if len(manifest.township_codes) == 1 else None,
                sequence=sequence, digest=written.digest, file_name=str(path)[:300],
                format_version=fmt.FORMAT_VERSION, operator=options.operator,
                summary=json.dumps(summary, ensure_ascii=False),
            ))
            session.commit()
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    return ExportResult(
        path=path, sequence=sequence, digest=written.digest, row_counts=written.row_counts,
        townships=[(t[1], t[2]) for t in towns], check_errors=len(errors),
        override_reason=options.override_reason if errors else None,
        seconds=time.perf_counter() - started,
    )
