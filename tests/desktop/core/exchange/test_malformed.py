"""A corpus of malformed workbooks: each gives the right clear error and leaves the database as it was."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from desktop.core.exchange import format as fmt
from desktop.core.exchange.errors import EditedFileError, ExchangeError, ImportRejected, TownshipMismatchError
from desktop.core.exchange.importer import MAX_PROBLEMS, import_workbook


def col(ws, header: str) -> int:
    """1-based column index of ``header`` in row 1."""
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


def set_cell(ws, row: int, header: str, value, *, as_text: bool = False) -> None:
    cell = ws.cell(row=row, column=col(ws, header))
    cell.value = value
    if as_text:
        cell.data_type = "s"


def edit(source: Path, target: Path, fn: Callable) -> Path:
    wb = load_workbook(source)
    fn(wb)
    wb.save(target)
    return target


# Each case: (id, mutate workbook, expected problem code, sheet title or None)
def _members(wb):
    return wb["家庭成员"]


def m_renamed_header(wb):
    _members(wb).cell(row=1, column=col(_members(wb), "姓名")).value = "名字"


def m_missing_column(wb):
    ws = _members(wb)
    ws.delete_cols(col(ws, "证件号码"))


def m_duplicate_header(wb):
    ws = _members(wb)
    ws.cell(row=1, column=col(ws, "民族")).value = "性别"


def m_extra_column(wb):
    ws = _members(wb)
    ws.cell(row=1, column=ws.max_column + 1).value = "微信号"


def m_empty_header(wb):
    ws = _members(wb)
    ws.cell(row=1, column=col(ws, "民族")).value = None


def m_int_type(wb):
    set_cell(wb["收入情况"], 2, "年度", "二〇一七")


def m_decimal_type(wb):
    set_cell(wb["收入情况"], 2, "工资性收入", "很多")


def m_date_type(wb):
    set_cell(_members(wb), 2, "出生日期", "昨天")


def m_date_as_number(wb):
    ws = _members(wb)
    set_cell(ws, 2, "出生日期", 19900101)
    ws.cell(row=2, column=col(ws, "出生日期")).number_format = "General"


def m_bool_type(wb):
    set_cell(_members(wb), 2, "是否享受低保", "也许")


def m_int_fraction(wb):
    set_cell(_members(wb), 2, "务工时间(月)", 2.5)


def m_formula(wb):
    set_cell(_members(wb), 3, "姓名", "=CONCATENATE(\"张\",\"三\")")


def m_formula_number(wb):
    set_cell(wb["收入情况"], 2, "工资性收入", "=1000*2")


def m_merged(wb):
    wb["贫困户"].merge_cells("E2:E3")


def m_unknown_label_sex(wb):
    set_cell(_members(wb), 2, "性别", "未说明的性别X")


def m_unknown_label_attribute(wb):
    set_cell(wb["贫困户"], 2, "贫困户属性", "富裕户")


def m_unknown_label_relation(wb):
    set_cell(_members(wb), 2, "与户主关系", "邻居")


def m_duplicate_uuid(wb):
    ws = _members(wb)
    set_cell(ws, 3, "UUID", ws.cell(row=2, column=1).value)


def m_bad_uuid(wb):
    set_cell(_members(wb), 2, "UUID", "not-a-uuid")


def m_empty_uuid(wb):
    set_cell(_members(wb), 2, "UUID", None)


def m_future_birth(wb):
    set_cell(_members(wb), 2, "出生日期", date.today() + timedelta(days=30))


def m_id_numeric(wb):
    set_cell(_members(wb), 2, "证件号码", 411726199001011234.0)


def m_id_scientific(wb):
    set_cell(_members(wb), 2, "证件号码", "4.11726E+17", as_text=True)


def m_id_trailing_zeros(wb):
    set_cell(_members(wb), 2, "证件号码", "411726199001011000", as_text=True)


def m_bank_numeric(wb):
    set_cell(wb["贫困户"], 2, "银行账号", 6.229123456789012e18)


def m_unknown_ref(wb):
    set_cell(_members(wb), 2, "户UUID", str(uuid.uuid4()))


def m_required_empty(wb):
    set_cell(_members(wb), 2, "姓名", None)


def m_too_long(wb):
    set_cell(_members(wb), 2, "姓名", "长" * 60)


def m_duplicate_year(wb):
    ws = wb["收入情况"]
    hh = ws.cell(row=2, column=col(ws, "户UUID")).value
    year = ws.cell(row=2, column=col(ws, "年度")).value
    set_cell(ws, 3, "户UUID", hh)
    set_cell(ws, 3, "年度", year)


def m_township_code(wb):
    set_cell(wb["乡镇"], 2, "乡镇代码", "abc")


def m_empty_sheet(wb):
    ws = wb["走访记录"]
    ws.delete_rows(1, ws.max_row)


def m_bool_in_text(wb):
    set_cell(_members(wb), 2, "姓名", True)


def m_line_break_in_name(wb):
    set_cell(_members(wb), 2, "姓名", "张\n三")


def m_bidi_override(wb):
    set_cell(wb["贫困户"], 2, "家庭住址", "村\u202e口")


CASES = [
    ("renamed_header", m_renamed_header, "unknown_header", "家庭成员"),
    ("missing_column", m_missing_column, "missing_header", "家庭成员"),
    ("duplicate_header", m_duplicate_header, "duplicate_header", "家庭成员"),
    ("extra_column", m_extra_column, "unknown_header", "家庭成员"),
    ("empty_header", m_empty_header, "empty_header", "家庭成员"),
    ("int_type", m_int_type, "type", "收入情况"),
    ("decimal_type", m_decimal_type, "type", "收入情况"),
    ("date_type", m_date_type, "type", "家庭成员"),
    ("date_as_number", m_date_as_number, "type", "家庭成员"),
    ("bool_type", m_bool_type, "type", "家庭成员"),
    ("int_fraction", m_int_fraction, "type", "家庭成员"),
    ("formula_text", m_formula, "formula", "家庭成员"),
    ("formula_number", m_formula_number, "formula", "收入情况"),
    ("merged_cells", m_merged, "merged", "贫困户"),
    ("unknown_label_sex", m_unknown_label_sex, "unknown_label", "家庭成员"),
    ("unknown_label_attribute", m_unknown_label_attribute, "unknown_label", "贫困户"),
    ("unknown_label_relation", m_unknown_label_relation, "unknown_label", "家庭成员"),
    ("duplicate_uuid", m_duplicate_uuid, "duplicate_uuid", "家庭成员"),
    ("bad_uuid", m_bad_uuid, "uuid", "家庭成员"),
    ("empty_uuid", m_empty_uuid, "required", "家庭成员"),
    ("future_birth", m_future_birth, "future_birth", "家庭成员"),
    ("id_numeric_cell", m_id_numeric, "excel_number", "家庭成员"),
    ("id_scientific", m_id_scientific, "excel_corrupted", "家庭成员"),
    ("id_trailing_000", m_id_trailing_zeros, "excel_corrupted", "家庭成员"),
    ("bank_numeric_cell", m_bank_numeric, "excel_number", "贫困户"),
    ("unknown_reference", m_unknown_ref, "unknown_ref", "家庭成员"),
    ("required_empty", m_required_empty, "required", "家庭成员"),
    ("too_long", m_too_long, "too_long", "家庭成员"),
    ("duplicate_household_year", m_duplicate_year, "duplicate_key", "收入情况"),
    ("township_code", m_township_code, "code", "乡镇"),
    ("empty_sheet", m_empty_sheet, "empty_sheet", "走访记录"),
    ("bool_in_text", m_bool_in_text, "type", "家庭成员"),
    ("line_break_in_name", m_line_break_in_name, "bad_char", "家庭成员"),
    ("bidi_override", m_bidi_override, "bad_char", "贫困户"),
]


@pytest.fixture(scope="module")
def shared_empty_db(tmp_path_factory: pytest.TempPathFactory):
    """One empty database for the whole corpus: every case must leave it exactly as it was."""
    from db.session import open_database

    db = open_database(tmp_path_factory.mktemp("corpus") / "empty.sqlite3")
    yield db
    db.dispose()


@pytest.mark.parametrize(("mutate", "code", "sheet"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_workbook_is_rejected_and_nothing_changes(
    shared_empty_db, tiny_workbook: Path, tmp_path: Path, table_dump, mutate, code: str, sheet: str
) -> None:
    database = shared_empty_db
    bad = edit(tiny_workbook, tmp_path / "bad.xlsx", mutate)
    before = table_dump(database)
    with pytest.raises(ImportRejected) as caught:
        import_workbook(database, bad)
    problems = caught.value.problems
    hits = [p for p in problems if p.code == code and p.sheet == sheet]
    assert hits, [p.text() for p in problems]
    text = hits[0].text()
    assert f"工作表“{sheet}”" in text and "[错误]" in text
    assert table_dump(database) == before


def test_cell_errors_name_row_column_and_value(database, tiny_workbook: Path, tmp_path: Path) -> None:
    bad = edit(tiny_workbook, tmp_path / "bad.xlsx", m_id_trailing_zeros)
    plan = import_workbook(database, bad, dry_run=True)
    (p,) = [p for p in plan.problems if p.code == "excel_corrupted"]
    assert (p.sheet, p.row, p.column, p.value) == ("家庭成员", 2, "证件号码", "411726199001011000")
    assert p.column_letter is not None
    assert "Excel" in p.message and "文本" in p.message
    assert "第 2 行" in p.text() and "“证件号码”列" in p.text() and "411726199001011000" in p.text()


def test_the_unmodified_workbook_imports(database, tiny_workbook: Path, table_dump) -> None:
    """Control: the corpus's base workbook is fine, so the rejections above are the edits' doing."""
    before = table_dump(database)
    plan = import_workbook(database, tiny_workbook)
    assert not plan.problems and plan.totals()["新增"] > 30
    assert table_dump(database) != before


def test_identity_edit_keeps_import_working(database, tiny_workbook: Path, tmp_path: Path) -> None:
    """Re-saving with openpyxl (no edits) is still accepted: the harness itself breaks nothing."""
    same = edit(tiny_workbook, tmp_path / "same.xlsx", lambda wb: None)
    plan = import_workbook(database, same)
    assert not plan.has_errors and not plan.edited


# ----------------------------------------------------------------------------- whole-file problems

def _expect_file_error(database, path: Path, code: str, table_dump, exc_type=ExchangeError) -> ExchangeError:
    before = table_dump(database)
    with pytest.raises(exc_type) as caught:
        import_workbook(database, path)
    assert caught.value.code == code, str(caught.value)
    assert table_dump(database) == before
    return caught.value


def test_not_a_workbook(database, tmp_path: Path, table_dump) -> None:
    path = tmp_path / "花名册.xlsx"
    path.write_text("姓名,身份证号\n张三,411726199001011234\n", encoding="utf-8")
    err = _expect_file_error(database, path, "not_workbook", table_dump)
    assert "花名册.xlsx" in str(err) and "不是有效的 Excel 工作簿" in str(err)


def test_empty_file(database, tmp_path: Path, table_dump) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    _expect_file_error(database, path, "not_workbook", table_dump)


def test_zip_that_is_not_a_workbook(database, tmp_path: Path, table_dump) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    _expect_file_error(database, path, "not_workbook", table_dump)


def test_missing_file(database, tmp_path: Path, table_dump) -> None:
    _expect_file_error(database, tmp_path / "nope.xlsx", "missing", table_dump)


def test_workbook_without_manifest(database, tmp_path: Path, table_dump) -> None:
    path = tmp_path / "roster.xlsx"
    wb = Workbook()
    wb.active.append(["姓名", "证件号码"])
    wb.save(path)
    err = _expect_file_error(database, path, "no_manifest", table_dump)
    assert "说明" in str(err) and "列映射" in str(err)


def test_wrong_format_name(database, tiny_workbook: Path, tmp_path: Path, table_dump) -> None:
    bad = edit(tiny_workbook, tmp_path / "b.xlsx", lambda wb: set_cell(wb["说明"], 2, "值", "某县报表"))
    _expect_file_error(database, bad, "not_exchange", table_dump)


def test_unknown_format_version(database, tiny_workbook: Path, tmp_path: Path, table_dump) -> None:
    bad = edit(tiny_workbook, tmp_path / "b.xlsx", lambda wb: set_cell(wb["说明"], 3, "值", "9.0", as_text=True))
    err = _expect_file_error(database, bad, "version", table_dump)
    assert "9.0" in str(err) and "更新版本" in str(err)


def test_missing_sheet(database, tiny_workbook: Path, tmp_path: Path, table_dump) -> None:
    bad = edit(tiny_workbook, tmp_path / "b.xlsx", lambda wb: wb.remove(wb["家庭成员"]))
    err = _expect_file_error(database, bad, "rejected", table_dump, ImportRejected)
    assert [p.code for p in err.problems] == ["missing_sheet"] and "家庭成员" in str(err)


def test_edited_file_needs_confirmation(database, tiny_workbook: Path, tmp_path: Path, table_dump) -> None:
    edited = edit(tiny_workbook, tmp_path / "e.xlsx", lambda wb: set_cell(wb["家庭成员"], 2, "姓名", "王改名"))
    err = _expect_file_error(database, edited, "edited", table_dump, EditedFileError)
    assert "修改过" in str(err)
    plan = import_workbook(database, edited, accept_edited=True)
    assert plan.edited and plan.totals()["新增"] > 30


def test_row_count_in_manifest_differs(database, tiny_workbook: Path, tmp_path: Path, table_dump) -> None:
    def change(wb):
        ws = wb["说明"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "家庭成员":
                row[1].value = 999

    bad = edit(tiny_workbook, tmp_path / "b.xlsx", change)
    _expect_file_error(database, bad, "edited", table_dump, EditedFileError)
    plan = import_workbook(database, bad, dry_run=True)
    assert any("999" in r for r in plan.edited_reasons)


def test_other_township_is_refused(new_database, tiny_workbook: Path, table_dump) -> None:
    from desktop.core.demo import DemoOptions, generate

    db = new_database(name="other")
    with db.session() as session:
        generate(session, DemoOptions(households=2, seed=5, township_code="411726101000", township_name="羊册镇"))
    err = _expect_file_error(db, tiny_workbook, "township", table_dump, TownshipMismatchError)
    assert "羊册镇" not in str(err) or "411726101000" in str(err)
    assert "411726100000" in str(err)


def _replace_sheet_xml(source: Path, target: Path, title: str, rows: list[list[str]]) -> None:
    """Copy ``source`` with the sheet ``title`` replaced by ``rows`` of inline strings (fast for huge sheets)."""
    import re
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    with zipfile.ZipFile(source) as zin:
        wb_xml = zin.read("xl/workbook.xml").decode()
        rels = zin.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{title}"[^>]*r:id="([^"]+)"', wb_xml).group(1)
        element = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*>', rels).group(0)
        member = "xl/" + re.search(r'Target="/?(?:xl/)?([^"]+)"', element).group(1)
        letters = [get_column_letter(i + 1) for i in range(max(len(r) for r in rows))]
        parts = ['<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
        for n, row in enumerate(rows, 1):
            cells = "".join(f'<c r="{letters[i]}{n}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                            for i, v in enumerate(row) if v)
            parts.append(f'<row r="{n}">{cells}</row>')
        parts.append("</sheetData></worksheet>")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = "".join(parts).encode() if item.filename == member else zin.read(item.filename)
                zout.writestr(item, data)


def test_200000_row_sheet(database, tiny_workbook: Path, tmp_path: Path, table_dump) -> None:
    """A huge visits sheet whose rows point at unknown households: rejected, errors capped."""
    sheet = fmt.sheet_by_key()["visits"]
    assert sheet.headers[:5] == ["UUID", "户UUID", "户编号", "帮扶责任人UUID", "走访日期"]
    ghost = str(uuid.uuid4())
    rows = [sheet.headers] + [[str(uuid.UUID(int=i + 1, version=4)), ghost, "", "", "2017-05-01"]
                              for i in range(200_000)]
    big = tmp_path / "big.xlsx"
    _replace_sheet_xml(tiny_workbook, big, sheet.title, rows)
    before = table_dump(database)
    with pytest.raises(ImportRejected) as caught:
        import_workbook(database, big)
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS
    assert all(p.code == "unknown_ref" and p.sheet == sheet.title for p in problems)
    assert problems[0].row == 2 and problems[-1].row == MAX_PROBLEMS + 1
    assert "200000 个错误" in str(caught.value)
    assert table_dump(database) == before


def test_corpus_has_at_least_30_cases() -> None:
    file_level = [n for n in globals() if n.startswith("test_") and n not in (
        "test_malformed_workbook_is_rejected_and_nothing_changes", "test_corpus_has_at_least_30_cases",
        "test_the_unmodified_workbook_imports", "test_identity_edit_keeps_import_working",
        "test_cell_errors_name_row_column_and_value")]
    assert len(CASES) + len(file_level) >= 30


def test_values_a_server_would_refuse_are_cell_errors_on_every_backend(database, tiny_workbook: Path,
                                                                        tmp_path: Path, table_dump) -> None:
    """PostgreSQL enforces VARCHAR lengths and 32-bit INTEGER; SQLite does not. The import must
    name sheet, row, column and value on both instead of failing in the database."""
    def change(wb):
        ws = wb["贫困户"]
        set_cell(ws, 2, "家庭人口数", 99_999_999_999)
        set_cell(ws, 3, "自然村", "长" * 51)
        set_cell(ws, 4, "自然村", "长" * 50)  # exactly the limit: fine

    bad = edit(tiny_workbook, tmp_path / "big.xlsx", change)
    before = table_dump(database)
    with pytest.raises(ImportRejected) as caught:
        import_workbook(database, bad, accept_edited=True)
    # (rows of other sheets that refer to the two refused households follow as unknown_ref)
    found = {(p.sheet, p.row, p.column, p.code): p for p in caught.value.problems if p.sheet == "贫困户"}
    assert set(found) == {("贫困户", 2, "家庭人口数", "range"), ("贫困户", 3, "自然村", "too_long")}
    assert "99999999999" in found[("贫困户", 2, "家庭人口数", "range")].text()
    assert "最多 50 个" in found[("贫困户", 3, "自然村", "too_long")].text()
    assert table_dump(database) == before

    def fix(wb):
        change(wb)
        set_cell(wb["贫困户"], 2, "家庭人口数", 2_147_483_647)  # the largest INTEGER
        set_cell(wb["贫困户"], 3, "自然村", "长" * 50)

    good = edit(tiny_workbook, tmp_path / "fits.xlsx", fix)
    plan = import_workbook(database, good, accept_edited=True)
    assert not plan.has_errors
