"""Roster tabs: helpers with their households, villages, poverty lines, township settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from db.models import Assignment, AuditLog, Helper, PovertyLine, Setting, Village
from desktop.core import rosters
from desktop.core.pinyin import search_key
from tests.desktop.ui.keyboard import focus, key, open_window, type_text

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot, demo_db):
    return open_window(qtbot, demo_db, "管理员")


def test_helper_roster_search_households_and_edit(qtbot, window, demo_db) -> None:
    with demo_db.session() as s:
        helper = s.scalars(select(Helper).order_by(Helper.id)).first()
        hid, name = helper.id, helper.name
        served = s.scalar(select(func.count(func.distinct(Assignment.household_id))).where(
            Assignment.helper_id == hid))
        total = s.scalar(select(func.count()).select_from(Helper))
    window.browser.view.setFocus()
    key(Qt.Key.Key_H, CTRL_SHIFT)
    roster = window.rosters.tabs["helpers"]
    assert window.tabs.currentWidget() is roster and roster.model.rowCount() == total
    roster.search.setFocus()
    type_text(search_key(name).split()[-1])  # pinyin initials
    qtbot.waitUntil(lambda: roster.model.rowCount() < total)
    ids = [r["id"] for r in roster.model.rows]
    assert hid in ids
    roster.table.selectRow(ids.index(hid))
    assert roster.served.rowCount() == served and roster.served_label.text().startswith("帮扶的户：目前")
    phone = roster.form.editors["phone"]
    phone.setFocus()
    phone.selectAll()
    type_text("13700001111")
    key(Qt.Key.Key_S, ALT)
    with demo_db.session() as s:
        assert s.get(Helper, hid).phone == "13700001111"
        assert s.scalar(select(AuditLog.operator).where(AuditLog.entity_uuid == helper.uuid,
                                                        AuditLog.field_name == "phone")) == "管理员"
    # Enter on a served household opens its card.
    roster.served.setFocus()
    roster.served.setCurrentCell(0, 0)
    key(Qt.Key.Key_Return)
    assert window.editor is not None and window.tabs.currentWidget() is window.editor
    assert hid in [a["helper_id"] for a in window.editor.card.assignments]


def test_new_helper_is_offered_in_pickers(qtbot, window, demo_db) -> None:
    roster = window.rosters.show("helpers")
    roster.new_helper()
    assert focus() is roster.form.editors["name"]
    type_text("诸葛亮")
    roster.form.editors["unit"].setFocus()
    type_text("县农业局")
    assert roster.save()
    with demo_db.session() as s:
        new_id = s.scalar(select(Helper.id).where(Helper.name == "诸葛亮"))
    assert new_id is not None
    assert "诸葛亮（县农业局）" in window.helper_choices.names.values()
    roster.new_helper()
    assert not roster.save() and "不能为空" in roster.message.text()


def test_village_roster_saves_support_and_exit_indicators(qtbot, window, demo_db) -> None:
    key(Qt.Key.Key_V, CTRL_SHIFT)
    roster = window.rosters.tabs["villages"]
    with demo_db.session() as s:
        first = s.scalars(select(Village).order_by(Village.code)).first()
    assert roster.model.rows[0]["id"] == first.id
    roster.support_form.editors["first_secretary"].setFocus()
    roster.support_form.editors["first_secretary"].selectAll()
    type_text("黄文秀")
    roster.exit_form.editors["broadband"].setFocus()
    type_text("1")  # 是
    key(Qt.Key.Key_S, ALT)
    with demo_db.session() as s:
        v = s.get(Village, first.id)
        assert (v.first_secretary, v.broadband) == ("黄文秀", True)
    assert roster.model.rows[0]["first_secretary"] == "黄文秀"


def test_poverty_line_roster(qtbot, window, demo_db) -> None:
    roster = window.rosters.show("lines")
    n = roster.model.rowCount()
    roster.new_line()
    type_text("2031")
    roster.form.editors["amount"].setFocus()
    type_text("4500")
    assert roster.save() and roster.model.rowCount() == n + 1
    with demo_db.session() as s:
        assert s.scalar(select(PovertyLine.amount).where(PovertyLine.year == 2031)) == Decimal("4500")
    roster.new_line()
    type_text("2031")
    roster.form.editors["amount"].setFocus()
    type_text("4600")
    assert not roster.save() and "已存在" in roster.message.text()


def test_township_settings_working_year_reaches_the_editor(qtbot, window, demo_db) -> None:
    settings = window.rosters.show("settings")
    settings.year.setFocus()
    settings.year.selectAll()
    type_text("2019")
    assert settings.save()
    with demo_db.session() as s:
        assert s.get(Setting, rosters.WORKING_YEAR_KEY).value == "2019"
        uuid = s.scalar(select(Village.uuid).limit(1))
        assert uuid
        from db.models import Household

        household = s.scalar(select(Household.uuid).limit(1))
    window.open_household(household)
    editor = window.editor
    assert editor.ctx.working_year == 2019
    row = editor.card.members[0]
    col = editor.members.model.keys.index("age")
    assert editor.members.model.data(editor.members.model.index(0, col)) == str(2019 - row["birth_date"].year)
