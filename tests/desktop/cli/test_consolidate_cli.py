"""``mingbaika-cli consolidate`` as a county officer runs it: two small demo townships made and
exported with the CLI itself, a planted duplicate, outputs read back, exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import python_calamine
from openpyxl import load_workbook

from desktop.cli.main import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def towns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two townships (6 households each) exported; in the second, one member has an ID number of the first."""
    folder = tmp_path_factory.mktemp("cli-county")
    paths = {}
    for letter, code, name, seed in (("a", "411726100000", "泌水镇", 4), ("b", "411726201000", "花园乡", 5)):
        db = folder / f"{letter}.sqlite3"
        assert main(["--db", str(db), "demo", "--households", "6", "--seed", str(seed), "--township-code", code,
                     "--township-name", name]) == 0
        paths[letter] = db
    first = sqlite3.connect(paths["a"]).execute(
        "SELECT id_number FROM member WHERE relation != '户主' ORDER BY id LIMIT 1").fetchone()[0]
    con = sqlite3.connect(paths["b"])
    con.execute("UPDATE member SET id_number = ? WHERE id = (SELECT min(id) FROM member WHERE relation != '户主')",
                (first,))
    con.commit()
    con.close()
    for letter in ("a", "b"):
        out = folder / f"{letter}.xlsx"
        assert main(["--db", str(paths[letter]), "export", str(out), "--override-reason", "测试"]) == 0
        paths[f"{letter}.xlsx"] = out
    paths["id"] = first
    return paths


def test_consolidate_writes_county_workbook_problems_and_report(capsys, towns, tmp_path: Path) -> None:
    county = tmp_path / "县汇总.sqlite3"
    out, problems, report = tmp_path / "县汇总表.xlsx", tmp_path / "问题清单.xlsx", tmp_path / "汇总报表.xlsx"
    # --db after the command name, as in the usage line
    code, stdout, err = run(capsys, "consolidate", str(towns["a.xlsx"]), str(towns["b.xlsx"]), "--db", str(county),
                            "--out", str(out), "--problems", str(problems), "--report", str(report))
    assert code == 0, err
    assert stdout.count("[首次汇总]") == 2
    assert "CTY01 同一身份证号码登记在两户［错误］：1" in stdout
    assert towns["id"] in stdout
    assert "对账：一致" in stdout and "= 县汇总表行数" in stdout
    for path in (out, problems, report):
        assert path.exists()
    wb = python_calamine.CalamineWorkbook.from_path(str(problems))
    rows = wb.get_sheet_by_name("问题清单").to_python()
    header = rows[0]
    hit = [r for r in rows[1:] if r[1] == "CTY01"]
    assert len(hit) == 1 and hit[0][header.index("证件号码")] == towns["id"]
    county_wb = python_calamine.CalamineWorkbook.from_path(str(out))
    assert len(county_wb.get_sheet_by_name("贫困户").to_python()) == 1 + 12
    # the same files again: identical, nothing changed, exit 0; JSON for scripts
    code, stdout, err = run(capsys, "--db", str(county), "consolidate", str(towns["a.xlsx"]), str(towns["b.xlsx"]),
                            "--json")
    assert code == 0, err
    data = json.loads(stdout)
    assert [f["status"] for f in data["files"]] == ["identical", "identical"]
    assert data["ok"] and data["reconciliation"]["ok"] and len(data["problems"]) == 1


def test_edited_file_exits_1_until_accepted(capsys, towns, tmp_path: Path) -> None:
    county = tmp_path / "c.sqlite3"
    edited = tmp_path / "edited.xlsx"
    wb = load_workbook(towns["a.xlsx"])
    ws = wb["家庭成员"]
    col = [c.value for c in ws[1]].index("姓名") + 1
    ws.cell(row=2, column=col).value = "改过的名字"
    wb.save(edited)
    code, stdout, err = run(capsys, "--db", str(county), "consolidate", str(edited), "--problems",
                            str(tmp_path / "p.xlsx"))
    assert code == 1
    assert "edited.xlsx" in err and "暂缓" in err
    assert "[导出后被修改或已损坏，暂缓]" in stdout and (tmp_path / "p.xlsx").exists()
    assert sqlite3.connect(county).execute("SELECT count(*) FROM household").fetchone()[0] == 0
    code, stdout, err = run(capsys, "--db", str(county), "consolidate", str(edited), "--accept-edited")
    assert code == 0, err
    assert "已确认采用被修改的文件" in stdout
    assert sqlite3.connect(county).execute("SELECT count(*) FROM member WHERE name = '改过的名字'").fetchone()[0] == 1


def test_dry_run_and_refusals(capsys, towns, tmp_path: Path) -> None:
    county = tmp_path / "c.sqlite3"
    code, stdout, err = run(capsys, "--db", str(county), "consolidate", str(towns["a.xlsx"]), "--dry-run")
    assert code == 0, err
    assert "试汇总（未写入）" in stdout
    assert sqlite3.connect(county).execute("SELECT count(*) FROM household").fetchone()[0] == 0
    # a township database is not a county database
    code, _out, err = run(capsys, "--db", str(towns["a"]), "consolidate", str(towns["b.xlsx"]))
    assert code == 1 and "不能用作县级汇总库" in err
    code, _out, err = run(capsys, "--db", str(county), "consolidate", str(towns["a.xlsx"]), "--out", "x.csv")
    assert code == 1 and ".xlsx" in err
    missing = tmp_path / "nope.xlsx"
    code, stdout, err = run(capsys, "--db", str(county), "consolidate", str(missing))
    assert code == 1 and "nope.xlsx" in err and "不存在" in stdout
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(county), "consolidate"])
    assert exit_info.value.code == 2
