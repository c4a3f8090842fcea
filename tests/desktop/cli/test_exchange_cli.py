"""``export``, ``import`` and ``report`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine
from openpyxl import load_workbook

from desktop.cli.main import main

ROOT = Path(__file__).resolve().parents[3]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def demo_path(demo_db_file: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_db_file, target)
    return target


def test_export_import_round_trip_and_idempotence(capsys, demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "泌水镇.xlsx"
    code, stdout, err = run(capsys, "--db", str(demo_path), "export", str(out), "--json")
    assert code == 0, err
    exported = json.loads(stdout)
    assert exported["sequence"] == 1 and exported["rows"]["贫困户"] == 300
    empty = tmp_path / "county.sqlite3"
    code, stdout, err = run(capsys, "--db", str(empty), "import", str(out), "--dry-run", "--json")
    assert code == 0, err
    dry = json.loads(stdout)
    assert dry["applied"] is False and dry["totals"]["新增"] > 300 and dry["totals"]["错误"] == 0
    code, stdout, err = run(capsys, "--db", str(empty), "import", str(out))
    assert code == 0, err
    assert "已导入：新增" in stdout
    code, stdout, err = run(capsys, "--db", str(empty), "import", str(out), "--json")
    again = json.loads(stdout)
    assert again["totals"]["新增"] == 0 and again["totals"]["修改"] == 0
    code, stdout, err = run(capsys, "--db", str(empty), "export", str(tmp_path / "again.xlsx"), "--json")
    assert json.loads(stdout)["digest"] == exported["digest"]


@pytest.fixture
def tiny_path(capsys, tmp_path: Path) -> Path:
    path = tmp_path / "tiny.sqlite3"
    assert run(capsys, "--db", str(path), "demo", "--households", "6", "--seed", "4")[0] == 0
    return path


def test_import_errors_exit_1_with_an_error_workbook(capsys, tiny_path: Path, tmp_path: Path) -> None:
    demo_path = tiny_path
    out = tmp_path / "x.xlsx"
    assert run(capsys, "--db", str(demo_path), "export", str(out))[0] == 0
    wb = load_workbook(out)
    ws = wb["家庭成员"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("证件号码") + 1).value = 411726199001011000
    ws.cell(row=3, column=header.index("性别") + 1).value = "男的"
    wb.save(out)
    errors = tmp_path / "errors.xlsx"
    code, stdout, err = run(capsys, "--db", str(tmp_path / "new.sqlite3"), "import", str(out), "--errors", str(errors))
    assert code == 1
    assert "未导入任何数据" in err and "Excel" in err and "第 2 行" in err and "男的" in err
    book = python_calamine.CalamineWorkbook.from_path(str(errors))
    rows = book.get_sheet_by_name("错误清单").to_python()
    assert rows[0][:4] == ["级别", "工作表", "行号", "列"]
    assert {r[3] for r in rows[1:]} == {"证件号码", "性别"}
    assert any("Excel" in r[6] for r in rows[1:])


def test_edited_file_needs_accept_edited(capsys, tiny_path: Path, tmp_path: Path) -> None:
    demo_path = tiny_path
    out = tmp_path / "x.xlsx"
    run(capsys, "--db", str(demo_path), "export", str(out))
    wb = load_workbook(out)
    ws = wb["贫困户"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("联系电话") + 1).value = "13800000000"
    wb.save(out)
    code, _stdout, err = run(capsys, "--db", str(demo_path), "import", str(out))
    assert code == 1 and "--accept-edited" in err and "修改过" in err
    code, stdout, err = run(capsys, "--db", str(demo_path), "import", str(out), "--accept-edited", "--diff")
    assert code == 0, err
    assert "修改 1 行" in stdout and "13800000000" in stdout


def test_report_has_sheets_and_charts(capsys, demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    code, stdout, err = run(capsys, "--db", str(demo_path), "report", str(out), "--json")
    assert code == 0, err
    info = json.loads(stdout)
    assert info["households"] == 300 and info["year"] == 2017
    book = python_calamine.CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["说明", "按村汇总", "致贫原因", "帮扶措施", "收入分组"]
    by_village = book.get_sheet_by_name("按村汇总").to_python()
    total = by_village[-1]
    assert total[0] == "合计" and total[2] == 300
    assert total[3] == info["people"]
    header = by_village[0]
    status_cols = [i for i, h in enumerate(header) if h.endswith("(户)") and "贫" in h and "户(户)" not in h]
    assert sum(total[i] for i in status_cols) == 300
    bands = book.get_sheet_by_name("收入分组").to_python()
    assert bands[-1][-1] == 300 and sum(bands[-1][1:-1]) == 300
    with zipfile.ZipFile(out) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 4


def test_export_refuses_bad_names_with_exit_1(capsys, demo_path: Path, tmp_path: Path) -> None:
    code, _out, err = run(capsys, "--db", str(demo_path), "export", str(tmp_path / "x.csv"))
    assert code == 1 and ".xlsx" in err
    code, _out, err = run(capsys, "--db", str(demo_path), "import", str(tmp_path / "none.xlsx"))
    assert code == 1 and "不存在" in err


def test_real_process_exit_codes(demo_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "desktop.cli.main", "--db", str(demo_path), "import", str(bad)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "不是有效的 Excel 工作簿" in result.stderr and "Traceback" not in result.stderr
