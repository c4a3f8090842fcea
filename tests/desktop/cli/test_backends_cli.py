"""Every database command given a database URL (``--db`` = the ``database`` fixture's URL), so each runs on
SQLite and, with ``MINGBAIKA_TEST_PG_URL`` set, on PostgreSQL: demo, stats, check, export, import, report,
consolidate (print: test_print_cli.py, which passes the URL too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import python_calamine
from sqlalchemy import func, select

from db.models import Household, Member
from desktop.cli.main import main


def url_of(database) -> str:  # noqa: ANN001 - db.engine.Database
    return database.engine.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def sheet_rows(path: Path, title: str) -> list[list]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(title).to_python()


def test_commands_on_a_database_url(capsys, database, new_database, tmp_path: Path) -> None:
    url = url_of(database)
    code, out, err = run(capsys, "--db", url, "demo", "--households", "12", "--seed", "3")
    assert code == 0, err
    assert "已生成 12 户" in out

    code, out, err = run(capsys, "--db", url, "stats", "--json")
    assert code == 0, err
    counts = json.loads(out)
    assert counts["household"] == 12
    with database.session() as session:  # the command wrote to this very database, read back directly
        assert session.scalar(select(func.count()).select_from(Household)) == 12
        assert counts["member"] == session.scalar(select(func.count()).select_from(Member)) > 12

    problems = tmp_path / "问题清单.xlsx"
    code, out, err = run(capsys, "--db", url, "check", "--json", "--out", str(problems))
    assert code in (0, 1), err
    listed = json.loads(out)
    summary = {row[0]: row[1] for row in sheet_rows(problems, "按规则汇总") if len(row) > 1}
    database_row = summary.get("数据库")
    if database.path is not None:
        assert database_row == str(database.path)
    else:  # a server database is named by its URL, without a password
        assert database_row == database.engine.url.render_as_string(hide_password=True)
        assert database_row.endswith(f"/{database.engine.url.database}")
    assert isinstance(listed, list)

    workbook = tmp_path / "乡镇.xlsx"
    code, out, err = run(capsys, "--db", url, "export", str(workbook), "--override-reason", "测试", "--json")
    assert code == 0, err
    exported = json.loads(out)
    assert exported["rows"]["贫困户"] == 12
    assert len(sheet_rows(workbook, "贫困户")) > 12  # header rows + 12 households

    code, out, err = run(capsys, "--db", url, "import", str(workbook), "--dry-run", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["totals"]["新增"] == 0 and plan["totals"]["修改"] == 0 and plan["applied"] is False

    report = tmp_path / "汇总报表.xlsx"
    code, out, err = run(capsys, "--db", url, "report", str(report), "--json")
    assert code == 0, err
    assert json.loads(out)["households"] == 12
    assert report.exists()

    fresh = new_database(name="fresh")
    code, out, err = run(capsys, "--db", url_of(fresh), "import", str(workbook), "--json")
    assert code == 0, err
    assert json.loads(out)["totals"]["新增"] > 12
    with fresh.session() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == 12

    county = new_database(name="county")
    code, out, err = run(capsys, "consolidate", str(workbook), "--db", url_of(county), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["ok"] is True and result["files"][0]["taken"] is True
    with county.session() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == 12
