"""``mingbaika-cli print``: cards to PDF from the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Household, PrintLog
from desktop.cli.main import main
from desktop.core import card as C

ROOT = Path(__file__).resolve().parents[3]
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-raw", str(path), "-"], check=True,
                         capture_output=True).stdout.decode()
    return [p for p in out.split("\f") if p.strip()]


@pytest.fixture
def db_file(demo_db) -> str:
    """What ``--db`` is given: the database's URL, a SQLite file's or a PostgreSQL database's."""
    return demo_db.engine.url.render_as_string(hide_password=False)


def _group(demo_db, name: str) -> list[str]:
    with demo_db.session() as s:
        code = C.villages(s)[0][0]
        return C.select_households(s, C.Selection("group", f"{code}/{name}"))


@needs_poppler
def test_print_households_masked_by_default(qapp, demo_db, db_file, tmp_path, capsys) -> None:
    members = _group(demo_db, "四组")
    picked = [members[3], members[0]]
    out = tmp_path / "two.pdf"
    args = ["--db", db_file, "print", str(out), "--operator", "李"]
    for uuid in picked:
        args += ["--household", uuid]
    assert main(args) == 0
    assert "已输出 2 户、2 页" in capsys.readouterr().out
    text = pages(out)
    assert len(text) == 2
    with demo_db.session() as s:
        heads = {h.uuid: h.head for h in s.scalars(select(Household).where(Household.uuid.in_(picked)))}
        rows = s.scalars(select(PrintLog)).all()
    # household-number order, not argument order
    assert heads[members[0]].name in text[0] and heads[members[3]].name in text[1]
    for uuid, page in zip((members[0], members[3]), text, strict=True):
        number = heads[uuid].id_number
        assert number[:6] + "********" + number[-4:] in page and number not in page
    assert sorted(r.household_uuid for r in rows) == sorted(picked)
    assert {(r.operator, r.full_id, r.target) for r in rows} == {("李", False, str(out.resolve()))}


@needs_poppler
def test_print_a_group_with_full_ids_then_only_changed(qapp, demo_db, db_file, tmp_path, capsys) -> None:
    members = _group(demo_db, "二组")
    out = tmp_path / "group.pdf"
    code = "411726100200"
    assert main(["--db", db_file, "print", str(out), "--group", f"{code}/二组", "--full-id"]) == 0
    assert "完整身份证号" in capsys.readouterr().out
    text = pages(out)
    assert len(text) == len(members)
    with demo_db.session() as s:
        first = s.scalars(select(Household).where(Household.uuid == members[0])).one()
        assert first.head.id_number in text[0]
        first.phone = "13912345678"
    again = tmp_path / "again.pdf"
    assert main(["--db", db_file, "print", str(again), "--group", f"{code}/二组",
                 "--changed-since-last-print"]) == 0
    assert "已输出 1 户、1 页" in capsys.readouterr().out
    assert "13912345678" in pages(again)[0]
    none = tmp_path / "none.pdf"
    assert main(["--db", db_file, "print", str(none), "--group", f"{code}/二组",
                 "--changed-since-last-print"]) == 0
    assert "没有上次打印后有修改的户" in capsys.readouterr().out
    assert not none.exists()


@pytest.mark.parametrize(("extra", "message"), [
    (["--village", "411726999999"], "找不到村代码“411726999999”"),
    (["--group", "411726100200/九十组"], "没有村民小组“九十组”"),
    (["--township", "411726999000"], "找不到乡镇代码“411726999000”"),
    (["--household", "00000000-0000-0000-0000-000000000000"], "找不到户"),
])
def test_bad_scope_is_a_data_error(db_file, tmp_path, capsys, extra, message) -> None:
    out = tmp_path / "x.pdf"
    assert main(["--db", db_file, "print", str(out), *extra]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_output_and_usage(db_file, tmp_path, capsys) -> None:
    assert main(["--db", db_file, "print", str(tmp_path / "x.txt"), "--all"]) == 1
    assert "应以 .pdf 结尾" in capsys.readouterr().err
    assert main(["--db", db_file, "print", str(tmp_path / "no" / "x.pdf"), "--all"]) == 1
    assert "不存在" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--db", db_file, "print", str(tmp_path / "x.pdf")])  # no scope
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--db", db_file, "print", str(tmp_path / "x.pdf"), "--all", "--village", "1"])
    assert exc.value.code == 2


@needs_poppler
def test_runs_headless_without_a_display(demo_db, db_file, tmp_path) -> None:
    """A fresh process with neither DISPLAY nor QT_QPA_PLATFORM picks the offscreen platform itself."""
    members = _group(demo_db, "一组")
    out = tmp_path / "headless.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "desktop.cli.main", "--db", db_file, "print", str(out), "--household", members[0]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "已输出 1 户、1 页" in result.stdout
    assert len(pages(out)) == 1
