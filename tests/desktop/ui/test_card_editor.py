"""The card editor's behaviour: unsaved-changes prompt, stale saves, departures, live income
totals, causes, helpers with completion, carry-forward, blocking problems, checks after save."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from sqlalchemy import select

from db.models import Assignment, Helper, Household, Member
from desktop.core import households
from tests.desktop.ui.keyboard import (
    answer_next_dialog,
    focus,
    key,
    open_window,
    type_text,
)

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot, demo_db):
    return open_window(qtbot, demo_db, "测试员", browser=True)


@pytest.fixture
def uuid(demo_db) -> str:
    with demo_db.session() as s:
        return s.scalar(select(Household.uuid).order_by(Household.id).limit(1))


def _phone(db, uuid: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(Household.phone).where(Household.uuid == uuid))


def test_leaving_with_unsaved_changes_asks(qtbot, window, demo_db, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    editor.basic.editor("phone").setFocus()
    editor.basic.editor("phone").selectAll()
    type_text("13511112222")
    assert editor.is_dirty() and editor.dirty_label.text()
    assert window.tabs.tabText(window.tabs.indexOf(editor)).endswith("*")
    seen: list[str] = []
    answer_next_dialog("取消", seen)
    key(Qt.Key.Key_Escape)
    assert window.editor is editor and "未保存" in seen[0]  # still open
    answer_next_dialog("不保存")
    key(Qt.Key.Key_Escape)
    assert window.editor is None
    assert _phone(demo_db, uuid) != "13511112222"
    window.open_household(uuid)
    window.editor.basic.editor("phone").setFocus()
    window.editor.basic.editor("phone").selectAll()
    type_text("13533334444")
    answer_next_dialog("保存")
    window.find()  # stays on the card's data; opening another household asks:
    with demo_db.session() as s:
        other = s.scalar(select(Household.uuid).where(Household.uuid != uuid).limit(1))
    window.open_household(other)
    assert window.editor.uuid == other
    assert _phone(demo_db, uuid) == "13533334444"


def test_stale_save_is_refused_and_the_edit_kept(qtbot, window, demo_db, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    with demo_db.session() as s:  # another clerk saves the same card meanwhile
        other = households.load_card(s, uuid)
        other.household["phone"] = "13900000001"
        households.save_card(s, other, operator="别人")
    editor.card.household["phone"] = "13900000002"
    editor.basic.refresh(["phone"])
    seen: list[str] = []
    answer_conflict("cancel", seen)
    assert editor.save() is False
    assert "别人" in seen[0] and "没有保存" in seen[0]
    assert editor.card.household["phone"] == "13900000002" and editor.is_dirty()
    assert _phone(demo_db, uuid) == "13900000001"
    answer_conflict("reload")
    assert editor.save() is False
    assert editor.card.household["phone"] == "13900000001" and not editor.is_dirty()  # reloaded


def answer_conflict(choice: str, seen: list[str] | None = None) -> None:
    """Answer the next save-conflict dialog with ``choice`` (its message goes to ``seen``)."""
    from desktop.ui.card_editor import conflict_dialog

    def fake(dialog: conflict_dialog.ConflictDialog) -> str:
        if seen is not None:
            seen.append(dialog.message.text())
        conflict_dialog.ask = original
        return choice

    original = conflict_dialog.ask
    conflict_dialog.ask = fake


def test_member_departure_is_marked_never_deleted(qtbot, window, demo_db, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    grid = editor.members
    grid._ask_change = lambda _title, reasons, _name: (reasons[0], date(2017, 5, 1))  # noqa: SLF001
    size = len(editor.card.current_members)
    last = len(editor.card.members) - 1
    key(Qt.Key.Key_2, ALT)
    grid.view.setCurrentIndex(grid.model.index(last, 0))
    assert not grid.remove_button.isEnabled()  # a saved member cannot be deleted
    grid.depart_button.click()
    row = editor.card.members[last]
    assert (row["status"], row["change_reason"], row["change_date"]) == ("自然减少", "死亡", date(2017, 5, 1))
    font = grid.model.data(grid.model.index(last, 0), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.strikeOut()
    editor.recheck()
    assert editor.card.household["household_size"] == size - 1
    assert f"在册 {size - 1} 人" in grid.summary.text()
    assert editor.save()
    with demo_db.session() as s:
        m = s.scalars(select(Member).where(Member.uuid == row["uuid"])).one()
        assert m.status == "自然减少"
        assert s.scalar(select(Household.household_size).where(Household.uuid == uuid)) == size - 1


def test_new_member_row_can_be_dropped_and_bad_date_blocks_saving(qtbot, window, demo_db, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    grid = editor.members
    key(Qt.Key.Key_2, ALT)
    qtbot.waitUntil(lambda: focus() is grid.view)
    n = len(editor.card.members)
    key(Qt.Key.Key_Insert)
    assert len(editor.card.members) == n + 1 and grid.remove_button.isEnabled()
    assert not editor.is_dirty()  # a blank row is nothing yet
    type_text("孙悟空")
    key(Qt.Key.Key_Tab)
    key(Qt.Key.Key_Escape)
    grid.view.setCurrentIndex(grid.model.index(n, grid.model.keys.index("birth_date")))
    type_text("2017-02-30")
    key(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(i.blocking and i.field == "birth_date" for i in editor.issues))
    seen: list[str] = []
    answer_next_dialog("OK", seen)
    assert editor.save() is False and "不能保存" not in seen[0] and "日期" in seen[0]
    grid.view.setCurrentIndex(grid.model.index(n, 0))
    grid.remove_button.click()
    assert len([m for m in editor.card.members if not households.is_blank_member(m)]) == n
    assert not grid.model.cell_errors and not editor.is_dirty()


def test_income_totals_are_live_against_the_years_line(qtbot, window, demo_db, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    key(Qt.Key.Key_5, ALT)
    income = editor.income
    assert income.records.rows, "the demo household has income records"
    row = income.records.rows[-1]
    line = editor.ctx.line(row["year"])
    assert line is not None and f"{line:.0f}" in income.totals.text().replace(".00", "")
    wage = income.records.form.editors["wage"]
    population = row["population"]
    wage.setFocus()
    wage.selectAll()
    type_text("0")
    for name in ("production", "property_income", "transfer", "production_expense"):
        income.records.form.editors[name].set_value(None)
        row[name] = None
    income.update_totals()
    assert "低于标准" in income.totals.text()
    wage.setFocus()
    wage.selectAll()
    amount = int(line * population) + 400
    type_text(str(amount))
    assert row["wage"] == Decimal(amount)
    assert "高于标准" in income.totals.text()
    per = (Decimal(amount) / population).quantize(Decimal("0.01"))
    assert f"{per}".rstrip("0").rstrip(".") in income.totals.text()
    table = income.records.model
    assert table.data(table.index(len(income.records.rows) - 1, 6)) == "高于标准"


def test_other_causes_never_offer_the_main_one(window, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    main = editor.card.household["main_cause"]
    other = editor.causes.editor("other_cause_1")
    assert main not in [c.value for c in other.choices()]
    editor.causes.editor("main_cause").set_value("缺水")
    editor.card.household["main_cause"] = "缺水"
    editor.causes.on_edit("main_cause", "缺水")
    assert "缺水" not in [c.value for c in other.choices()]
    assert main in [c.value for c in other.choices()] or editor.card.household.get("other_cause_2") == main


def test_helper_picked_with_completion_and_carried_forward(qtbot, window, demo_db, uuid) -> None:
    with demo_db.session() as s:
        name = s.scalar(select(Helper.name).order_by(Helper.id).limit(1))
        helper_id = s.scalar(select(Helper.id).where(Helper.name == name).order_by(Helper.id).limit(1))
    window.open_household(uuid)
    editor = window.editor
    key(Qt.Key.Key_6, ALT)
    section = editor.helpers
    before = len(section.records.rows)
    section.records.add_button.click()
    picker = section.records.form.editors["helper_id"]
    assert focus() is picker
    type_text(name)
    popup = picker.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Return)
    row = section.records.rows[-1]
    assert len(section.records.rows) == before + 1
    assert row["helper_id"] is not None and row["_name"] == name
    assert section.records.model.data(section.records.model.index(before, 0)) == name
    assert editor.save()
    with demo_db.session() as s:
        ids = set(s.scalars(select(Assignment.helper_id).join(Household).where(Household.uuid == uuid)))
    assert row["helper_id"] in ids
    village, group = editor.card.household["village_id"], editor.card.household["group_id"]
    key(Qt.Key.Key_N, CTRL)  # the next new card starts with the same village, group and helpers
    new = window.editor.card
    assert new.uuid is None
    assert (new.household["village_id"], new.household["group_id"]) == (village, group)
    assert row["helper_id"] in [a["helper_id"] for a in new.assignments]
    assert helper_id is not None


def test_blocking_problem_prevents_saving(qtbot, window, demo_db, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    key(Qt.Key.Key_5, ALT)
    year = editor.income.records.rows[0]["year"]
    editor.income.records.add_button.click()
    editor.income.records.rows[-1]["year"] = year  # the same year twice
    editor.recheck()
    assert any(i.blocking and i.section == "incomes" for i in editor.issues)
    assert editor.problems.isVisible() and "不能保存" in editor.problems.item(0).text()
    seen: list[str] = []
    answer_next_dialog("OK", seen)
    key(Qt.Key.Key_S, CTRL)
    assert "重复" in seen[0] and editor.is_dirty()
    editor.problems.setCurrentRow(0)
    editor.problems.setFocus()
    key(Qt.Key.Key_Return)  # Enter on a problem goes to it
    assert editor.tabs.currentWidget() is editor.income


def test_checks_run_after_save_and_are_listed(monkeypatch, window, uuid) -> None:
    from desktop.ui.card_editor import editor as editor_module

    def fake_checks(_session, household):
        head = household.head
        return [SimpleNamespace(rule_id="T1", severity="警告", message="测试规则：请核实", household_uuid=household.uuid,
                                member_uuid=head.uuid if head else None, field="health")]

    monkeypatch.setattr(editor_module, "run_checks", fake_checks)
    window.open_household(uuid)
    editor = window.editor
    editor.card.household["phone"] = "13600000000"
    assert editor.save()
    texts = [editor.problems.item(i).text() for i in range(editor.problems.count())]
    assert any("测试规则：请核实" in t and "检查" in t for t in texts)
    item = next(editor.problems.item(i) for i in range(editor.problems.count()) if "测试规则" in editor.problems.item(i).text())
    editor._go_to_problem(item)  # noqa: SLF001
    assert editor.tabs.currentWidget() is editor.members


def test_real_checks_module_is_called_when_present(window, uuid) -> None:
    import importlib.util

    from desktop.ui.card_editor.editor import run_checks

    window.open_household(uuid)
    with window.database.session() as s:
        h = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        problems = run_checks(s, h)
    if importlib.util.find_spec("desktop.core.checks") is None:
        assert problems == []
    else:
        assert all(hasattr(p, "message") and hasattr(p, "severity") for p in problems)


def _mnemonic(text: str) -> str | None:
    i = text.find("&")
    return text[i + 1].upper() if 0 <= i < len(text) - 1 and text[i + 1] != "&" else None


def test_no_alt_key_is_claimed_twice_on_any_section(qtbot, window, uuid) -> None:
    """An Alt+letter claimed by two visible things only moves the focus; every section is checked."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    window.open_household(uuid)
    editor = window.editor
    menus = [_mnemonic(a.text()) for a in window.menuBar().actions()]
    tabs = [_mnemonic(editor.tabs.tabText(i)) for i in range(editor.tabs.count())]
    for index in range(editor.tabs.count()):
        editor.tabs.setCurrentIndex(index)
        qtbot.wait(1)
        keys = [k for k in menus + tabs if k]
        for w in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
            if w.isVisible() and _mnemonic(w.text()):
                keys.append(_mnemonic(w.text()))
        duplicated = {k for k in keys if keys.count(k) > 1}
        assert not duplicated, (editor.tabs.tabText(index), duplicated)


def test_plan_and_measure_rows_by_keyboard(qtbot, window, uuid) -> None:
    window.open_household(uuid)
    editor = window.editor
    key(Qt.Key.Key_7, ALT)
    plans, measures = len(editor.card.plans), len(editor.card.measures)
    key(Qt.Key.Key_M, ALT)
    assert len(editor.card.measures) == measures + 1
    assert focus() is editor.plans.measures.form.editors["year"]
    key(Qt.Key.Key_Tab)
    type_text("jy")  # 措施大类 by its code: 转移就业
    assert editor.card.measures[-1]["category"] == "转移就业"
    key(Qt.Key.Key_A, ALT)
    assert len(editor.card.plans) == plans + 1
    assert editor.card.plans[-1]["year"] not in {p["year"] for p in editor.card.plans[:-1]}
