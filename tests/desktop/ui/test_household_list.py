"""The household browser: lazy SQL model, search as you type, filters, the village tree, detail pane."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from db.models import Assignment, Helper, Household, Member, Village, VillageGroup
from desktop.core import search
from desktop.core.pinyin import search_key
from desktop.core.search import Filters
from desktop.ui.household_model import BLOCK, HouseholdTableModel
from desktop.ui.village_tree import Scope
from tests.desktop.ui.keyboard import focus, key, open_window, type_text


@pytest.fixture
def window(qtbot, demo_db):
    return open_window(qtbot, demo_db, "测试员", browser=True, wait_active=False)


def test_model_fetches_only_the_rows_shown(qtbot, demo_db) -> None:
    from PySide6.QtWidgets import QTableView

    model = HouseholdTableModel(demo_db)
    model.set_filters(Filters())
    assert model.rowCount() == 300 and model.fetches == 0
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    QApplication.processEvents()
    assert model.fetches == 1  # only the first block is on screen
    view.scrollToBottom()
    QApplication.processEvents()
    assert model.fetches == 2  # and now the last one; the middle block never
    with demo_db.session() as s:
        expected = search.match_ids(s, Filters())
    assert model.ids() == expected
    assert model.data(model.index(299, 0)) is not None
    assert 300 // BLOCK + 1 >= model.fetches


def test_header_click_sorts_in_sql(window, demo_db) -> None:
    model = window.browser.model
    header = window.browser.view.horizontalHeader()
    column = model.keys.index("head_name")
    header.setSortIndicator(column, Qt.SortOrder.DescendingOrder)
    with demo_db.session() as s:
        assert model.ids() == search.match_ids(s, Filters(), "head_name", False)
    names = [model.data(model.index(r, column)) for r in range(model.rowCount())]
    assert names == sorted(names, reverse=True)


def test_search_as_you_type_by_initials(qtbot, window, demo_db) -> None:
    with demo_db.session() as s:
        name, hid = s.execute(select(Member.name, Member.household_id).where(Member.relation == "户主")
                              .order_by(Member.id).limit(1)).one()
    initials = search_key(name).split()[-1]
    key(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focus() is window.browser.search
    type_text(initials[0])
    qtbot.wait(5)
    assert window.browser.model.rowCount() == 300  # one letter: not a search yet
    type_text(initials[1:])
    qtbot.waitUntil(lambda: window.browser.model.rowCount() < 300)
    with demo_db.session() as s:
        expected = search.match_ids(s, Filters(text=initials))
    assert window.browser.model.ids() == expected and hid in expected
    assert "共 " in window.browser.count_label.text()
    key(Qt.Key.Key_Down)
    assert focus() is window.browser.view
    key(Qt.Key.Key_Escape)


def test_filters_and_tree_narrow_the_list(qtbot, window, demo_db) -> None:
    browser = window.browser
    with demo_db.session() as s:
        village = s.scalars(select(Village).order_by(Village.code)).first()
        in_village = s.scalar(select(func.count()).select_from(Household).where(Household.village_id == village.id))
        group = s.scalars(select(VillageGroup).where(VillageGroup.village_id == village.id)).first()
        in_group = s.scalar(select(func.count()).select_from(Household).where(Household.group_id == group.id))
        not_out = s.scalar(select(func.count()).select_from(Household).where(Household.exit_status == "未脱贫"))
    browser.tree.set_scope(Scope(township_id=village.township_id, village_id=village.id))
    qtbot.waitUntil(lambda: browser.model.rowCount() == in_village)
    browser.tree.set_scope(Scope(township_id=village.township_id, village_id=village.id, group_id=group.id))
    qtbot.waitUntil(lambda: browser.model.rowCount() == in_group)
    browser.tree.set_scope(Scope(township_id=village.township_id))
    qtbot.waitUntil(lambda: browser.model.rowCount() == 300)
    browser.status_filter.setFocus()
    type_text("0")  # 未脱贫 by its code
    assert browser.status_filter.value() == "未脱贫"
    qtbot.waitUntil(lambda: browser.model.rowCount() == not_out)
    browser.clear_button.click()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 300)
    assert browser.status_filter.value() is None


def test_helper_filter_by_typing_a_name(qtbot, window, demo_db) -> None:
    with demo_db.session() as s:
        names = s.execute(select(Helper.name, func.count()).group_by(Helper.name).having(func.count() == 1)).all()
        name = names[0][0]
        helper_id = s.scalar(select(Helper.id).where(Helper.name == name))
        served = set(s.scalars(select(Assignment.household_id).where(Assignment.helper_id == helper_id)))
    picker = window.browser.helper_filter
    picker.setFocus()
    type_text(name)
    key(Qt.Key.Key_Return)
    assert picker.value() == helper_id
    qtbot.waitUntil(lambda: set(window.browser.model.ids()) == served)


def test_detail_pane_and_selection(qtbot, window, demo_db) -> None:
    browser = window.browser
    browser.focus_list()
    qtbot.waitUntil(lambda: browser.detail.uuid is not None)
    uuid = browser.current_uuid()
    with demo_db.session() as s:
        h = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        head = h.head
    text = browser.detail.toPlainText()
    assert head.name in text and "********" in text and head.id_number not in text  # IDs are masked
    assert window.selected_household_uuids() == [uuid]
    browser.view.selectAll()
    assert len(window.selected_household_uuids()) == 300
    key(Qt.Key.Key_Return)  # opens the current household's card
    assert window.editor is not None and window.editor.uuid == uuid
    assert window.selected_household_uuids() == [uuid]  # the open card, while its tab shows


def test_tree_counts_follow_saves(qtbot, window, demo_db) -> None:
    from desktop.core import households

    tree = window.browser.tree
    with demo_db.session() as s:
        village = s.scalars(select(Village).order_by(Village.code)).first()
        before = s.scalar(select(func.count()).select_from(Household).where(Household.village_id == village.id))

    def village_text() -> str:
        item = next(it for it in tree._all_items() if tree._scope_of(it).village_id == village.id  # noqa: SLF001
                    and tree._scope_of(it).group_id is None)  # noqa: SLF001
        return item.text(0)

    assert village_text() == f"{village.name}（{before:,}）"
    window.browser.tree.set_scope(Scope(township_id=village.township_id, village_id=village.id))
    window.new_household()
    editor = window.editor
    assert editor.card.household["village_id"] == village.id  # the village picked in the tree
    editor.card.household["main_cause"] = "因病"
    editor.card.members.append(households.new_row("members", name="新户主", relation="户主", sex="男"))
    assert editor.save()
    assert village_text() == f"{village.name}（{before:,}）"  # re-read when the list is shown again
    window.tabs.setCurrentWidget(window.browser)
    assert village_text() == f"{village.name}（{before + 1:,}）"
    assert "301" in tree.topLevelItem(0).text(0)
    assert window.browser.current_uuid() == editor.uuid


def test_too_short_texts_wait_for_more_keys(qtbot, window, demo_db) -> None:
    from desktop.ui.household_list import too_short

    assert too_short("z") and too_short("41") and too_short("100") and too_short("12x")
    assert not too_short("zs") and not too_short("4117") and not too_short("张") and not too_short("")
    browser = window.browser
    with demo_db.session() as s:
        id_number = s.scalar(select(Member.id_number).where(Member.id_number.is_not(None)).limit(1))
    browser.search.setFocus()
    type_text(id_number[-3:])
    assert browser.model.rowCount() == 300 and "4 位" in browser.count_label.text()
    browser.search.setText(id_number[-4:])
    browser.apply_filters()
    with demo_db.session() as s:
        assert browser.model.ids() == search.match_ids(s, Filters(text=id_number[-4:]))
    assert browser.model.rowCount() < 300
