"""The data-safety menu in the main window: backup now, restore (preview first), settings,
operators, read-only state, the daily backup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from db import backup as db_backup
from db import lock as db_lock
from db.session import open_database
from desktop.core import accounts
from desktop.ui import app, safety_dialogs
from desktop.ui.features import safety
from desktop.ui.main_window import MainWindow
from desktop.ui.restore_dialog import RestoreDialog


@pytest.fixture
def db_file(demo_db_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "mingbaika.sqlite3"
    shutil.copyfile(demo_db_file, path)
    return path


@pytest.fixture
def messages(monkeypatch):
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(safety, "inform", lambda _p, title, text: seen.append((title, text)))
    monkeypatch.setattr(safety, "warn", lambda _p, title, text: seen.append((title, text)))
    monkeypatch.setattr(safety_dialogs, "inform", lambda _p, title, text: seen.append((title, text)))
    monkeypatch.setattr(safety_dialogs, "warn", lambda _p, title, text: seen.append((title, text)))
    return seen


def make_window(qtbot, database, context: safety.SafetyContext | None = None) -> MainWindow:
    safety.set_context(context)
    window = MainWindow(database, operator=context.operator if context else "张三")
    qtbot.addWidget(window)
    safety.set_context(None)
    return window


def texts(menu) -> list[str]:
    return [a.text() for a in menu.actions() if a.isVisible() and not a.isSeparator()]


def test_menu_entries_and_status(qtbot, demo_db) -> None:
    window = make_window(qtbot, demo_db)
    file_items = texts(window.menu("file"))
    assert file_items[:2] == ["立即备份(&B)", "从备份恢复(&R)…"] and file_items[-1] == "退出(&X)"
    tools = texts(window.menu("tools"))
    assert "备份设置(&S)…" in tools and "操作员管理(&O)…" in tools  # no admin yet: anyone may create one
    assert "修改密码(&P)…" not in tools
    assert window.safety.backup_action.shortcut().toString() == "Ctrl+Shift+B"
    assert "操作员：张三" in window.safety.status.text()


@pytest.mark.sqlite_only  # backups are copies of the SQLite file (a server: pg_dump by its administrator)
def test_backup_now_runs_off_the_gui_thread_and_reports(qtbot, demo_db, messages, isolated_home: Path) -> None:
    window = make_window(qtbot, demo_db)
    window.safety.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(messages), timeout=20000)
    title, text = messages[0]
    assert title == "立即备份" and "已备份并通过完整性校验" in text
    made = db_backup.list_backups(demo_db.path, isolated_home / "backups")
    assert len(made) == 1 and made[0].reason == "manual" and str(made[0].path) in text


@pytest.mark.sqlite_only  # backups are copies of the SQLite file (a server: pg_dump by its administrator)
def test_backup_failure_is_reported_in_chinese(qtbot, demo_db, messages, monkeypatch) -> None:
    def fail(*_a, **_k):
        raise db_backup.BackupError("“E:\\备份”所在磁盘空间不足")

    monkeypatch.setattr(safety.db_backup, "backup_now", fail)
    window = make_window(qtbot, demo_db)
    window.safety.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(messages), timeout=20000)
    assert messages[0] == ("备份失败", "备份失败：“E:\\备份”所在磁盘空间不足")


def test_restore_dialog_previews_before_anything_is_replaced(qtbot, db_file: Path) -> None:
    from tests.db.test_integrity import damage_middle

    good = db_backup.backup_now(db_file, "daily")
    bad = db_backup.backup_now(db_file, "manual")
    damage_middle(bad.path)
    before = db_file.read_bytes()
    dialog = RestoreDialog(db_file)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 2
    # newest first: the damaged one is selected and refused
    qtbot.waitUntil(lambda: "不能用这个文件恢复" in dialog.preview_title.text(), timeout=20000)
    assert not dialog.restore_button.isEnabled()
    dialog.table.selectRow(1)
    qtbot.waitUntil(dialog.restore_button.isEnabled, timeout=20000)
    assert dialog.selected == good.path
    rows = {dialog.counts.item(r, 0).text(): dialog.counts.item(r, 1).text() for r in range(dialog.counts.rowCount())}
    assert rows["贫困户"] == "300" and int(rows["家庭成员"]) > 300
    assert "完整性检查：通过" in dialog.preview_title.text()
    assert db_file.read_bytes() == before


def test_restore_action_asks_then_restarts_the_session(qtbot, db_file: Path, monkeypatch) -> None:
    made = db_backup.backup_now(db_file, "daily")
    database = open_database(db_file)
    restarted = []
    context = safety.SafetyContext(database=database, operator="张三", restart=lambda: restarted.append(True))
    window = make_window(qtbot, database, context)

    def accept_first(dialog) -> int:  # noqa: ANN001
        qtbot.waitUntil(dialog.restore_button.isEnabled, timeout=20000)
        return RestoreDialog.DialogCode.Accepted

    questions = []
    monkeypatch.setattr(safety, "exec_dialog", accept_first)
    monkeypatch.setattr(safety, "confirm", lambda _p, title, text: questions.append(text) or True)
    window.safety.restore_action.trigger()
    assert "300 户" in questions[0] and "当前数据库会先备份" in questions[0]
    assert restarted == [True] and context.pending_restore == made.path
    database.dispose()


def test_pending_restore_runs_after_the_window_closed(qtbot, db_file: Path, monkeypatch) -> None:
    import sqlite3

    made = db_backup.backup_now(db_file, "daily")
    con = sqlite3.connect(db_file)
    con.execute("DELETE FROM visit")
    con.commit()
    con.close()
    told = []
    monkeypatch.setattr(app, "tell", lambda kind, title, text, **_k: told.append((title, text)))
    with db_lock.acquire(db_file) as held:
        assert app.run_pending_restore(db_file, made.path, held)
    assert told[0][0] == "已恢复" and "恢复前的数据库已备份为" in told[0][1]
    con = sqlite3.connect(db_file)
    assert con.execute("SELECT count(*) FROM visit").fetchone()[0] > 0
    con.close()


def test_read_only_session(qtbot, db_file: Path) -> None:
    open_database(db_file).dispose()
    database = open_database(db_file, read_only=True)
    window = make_window(qtbot, database)  # the context is derived from the database itself
    assert window.windowTitle().endswith("（只读）")
    assert "只读" in window.safety.status.text()
    assert not window.safety.restore_action.isEnabled()
    assert window.safety.database_path == db_file  # 立即备份 still works on the right file
    assert not window.safety.operators_action.isVisible()
    assert window.safety.start_daily_backup() is False
    database.dispose()


@pytest.mark.sqlite_only  # backups are copies of the SQLite file (a server: pg_dump by its administrator)
def test_daily_backup_in_the_background_once_a_day(qtbot, demo_db, isolated_home: Path) -> None:
    window = make_window(qtbot, demo_db)
    assert window.safety.start_daily_backup() is True
    QThreadPool.globalInstance().waitForDone(20000)
    qtbot.waitUntil(lambda: "今日自动备份已完成" in window.statusBar().currentMessage(), timeout=5000)
    assert [b.reason for b in db_backup.list_backups(demo_db.path, isolated_home / "backups")] == ["daily"]
    assert window.safety.start_daily_backup() is False


def test_backup_settings_are_saved_to_the_config(qtbot, demo_db, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "U盘备份"
    monkeypatch.setattr(safety_dialogs, "choose_folder", lambda _p, _s: str(target))
    dialog = safety_dialogs.BackupSettingsDialog(demo_db.path)
    qtbot.addWidget(dialog)
    dialog.browse()
    dialog.spins["keep_daily"].setValue(10)
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    settings = db_backup.load_settings()
    assert settings.resolved_folder() == target and settings.keep_daily == 10 and target.is_dir()


def test_backup_settings_refuse_an_unusable_folder(qtbot, demo_db, tmp_path: Path, messages) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    dialog = safety_dialogs.BackupSettingsDialog(demo_db.path)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(blocker / "sub"))
    dialog.save()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert messages and "不能使用文件夹" in messages[0][1]
    assert db_backup.load_settings() == db_backup.BackupSettings()


def test_first_admin_then_only_admins_manage(qtbot, database, monkeypatch, messages) -> None:
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)

    def fill(values: dict[str, str]):
        def run(dialog) -> int:  # noqa: ANN001
            for name, value in values.items():
                getattr(dialog, name).setText(value)
            dialog.check()
            return dialog.result()
        return run

    monkeypatch.setattr(safety_dialogs, "run_dialog", fill({"username_edit": "admin", "display_edit": "刘主任",
                                                           "new_edit": "admin-pass", "again_edit": "admin-pass"}))
    dialog = safety_dialogs.OperatorsDialog(database, None, operator_name="刘主任")
    qtbot.addWidget(dialog)
    assert "尚未启用密码保护" in dialog.state.text()
    dialog.create()
    assert "密码保护已启用" in dialog.state.text() and dialog.acting.is_admin
    assert "已创建管理员“admin”" in messages[-1][1]
    monkeypatch.setattr(safety_dialogs, "run_dialog", fill({"username_edit": "wangfang", "new_edit": "clerk-pass",
                                                           "again_edit": "clerk-pass"}))
    dialog.create()  # acting as the new admin
    assert [a.username for a in dialog.accounts] == ["admin", "wangfang"]

    with database.session() as s:
        clerk = accounts.authenticate(s, "wangfang", "clerk-pass")
    window = make_window(qtbot, database, safety.SafetyContext(database=database, operator=clerk.label,
                                                               account=clerk))
    assert not window.safety.operators_action.isVisible() and window.safety.password_action.isVisible()
    assert "录入员" in window.safety.status.text()
    with database.session() as s:
        admin = accounts.authenticate(s, "admin", "admin-pass")
    window = make_window(qtbot, database, safety.SafetyContext(database=database, operator=admin.label,
                                                               account=admin))
    assert window.safety.operators_action.isVisible()
