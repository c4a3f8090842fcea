"""Import an exchange workbook (``mingbaika-cli import``, the GUI's 导入交换表).

Two steps, both reusable by the county consolidation:

* :func:`plan_import` reads the workbook with python-calamine, checks the manifest, the sheets,
  headers and every cell, and compares each row with the database by UUID: new rows are *added*,
  rows whose data differ are *updated* (with field-level differences), identical rows are left
  alone. It writes nothing. Problems carry sheet, row, column, value and a Chinese message.
* :func:`apply_plan` writes a plan without errors in the caller's transaction: new rows with
  SQLAlchemy Core inserts (one summary ``audit_log`` row per import), changed rows through the ORM
  so ``db.audit`` logs every changed field. Members are never deleted; rows missing from the file are
  left alone.

:func:`import_workbook` does both in one transaction: all or nothing.
"""

from __future__ import annotations

import json
import re
import uuid as uuid_mod
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import python_calamine
from openpyxl.utils import get_column_letter
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.dialects import after_bulk_load, after_explicit_ids
from db.engine import Database
from db.models import AuditLog, County, ExchangeLog, Household, Member, Township
from desktop.core import codelists
from desktop.core.cardversion import bump_versions
from desktop.core.exchange import digest as digest_mod
from desktop.core.exchange import format as fmt
from desktop.core.exchange.errors import (
    ERROR,
    WARNING,
    EditedFileError,
    ExchangeError,
    ImportRejected,
    Problem,
    TownshipMismatchError,
)
from desktop.core.exchange.export import Manifest, _sheet_query, database_kind
from desktop.core.idnumber import IdNumberError, looks_excel_corrupted
from desktop.core.idnumber import parse as parse_id
from desktop.core.progress import NULL_PROGRESS, Progress
from desktop.core.searchkey import helper_search_key, household_search_key
from desktop.core.validation import FieldValueError, check_text

MAX_PROBLEMS = 2000  # listed in full; more are counted
DIFF_SAMPLE = 500  # field differences kept per sheet for display
ID_ATTRS = {"id_number", "disability_cert_no"}
DIGIT_TEXT_ATTRS = {"bank_account", "id_number", "disability_cert_no", "chronic_card_no", "phone",
                    "first_secretary_phone", "household_number", "local_number"}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_FORMULA = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*>(?:(?!</c>).){0,200}?<(?:\w+:)?f[\s>/]', re.S)
_FORMULA_ANY = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MANIFEST_KEYS = {label: attr for label, attr in Manifest.FIELDS}


# ----------------------------------------------------------------------------- results

@dataclass
class FieldDiff:
    sheet: str
    row: int
    uuid: str
    column: str
    old: Any
    new: Any
    record: str = ""  # who: the person's name, the 户编号, the village… (may be empty)

    def text(self) -> str:
        who = self.record or f"{self.uuid[:8]}…"
        return (f"工作表“{self.sheet}”第 {self.row} 行（{who}）“{self.column}”："
                f"{fmt.canonical_text(self.old) or '（空）'} → {fmt.canonical_text(self.new) or '（空）'}")


@dataclass
class SheetPlan:
    sheet: fmt.Sheet
    rows: int = 0
    added: list[tuple[int, tuple]] = field(default_factory=list)  # (row number, data values)
    updated: list[tuple[int, tuple, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    unchanged: int = 0
    errors: int = 0
    diffs: list[FieldDiff] = field(default_factory=list)
    changed_fields: int = 0
    # UUIDs of the file's rows found in the compared part of the database (updated + unchanged);
    # the county consolidation uses it to find the rows a newer export no longer has.
    matched: set[str] = field(default_factory=set)


@dataclass
class ImportPlan:
    path: Path
    manifest: Manifest
    sheets: dict[str, SheetPlan] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    suppressed: int = 0  # problems beyond MAX_PROBLEMS, counted only
    computed_digest: str = ""
    edited: bool = False  # digest or row counts differ from the manifest
    edited_reasons: list[str] = field(default_factory=list)
    township_codes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or self.suppressed > 0

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.suppressed

    def counts(self) -> dict[str, dict[str, int]]:
        """Per sheet title: 新增 / 修改 / 不变 / 错误."""
        return {
            sp.sheet.title: {"新增": len(sp.added), "修改": len(sp.updated), "不变": sp.unchanged, "错误": sp.errors}
            for sp in self.sheets.values()
        }

    def totals(self) -> dict[str, int]:
        total = {"新增": 0, "修改": 0, "不变": 0, "错误": 0}
        for c in self.counts().values():
            for k, v in c.items():
                total[k] += v
        total["错误"] = max(total["错误"], self.error_count)
        return total

    @property
    def diffs(self) -> list[FieldDiff]:
        return [d for sp in self.sheets.values() for d in sp.diffs]

    def summary_text(self) -> str:
        t = self.totals()
        return f"新增 {t['新增']} 行，修改 {t['修改']} 行，不变 {t['不变']} 行，错误 {t['错误']} 个"


class _Problems:
    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan

    def add(self, sheet: str, row: int | None, column: str | None, value: Any, message: str, *,
            level: str = ERROR, code: str = "", col_index: int | None = None) -> None:
        if len(self.plan.problems) >= MAX_PROBLEMS:
            self.plan.suppressed += 1
            return
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            value = int(value)
        self.plan.problems.append(Problem(
            sheet, row, column, value, message, level, code,
            get_column_letter(col_index + 1) if col_index is not None else None,
        ))


# ----------------------------------------------------------------------------- cell parsing

class CellError(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_text(raw: Any, column: fmt.Column) -> str | None:
    attr = column.attr or ""
    if isinstance(raw, bool):
        raise CellError("应为文本，而不是逻辑值", "type")
    if isinstance(raw, float | int):
        if attr in ID_ATTRS or attr == "bank_account":
            damage = looks_excel_corrupted(raw)
            if damage or (isinstance(raw, float) and abs(raw) >= 1e15):
                raise CellError(damage or "该号码已被 Excel 转成数字，末几位已丢失，请将该列设置为文本后重新录入",
                                "excel_number")
        if isinstance(raw, float):
            raw = str(int(raw)) if raw.is_integer() else repr(raw)
        else:
            raw = str(raw)
    elif isinstance(raw, datetime | date | time):
        if attr in DIGIT_TEXT_ATTRS:
            raise CellError("应为文本号码，单元格却是日期", "type")
        raw = raw.isoformat()
    elif not isinstance(raw, str):
        raw = str(raw)
    text = fmt.clean_text(raw)
    if not text:
        return None
    if attr in ID_ATTRS:
        damage = looks_excel_corrupted(text)
        if damage:
            raise CellError(damage, "excel_corrupted")
    if column.max_length and len(text) > column.max_length:
        raise CellError(f"过长：{len(text)} 个字符，最多 {column.max_length} 个", "too_long")
    try:
        check_text(text, max_length=column.max_length, multiline=column.max_length is None)
    except FieldValueError as exc:
        raise CellError(exc.reason.removeprefix("的"), "bad_char") from None
    return text


#: INTEGER columns are 32-bit on PostgreSQL (SQLite would take any size): refuse what does not fit.
INT_LIMIT = 2**31


def _in_int_range(value: int) -> int:
    if not -INT_LIMIT <= value < INT_LIMIT:
        raise CellError("数值过大", "range")
    return value


def parse_int(raw: Any, column: fmt.Column) -> int | None:
    if isinstance(raw, bool):
        raise CellError("应为整数", "type")
    if isinstance(raw, int):
        return _in_int_range(raw)
    if isinstance(raw, float):
        if raw.is_integer():
            return _in_int_range(int(raw))
        raise CellError("应为整数，不能有小数", "type")
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if re.fullmatch(r"[+-]?\d+(?:\.0+)?", text):
            return _in_int_range(int(Decimal(text)))
    raise CellError("应为整数", "type")


def parse_decimal(raw: Any, column: fmt.Column) -> Decimal | None:
    if isinstance(raw, bool):
        raise CellError("应为数字", "type")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and raw != raw:  # NaN
            raise CellError("应为数字", "type")
        value = fmt.to_decimal(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "").removesuffix("元").strip()
        try:
            value = fmt.to_decimal(text)
        except (InvalidOperation, ValueError):
            raise CellError("应为数字", "type") from None
        if not value.is_finite():
            raise CellError("应为数字", "type")
    else:
        raise CellError("应为数字", "type")
    if abs(value) >= Decimal("1e12"):
        raise CellError("数值过大", "range")
    return value


def parse_date(raw: Any, column: fmt.Column) -> date | None:
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        value = None
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    raise CellError("不是有效日期", "date") from None
                break
        if value is None:
            raise CellError("应为日期（如 2017-03-01）", "type")
    else:
        raise CellError("应为日期（如 2017-03-01），单元格却是数字", "type")
    if value.year < 1880:
        raise CellError("日期早于1880年", "date")
    if column.attr == "birth_date" and value > date.today():
        raise CellError("出生日期晚于今天", "future_birth")
    if value.year > 2100:
        raise CellError("日期晚于2100年", "date")
    return value


_TRUE = {"是", "true", "TRUE", "True", "1", "√", "Y", "y"}
_FALSE = {"否", "false", "FALSE", "False", "0", "×", "N", "n"}


def parse_bool(raw: Any, column: fmt.Column) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise CellError("应为“是”或“否”", "type")


def parse_code(raw: Any, column: fmt.Column) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = str(int(raw))
    elif not isinstance(raw, str):
        raw = str(raw)
    try:
        return codelists.normalise(column.codelist, raw)
    except codelists.CodeListError as exc:
        raise CellError(str(exc), "unknown_label") from None


def parse_uuid(raw: Any, column: fmt.Column) -> str | None:
    if not isinstance(raw, str):
        raise CellError("应为 UUID 文本（36位）", "uuid")
    text = raw.strip().lower()
    if not fmt.is_uuid(text):
        raise CellError("不是有效的 UUID（应为36位，如 1b4e28ba-2fa1-11d2-883f-0016d3cca427）", "uuid")
    return text


PARSERS: dict[str, Callable[[Any, fmt.Column], Any]] = {
    fmt.TEXT: parse_text, fmt.INT: parse_int, fmt.DECIMAL: parse_decimal, fmt.DATE: parse_date,
    fmt.BOOL: parse_bool, fmt.CODE: parse_code, fmt.UUID: parse_uuid, fmt.REF: parse_uuid,
}


# ----------------------------------------------------------------------------- workbook reading

def open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    path = Path(path)
    if not path.exists():
        raise ExchangeError(f"文件“{path}”不存在。", code="missing", path=str(path))
    if path.is_dir():
        raise ExchangeError(f"“{path}”是文件夹，不是工作簿文件。", code="not_workbook", path=str(path))
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise ExchangeError(f"工作簿“{path.name}”设有打开密码，请在 Excel 中取消密码后再导入。",
                            code="password", path=str(path)) from None
    except Exception as exc:  # noqa: BLE001 - calamine raises several kinds for garbage
        raise ExchangeError(
            f"文件“{path.name}”不是有效的 Excel 工作簿（.xlsx），无法读取：{exc}", code="not_workbook", path=str(path),
        ) from None


def formula_cells(path: Path, sheet_titles: Iterable[str]) -> dict[str, list[str]]:
    """Cells holding formulas, per sheet title (calamine only gives their cached values)."""
    wanted = set(sheet_titles)
    found: dict[str, list[str]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            wb_xml = zf.read("xl/workbook.xml").decode("utf-8")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
            targets = dict(re.findall(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
            targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"',
                                                          rels)})
            for name, rid in re.findall(r'<(?:\w+:)?sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', wb_xml):
                name = _xml_unescape(name)
                if name not in wanted or rid not in targets:
                    continue
                target = targets[rid].lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                data = zf.read(member)
                if not _FORMULA_ANY.search(data):
                    continue
                cells = [m.group(1).decode() for m in _FORMULA.finditer(data)]
                found[name] = cells or ["?"]
    except (zipfile.BadZipFile, KeyError, OSError, UnicodeDecodeError):
        return found
    return found


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def read_manifest(wb: python_calamine.CalamineWorkbook, path: Path) -> Manifest:
    if fmt.MANIFEST_SHEET not in wb.sheet_names:
        raise ExchangeError(
            f"“{path.name}”不是明白卡交换表：缺少“{fmt.MANIFEST_SHEET}”工作表。"
            "如果这是其他来源的花名册，请使用“导入花名册（列映射）”。",
            code="no_manifest", path=str(path),
        )
    rows = wb.get_sheet_by_name(fmt.MANIFEST_SHEET).to_python(skip_empty_area=False)
    manifest = Manifest(format_name="", format_version="", app_version="")
    in_counts = False
    for row in rows[1:]:
        if not row or _is_empty(row[0]):
            continue
        key = str(row[0]).strip()
        value = row[1] if len(row) > 1 else None
        if key == Manifest.COUNTS_HEADER:
            in_counts = True
            continue
        if in_counts:
            if key == "注意":
                in_counts = False
                continue
            try:
                manifest.row_counts[key] = int(value)
            except (TypeError, ValueError):
                manifest.row_counts[key] = -1
            continue
        attr = _MANIFEST_KEYS.get(key)
        if attr is None:
            continue
        if attr in ("township_codes", "township_names"):
            text = "" if _is_empty(value) else str(value).strip()
            setattr(manifest, attr, [t for t in text.split(Manifest.LIST_SEPARATOR) if t])
        elif attr == "sequence":
            try:
                manifest.sequence = int(value)
            except (TypeError, ValueError):
                manifest.sequence = None
        else:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            setattr(manifest, attr, "" if _is_empty(value) else str(value).strip())
    if manifest.format_name != fmt.FORMAT_NAME:
        raise ExchangeError(
            f"“{path.name}”的“{fmt.MANIFEST_SHEET}”工作表不是明白卡交换表的说明（格式名称为“{manifest.format_name}”）。",
            code="not_exchange", path=str(path),
        )
    if manifest.format_version not in fmt.READABLE_VERSIONS:
        newer = _version_tuple(manifest.format_version) > _version_tuple(fmt.FORMAT_VERSION)
        hint = "该文件由更新版本的明白卡导出，请升级本程序后再导入。" if newer else "本程序无法读取该版本。"
        raise ExchangeError(
            f"“{path.name}”的格式版本“{manifest.format_version}”未知（本程序支持 {'、'.join(fmt.READABLE_VERSIONS)}）。"
            f"{hint}",
            code="version", path=str(path),
        )
    return manifest


def _version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def check_township(session: Session, manifest: Manifest, path: Path) -> None:
    """A township database takes only its own township's workbooks; a county or empty one takes any."""
    db_codes = set(session.scalars(select(Township.code)))
    if not db_codes or database_kind(session) == "county" or len(db_codes) > 1:
        return
    foreign = [c for c in manifest.township_codes if c not in db_codes]
    if foreign:
        mine = "、".join(sorted(db_codes))
        names = "、".join(manifest.township_names) or "、".join(foreign)
        raise TownshipMismatchError(
            f"“{path.name}”是乡镇“{names}”（{'、'.join(foreign)}）的数据，而本数据库是乡镇 {mine} 的数据，已拒绝导入。"
            "汇总多个乡镇请使用县级数据库。",
            code="township", path=str(path),
        )


# ----------------------------------------------------------------------------- planning

@dataclass
class _SheetRead:
    sheet: fmt.Sheet
    header_row: list[str]
    col_index: dict[str, int]  # header -> position in the file
    ok: bool


def _read_header(problems: _Problems, sheet: fmt.Sheet, header: list[Any]) -> _SheetRead:
    title = sheet.title
    names = ["" if _is_empty(h) else str(h).strip() for h in header]
    while names and names[-1] == "":
        names.pop()
    index: dict[str, int] = {}
    ok = True
    known = {c.header for c in sheet.columns}
    for i, name in enumerate(names):
        if name == "":
            problems.add(title, 1, None, None, f"第 {get_column_letter(i + 1)} 列的表头为空", code="empty_header",
                         col_index=i)
            ok = False
        elif name in index:
            problems.add(title, 1, name, name, "表头重复", code="duplicate_header", col_index=i)
            ok = False
        elif name not in known:
            problems.add(title, 1, name, name, f"未知的列“{name}”（表头被改名或多出的列？应为：{'、'.join(sheet.headers)}）",
                         code="unknown_header", col_index=i)
            ok = False
        else:
            index[name] = i
    for c in sheet.columns:
        if c.kind != fmt.INFO and c.header not in index:
            problems.add(title, 1, c.header, None, f"缺少“{c.header}”列", code="missing_header")
            ok = False
    return _SheetRead(sheet, names, index, ok)


def _db_uuid_map(session: Session, model: type, uuids: Iterable[str]) -> dict[str, int]:
    """uuid -> id for the given uuids that exist in the database (chunked IN queries)."""
    result: dict[str, int] = {}
    pending = list(uuids)
    for start in range(0, len(pending), 500):
        chunk = pending[start:start + 500]
        result.update({u: i for u, i in session.execute(select(model.uuid, model.id).where(model.uuid.in_(chunk)))})
    return result


def plan_import(session: Session, path: str | Path, progress: Progress | None = None, *,
                compare_township_ids: list[int] | None = None) -> ImportPlan:
    """Read and check ``path`` and compare it with the database; writes nothing.

    Raises ExchangeError (or TownshipMismatchError) when the file cannot be used at all; row and
    cell problems are collected in ``plan.problems``. ``compare_township_ids`` (county
    consolidation) compares the rows only with those townships' rows in the database (None: all)."""
    progress = progress or NULL_PROGRESS
    path = Path(path)
    progress.update(0, 1, "正在读取工作簿…")
    wb = open_workbook(path)
    try:
        manifest = read_manifest(wb, path)
        plan = ImportPlan(path=path, manifest=manifest, township_codes=list(manifest.township_codes))
        problems = _Problems(plan)
        check_township(session, manifest, path)
        missing = [s.title for s in fmt.sheets() if s.title not in wb.sheet_names]
        if missing:
            for title in missing:
                problems.add(title, None, None, None, f"缺少工作表“{title}”", code="missing_sheet")
            raise ImportRejected(
                f"“{path.name}”缺少工作表：{'、'.join(missing)}，未导入任何数据。", plan.problems, path=str(path))
        formulas = formula_cells(path, [s.title for s in fmt.sheets()])
        digests: list[digest_mod.SheetDigest] = []
        known_uuids: dict[str, set[str]] = {}  # sheet key -> uuids in the file
        parent_of: dict[str, dict[str, Any]] = {}  # sheet key -> uuid -> selected values for cross-checks
        total = len(fmt.sheets())
        for step, sheet in enumerate(fmt.sheets()):
            progress.update(step, total, f"正在检查“{sheet.title}”…")
            sp = SheetPlan(sheet)
            plan.sheets[sheet.key] = sp
            ws = wb.get_sheet_by_name(sheet.title)
            for cell in formulas.get(sheet.title, []):
                problems.add(sheet.title, _row_of(cell), _header_of(ws, cell), cell,
                             "单元格含公式；交换表只接受数值，请复制后“选择性粘贴→数值”再导入", code="formula")
                sp.errors += 1
            merged = ws.merged_cell_ranges or []
            for (r1, c1), (r2, c2) in merged:
                ref = f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(c2 + 1)}{r2 + 1}"
                problems.add(sheet.title, r1 + 1, None, ref, f"含合并单元格 {ref}，请取消合并后再导入", code="merged")
                sp.errors += 1
            sd = digest_mod.SheetDigest(sheet)
            digests.append(sd)
            _plan_sheet(session, sheet, ws, sp, sd, problems, known_uuids, parent_of, progress, step, total,
                        compare_township_ids)
            del ws
        if plan.has_errors:
            return plan
        plan.computed_digest = digest_mod.combine(digests)
        if manifest.digest and plan.computed_digest != manifest.digest:
            plan.edited = True
            plan.edited_reasons.append("数据摘要与“说明”中记录的不一致")
        elif not manifest.digest:
            plan.edited = True
            plan.edited_reasons.append("“说明”中没有数据摘要")
        for sheet in fmt.sheets():
            expected = manifest.row_counts.get(sheet.title)
            actual = plan.sheets[sheet.key].rows
            if expected is not None and expected != actual:
                plan.edited = True
                plan.edited_reasons.append(f"“{sheet.title}”应有 {expected} 行，实有 {actual} 行")
        progress.update(total, total, plan.summary_text())
        return plan
    finally:
        wb.close()


def _row_of(cell: str) -> int | None:
    m = re.search(r"\d+$", cell)
    return int(m.group()) if m else None


def _header_of(ws: Any, cell: str) -> str | None:
    m = re.match(r"([A-Z]+)", cell)
    if not m:
        return None
    from openpyxl.utils import column_index_from_string

    idx = column_index_from_string(m.group(1)) - 1
    try:
        header = ws.to_python(nrows=1)
    except Exception:  # noqa: BLE001
        return None
    return str(header[0][idx]) if header and idx < len(header[0]) else None


def _plan_sheet(session: Session, sheet: fmt.Sheet, ws: Any, sp: SheetPlan, sd: digest_mod.SheetDigest,
                problems: _Problems, known_uuids: dict[str, set[str]], parent_of: dict[str, dict[str, Any]],
                progress: Progress, step: int, total: int, compare_township_ids: list[int] | None = None) -> None:
    title = sheet.title
    rows = ws.iter_rows()
    try:
        header = next(rows)
    except StopIteration:
        problems.add(title, 1, None, None, "工作表是空的（没有表头）", code="empty_sheet")
        sp.errors += 1
        return
    head = _read_header(problems, sheet, header)
    if not head.ok:
        sp.errors += 1
        known_uuids[sheet.key] = set()
        return
    data_cols = sheet.data_columns
    positions = [head.col_index[c.header] for c in data_cols]
    parsers = [PARSERS[c.kind] for c in data_cols]
    width = max(positions) + 1
    attrs = [c.attr for c in data_cols]
    col_pos = {c.attr: i for i, c in enumerate(data_cols)}
    uuid_i = col_pos["uuid"]
    seen: dict[str, int] = {}
    parsed: dict[str, tuple[int, tuple, bytes]] = {}  # uuid -> (row number, values, hash)
    ref_cols = [(col_pos[c.attr], c) for c in sheet.refs]
    unique_cols = [col_pos[a] for a in sheet.unique_together]
    unique_seen: dict[tuple, int] = {}
    extra: dict[str, Any] = {}
    known: set[str] = set()
    # Hashes of the database's rows first, so that unchanged rows need not be kept in memory.
    db_hashes = _db_row_hashes(session, sheet, compare_township_ids)
    row_no = 1
    for raw in rows:
        row_no += 1
        if len(raw) < width:
            raw = list(raw) + [""] * (width - len(raw))
        if not any(raw) and all(_is_empty(v) for v in raw):
            continue
        sp.rows += 1
        values: list[Any] = [None] * len(data_cols)
        bad = False
        for i, (pos, parser, column) in enumerate(zip(positions, parsers, data_cols, strict=True)):
            cell = raw[pos]
            if cell is None or cell == "" or (isinstance(cell, str) and not cell.strip()):
                if column.required:
                    problems.add(title, row_no, column.header, None, "不能为空", code="required", col_index=pos)
                    bad = True
                continue
            try:
                values[i] = parser(cell, column)
            except CellError as exc:
                problems.add(title, row_no, column.header, cell, str(exc), code=exc.code, col_index=pos)
                bad = True
        uid = values[uuid_i]
        if uid is not None:
            if uid in seen:
                problems.add(title, row_no, "UUID", uid, f"UUID 重复（与第 {seen[uid]} 行相同）", code="duplicate_uuid",
                             col_index=positions[uuid_i])
                bad = True
            else:
                seen[uid] = row_no
        if not bad:
            bad = _row_checks(sheet, values, col_pos, row_no, problems, positions, unique_cols, unique_seen)
        if bad:
            sp.errors += 1
            continue
        h = sd.add(values)
        known.add(uid)
        if sheet.key in ("groups", "households"):
            extra[uid] = values[col_pos["village_id"]]
        if sp.rows % 5000 == 0:
            progress.update(step, total, f"正在检查“{title}”：{sp.rows} 行")
        if db_hashes.get(uid) == h:
            sp.unchanged += 1  # identical to the database: nothing to check against it, nothing to keep
            sp.matched.add(uid)
            continue
        parsed[uid] = (row_no, tuple(values), h)
    known_uuids[sheet.key] = known
    parent_of[sheet.key] = extra
    # references: to rows in the file or already in the database
    for pos_i, column in ref_cols:
        target_key = column.ref_sheet
        in_file = known_uuids.get(target_key, set())
        wanted = {v[1][pos_i] for v in parsed.values() if v[1][pos_i] is not None} - in_file
        target_model = fmt.sheet_by_key()[target_key].model
        in_db = set(_db_uuid_map(session, target_model, wanted)) if wanted else set()
        missing = wanted - in_db
        if missing:
            target_title = fmt.sheet_by_key()[target_key].title
            for uid, (row_no, values, _h) in sorted(parsed.items(), key=lambda kv: kv[1][0]):
                if values[pos_i] in missing:
                    problems.add(title, row_no, column.header, values[pos_i],
                                 f"引用的记录在“{target_title}”工作表和数据库中都不存在", code="unknown_ref",
                                 col_index=positions[pos_i])
                    sp.errors += 1
                    parsed.pop(uid)
    if sheet.key == "households":
        _check_groups(session, parsed, col_pos, parent_of, problems, positions, sp)
    _check_unique_in_db(session, sheet, parsed, col_pos, problems, positions, sp)
    _compare_with_db(session, sheet, parsed, sp, attrs, compare_township_ids, set(db_hashes))


def _db_row_hashes(session: Session, sheet: fmt.Sheet, township_ids: list[int] | None) -> dict[str, bytes]:
    """uuid -> row hash (digest form) of the sheet's rows in the database (those townships only)."""
    columns = list(sheet.columns)
    data_idx = [i for i, c in enumerate(columns) if c.kind != fmt.INFO]
    uuid_pos = next(i for i, c in enumerate(columns) if c.kind == fmt.UUID)
    canon = fmt.db_to_canonical
    result: dict[str, bytes] = {}
    for row in session.execute(_sheet_query(sheet, township_ids).execution_options(yield_per=2000)):
        result[row[uuid_pos]] = digest_mod.row_hash([canon(columns[i], row[i]) for i in data_idx])
    return result


def _row_checks(sheet: fmt.Sheet, values: list[Any], col_pos: dict[str, int], row_no: int, problems: _Problems,
                positions: list[int], unique_cols: list[int], unique_seen: dict[tuple, int]) -> bool:
    bad = False
    title = sheet.title
    if sheet.key == "members":
        i = col_pos["id_number"]
        number = values[i]
        id_type = values[col_pos["id_type"]]
        if number and id_type in (None, "居民身份证"):
            try:
                parse_id(number)
            except IdNumberError as exc:
                problems.add(title, row_no, "证件号码", number, f"身份证号码有误：{exc.reason}（已导入，请核对）",
                             level=WARNING, code=f"id_{exc.code}", col_index=positions[i])
    if sheet.key == "townships":
        code = values[col_pos["code"]]
        county = values[col_pos["county_code"]]
        if code and (not code.isdigit() or len(code) != 12):
            problems.add(title, row_no, "乡镇代码", code, "乡镇代码应为12位数字", code="code", col_index=positions[col_pos["code"]])
            bad = True
        elif code and county and not code.startswith(county):
            problems.add(title, row_no, "乡镇代码", code, f"乡镇代码不属于县代码 {county}", code="code",
                         col_index=positions[col_pos["code"]])
            bad = True
    if unique_cols:
        key = tuple(values[i] for i in unique_cols)
        if None not in key:
            if key in unique_seen:
                names = "、".join(sheet.column(a).header for a in sheet.unique_together)
                problems.add(title, row_no, sheet.column(sheet.unique_together[-1]).header, key[-1],
                             f"同一户同一{names.split('、')[-1]}已有记录（第 {unique_seen[key]} 行）", code="duplicate_key",
                             col_index=positions[unique_cols[-1]])
                bad = True
            else:
                unique_seen[key] = row_no
    return bad


def _check_groups(session: Session, parsed: dict, col_pos: dict[str, int], parent_of: dict, problems: _Problems,
                  positions: list[int], sp: SheetPlan) -> None:
    """A household's 村民小组 must belong to its 行政村."""
    from db.models import Village, VillageGroup

    gi, vi = col_pos["group_id"], col_pos["village_id"]
    file_groups = parent_of.get("groups", {})
    wanted = {v[1][gi] for v in parsed.values() if v[1][gi] and v[1][gi] not in file_groups}
    db_groups: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = list(wanted)[start:start + 500]
        q = (select(VillageGroup.uuid, Village.uuid).join(Village, Village.id == VillageGroup.village_id)
             .where(VillageGroup.uuid.in_(chunk)))
        db_groups.update({g: v for g, v in session.execute(q)})
    for uid, (row_no, values, _h) in list(parsed.items()):
        g = values[gi]
        if g is None:
            continue
        village = file_groups.get(g) or db_groups.get(g)
        if village is not None and village != values[vi]:
            problems.add(sp.sheet.title, row_no, "村民小组UUID", g, "该村民小组不属于本户所在的行政村",
                         code="group_village", col_index=positions[gi])
            sp.errors += 1
            parsed.pop(uid)


def _check_unique_in_db(session: Session, sheet: fmt.Sheet, parsed: dict, col_pos: dict[str, int],
                        problems: _Problems, positions: list[int], sp: SheetPlan) -> None:
    """Keys unique in the database (codes; household + year) held by a record with another UUID."""
    model = sheet.model
    checks: list[tuple[list[str], Any]] = []
    if sheet.key in ("villages", "townships"):
        checks.append((["code"], None))
    if sheet.unique_together:
        checks.append((list(sheet.unique_together), None))
    for attrs, _ in checks:
        idx = [col_pos[a] for a in attrs]
        if attrs == ["household_id", "year"]:
            hh_uuids = {v[1][idx[0]] for v in parsed.values()}
            existing: dict[tuple, str] = {}
            for start in range(0, len(hh_uuids), 500):
                chunk = list(hh_uuids)[start:start + 500]
                q = (select(Household.uuid, model.year, model.uuid).join(Household, Household.id == model.household_id)
                     .where(Household.uuid.in_(chunk)))
                existing.update({(a, b): c for a, b, c in session.execute(q)})
        else:
            codes = [v[1][idx[0]] for v in parsed.values()]
            existing = {}
            for start in range(0, len(codes), 500):
                chunk = codes[start:start + 500]
                existing.update({(c,): u for c, u in session.execute(select(model.code, model.uuid)
                                                                      .where(model.code.in_(chunk)))})
        for uid, (row_no, values, _h) in list(parsed.items()):
            key = tuple(values[i] for i in idx)
            other = existing.get(key)
            if other is not None and other != uid:
                header = sheet.column(attrs[-1]).header
                problems.add(sheet.title, row_no, header, key[-1],
                             f"数据库中已有相同“{'、'.join(sheet.column(a).header for a in attrs)}”的另一条记录"
                             f"（UUID {other}）", code="duplicate_key", col_index=positions[idx[-1]])
                sp.errors += 1
                parsed.pop(uid)


def _record_label(attrs: list[str], values: tuple, db_row: Any, columns: list[fmt.Column]) -> str:
    """A human name for the record of a difference: 户编号 and name where the sheet has them."""
    parts = []
    for i, c in enumerate(columns):
        if c.kind == fmt.INFO and c.header == "户编号" and db_row[i]:
            parts.append(str(db_row[i]))
    for attr in ("household_number", "name", "year"):
        if attr in attrs and values[attrs.index(attr)] is not None:
            parts.append(str(values[attrs.index(attr)]))
    return " ".join(parts)


def _compare_with_db(session: Session, sheet: fmt.Sheet, parsed: dict[str, tuple[int, tuple, bytes]],
                     sp: SheetPlan, attrs: list[str], township_ids: list[int] | None = None,
                     in_db: set[str] | None = None) -> None:
    """Rows kept by ``_plan_sheet`` (not identical to the database): updated when their UUID is in
    the compared part of the database (``in_db``), else added. Unchanged rows were counted already."""
    if not parsed:
        return
    columns = list(sheet.columns)
    data_idx = [i for i, c in enumerate(columns) if c.kind != fmt.INFO]
    uuid_pos = next(i for i, c in enumerate(columns) if c.kind == fmt.UUID)
    if in_db is None:
        in_db = set(_db_row_hashes(session, sheet, township_ids))
    changed = [uid for uid in parsed if uid in in_db]
    table = sheet.model.__table__
    for start in range(0, len(changed), 500):
        chunk = changed[start:start + 500]
        q = _sheet_query(sheet, township_ids).where(table.c.uuid.in_(chunk))
        for row in session.execute(q):
            uid = row[uuid_pos]
            row_no, new, _h = parsed[uid]
            old = [fmt.db_to_canonical(columns[i], row[i]) for i in data_idx]
            changes = {attrs[i]: (old[i], new[i]) for i in range(len(attrs))
                       if fmt.canonical_text(old[i]) != fmt.canonical_text(new[i])}
            sp.updated.append((row_no, new, changes))
            sp.matched.add(uid)
            sp.changed_fields += len(changes)
            for attr, (o, n) in changes.items():
                if len(sp.diffs) < DIFF_SAMPLE:
                    sp.diffs.append(FieldDiff(sheet.title, row_no, uid, sheet.column(attr).header, o, n,
                                              _record_label(attrs, old, row, columns)))
    for uid, (row_no, values, _h) in parsed.items():
        if uid not in in_db:
            sp.added.append((row_no, values))
    sp.added.sort(key=lambda t: t[0])
    sp.updated.sort(key=lambda t: t[0])
    sp.diffs.sort(key=lambda d: d.row)


# ----------------------------------------------------------------------------- applying

@dataclass
class ApplyResult:
    added: int = 0
    updated: int = 0
    changed_fields: int = 0


def apply_plan(session: Session, plan: ImportPlan, *, operator: str | None = None, accept_edited: bool = False,
               progress: Progress | None = None, log_direction: str = "import",
               log_extra: dict[str, Any] | None = None) -> ApplyResult:
    """Write ``plan`` in the session's transaction (the caller commits). ``log_direction`` and
    ``log_extra`` (county consolidation) set the ``exchange_log`` row's direction and add to its summary."""
    progress = progress or NULL_PROGRESS
    if plan.has_errors:
        raise ImportRejected(f"“{plan.path.name}”有 {plan.error_count} 个错误，未导入任何数据。", plan.problems,
                             path=str(plan.path))
    if plan.edited and not accept_edited:
        raise EditedFileError(
            f"“{plan.path.name}”在导出后被修改过或已损坏（{'；'.join(plan.edited_reasons)}）。确认内容无误后可仍然导入。",
            code="edited", path=str(plan.path))
    session.info["operator"] = operator
    result = ApplyResult()
    now = utcnow()
    next_ids: dict[type, int] = {}
    id_maps: dict[str, dict[str, int]] = {}
    touched_households: set[int] = set()
    new_households: set[int] = set()
    grown_households: set[int] = set()  # existing households that gain rows (their version moves on)
    sheets = list(fmt.sheets())
    for step, sheet in enumerate(sheets):
        sp = plan.sheets.get(sheet.key)
        if sp is None or (not sp.added and not sp.updated):
            continue
        progress.update(step, len(sheets), f"正在写入“{sheet.title}”…")
        model = sheet.model
        data_cols = sheet.data_columns
        # uuid -> id of every referenced record
        for column in sheet.refs:
            pos = data_cols.index(column)
            wanted = {v[pos] for _r, v in sp.added if v[pos]} | {v[pos] for _r, v, _c in sp.updated if v[pos]}
            target = fmt.sheet_by_key()[column.ref_sheet]
            cache = id_maps.setdefault(target.key, {})
            missing = wanted - set(cache)
            if missing:
                cache.update(_db_uuid_map(session, target.model, missing))
        if sheet.key == "townships":
            _apply_townships(session, sp, id_maps, now)
            result.added += len(sp.added)
            result.updated += len(sp.updated)
            continue
        if sp.added:
            if model not in next_ids:
                next_ids[model] = (session.scalar(select(func.max(model.id))) or 0) + 1
            rows = []
            cache = id_maps.setdefault(sheet.key, {})
            for _row_no, values in sp.added:
                record = _record(sheet, data_cols, values, id_maps)
                record["id"] = next_ids[model]
                next_ids[model] += 1
                record["created_at"] = record["updated_at"] = now
                if sheet.key == "households":
                    record["version"] = 1
                    touched_households.add(record["id"])
                    new_households.add(record["id"])
                elif record.get("household_id") is not None:
                    grown_households.add(record["household_id"])
                elif sheet.key == "helpers":
                    record["search_key"] = helper_search_key(record.get("name"), record.get("unit"),
                                                             record.get("phone"))
                if sheet.key == "members":
                    touched_households.add(record["household_id"])
                cache[record["uuid"]] = record["id"]
                rows.append(record)
                if len(rows) >= 2000:
                    session.execute(insert(model.__table__), rows)
                    rows = []
                    progress.check()
            if rows:
                session.execute(insert(model.__table__), rows)
            after_explicit_ids(session, [model.__table__])
            result.added += len(sp.added)
        for _row_no, values, changes in sp.updated:
            obj = session.scalar(select(model).where(model.uuid == values[0]))
            record = _record(sheet, data_cols, values, id_maps)
            for attr in changes:
                setattr(obj, attr, record[attr])
            if sheet.key == "members":
                touched_households.add(obj.household_id)
            result.updated += 1
            result.changed_fields += len(changes)
            if result.updated % 500 == 0:
                session.flush()
                progress.check()
        session.flush()
    _refresh_search_keys(session, touched_households)
    # Rows added through Core inserts bypass the ORM version listener: bump by hand, so a clerk
    # editing one of these cards elsewhere is told instead of overwriting the imported rows.
    bump_versions(session, grown_households - new_households)
    after_bulk_load(session, [sheet.model.__table__ for sheet in sheets
                              if (sp := plan.sheets.get(sheet.key)) is not None and sp.added])
    counts = plan.counts()
    note = json.dumps({"file": plan.path.name, "counts": counts, "digest": plan.computed_digest},
                      ensure_ascii=False)
    if result.added:
        session.add(AuditLog(operator=operator, action="import", entity="exchange", entity_uuid=str(uuid_mod.uuid4()),
                             note=f"导入交换表“{plan.path.name}”新增 {result.added} 行（逐行新增不单独记录）：{note}"))
    summary = {"counts": counts, "edited": plan.edited, "accepted_edited": bool(plan.edited and accept_edited)}
    summary.update(log_extra or {})
    session.add(ExchangeLog(
        direction=log_direction,
        township_code=plan.township_codes[0] if len(plan.township_codes) == 1 else None,
        sequence=plan.manifest.sequence, digest=plan.manifest.digest or plan.computed_digest,
        file_name=str(plan.path)[:300], format_version=plan.manifest.format_version, operator=operator,
        summary=json.dumps(summary, ensure_ascii=False),
    ))
    session.flush()
    return result


def _record(sheet: fmt.Sheet, data_cols: list[fmt.Column], values: tuple, id_maps: dict[str, dict[str, int]]) -> dict:
    record: dict[str, Any] = {}
    for column, value in zip(data_cols, values, strict=True):
        if column.kind == fmt.REF:
            record[column.attr] = None if value is None else id_maps[column.ref_sheet][value]
        else:
            record[column.attr] = value
    return record


def _apply_townships(session: Session, sp: SheetPlan, id_maps: dict[str, dict[str, int]], now: datetime) -> None:
    data_cols = sp.sheet.data_columns
    cache = id_maps.setdefault("townships", {})
    for _row_no, values in sp.added:
        r = dict(zip([c.attr for c in data_cols], values, strict=True))
        county = session.scalar(select(County).where(County.code == r["county_code"]))
        if county is None:
            county = County(code=r["county_code"], name=r["county_name"], province=r["province"],
                            prefecture=r["prefecture"])
            session.add(county)
            session.flush()
        town = Township(uuid=r["uuid"], county_id=county.id, code=r["code"], name=r["name"])
        session.add(town)
        session.flush()
        cache[town.uuid] = town.id
    for _row_no, values, changes in sp.updated:
        r = dict(zip([c.attr for c in data_cols], values, strict=True))
        town = session.scalar(select(Township).where(Township.uuid == r["uuid"]))
        county = session.get(County, town.county_id)
        for attr in changes:
            if attr in ("code", "name"):
                setattr(town, attr, r[attr])
            elif attr in ("county_name", "province", "prefecture"):
                setattr(county, attr.removeprefix("county_"), r[attr])
            elif attr == "county_code":
                other = session.scalar(select(County).where(County.code == r["county_code"]))
                if other is None:
                    other = County(code=r["county_code"], name=r["county_name"])
                    session.add(other)
                    session.flush()
                town.county_id = other.id
        session.flush()


def _refresh_search_keys(session: Session, household_ids: set[int]) -> None:
    """Search keys of households whose rows or members were written with Core inserts."""
    ids = sorted(household_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        members: dict[int, list[tuple]] = {}
        q = (select(Member.household_id, Member.name, Member.id_number, Member.phone)
             .where(Member.household_id.in_(chunk), Member.status != "自然减少").order_by(Member.seq, Member.id))
        for hid, name, number, phone in session.execute(q):
            members.setdefault(hid, []).append((name, number, phone))
        rows = session.execute(select(Household.id, Household.household_number, Household.phone)
                               .where(Household.id.in_(chunk))).all()
        updates = []
        for hid, number, phone in rows:
            ms = members.get(hid, [])
            key = household_search_key(number, phone, [m[0] for m in ms], [m[1] for m in ms], [m[2] for m in ms])
            updates.append({"b_id": hid, "search_key": key})
        if updates:
            from sqlalchemy import bindparam

            session.execute(
                update(Household.__table__).where(Household.__table__.c.id == bindparam("b_id"))
                .values(search_key=bindparam("search_key")),
                updates,
                execution_options={"synchronize_session": False},
            )


# ----------------------------------------------------------------------------- one call

def import_workbook(
    database: Database,
    path: str | Path,
    *,
    dry_run: bool = False,
    accept_edited: bool = False,
    operator: str | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan and (unless ``dry_run``) apply in one transaction. Raises ImportRejected when the
    workbook has errors (nothing changed), EditedFileError for an edited file not accepted."""
    with database.session() as session:
        plan = plan_import(session, path, progress)
        if dry_run:
            session.rollback()
            return plan
        totals = plan.totals()
        if not plan.has_errors and (totals["新增"] or totals["修改"]):
            # A verified backup before anything is written (a file database; a server is backed
            # up by its administrator); a failed backup stops the import.
            from db.backup import BackupError
            from db.dialects import for_name

            try:
                for_name(database.dialect).safety_copy(database, "import")
            except BackupError as exc:
                raise ExchangeError(f"导入前备份失败，未导入任何数据：{exc}", code="backup",
                                    path=str(path)) from exc
        apply_plan(session, plan, operator=operator, accept_edited=accept_edited, progress=progress)
    return plan
