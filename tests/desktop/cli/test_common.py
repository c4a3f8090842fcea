"""desktop.cli.common: the helpers the commands share."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from desktop.cli import common
from desktop.cli.errors import UserError
from desktop.cli.main import main

SECRET = "Geheim-7x"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("location", "expected"), [
    (f"postgresql+psycopg://clerk:{SECRET}@127.0.0.1:1/county", "无法打开服务器 127.0.0.1 端口 1 上的数据库“county”"),
    (f"mysql://clerk:{SECRET}@localhost/county", "不支持的数据库种类“mysql”"),
])
def test_a_server_url_that_cannot_be_opened_exits_1_without_the_password(location: str, expected: str,
                                                                         capsys: pytest.CaptureFixture) -> None:
    code = main(["--db", location, "stats"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("错误：") and expected in err
    assert "Traceback" not in err and SECRET not in err


def test_the_log_of_an_unexpected_error_hides_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    from desktop.cli.commands import stats
    from desktop.core import logsetup

    def explode(_args):
        raise ZeroDivisionError("division by zero")

    logged = []

    def log_unexpected(exc, *, context=""):
        logged.append((exc, context))
        return tmp_path / "mingbaika.log"

    monkeypatch.setattr(stats, "run", explode)
    monkeypatch.setattr(logsetup, "log_unexpected", log_unexpected)
    assert main(["--db", f"postgresql+psycopg://clerk:{SECRET}@127.0.0.1:1/county", "stats"]) == 3
    [(exc, context)] = logged
    assert isinstance(exc, ZeroDivisionError)
    assert context == "mingbaika-cli --db postgresql+psycopg://clerk:***@127.0.0.1:1/county stats"
    assert SECRET not in capsys.readouterr().err


def test_database_label_names_the_file_or_the_url_without_password(database) -> None:
    label = common.database_label(database)
    if database.path is not None:
        assert label == str(database.path)
    else:
        url = database.engine.url
        assert label.startswith("postgresql") and label.endswith(f"/{url.database}")
        if url.password:
            assert str(url.password) not in label


def test_opened_db_disposes_also_on_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disposed = []
    args = argparse.Namespace(db=str(tmp_path / "x.sqlite3"))
    real_open = common.open_db

    def spy(a):
        db = real_open(a)
        monkeypatch.setattr(db, "dispose", lambda: disposed.append(True))
        return db

    monkeypatch.setattr(common, "open_db", spy)
    with pytest.raises(RuntimeError), common.opened_db(args):
        raise RuntimeError("boom")
    assert disposed == [True]


def test_user_errors_keeps_the_message_and_the_cause() -> None:
    with pytest.raises(UserError, match="^文件坏了$") as caught, common.user_errors(ValueError, KeyError):
        raise ValueError("文件坏了")
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(TypeError), common.user_errors(ValueError):
        raise TypeError("not converted")


def test_status_line_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    common.text_progress(10).update(1, 2, "导出贫困户")
    common.end_status_line()
    assert pipe.getvalue() == ""

    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    common.text_progress(6).update(1, 2, "导出贫困户")
    common.text_progress(4, clip=True).update(1, 2, "导出家庭成员")
    common.text_progress(4).update(1, 2, "")  # no text: nothing shown
    common.tty_status(lambda done, total: f"已生成 {done}/{total} 户")(3, 9)
    common.tty_progress(lambda done, total, _t: f"已排版 {done}/{total} 户" if total else None).update(0, 0)
    common.end_status_line()
    assert term.getvalue() == "\r导出贫困户 \r导出家庭\r已生成 3/9 户\n"
