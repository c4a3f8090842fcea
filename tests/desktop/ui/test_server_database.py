"""The GUI on a server database: which database it is on, 连接服务器数据库…, no file lock,
backups explained (runs on SQLite and, with MINGBAIKA_TEST_PG_URL, on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy.engine import make_url

from db import lock as db_lock
from desktop.core.paths import data_dir
from desktop.ui import app, server_dialog
from desktop.ui.features import safety
from desktop.ui.login_dialog import SETTINGS_FILE
from desktop.ui.main_window import MainWindow
from desktop.ui.server_dialog import ServerDialog
from tests.desktop.ui.keyboard import type_text


def _url(database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def messages(monkeypatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(safety, "inform", lambda _p, title, text: seen.append((title, text)))
    monkeypatch.setattr(safety, "warn", lambda _p, title, text: seen.append((title, text)))
    return seen


def test_window_says_which_database_it_is_on(qtbot, database, backend) -> None:
    window = MainWindow(database, operator="甲")
    qtbot.addWidget(window)
    label = window.database_label.text()
    url = database.engine.url
    if backend == "sqlite":
        assert label == f"本机数据库：{database.path}"
        assert window.windowTitle() == f"明白卡 — 本机数据库 {database.path}"
    else:
        assert label.startswith(f"服务器数据库：PostgreSQL {url.host}:{url.port}/{url.database}")
        assert window.windowTitle() == f"明白卡 — 服务器数据库 PostgreSQL {url.host}:{url.port}/{url.database}"
        if url.username:
            assert f"用户 {url.username}" in label
    assert "***" not in label + window.windowTitle()
    assert window.database_label in window.statusBar().findChildren(type(window.database_label))


def test_backup_and_restore_on_a_server_explain_pg_dump(qtbot, database, backend, messages) -> None:
    window = MainWindow(database, operator="甲")
    qtbot.addWidget(window)
    feature = window.safety
    assert feature.backup_action.isEnabled() and feature.restore_action.isEnabled()
    if backend == "sqlite":
        assert feature.database_path == database.path
        return
    feature.backup_action.trigger()
    feature.restore_action.trigger()
    assert [t for t, _ in messages] == ["立即备份", "从备份恢复"]
    assert "pg_dump" in messages[0][1] and "docs/postgresql.md" in messages[0][1]
    assert "pg_restore" in messages[1][1]
    assert feature.start_daily_backup() is False  # the server's administrator backs it up


def test_server_database_is_opened_without_a_file_lock(qtbot, database, backend, tmp_path, monkeypatch) -> None:
    if backend == "sqlite":
        pytest.skip("a SQLite file is locked (tests/desktop/ui/test_startup.py)")
    taken: list = []
    monkeypatch.setattr(db_lock, "acquire", lambda *a, **k: taken.append(a))
    opened = app.open_for_gui(_url(database))
    try:
        assert opened is not None and opened.lock is None and not opened.read_only
        assert opened.location == _url(database)
        assert taken == []  # several clerks may write at once
    finally:
        opened.database.dispose()


def test_a_failed_server_open_offers_the_server_dialog_again(qtbot, database, backend, monkeypatch) -> None:
    if backend == "sqlite":
        pytest.skip("about server URLs")
    url = database.engine.url
    wrong = url.set(database=url.database + "_missing").render_as_string(hide_password=False)
    asked: list[str] = []
    monkeypatch.setattr(app, "ask", lambda kind, title, text, choices, **_k: asked.append(text) or "server")
    monkeypatch.setattr(app, "ask_server", lambda error, previous: (asked.append(error), _url(database))[1])
    opened = app.open_for_gui(wrong)
    try:
        assert opened is not None and opened.location == _url(database)
        assert "没有这个数据库" in asked[0] and asked[0] == asked[1]
    finally:
        opened.database.dispose()
    monkeypatch.setattr(app, "ask", lambda *a, **k: "quit")
    assert app.open_for_gui(wrong) is None


def test_server_dialog_builds_the_url_and_never_stores_the_password(qtbot, isolated_home: Path) -> None:
    dialog = ServerDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.database.text() == "mingbaika" and dialog.port.value() == 5432
    dialog.check()  # nothing typed yet
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "服务器地址" in dialog.error.text() and "用户名" in dialog.error.text()
    dialog.host.setFocus()
    type_text("dbserver")
    qtbot.keyClick(dialog.host, Qt.Key.Key_Tab)
    dialog.port.selectAll()
    type_text("5433")
    for widget, text in ((dialog.user, "mb_clerk"), (dialog.password, "p@ss word")):
        widget.setFocus()
        type_text(text)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    url = dialog.url
    assert (url.drivername, url.host, url.port, url.database, url.username, url.password) == (
        "postgresql+psycopg", "dbserver", 5433, "mingbaika", "mb_clerk", "p@ss word")
    assert make_url(dialog.location()).password == "p@ss word"  # in memory, for open_database only
    settings = (data_dir() / SETTINGS_FILE).read_text(encoding="utf-8")
    assert "dbserver" in settings and "mb_clerk" in settings and "p@ss" not in settings and "word" not in settings
    again = ServerDialog()  # remembered, except the password
    qtbot.addWidget(again)
    assert (again.host.text(), again.port.value(), again.user.text(), again.password.text()) == (
        "dbserver", 5433, "mb_clerk", "")
    assert again.focusWidget() in (None, again.password)


def test_connect_action_restarts_the_session_on_the_server(qtbot, database, monkeypatch) -> None:
    restarted: list[bool] = []
    context = safety.SafetyContext(database=database, operator="甲", restart=lambda: restarted.append(True))
    safety.set_context(context)
    window = MainWindow(database, operator="甲")
    qtbot.addWidget(window)
    safety.set_context(None)
    target = "postgresql+psycopg://mb_clerk@dbserver:5432/mingbaika"
    monkeypatch.setattr(server_dialog, "ask_server", lambda *_a, **_k: target)
    window.safety.connect_action.trigger()
    assert restarted == [True] and context.pending_location == target
    monkeypatch.setattr(safety, "choose_database_file", lambda *_a: "/data/other.sqlite3")
    window.safety.open_file_action.trigger()
    assert context.pending_location == "/data/other.sqlite3" and len(restarted) == 2
    texts = [a.text() for a in window.menu("file").actions() if not a.isSeparator()]
    assert "连接服务器数据库(&C)…" in texts and "打开数据库文件(&O)…" in texts
