"""``backup`` / ``restore`` and refusing bad files, as a user runs them: real processes, exit codes."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db import lock

ROOT = Path(__file__).resolve().parents[3]


def cli(*args: str, home: Path, stdin: str | None = None, preexec=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MINGBAIKA_HOME=str(home))
    env.pop("MINGBAIKA_DB", None)
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, input=stdin, preexec_fn=preexec, timeout=120)


@pytest.fixture
def db(demo_db_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "mingbaika.sqlite3"
    shutil.copyfile(demo_db_file, path)
    return path


def run_in_process(capsys: pytest.CaptureFixture, *args: str, stdin: str = "",
                   monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    """The same ``main`` in this process (fast); MINGBAIKA_HOME is already the test's own folder."""
    import io

    from desktop.cli.main import main

    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def make_bad(kind: str, db: Path) -> Path:
    from tests.db.test_integrity import damage_middle

    if kind == "damaged":
        damage_middle(db)
    elif kind == "text":
        db.write_text("户编号,姓名\n001,张三\n" * 40, encoding="utf-8")
    else:
        con = sqlite3.connect(db)
        con.execute("UPDATE alembic_version SET version_num = '9999_future'")
        con.commit()
        con.close()
    return db


@pytest.mark.parametrize(("kind", "words"), [("damaged", "已损坏"), ("text", "不是明白卡数据库"), ("newer", "更新版本")])
def test_bad_files_exit_1_with_the_right_message_and_stay_untouched(kind: str, words: str, db: Path,
                                                                     isolated_home: Path) -> None:
    make_bad(kind, db)
    before = db.read_bytes()
    listing = sorted(p.name for p in db.parent.iterdir())
    result = cli("--db", str(db), "stats", home=isolated_home)
    assert result.returncode == 1, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == listing


@pytest.mark.parametrize("kind", ["damaged", "text", "newer"])
def test_backup_refuses_bad_files_and_writes_nothing(kind: str, db: Path, isolated_home: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    make_bad(kind, db)
    before = db.read_bytes()
    code, _out, err = run_in_process(capsys, "--db", str(db), "backup")
    assert code == 1 and err.startswith("错误：")
    assert db.read_bytes() == before
    backups = isolated_home / "backups"
    assert not backups.exists() or not any(backups.iterdir())


def test_backup_list_and_restore(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_in_process(capsys, "--db", str(db), "backup")
    assert code == 0 and "已备份并校验" in out, err
    code, out, _ = run_in_process(capsys, "--db", str(db), "backup", str(tmp_path / "u盘.sqlite3"))
    assert code == 0 and (tmp_path / "u盘.sqlite3").exists()
    code, out, _ = run_in_process(capsys, "--db", str(db), "backup", "--list")
    assert "共 1 份备份" in out and "手动备份" in out

    con = sqlite3.connect(db)
    con.execute("DELETE FROM member")
    con.commit()
    con.close()
    backup_file = tmp_path / "u盘.sqlite3"
    code, out, err = run_in_process(capsys, "--db", str(db), "restore", str(backup_file), monkeypatch=monkeypatch)
    assert code == 1 and "--yes" in err
    assert "贫困户" in out and "\t300" in out  # the preview came first
    code, out, err = run_in_process(capsys, "--db", str(db), "restore", str(backup_file), "--yes")
    assert code == 0, err
    assert "原数据库已备份到" in out and "已恢复" in out
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM member").fetchone()[0] > 0
    con.close()


def test_restore_refused_while_the_app_holds_the_lock(db: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(db, copy)
    before = db.read_bytes()
    with lock.acquire(db, operator="张三"):
        code, _out, err = run_in_process(capsys, "--db", str(db), "restore", str(copy), "--yes")
    assert code == 1 and "张三" in err and "未作任何改动" in err
    assert db.read_bytes() == before


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_backup_onto_a_full_disk_exits_1_and_leaves_nothing(db: Path, isolated_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "满盘"
    folder.mkdir()
    result = cli("--db", str(db), "backup", str(folder), home=isolated_home, preexec=_limit_file_size)
    assert result.returncode == 1, result.stderr
    assert "备份失败" in result.stderr and "磁盘" in result.stderr
    assert list(folder.iterdir()) == []
