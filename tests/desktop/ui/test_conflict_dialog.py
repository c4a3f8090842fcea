"""The save-conflict dialog in the card editor, with a second clerk on a second connection
(runs on SQLite and, with MINGBAIKA_TEST_PG_URL, on PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import func, select

from db.models import Household, Member
from db.session import open_database
from desktop.core import households
from desktop.core.demo import DemoOptions, generate
from desktop.ui.card_editor.conflict_dialog import ConflictDialog
from tests.desktop.ui.keyboard import key, open_window, type_text

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def clerks(database):
    """(甲's database for the window, 乙's second connection, a household uuid)."""
    with database.session() as s:
        generate(s, DemoOptions(households=4, seed=5))
        hid = s.scalar(select(Member.household_id).group_by(Member.household_id).having(func.count() >= 2)
                       .order_by(Member.household_id).limit(1))
        uuid = s.get(Household, hid).uuid
    other = open_database(database.engine.url.render_as_string(hide_password=False))
    yield database, other, uuid
    other.dispose()


@pytest.fixture
def window(qtbot, clerks):
    return open_window(qtbot, clerks[0], "甲")


def _other_clerk_saves(other, uuid: str) -> None:
    """乙 changes one member's phone (not the household row) and saves."""
    with other.session() as s:
        card = households.load_card(s, uuid)
        card.members[1]["phone"] = "13955556666"
        households.save_card(s, card, operator="乙")


def _type_phone(window, text: str) -> None:
    editor = window.editor
    editor.tabs.setCurrentWidget(editor.basic)
    editor.basic.editor("phone").setFocus()
    editor.basic.editor("phone").selectAll()
    type_text(text)


def _on_dialog(act, seen: dict) -> None:
    """Run ``act(dialog)`` once the conflict dialog is up (it is modal: Ctrl+S blocks)."""

    deadline = time.monotonic() + 15

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QMessageBox) and time.monotonic() < deadline:
            for button in dialog.buttons():  # a demo card may carry errors: "仍然保存"
                if "仍然保存" in button.text():
                    button.click()
                    break
            QTimer.singleShot(20, poll)
            return
        if not isinstance(dialog, ConflictDialog):
            if time.monotonic() > deadline:  # never hang the run: close whatever is up
                seen["stuck"] = repr(dialog)
                if dialog is not None:
                    dialog.reject()
                return
            QTimer.singleShot(20, poll)
            return
        seen["message"] = dialog.message.text()
        seen["rows"] = [tuple(dialog.table.item(r, c).text() for c in range(3))
                        for r in range(dialog.table.rowCount())]
        seen["headers"] = [dialog.table.horizontalHeaderItem(c).text() for c in range(3)]
        if not dialog.isActiveWindow():  # offscreen: give the modal dialog the activation a WM would
            dialog.activateWindow()
            QApplication.processEvents()
        seen["focus"] = QApplication.focusWidget() is dialog.table
        act(dialog)

    QTimer.singleShot(0, poll)


def _phone(db, uuid: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(Household.phone).where(Household.uuid == uuid))


def _member_phones(db, uuid: str) -> list[str | None]:
    with db.session() as s:
        return list(s.scalars(select(Member.phone).join(Household).where(Household.uuid == uuid)
                              .order_by(Member.seq, Member.id)))


def test_conflict_shows_both_versions_and_reapplies_my_change(qtbot, window, clerks) -> None:
    db, other, uuid = clerks
    window.open_household(uuid)
    _type_phone(window, "13811112222")
    _other_clerk_saves(other, uuid)
    seen: dict = {}
    _on_dialog(lambda _d: key(Qt.Key.Key_A, ALT), seen)
    key(Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "rows" in seen or "stuck" in seen)
    assert "stuck" not in seen, seen.get("stuck")
    assert seen["headers"] == ["项目", "您的修改", "数据库中的最新内容"]
    assert "乙" in seen["message"] and "没有保存" in seen["message"]
    assert seen["focus"]  # the table has the keyboard: arrows read it, Alt+A/Alt+L/Esc choose
    rows = {r[0]: r for r in seen["rows"]}
    assert rows["基本情况 · 联系电话"][1] == "13811112222"
    member_row = next(r for item, r in rows.items() if item.startswith("家庭成员") and "成员联系电话" in item)
    assert member_row[2] == "13955556666" and member_row[1].startswith("（未改）")

    editor = window.editor
    assert editor.is_dirty()  # re-applied, not yet saved
    assert editor.card.household["phone"] == "13811112222"
    assert editor.card.members[1]["phone"] == "13955556666"
    assert _phone(db, uuid) != "13811112222"
    key(Qt.Key.Key_S, CTRL)  # now it saves on top of 乙's version
    assert not editor.is_dirty()
    assert _phone(other, uuid) == "13811112222"
    assert _member_phones(other, uuid)[1] == "13955556666"


def test_reload_takes_the_database_version(qtbot, window, clerks) -> None:
    db, other, uuid = clerks
    before = _phone(db, uuid)
    window.open_household(uuid)
    _type_phone(window, "13811113333")
    _other_clerk_saves(other, uuid)
    seen: dict = {}
    _on_dialog(lambda _d: key(Qt.Key.Key_L, ALT), seen)
    key(Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "rows" in seen or "stuck" in seen)
    assert "stuck" not in seen, seen.get("stuck")
    editor = window.editor
    assert not editor.is_dirty()
    assert editor.card.household["phone"] == before
    assert editor.card.members[1]["phone"] == "13955556666"
    assert _phone(db, uuid) == before


def test_cancel_keeps_my_edit_on_screen_and_writes_nothing(qtbot, window, clerks) -> None:
    db, other, uuid = clerks
    before = _phone(db, uuid)
    window.open_household(uuid)
    _type_phone(window, "13811114444")
    _other_clerk_saves(other, uuid)
    seen: dict = {}
    _on_dialog(lambda _d: key(Qt.Key.Key_Escape), seen)
    key(Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "rows" in seen or "stuck" in seen)
    assert "stuck" not in seen, seen.get("stuck")
    editor = window.editor
    assert editor.is_dirty() and editor.card.household["phone"] == "13811114444"
    assert _phone(db, uuid) == before
    assert _member_phones(db, uuid)[1] == "13955556666"
