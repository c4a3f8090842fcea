"""The command line as a user runs it: a real process, exit codes, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]


def cli(*args: str, env_db: str | None = None, home: Path | None = None) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    if env_db:
        env["MINGBAIKA_DB"] = env_db
    if home:
        env["MINGBAIKA_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )


def test_demo_then_stats_json(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    result = cli("--db", db, "demo", "--households", "200", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "已生成 200 户" in result.stdout
    stats = cli("--db", db, "stats", "--json")
    assert stats.returncode == 0
    counts = json.loads(stats.stdout)
    assert counts["household"] == 200
    for table in ("member", "helper", "measure", "income_record", "visit", "assignment"):
        assert counts[table] > 0, table


def test_env_variable_and_default_location(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    assert cli("demo", "--households", "3", env_db=str(db)).returncode == 0
    assert db.exists()
    home = tmp_path / "home"
    assert cli("demo", "--households", "2", home=home).returncode == 0
    assert (home / "mingbaika.sqlite3").exists()


def test_every_command_has_help() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    assert {"demo", "stats"} <= set(commands)
    for name in commands:
        result = cli(name, "--help")
        assert result.returncode == 0, name
        assert "usage" in result.stdout.lower() or "用法" in result.stdout


def test_usage_error_exits_2() -> None:
    result = cli("demo", "--households", "lots")
    assert result.returncode == 2
    assert "用法错误" in result.stderr


def test_bad_data_exits_1_with_chinese_message_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("not a database", encoding="utf-8")
    result = cli("--db", str(bad), "stats")
    assert result.returncode == 1
    assert "不是明白卡数据库" in result.stderr
    assert "Traceback" not in result.stderr
    assert bad.read_text(encoding="utf-8") == "not a database"


@pytest.mark.parametrize("households", ["0", "-5"])
def test_nonpositive_households_exit_1(tmp_path: Path, households: str) -> None:
    result = cli("--db", str(tmp_path / "x.db"), "demo", "--households", households)
    assert result.returncode == 1
    assert "必须大于 0" in result.stderr


def test_unexpected_error_is_logged_and_summarised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    from desktop.cli import main as cli_main
    from desktop.cli.commands import stats

    def explode(_args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(stats, "run", explode)
    code = cli_main.main(["--db", str(tmp_path / "x.db"), "stats"])
    err = capsys.readouterr().err
    assert code == 3
    assert "程序内部错误" in err and "Traceback" not in err
    log = Path(err.rsplit("详情已记录到 ", 1)[1].strip())
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")
