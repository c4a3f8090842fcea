"""Start-up: damaged / not-ours / newer files get the right message and stay untouched; the
latest good backup is offered; the lock prompt; who is working."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from db import backup as db_backup
from db import lock as db_lock
from desktop.core import accounts
from desktop.ui import app
from desktop.ui.login_dialog import KEY_OPERATOR, LoginDialog, remember, remembered


class Prompts:
    """Records every question and answers it with the key given for its title (else the last choice)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[str, str, str, list[str]]] = []
        self.answers = answers or {}
        monkeypatch.setattr(app, "ask", self.ask)

    def ask(self, kind, title, text, choices, *, parent=None):  # noqa: ANN001
        self.calls.append((kind, title, text, [k for k, _ in choices]))
        return self.answers.get(title, choices[-1][0])

    @property
    def titles(self) -> list[str]:
        return [c[1] for c in self.calls]


@pytest.fixture
def db_file(demo_db_file: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "mingbaika.sqlite3"
    shutil.copyfile(demo_db_file, path)
    return path


def make_bad(kind: str, path: Path) -> None:
    from tests.db.test_integrity import damage_middle

    if kind == "damaged":
        damage_middle(path)
    elif kind == "text":
        path.write_text("户编号,户主姓名,身份证号\n" + "0001,张三,411726199001011234\n" * 50, encoding="utf-8")
    else:
        con = sqlite3.connect(path)
        con.execute("UPDATE alembic_version SET version_num = '9999_future'")
        con.commit()
        con.close()


CASES = [
    ("damaged", "数据库已损坏", "已损坏"),
    ("text", "不是明白卡数据库", "不是 SQLite 格式"),
    ("newer", "数据库来自更新的版本", "更新版本"),
]


@pytest.mark.parametrize(("kind", "title", "words"), CASES)
def test_bad_file_gets_the_right_message_and_is_untouched(qtbot, monkeypatch, db_file: Path, kind: str,
                                                         title: str, words: str) -> None:
    make_bad(kind, db_file)
    before = db_file.read_bytes()
    listing = sorted(p.name for p in db_file.parent.iterdir())
    prompts = Prompts(monkeypatch)
    assert app.open_for_gui(str(db_file)) is None
    assert prompts.titles == [title]
    kind_, _title, text, choices = prompts.calls[0]
    assert kind_ == "critical" and words in text and "文件未作任何改动" in text
    assert "没有找到这个数据库的可用备份" in text and choices == ["ok"]
    assert db_file.read_bytes() == before
    assert sorted(p.name for p in db_file.parent.iterdir()) == listing  # no lock file, no -wal left


def test_the_real_message_box_shows_the_text_and_its_buttons(qtbot, db_file: Path) -> None:
    """The message goes through a real QMessageBox (not only the test double)."""
    make_bad("damaged", db_file)
    before = db_file.read_bytes()
    seen: dict[str, object] = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen["title"], seen["text"] = box.windowTitle(), box.text()
        seen["buttons"] = [b.text() for b in box.buttons()]
        QTest.keyClick(box, Qt.Key.Key_Escape)

    QTimer.singleShot(20, answer)
    assert app.open_for_gui(str(db_file)) is None
    assert seen["title"] == "数据库已损坏" and "已损坏" in seen["text"]
    assert seen["buttons"] == ["确定"]
    assert db_file.read_bytes() == before


@pytest.mark.parametrize(("kind", "title", "words"), CASES)
def test_the_latest_good_backup_is_offered_and_declining_changes_nothing(
    qtbot, monkeypatch, db_file: Path, kind: str, title: str, words: str
) -> None:
    db_backup.backup_now(db_file, "daily")
    make_bad(kind, db_file)
    before = db_file.read_bytes()
    prompts = Prompts(monkeypatch)  # answers "quit"
    assert app.open_for_gui(str(db_file)) is None
    _kind, got_title, text, choices = prompts.calls[0]
    assert got_title == title and words in text
    assert "找到最近的完好备份" in text and "300 户" in text
    assert choices == ["restore", "choose", "quit"]
    assert db_file.read_bytes() == before


def test_restoring_the_offered_backup_keeps_the_damaged_bytes(qtbot, monkeypatch, db_file: Path,
                                                              isolated_home: Path) -> None:
    db_backup.backup_now(db_file, "daily")
    make_bad("damaged", db_file)
    damaged = db_file.read_bytes()
    prompts = Prompts(monkeypatch, {"数据库已损坏": "restore"})
    opened = app.open_for_gui(str(db_file))
    try:
        assert opened is not None and not opened.read_only
        assert prompts.titles == ["数据库已损坏", "已恢复"]
        with opened.database.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 300
        copies = [b for b in db_backup.list_backups(db_file, isolated_home / "backups") if b.reason == "damaged"]
        assert len(copies) == 1 and copies[0].path.read_bytes() == damaged
        assert str(copies[0].path) in prompts.calls[1][2]  # the user is told where the old file went
    finally:
        if opened is not None:
            opened.database.dispose()
            opened.lock.release()


def test_lock_held_offers_read_only_or_quit(qtbot, monkeypatch, db_file: Path) -> None:
    held = db_lock.acquire(db_file, operator="王芳")
    try:
        prompts = Prompts(monkeypatch)  # quit
        assert app.open_for_gui(str(db_file)) is None
        _kind, title, text, choices = prompts.calls[0]
        assert title == "数据库正被使用" and "王芳" in text and choices == ["read_only", "quit"]

        prompts = Prompts(monkeypatch, {"数据库正被使用": "read_only"})
        opened = app.open_for_gui(str(db_file))
        assert opened is not None and opened.read_only and opened.lock is None
        from sqlalchemy.exc import OperationalError

        with pytest.raises(OperationalError):
            with opened.database.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE household SET phone = '1'")
        opened.database.dispose()
    finally:
        held.release()


def test_a_stale_lock_is_taken_over_and_mentioned(qtbot, monkeypatch, db_file: Path) -> None:
    import json

    db_lock.lock_path(db_file).write_text(json.dumps({"user": "clerk", "host": "x", "pid": 1,
                                                      "since": "2026-11-30T08:15:00", "operator": "李娜"}))
    prompts = Prompts(monkeypatch)
    opened = app.open_for_gui(str(db_file))
    assert opened is not None and prompts.calls == []
    assert "李娜" in opened.notes[0] and "未正常关闭" in opened.notes[0]
    opened.database.dispose()
    opened.lock.release()


def test_no_lock_possible_offers_read_only(qtbot, monkeypatch, db_file: Path) -> None:
    def unavailable(path, **_kw):  # noqa: ANN001
        raise db_lock.LockUnavailableError(Path(path), "文件夹只读或没有权限")

    monkeypatch.setattr(app.db_lock, "acquire", unavailable)
    prompts = Prompts(monkeypatch, {"无法锁定数据库": "read_only"})
    opened = app.open_for_gui(str(db_file))
    assert opened is not None and opened.read_only
    assert "只读方式" in prompts.calls[0][2]
    opened.database.dispose()


# ----- who is working ------------------------------------------------------------------


def test_operator_name_prompt_is_remembered(qtbot, database) -> None:
    remember(KEY_OPERATOR, "张三")
    dialog = LoginDialog(database, mode="name")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.name_edit.text() == "张三"  # Enter is enough next time
    dialog.name_edit.clear()
    dialog.try_accept()
    assert dialog.result() != LoginDialog.DialogCode.Accepted and "请输入操作员姓名" in dialog.error_label.text()
    dialog.name_edit.setText("  李四 ")
    QTest.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.result() == LoginDialog.DialogCode.Accepted and dialog.operator == "李四"
    assert remembered(KEY_OPERATOR) == "李四"


@pytest.fixture
def protected(database, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    with database.session() as s:
        admin = accounts.create_account(s, "admin", "admin-pass", role="admin", display_name="刘主任")
        accounts.create_account(s, "wangfang", "clerk-pass", role="clerk", display_name="王芳", acting=admin)
    return database


def test_login_dialog_checks_the_password_and_counts_failures(qtbot, protected) -> None:
    dialog = LoginDialog(protected, mode="password")
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.name_edit, "wangfang")
    QTest.keyClicks(dialog.password_edit, "wrong")
    QTest.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert "用户名或密码错误" in dialog.error_label.text() and "还可再试 4 次" in dialog.error_label.text()
    assert dialog.password_edit.text() == ""
    QTest.keyClicks(dialog.password_edit, "clerk-pass")
    QTest.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert dialog.account.username == "wangfang" and dialog.operator == "王芳（wangfang）"


@pytest.mark.sqlite_only  # compares the SQLite file's bytes before and after
def test_login_into_a_read_only_database_writes_nothing(qtbot, protected, db_path) -> None:
    from db.session import open_database

    protected.dispose()
    before = db_path.read_bytes()
    database = open_database(db_path, read_only=True)
    dialog = LoginDialog(database, mode="password", read_only=True)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("admin")
    dialog.password_edit.setText("admin-pass")
    dialog.try_accept()
    assert dialog.result() == LoginDialog.DialogCode.Accepted and dialog.account.is_admin
    database.dispose()
    assert db_path.read_bytes() == before


def test_too_many_failures_close_the_login(qtbot, protected) -> None:
    dialog = LoginDialog(protected, mode="password")
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("admin")
    for _ in range(5):
        dialog.password_edit.setText("nope")
        dialog.try_accept()
    assert dialog.result() == LoginDialog.DialogCode.Rejected


def test_identify_asks_for_a_login_once_protection_is_on(qtbot, monkeypatch, protected) -> None:
    asked = []
    monkeypatch.setattr(app, "login_prompt", lambda db, on, ro: asked.append(on) or ("王芳（wangfang）", None))
    name, _account = app.identify(protected, operator="随便谁")  # --operator never replaces the login
    assert asked == [True] and name == "王芳（wangfang）"
    assert accounts.session_operator(protected) == "王芳（wangfang）"


def test_identify_uses_the_given_name_when_protection_is_off(qtbot, monkeypatch, database) -> None:
    monkeypatch.setattr(app, "login_prompt", lambda db, on, ro: pytest.fail("no prompt expected"))
    assert app.identify(database, operator="张三") == ("张三", None)
    assert accounts.session_operator(database) == "张三"


RESTART_DRIVER = r'''
import sqlite3, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import text
from desktop.ui import app as uiapp
from desktop.ui.features import safety
from desktop.ui.restore_dialog import RestoreDialog

db_path, wanted = Path(sys.argv[1]), Path(sys.argv[2])
qapp = QApplication([])
seen = []

def accept(dialog):
    dialog.preview(wanted)
    import time
    started = time.time()
    while not dialog.restore_button.isEnabled() and time.time() - started < 30:
        qapp.processEvents()
    return RestoreDialog.DialogCode.Accepted

safety.exec_dialog = accept
safety.confirm = lambda *a: True
uiapp.tell = lambda kind, title, text, **k: print("TELL", title)

def step():
    window = next((w for w in QApplication.topLevelWidgets() if w.isVisible() and hasattr(w, "safety")), None)
    if window is None or window in seen:
        QTimer.singleShot(50, step)
        return
    seen.append(window)
    with window.database.session() as s:
        print("WINDOW", len(seen), s.execute(text("select count(*) from visit")).scalar(), flush=True)
    if len(seen) == 1:
        window.safety.restore_action.trigger()
        QTimer.singleShot(50, step)
    else:
        QTimer.singleShot(50, qapp.quit)

QTimer.singleShot(50, step)
print("EXIT", uiapp.main(["--db", str(db_path), "--operator", "张三"]))
'''


def test_restore_from_the_menu_closes_restores_and_reopens(db_file: Path, tmp_path: Path) -> None:
    """The whole loop in a real process: window → 从备份恢复 → window closes → file replaced → new window."""
    import os
    import subprocess
    import sys

    made = db_backup.backup_now(db_file, "manual", dest=tmp_path / "keep.sqlite3")
    con = sqlite3.connect(db_file)
    con.execute("DELETE FROM visit")
    con.commit()
    con.close()
    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, MINGBAIKA_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", RESTART_DRIVER, str(db_file), str(made.path)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "WINDOW 1 0" in lines and "TELL 已恢复" in lines and "EXIT 0" in lines
    assert any(line.startswith("WINDOW 2 ") and line != "WINDOW 2 0" for line in lines)
    assert not db_lock.lock_path(db_file).exists()
