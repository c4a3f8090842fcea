"""``mingbaika-cli check`` as a user runs it: a real process, exit codes, JSON, workbook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from db.session import open_database
from desktop.core.checks import RULES
from desktop.core.checks import demo_faults as faults

ROOT = Path(__file__).resolve().parents[3]


def cli(*args: str) -> subprocess.CompletedProcess:
    """A real process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ))


def cli_here(capsys: pytest.CaptureFixture, *args: str) -> subprocess.CompletedProcess:
    """The same entry point in this process (faster; for the many small cases)."""
    from desktop.cli.main import main

    try:
        code = main(list(args))
    except SystemExit as exc:  # usage errors exit from argparse
        code = exc.code
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


@pytest.fixture(scope="module")
def planted_file(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    path = tmp_path_factory.mktemp("cli") / "planted.sqlite3"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path)
    with db.session() as session:
        items = faults.plant_all(session, 2017)
    db.dispose()
    items.append(faults.plant_orphan(str(path)))
    return path, items


def test_clean_demo_reports_nothing(demo_db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "clean.sqlite3"
    shutil.copyfile(demo_db_file, path)
    result = cli("--db", str(path), "check", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_planted_faults_each_reported_once_and_exit_1(planted_file, tmp_path: Path) -> None:
    path, items = planted_file
    out = tmp_path / "问题清单.xlsx"
    result = cli("--db", str(path), "check", "--json", "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "错误" in result.stderr
    problems = json.loads(result.stdout)
    found = [(p["rule_id"], p["entity_uuid"]) for p in problems]
    assert sorted(found) == sorted((i.rule, i.entity_uuid) for i in items)
    assert len(found) == len(set(found)) == len(RULES)
    first = problems[0]
    assert first["severity"] == "错误" and first["message"] and "field_label" in first
    # The workbook holds the same list, read back with an independent reader.
    book = CalamineWorkbook.from_path(str(out))
    rows = book.get_sheet_by_name("问题清单").to_python()
    assert rows[0][:4] == ["序号", "严重程度", "规则编号", "规则"]
    assert len(rows) == len(problems) + 1
    assert {r[2] for r in rows[1:]} == set(RULES)
    assert {r[10] for r in rows[1:]} == {p["message"] for p in problems}
    summary = book.get_sheet_by_name("按规则汇总").to_python()
    assert any(r[0] == "合计" and r[4] == len(problems) for r in summary)


def test_warnings_only_exit_0_text_output(demo_db_file: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "warn.sqlite3"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path)
    with db.session() as session:
        faults.plant_all(session, 2017, rules=["PLA10"])
    db.dispose()
    result = cli_here(capsys, "--db", str(path), "check")
    assert result.returncode == 0, result.stderr
    assert "警告\tPLA10" in result.stdout
    assert "错误 0 条，警告 1 条" in result.stdout
    only = cli_here(capsys, "--db", str(path), "check", "--rule", "ID04", "--json")
    assert only.returncode == 0 and json.loads(only.stdout) == []


def test_bad_input_is_refused_in_chinese(demo_db_file: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.sqlite3"
    shutil.copyfile(demo_db_file, path)
    township = cli("--db", str(path), "check", "--township", "411726999000")
    assert township.returncode == 1 and "411726999000" in township.stderr and "Traceback" not in township.stderr
    rule = cli_here(capsys, "--db", str(path), "check", "--rule", "NOPE1")
    assert rule.returncode == 1 and "NOPE1" in rule.stderr
    folder = tmp_path / "missing"
    out = cli_here(capsys, "--db", str(path), "check", "--out", str(folder / "x.xlsx"))
    assert out.returncode == 1 and str(folder) in out.stderr
    assert not folder.exists()
    usage = cli_here(capsys, "--db", str(path), "check", "--year", "二〇一七")
    assert usage.returncode == 2


def test_list_rules(tmp_path: Path, capsys) -> None:
    result = cli_here(capsys, "--db", str(tmp_path / "x.sqlite3"), "check", "--list-rules", "--json")
    assert result.returncode == 0
    listed = json.loads(result.stdout)
    assert [r["id"] for r in listed][:2] == ["ID01", "ID02"]
    assert {r["id"] for r in listed} == set(RULES)
