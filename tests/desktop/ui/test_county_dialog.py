"""县级汇总 in the GUI (real widgets, offscreen): menu and shortcut, files and verdicts, 试汇总 writes
nothing, 汇总 writes, a problem opens its household, "not a duplicate" is remembered, an edited file is
taken only when ticked; and the ordinary household list on the county database, filtered by township."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow
from sqlalchemy import func, select

from db.models import DuplicateDismissal, Household, Township
from db.session import open_database
from desktop.ui.features.county import CountyController


class StubWindow(QMainWindow):
    """What the feature uses of the main window, without the other features."""

    households_changed = Signal()

    def __init__(self, database) -> None:
        super().__init__()
        self.database = database
        self.operator = "县扶贫办"
        self.opened: list[str] = []
        self.refreshed = 0
        self._menu = self.menuBar().addMenu("数据交换(&D)")

    def menu(self, key: str):
        assert key == "data"
        return self._menu

    def refresh(self) -> None:
        self.refreshed += 1

    def open_household(self, uuid: str) -> None:
        self.opened.append(uuid)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two 8-household townships; a member of the second has the name and birth date of one of the first."""
    from desktop.core.demo import DemoOptions, generate
    from desktop.core.exchange.export import ExportOptions, export_database

    folder = tmp_path_factory.mktemp("county-ui")
    out: dict[str, Path] = {}
    for letter, code, name, seed in (("a", "411726100000", "泌水镇", 31), ("b", "411726200000", "花园乡", 32)):
        db = open_database(folder / f"{letter}.sqlite3")
        with db.session() as s:
            generate(s, DemoOptions(households=8, seed=seed, township_code=code, township_name=name))
        db.dispose()
        con = sqlite3.connect(folder / f"{letter}.sqlite3")
        con.execute("UPDATE member SET name = '刘玮', birth_date = '1971-03-09' WHERE id = "
                    "(SELECT min(id) FROM member WHERE relation != '户主')")
        con.commit()
        con.close()
        db = open_database(folder / f"{letter}.sqlite3")
        export_database(db, folder / f"{letter}.xlsx", ExportOptions(run_checks=False))
        db.dispose()
        out[letter] = folder / f"{letter}.xlsx"
    edited = folder / "a-edited.xlsx"
    wb = load_workbook(out["a"])
    ws = wb["贫困户"]
    col = [c.value for c in ws[1]].index("联系电话") + 1
    ws.cell(row=2, column=col).value = "13700000000"
    wb.save(edited)
    out["edited"] = edited
    return out


@pytest.fixture
def ui(qtbot, tmp_path: Path):
    db = open_database(tmp_path / "county.sqlite3")
    window = StubWindow(db)
    qtbot.addWidget(window)
    controller = CountyController(window)
    yield window, controller
    if controller.dialog is not None:
        controller.dialog.hide()
    db.dispose()


def run(qtbot, dialog, *, dry_run: bool) -> None:
    before = dialog.result
    dialog.start(dry_run=dry_run)
    qtbot.waitUntil(lambda: dialog.result is not before or dialog.last_error is not None, timeout=60000)
    assert dialog.last_error is None, dialog.last_error


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_action_at_the_end_of_the_data_menu_with_a_shortcut(qtbot, ui) -> None:
    window, controller = ui
    window.menu("data").addAction("后来的功能")  # a feature installed after this one
    window.menu("data").aboutToShow.emit()
    assert window.menu("data").actions()[-1] is controller.action
    assert controller.action.shortcut().toString() == "Ctrl+Shift+C" and "&C" in controller.action.text()
    controller.action.trigger()
    assert controller.dialog.isVisible()
    assert not controller.dialog.run_button.isEnabled()  # no files yet


def test_dry_run_then_run_open_household_and_dismiss(qtbot, ui, files, tmp_path: Path) -> None:
    window, controller = ui
    dialog = controller.show()
    dialog.add_files([files["a"], files["b"], files["a"]])  # the same file twice is listed once
    assert dialog.files.rowCount() == 2
    assert "泌水镇" in dialog.files.item(0, 1).text() and dialog.files.item(0, 2).text() == "1"
    assert dialog.out_edit.text().endswith(f"县汇总表_{date.today():%Y%m%d}.xlsx")
    dialog.out_edit.setText(str(tmp_path / "county.xlsx"))
    dialog.problems_edit.setText(str(tmp_path / "problems.xlsx"))
    run(qtbot, dialog, dry_run=True)
    assert dialog.result.dry_run and count(window.database, Household) == 0
    assert dialog.files.item(0, 5).text() == "首次汇总" and window.refreshed == 0
    assert not (tmp_path / "county.xlsx").exists() and (tmp_path / "problems.xlsx").exists()
    run(qtbot, dialog, dry_run=False)
    assert count(window.database, Household) == 16 and window.refreshed == 1
    assert (tmp_path / "county.xlsx").exists()
    assert "对账（一致）" in dialog.tabs.tabText(2) and "对账一致" in dialog.summary.text()
    # the likely duplicate (same name and birth date in both townships)
    assert dialog.problems.rowCount() == 1 and "CTY04" in dialog.problems.item(0, 1).text()
    dialog.problems.setFocus()
    dialog.problems.selectRow(0)
    assert dialog.dismiss_button.isEnabled() and dialog.open_other_button.isEnabled()
    problem = dialog.selected_problem()
    QTest.keyClick(dialog.problems, Qt.Key.Key_Return)  # Enter opens the household
    assert window.opened == [problem.household_uuid] and not dialog.isVisible()
    controller.action.trigger()
    assert dialog.isVisible() and dialog.problems.rowCount() == 1  # results kept
    dialog.problems.selectRow(0)
    assert dialog.dismiss_selected(note="已核户籍，两个人")
    assert not dialog.dismiss_button.isEnabled() and dialog.problems.item(0, 0).text() == "已排除"
    with window.database.session() as s:
        row = s.scalars(select(DuplicateDismissal)).one()
        assert row.operator == "县扶贫办" and row.note == "已核户籍，两个人"
    run(qtbot, dialog, dry_run=False)
    assert [dialog.files.item(r, 5).text() for r in range(2)] == ["与上次相同，未改动"] * 2
    assert dialog.problems.rowCount() == 0  # remembered in the next round


def test_edited_file_is_taken_only_when_ticked(qtbot, ui, files) -> None:
    window, controller = ui
    dialog = controller.show()
    dialog.add_files([files["edited"]])
    run(qtbot, dialog, dry_run=False)
    assert dialog.files.item(0, 5).text() == "导出后被修改或已损坏，暂缓"
    assert count(window.database, Household) == 0
    accept = dialog.files.item(0, 7)
    assert accept.flags() & Qt.ItemFlag.ItemIsUserCheckable and accept.checkState() == Qt.CheckState.Unchecked
    accept.setCheckState(Qt.CheckState.Checked)
    run(qtbot, dialog, dry_run=False)
    assert dialog.files.item(0, 5).text().startswith("首次汇总") and "已确认采用" in dialog.files.item(0, 5).text()
    with window.database.session() as s:
        assert s.scalar(select(func.count()).select_from(Household).where(Household.phone == "13700000000")) == 1
    # Delete on the file list removes the file
    dialog.files.setFocus()
    dialog.files.selectRow(0)
    QTest.keyClick(dialog.files, Qt.Key.Key_Delete)
    assert dialog.files.rowCount() == 0 and dialog.paths == []


def test_household_list_on_a_county_database_filters_by_township(qtbot, files, tmp_path: Path) -> None:
    """Issue 6 item 5: the ordinary window on a county database, the township node of the tree as filter."""
    from desktop.core.county.consolidate import consolidate
    from desktop.ui.main_window import MainWindow
    from desktop.ui.village_tree import Scope

    db = open_database(tmp_path / "county.sqlite3")
    consolidate(db, [files["a"], files["b"]])
    window = MainWindow(db, operator="县扶贫办")
    qtbot.addWidget(window)
    browser = window.browser
    with db.session() as s:
        town = s.scalar(select(Township).where(Township.code == "411726200000"))
        expected = set(s.scalars(select(Household.uuid).where(Household.village.has(township_id=town.id))))
    top = browser.tree.topLevelItem(0)
    assert top.text(0).startswith("全部（16 户）") and top.childCount() == 2
    browser.tree.set_scope(Scope(township_id=town.id))
    browser.apply_filters()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 8, timeout=10000)
    assert {browser.model.uuid_at(r) for r in range(browser.model.rowCount())} == expected
    assert "县级汇总(&C)…" in [a.text() for a in window.menu("data").actions()]
    window.close()
    db.dispose()
