"""The issue's "Done when": by keyboard alone, create a household with four members, see birth
dates filled from the ID numbers, get a visible error for a bad ID, save, find it by pinyin
initials, reopen it and see its history."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from db.models import AuditLog, Household, Member, Village, VillageGroup
from desktop.core.idnumber import check_char
from tests.desktop.ui.keyboard import focus, key, open_window, type_text

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def make_id(birth: str, seq: str) -> str:
    body = "411726" + birth + seq
    return body + check_char(body)


# 欧阳 is not among the demo surnames, so "oycx" finds exactly this household.
MEMBERS = [
    ("欧阳春晓", "01", make_id("19700315", "123"), "男", date(1970, 3, 15)),  # 户主
    ("李秀兰", "02", make_id("19720708", "124"), "女", date(1972, 7, 8)),  # 配偶
    ("欧阳明", "03", make_id("19950101", "135"), "男", date(1995, 1, 1)),  # 之子
    ("欧阳丽", "04", make_id("20050620", "146"), "女", date(2005, 6, 20)),  # 之女
]


def bad(id_number: str) -> str:
    """The same number with a wrong check character."""
    last = id_number[-1]
    return id_number[:-1] + ("1" if last != "1" else "2")


@pytest.fixture
def window(qtbot, demo_db):
    return open_window(qtbot, demo_db, "测试员", browser=True)


def test_new_household_by_keyboard_alone(qtbot, window, demo_db) -> None:
    with demo_db.session() as s:
        village = s.scalars(select(Village).order_by(Village.code)).first()
        village_code, village_id = village.code, village.id
        group_id = s.scalar(select(VillageGroup.id).where(VillageGroup.village_id == village_id,
                                                          VillageGroup.name == "一组"))

    # Ctrl+N: a new card, the cursor in its first field (行政村).
    window.browser.view.setFocus()
    key(Qt.Key.Key_N, CTRL)
    editor = window.editor
    assert editor is not None and window.tabs.currentWidget() is editor
    assert focus() is editor.basic.village
    type_text(village_code)  # the village by its code
    assert editor.card.household["village_id"] == village_id
    key(Qt.Key.Key_Tab)
    assert focus() is editor.basic.group
    type_text("yz")  # 一组 by its pinyin initials
    assert editor.card.household["group_id"] == group_id
    key(Qt.Key.Key_Tab)  # 自然村
    key(Qt.Key.Key_Tab)  # 户编号
    type_text("4117269901")
    assert editor.card.household["household_number"] == "4117269901"

    # Alt+3: 致贫原因; the main cause by its code.
    key(Qt.Key.Key_3, ALT)
    assert editor.tabs.currentWidget() is editor.causes
    qtbot.waitUntil(lambda: focus() is editor.causes.editor("main_cause"))
    type_text("01")
    assert editor.card.household["main_cause"] == "因病"

    # Alt+2: the members grid. Insert adds the first row; Enter finishes a row and adds the next.
    key(Qt.Key.Key_2, ALT)
    assert editor.tabs.currentWidget() is editor.members
    qtbot.waitUntil(lambda: focus() is editor.members.view)
    key(Qt.Key.Key_Insert)
    grid = editor.members
    model = grid.model
    id_col = model.keys.index("id_number")
    for i, (name, relation, id_number, _sex, _birth) in enumerate(MEMBERS):
        assert grid.current_row() == i and grid.view.currentIndex().column() == 0
        type_text(name)
        key(Qt.Key.Key_Tab)
        type_text(relation)
        key(Qt.Key.Key_Tab)
        type_text(bad(id_number) if i == 3 else id_number)
        key(Qt.Key.Key_Tab)  # commit the ID: sex and birth date fill in at once
        if i == 3:
            # A visible error for the bad ID: the cell turns red and the message is shown.
            assert model.data(model.index(3, id_col), Qt.ItemDataRole.BackgroundRole) is not None
            assert "校验" in grid.message.text() and grid.message.isVisible()
            assert any("校验" in editor.problems.item(n).text() for n in range(editor.problems.count()))
            key(Qt.Key.Key_Escape)  # leave the sex cell editor
            key(Qt.Key.Key_Backtab)  # back to the ID cell
            type_text(id_number)
            key(Qt.Key.Key_Tab)
            assert "校验" not in grid.message.text()
        key(Qt.Key.Key_Escape)  # close the cell editor that Tab opened
        key(Qt.Key.Key_Return)  # next member
    rows = [m for m in editor.card.members if m.get("name")]
    assert [m["name"] for m in rows] == [m[0] for m in MEMBERS]
    assert [m["relation"] for m in rows] == ["户主", "配偶", "之子", "之女"]
    # Birth dates, sexes and ages came from the ID numbers.
    assert [m["birth_date"] for m in rows] == [m[4] for m in MEMBERS]
    assert [m["sex"] for m in rows] == [m[3] for m in MEMBERS]
    age_col = model.keys.index("age")
    year = editor.ctx.working_year
    assert model.data(model.index(0, age_col)) == str(year - 1970)
    assert model.data(model.index(0, model.keys.index("birth_date"))) == "1970-03-15"
    assert not [i for i in editor.issues if i.severity == "错误"], [i.message for i in editor.issues]

    # Ctrl+S saves the card in one transaction.
    key(Qt.Key.Key_S, CTRL)
    assert not editor.is_dirty()
    uuid = editor.uuid
    assert uuid
    with demo_db.session() as s:
        h = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        assert (h.household_number, h.household_size, h.main_cause, h.group_id) == ("4117269901", 4, "因病", group_id)
        names = s.scalars(select(Member.name).where(Member.household_id == h.id).order_by(Member.seq)).all()
        assert names == [m[0] for m in MEMBERS]

    # Esc leaves the card; Ctrl+F and the pinyin initials find it; Enter on the single result reopens it.
    key(Qt.Key.Key_Escape)
    assert window.editor is None and window.tabs.currentWidget() is window.browser
    key(Qt.Key.Key_F, CTRL)
    assert focus() is window.browser.search
    type_text("oycx")
    qtbot.waitUntil(lambda: window.browser.model.rowCount() == 1)
    assert window.browser.model.uuid_at(0) == uuid
    key(Qt.Key.Key_Return)
    editor = window.editor
    assert editor is not None and editor.uuid == uuid and window.tabs.currentWidget() is editor

    # Change the phone by keyboard, save, and see the change in the history (Alt+0).
    phone = editor.basic.editor("phone")
    key(Qt.Key.Key_1, ALT)  # 基本情况, cursor in its first field
    qtbot.waitUntil(lambda: focus() is editor.basic.village)
    for _ in range(12):  # reach the phone field with Tab only
        if focus() is phone:
            break
        key(Qt.Key.Key_Tab)
    assert focus() is phone
    type_text("13912345678")
    key(Qt.Key.Key_S, CTRL)
    key(Qt.Key.Key_0, ALT)
    assert editor.tabs.currentWidget() is editor.history
    entries = editor.history.entries
    assert any(e.field == "联系电话" and e.new == "13912345678" and e.operator == "测试员" for e in entries)
    assert any(e.action == "新增" and e.entity == "家庭成员 欧阳丽" for e in entries)
    table = editor.history.table
    shown = {table.item(r, 4).text() for r in range(table.rowCount())}
    assert "联系电话" in shown
    with demo_db.session() as s:
        ops = set(s.scalars(select(AuditLog.operator).where(AuditLog.household_uuid == uuid)))
    assert ops == {"测试员"}
