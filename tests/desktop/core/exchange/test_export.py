"""Export: read back with python-calamine (not the writer's library) and compared with the database."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import python_calamine
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.models import ExchangeLog, Household, IncomeRecord, Member, Setting
from desktop.core.exchange import export as export_mod
from desktop.core.exchange import format as fmt
from desktop.core.exchange.errors import ExchangeError, ExportBlocked
from desktop.core.exchange.export import SEQUENCE_KEY, ExportOptions, export_database
from desktop.core.progress import Cancelled, Progress

NO_CHECKS = ExportOptions(run_checks=False, now=datetime(2018, 1, 15, 9, 30))


def read_all(path: Path) -> dict[str, list[list]]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}
    finally:
        wb.close()


def as_dicts(rows: list[list]) -> list[dict]:
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def _export_with_awkward_values(source: Path, folder: Path):
    import shutil

    from db.session import open_database

    shutil.copyfile(source, folder / "demo.sqlite3")
    db = open_database(folder / "demo.sqlite3")
    with db.session() as s:
        first = s.scalar(select(Member).order_by(Member.id))
        first.name = "=1+1"
        # a valid ID number ending in X
        first.id_number = "11010519491231002X"
        hh = s.scalar(select(Household).order_by(Household.id))
        hh.address = "+86 村口@老槐树"
        hh.natural_village = "张<王>&李\"庄'"
        hh.note = "第一行\n第二行"
    out = folder / "out.xlsx"
    result = export_database(db, out, NO_CHECKS)
    return db, out, result


@pytest.fixture(scope="module")
def exported(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """The 300-household demo database (with a few awkward values) exported once for this module."""
    db, out, result = _export_with_awkward_values(demo_db_file, tmp_path_factory.mktemp("exported"))
    yield db, out, result
    db.dispose()


@pytest.fixture(scope="module")
def tiny_exported(tiny_db_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """The same for five households (for the slower openpyxl style reads)."""
    db, out, result = _export_with_awkward_values(tiny_db_file, tmp_path_factory.mktemp("tiny_exported"))
    yield db, out, result
    db.dispose()


def test_every_sheet_row_count_matches_the_database(exported) -> None:
    db, out, result = exported
    sheets = read_all(out)
    assert list(sheets)[0] == fmt.MANIFEST_SHEET and list(sheets)[-1] == fmt.CODES_SHEET
    with db.session() as s:
        for sheet in fmt.sheets():
            expected = s.scalar(select(func.count()).select_from(sheet.model))
            assert len(sheets[sheet.title]) - 1 == expected, sheet.title
            assert result.row_counts[sheet.title] == expected
            assert sheets[sheet.title][0] == sheet.headers
        members = s.scalar(select(func.count()).select_from(Member))
    assert len(sheets[fmt.ROSTER_SHEET]) - 1 == members
    assert result.row_counts[fmt.ROSTER_SHEET] == members


def test_sample_values_survive(exported) -> None:
    db, out, _ = exported
    sheets = read_all(out)
    members = {r["UUID"]: r for r in as_dicts(sheets["家庭成员"])}
    households = {r["UUID"]: r for r in as_dicts(sheets["贫困户"])}
    incomes = {r["UUID"]: r for r in as_dicts(sheets["收入情况"])}
    with db.session() as s:
        first = s.scalar(select(Member).order_by(Member.id))
        row = members[first.uuid]
        assert row["姓名"] == "=1+1"  # a formula-looking name stays literal text
        assert row["证件号码"] == "11010519491231002X"
        assert row["出生日期"] == first.birth_date and isinstance(row["出生日期"], date)
        assert row["户UUID"] == first.household.uuid
        for m in s.scalars(select(Member).order_by(Member.id).limit(200)):
            r = members[m.uuid]
            assert r["证件号码"] == (m.id_number or "")
            assert r["与户主关系"] == (m.relation or "")
            assert r["是否享受低保"] == ({True: "是", False: "否"}.get(m.on_dibao, ""))
        hh = s.scalar(select(Household).order_by(Household.id))
        r = households[hh.uuid]
        assert r["家庭住址"] == "+86 村口@老槐树"
        assert r["自然村"] == "张<王>&李\"庄'" and r["备注"] == "第一行\n第二行"
        assert r["户编号"] == hh.household_number and isinstance(r["户编号"], str)
        assert r["银行账号"] == hh.bank_account and len(r["银行账号"]) == 19
        assert r["联系电话"] == (hh.phone or "")
        assert r["村名称"] == hh.village.name
        assert r["行政村UUID"] == hh.village.uuid
        inc = s.scalar(select(IncomeRecord).order_by(IncomeRecord.id))
        r = incomes[inc.uuid]
        assert Decimal(repr(r["工资性收入"])).quantize(Decimal("0.01")) == inc.wage
        assert r["年度"] == inc.year
    roster = as_dicts(sheets[fmt.ROSTER_SHEET])
    first_row = next(r for r in roster if r["成员UUID"] == first.uuid)
    assert first_row["姓名"] == "=1+1" and first_row["证件号码"] == "11010519491231002X"
    assert first_row["户主姓名"]


def test_cells_are_typed_and_styled(tiny_exported) -> None:
    _db, out, _ = tiny_exported
    wb = load_workbook(out)  # styles: read with openpyxl's normal reader
    ws = wb["家庭成员"]
    header = [c.value for c in ws[1]]
    id_col = header.index("证件号码") + 1
    name_col = header.index("姓名") + 1
    birth_col = header.index("出生日期") + 1
    assert ws.cell(row=2, column=id_col).number_format == "@"
    assert ws.cell(row=2, column=id_col).data_type == "s"
    formula_name = next(ws.cell(row=r, column=name_col) for r in range(2, ws.max_row + 1)
                        if ws.cell(row=r, column=name_col).value == "=1+1")
    assert formula_name.data_type == "s"
    assert ws.cell(row=2, column=birth_col).is_date
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws[1][0].font.b
    assert ws.column_dimensions["A"].width > 30
    validated = {str(dv.sqref).split(":")[0] for dv in ws.data_validations.dataValidation}
    from openpyxl.utils import get_column_letter

    assert f"{get_column_letter(header.index('性别') + 1)}2" in validated
    assert f"{get_column_letter(header.index('是否享受低保') + 1)}2" in validated
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any(f.startswith("'代码表'!") for f in formulas)
    inc = wb["收入情况"]
    wage_col = [c.value for c in inc[1]].index("工资性收入") + 1
    assert inc.cell(row=2, column=wage_col).number_format == "0.00"
    hh = wb["贫困户"]
    hh_header = [c.value for c in hh[1]]
    for name in ("户编号", "联系电话", "银行账号"):
        column = hh_header.index(name) + 1
        filled = [hh.cell(row=r, column=column) for r in range(2, hh.max_row + 1)
                  if hh.cell(row=r, column=column).value is not None]
        assert filled and all(c.number_format == "@" and c.data_type == "s" for c in filled), name
    assert wb[fmt.CODES_SHEET].sheet_state == "hidden"


def test_manifest(exported) -> None:
    db, out, result = exported
    rows = read_all(out)[fmt.MANIFEST_SHEET]
    values = {r[0]: r[1] for r in rows[1:] if r and r[0]}
    assert values["格式名称"] == fmt.FORMAT_NAME and values["格式版本"] == fmt.FORMAT_VERSION
    assert values["县代码"] == "411726" and values["乡镇代码"] == "411726100000"
    assert values["乡镇名称"] == "泌水镇" and values["县名称"] == "泌阳县"
    assert values["导出时间"] == "2018-01-15 09:30:00"
    assert int(values["导出序号"]) == result.sequence == 1
    assert values["数据摘要(SHA-256)"] == result.digest and len(result.digest) == 64
    assert int(values["家庭成员"]) == result.row_counts["家庭成员"]
    with db.session() as s:
        assert s.get(Setting, SEQUENCE_KEY).value == "1"
        log = s.scalars(select(ExchangeLog)).one()
        assert (log.direction, log.sequence, log.digest, log.township_code) == ("export", 1, result.digest,
                                                                                "411726100000")
        assert json.loads(log.summary)["rows"]["贫困户"] == 300
        assert log.operator is None


def test_sequence_rises_and_digest_ignores_volatile_fields(tiny_db, tmp_path: Path) -> None:
    a = export_database(tiny_db, tmp_path / "a.xlsx", NO_CHECKS)
    b = export_database(tiny_db, tmp_path / "b.xlsx", ExportOptions(run_checks=False, now=datetime(2019, 3, 1)))
    assert (a.sequence, b.sequence) == (1, 2)
    assert a.digest == b.digest
    with tiny_db.session() as s:
        s.scalar(select(Member).order_by(Member.id)).name = "改了名字"
    c = export_database(tiny_db, tmp_path / "c.xlsx", NO_CHECKS)
    assert c.digest != a.digest


def test_failure_leaves_no_file(tiny_db, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out.xlsx"
    real = export_mod._roster_query

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export_mod, "_roster_query", broken)
    with pytest.raises(RuntimeError):
        export_database(tiny_db, out, NO_CHECKS)
    assert not [p for p in tmp_path.iterdir() if "xlsx" in p.name]
    assert not out.exists()
    with tiny_db.session() as s:
        assert s.get(Setting, SEQUENCE_KEY) is None  # no sequence number consumed
        assert s.scalar(select(func.count()).select_from(ExchangeLog)) == 0
    monkeypatch.setattr(export_mod, "_roster_query", real)
    # an existing file is not replaced by a failed export
    out.write_bytes(b"old")
    monkeypatch.setattr(export_mod, "_roster_query", broken)
    with pytest.raises(RuntimeError):
        export_database(tiny_db, out, NO_CHECKS)
    assert out.read_bytes() == b"old"


def test_cancel_leaves_no_file(tiny_db, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    progress = Progress()
    seen = []

    def on_update(done, total, text):
        seen.append(text)
        if "家庭成员" in text:
            progress.cancel()

    progress._on_update = on_update
    with pytest.raises(Cancelled):
        export_database(tiny_db, out, NO_CHECKS, progress)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp.xlsx")]
    assert any("贫困户" in t for t in seen)


def test_refusals(database, demo_db, tmp_path: Path) -> None:
    with pytest.raises(ExchangeError, match="还没有乡镇"):
        export_database(database, tmp_path / "x.xlsx", NO_CHECKS)
    with pytest.raises(ExchangeError, match=r"\.xlsx"):
        export_database(demo_db, tmp_path / "x.csv", NO_CHECKS)
    with pytest.raises(ExchangeError, match="不存在"):
        export_database(demo_db, tmp_path / "no" / "x.xlsx", NO_CHECKS)
    with pytest.raises(ExchangeError, match="没有乡镇"):
        export_database(demo_db, tmp_path / "x.xlsx", ExportOptions(run_checks=False, township_codes=["411726999000"]))


class FakeProblem:
    severity = "错误"
    message = "身份证号码校验位错误"


def test_check_errors_block_export_unless_overridden(tiny_db, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(export_mod, "blocking_problems", lambda session, progress=None: [FakeProblem()] * 3)
    out = tmp_path / "out.xlsx"
    with pytest.raises(ExportBlocked) as caught:
        export_database(tiny_db, out, ExportOptions())
    assert "3 个错误" in str(caught.value) and len(caught.value.problems) == 3
    assert not out.exists()
    result = export_database(tiny_db, out, ExportOptions(override_reason="县里要求先报送，错误下周改正", operator="李会计"))
    assert out.exists() and result.check_errors == 3
    from db.models import AuditLog

    with tiny_db.session() as s:
        log = s.scalars(select(ExchangeLog)).one()
        assert json.loads(log.summary)["override_reason"] == "县里要求先报送，错误下周改正"
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "export")).one()
        assert audit.new_value == "县里要求先报送，错误下周改正" and audit.operator == "李会计"


def test_blocking_problems_uses_the_checks_package_when_present(tiny_db, monkeypatch) -> None:
    import sys
    import types

    fake = types.ModuleType("desktop.core.checks")

    class P:
        def __init__(self, severity):
            self.severity = severity

    fake.run_checks = lambda session, progress=None: [P("错误"), P("警告"), P("错误")]
    monkeypatch.setitem(sys.modules, "desktop.core.checks", fake)
    import desktop.core

    monkeypatch.setattr(desktop.core, "checks", fake, raising=False)
    monkeypatch.setattr(export_mod, "checks_available", lambda: True)
    with tiny_db.session() as s:
        assert len(export_mod.blocking_problems(s)) == 2
    monkeypatch.setattr(export_mod, "checks_available", lambda: False)
    with tiny_db.session() as s:
        assert export_mod.blocking_problems(s) == []


def test_format_doc_matches_the_code() -> None:
    doc = (Path(__file__).resolve().parents[4] / "docs" / "exchange-format.md").read_text(encoding="utf-8")
    assert fmt.format_table() in doc, "regenerate the tables in docs/exchange-format.md from format.format_table()"


@pytest.mark.skipif(not export_mod.checks_available(), reason="desktop.core.checks not present")
def test_real_checks_gate_the_export(tiny_db, tmp_path: Path) -> None:
    with tiny_db.session() as s:
        m = s.scalar(select(Member).order_by(Member.id))
        m.id_number = m.id_number[:17] + ("0" if m.id_number[17] != "0" else "1")  # wrong check digit
    with pytest.raises(ExportBlocked) as caught:
        export_database(tiny_db, tmp_path / "x.xlsx")
    assert caught.value.problems and not (tmp_path / "x.xlsx").exists()
    result = export_database(tiny_db, tmp_path / "x.xlsx", ExportOptions(override_reason="先报送"))
    assert result.check_errors >= 1 and (tmp_path / "x.xlsx").exists()


def test_the_same_township_exports_alike_from_sqlite_and_postgresql(pg_server, demo_db_file: Path,
                                                                    tmp_path: Path) -> None:
    """The demo township in a SQLite file and on a PostgreSQL server: identical sheets, identical digest."""
    import shutil

    from db.session import open_database
    from tests.conftest import _fill_demo

    shutil.copyfile(demo_db_file, tmp_path / "demo.sqlite3")
    pg_name = pg_server.create(pg_server.template("demo300", lambda url: _fill_demo(url, 300, 7)))
    files = {}
    try:
        for kind, location in (("sqlite", tmp_path / "demo.sqlite3"), ("postgresql", pg_server.url_for(pg_name))):
            db = open_database(location)
            try:
                files[kind] = export_database(db, tmp_path / f"{kind}.xlsx", NO_CHECKS)
            finally:
                db.dispose()
    finally:
        pg_server.drop(pg_name)
    assert files["sqlite"].digest == files["postgresql"].digest
    assert files["sqlite"].row_counts == files["postgresql"].row_counts
    assert files["sqlite"].row_counts["贫困户"] == 300
