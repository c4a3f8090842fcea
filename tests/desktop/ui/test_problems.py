"""The 问题清单 tab, the exit assessment dialog and the village exit view, driven
like a user would: keys, filters, background runs, dialogs."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QMessageBox, QTabWidget
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from db.models import CheckAcknowledgement, Household
from db.session import open_database
from desktop.core.checks import RULES
from desktop.core.checks import demo_faults as faults
from desktop.ui.exit_assessment_dialog import ExitAssessmentDialog
from desktop.ui.features import problems as feature
from desktop.ui.village_exit_view import VillageExitView

MENUS = ("file", "records", "print", "data", "check", "tools", "help")


class FakeWindow(QMainWindow):
    """The part of MainWindow a feature uses, recording open_household calls."""

    households_changed = Signal()

    def __init__(self, database) -> None:
        super().__init__()
        self.database = database
        self.operator = "测试员"
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self.menus = {key: self.menuBar().addMenu(key) for key in MENUS}
        self.opened: list[str] = []
        self.selected: list[str] = []

    def menu(self, key: str) -> QMenu:
        return self.menus[key]

    def add_tab(self, widget, title: str) -> int:
        return self.tabs.addTab(widget, title)

    def selected_household_uuids(self) -> list[str]:
        return list(self.selected)

    def open_household(self, uuid: str) -> None:
        self.opened.append(uuid)


def type_text(widget, text: str) -> None:
    """Type (Chinese) text into the focused widget the way an input method commits it."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)


@pytest.fixture(scope="module")
def planted_file(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui") / "planted.sqlite3"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path)
    with db.session() as session:
        faults.plant_all(session, 2017)
    db.dispose()
    faults.plant_orphan(str(path))
    return path


@pytest.fixture
def db(planted_file: Path, tmp_path: Path):
    path = tmp_path / "p.sqlite3"
    shutil.copyfile(planted_file, path)
    database = open_database(path)
    yield database
    database.dispose()


@pytest.fixture
def window(qtbot, db):
    w = FakeWindow(db)
    qtbot.addWidget(w)
    w.resize(1366, 740)
    feature.install(w)
    w.show()
    return w


def run_checks_with_f9(qtbot, window) -> feature.ProblemsTab:
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_F9)
    tab = window.problems.tab
    assert tab is not None
    qtbot.waitUntil(lambda: bool(tab.model.problems) and not tab.running, timeout=20000)
    return tab


def test_menu_actions_and_f9_runs_the_checks_in_the_background(qtbot, window) -> None:
    texts = [a.text() for a in window.menu("check").actions() if a.text()]
    assert texts == ["运行数据检查(&R)", "问题清单(&P)", "导出问题清单(&E)…", "脱贫评估(&A)…", "贫困村退出(&V)…"]
    assert window.problems.run_action.shortcut() == QKeySequence("F9")
    tab = run_checks_with_f9(qtbot, window)
    assert window.tabs.currentWidget() is tab
    assert len(tab.model.problems) == len(RULES)
    errors = sum(1 for p in tab.model.problems if p.severity == "错误")
    assert f"错误 {errors} 条" in tab.summary.text() and "2017年度" in tab.summary.text()
    assert tab.proxy.rowCount() == len(RULES)
    assert tab.table.currentIndex().isValid()  # the first problem is selected, details shown
    assert tab.details.toPlainText().startswith("错误")


def test_filters_by_severity_rule_village_helper_and_text(qtbot, window) -> None:
    tab = run_checks_with_f9(qtbot, window)
    problems = tab.model.problems
    tab.severity.setCurrentIndex(tab.severity.findData("警告"))
    assert tab.proxy.rowCount() == sum(1 for p in problems if p.severity == "警告")
    tab.severity.setCurrentIndex(0)
    tab.rule.setCurrentIndex(tab.rule.findData("PLA10"))
    assert tab.proxy.rowCount() == 1
    assert tab.rule.currentText().startswith("PLA10 户联系电话位数不对（1）")
    tab.rule.setCurrentIndex(0)
    village = next(p.village for p in problems if p.village)
    tab.village.setCurrentIndex(tab.village.findData(village))
    assert tab.proxy.rowCount() == sum(1 for p in problems if p.village == village)
    tab.village.setCurrentIndex(0)
    helper = next(h for p in problems for h in p.helpers if h != "测试帮扶人")
    tab.helper.setCurrentIndex(tab.helper.findData(helper))
    assert 0 < tab.proxy.rowCount() == sum(1 for p in problems if helper in p.helpers)
    tab.helper.setCurrentIndex(0)
    number = next(p.household_number for p in problems if p.rule_id == "ID04")
    tab.search.setFocus()
    QTest.keyClicks(tab.search, number)
    assert tab.proxy.rowCount() >= 1
    assert all(number in tab.model.problems[tab.proxy.mapToSource(tab.proxy.index(r, 0)).row()].message
               for r in range(tab.proxy.rowCount()))
    assert "显示 " in tab.summary.text()


def test_enter_opens_the_household_and_assessment_button(qtbot, window) -> None:
    tab = run_checks_with_f9(qtbot, window)
    row = next(r for r in range(tab.proxy.rowCount())
               if tab.model.problems[tab.proxy.mapToSource(tab.proxy.index(r, 0)).row()].rule_id == "ID04")
    tab.table.setFocus()
    tab.table.selectRow(row)
    QTest.keyClick(tab.table, Qt.Key.Key_Return)
    expected = tab.current_problem().household_uuid
    assert window.opened == [expected]
    assert tab.open_button.isEnabled() and not tab.ack_button.isEnabled()  # errors cannot be acknowledged
    dialog = window.problems.assess(expected)  # deletes itself on close
    assert isinstance(dialog, ExitAssessmentDialog) and dialog.household_uuid == expected
    assert dialog.isVisible()
    dialog.close()


def _select_rule(tab, rule_id: str) -> int:
    tab.rule.setCurrentIndex(tab.rule.findData(rule_id))
    tab.table.selectRow(0)
    return tab.current_row()


def test_mark_a_warning_as_checked_with_a_note_via_ctrl_k(qtbot, window, db) -> None:
    tab = run_checks_with_f9(qtbot, window)
    _select_rule(tab, "PLA10")
    problem = tab.current_problem()
    assert tab.ack_button.isEnabled() and not tab.revoke_button.isEnabled()
    typed = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, feature.AcknowledgeDialog)
        dialog.note.setFocus()
        type_text(dialog.note, "座机号码，已电话核实")
        typed.append(dialog.note.toPlainText())
        QTest.keyClick(dialog.note, Qt.Key.Key_Tab)  # to the buttons, then Enter = 确定
        dialog._accept()

    window.activateWindow()
    tab.table.setFocus()
    qtbot.waitUntil(tab.table.hasFocus)
    QTimer.singleShot(100, fill)
    QTest.keyClick(tab.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert typed == ["座机号码，已电话核实"]
    assert tab.current_problem().acknowledged
    assert "已核实 1 条" in tab.summary.text()
    assert "座机号码，已电话核实" in tab.details.toPlainText() and "测试员" in tab.details.toPlainText()
    with db.session() as s:
        row = s.scalar(select(CheckAcknowledgement))
        assert (row.rule_id, row.entity_uuid, row.operator) == ("PLA10", problem.entity_uuid, "测试员")
    # Hidden when "显示已核实" is off; revoking brings it back.
    tab.show_acknowledged.setChecked(False)
    assert tab.proxy.rowCount() == 0
    tab.show_acknowledged.setChecked(True)
    tab.table.selectRow(0)
    tab.revoke_current()
    assert not tab.current_problem().acknowledged
    assert "已撤销" in tab.details.toPlainText()


def test_acknowledge_dialog_refuses_an_empty_note(qtbot) -> None:
    from desktop.core.checks import Problem

    p = Problem("PLA10", "警告", "户 1（户主 张三），户联系电话：“123”不是11位数字", "h", None, "phone", "household",
                entity_uuid="h")
    dialog = feature.AcknowledgeDialog(p)
    qtbot.addWidget(dialog)
    dialog._accept()
    assert dialog.result() == 0 and "请填写" in dialog.error.text()


def test_export_to_a_workbook(qtbot, window, tmp_path: Path) -> None:
    tab = run_checks_with_f9(qtbot, window)
    out = tmp_path / "问题清单.xlsx"
    tab.export(str(out))
    qtbot.waitUntil(lambda: bool(out.exists() and "已导出" in tab.summary.text()), timeout=10000)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("问题清单").to_python()
    assert len(rows) == len(RULES) + 1
    assert {r[2] for r in rows[1:]} == set(RULES)


def test_data_changes_mark_the_list_stale(qtbot, window) -> None:
    tab = run_checks_with_f9(qtbot, window)
    window.households_changed.emit()
    assert "已过期" in tab.summary.text()


def _qualifying_household(db) -> str:
    from desktop.core.income import summarise

    with db.session() as s:
        for h in s.scalars(select(Household).where(Household.exit_status == "未脱贫").order_by(Household.id)):
            r = next((r for r in h.incomes if r.year == 2017), None)
            if r and summarise(r).per_capita > 3335 and h.dangerous_house_grade in ("A级", "B级") \
                    and not h.drinking_water_difficult and h.drinking_water_safe \
                    and all(m.in_rural_medical for m in h.current_members) and h.head is not None:
                return h.uuid
    raise LookupError


def test_exit_assessment_dialog_passes_a_household(qtbot, db, monkeypatch) -> None:
    uuid = _qualifying_household(db)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a))
    dialog = ExitAssessmentDialog(db, uuid, year=2017, operator="审核员")
    qtbot.addWidget(dialog)
    dialog.show()
    assert "高于标准" in dialog.income.text() and "3335.00" in dialog.income.text()
    assert "户主尚未签字认可" in dialog.reasons.text()
    dialog.decision.setCurrentIndex(dialog.decision.findData("通过"))
    assert not dialog.save() and warnings  # refused, with the reasons
    with db.session() as s:
        assert s.scalar(select(Household.exit_status).where(Household.uuid == uuid)) == "未脱贫"
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    for key in ("food_ok", "clothing_ok"):
        combo, evidence, _basis = dialog.item_widgets[key]
        combo.setCurrentIndex(1)
        evidence.setFocus()
        type_text(evidence, "入户核实：口粮衣被充足")
    start = date(2017, 10, 9)
    for n, step in enumerate(dialog.assessment.steps):
        dialog.step_widgets[step.key].set_value(start + timedelta(days=(0, 2, 3, 4, 12, 15, 25)[n]))
    dialog.review_result.setFocus()
    type_text(dialog.review_result, "同意退出")
    QTest.keyClick(dialog.head_confirmed, Qt.Key.Key_Space)
    assert "可以评为“通过”" in dialog.reasons.text()
    saved = []
    dialog.saved.connect(lambda: saved.append(True))
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    QTest.keyClick(dialog.review_result, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved == [True]
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.uuid == uuid))
        assert (h.exit_status, h.exit_year) == ("已脱贫（享受政策）", 2017)
    assert "已保存" in dialog.reasons.text() and "已脱贫" in dialog.header.text()


def test_date_field_can_be_emptied_from_the_keyboard(qtbot) -> None:
    from desktop.ui.exit_assessment_dialog import DateField

    field = DateField()
    qtbot.addWidget(field)
    assert field.value() is None and field.text() == "未填"
    field.set_value(date(2017, 10, 1))
    assert field.value() == date(2017, 10, 1)
    field.lineEdit().selectAll()
    QTest.keyClick(field, Qt.Key.Key_Delete)
    assert field.value() is None


def test_village_exit_view_shows_incidence_and_edits(qtbot, window, db) -> None:
    view = window.problems.villages()
    assert isinstance(view, VillageExitView) and window.tabs.currentWidget() is view
    assert view.model.rowCount() == 1
    v = view.model.rows[0]
    col = [c[0] for c in view.model.columns()].index("incidence")
    assert view.model.data(view.model.index(0, col)) == ""  # no total population yet
    assert "村总人口未填" in view.model.text(v, "reasons")
    assert view.save(v.uuid, {"total_population": v.remaining * 100, "culture_center": True, "broadband": True,
                              "bus_service": True})
    v = view.model.rows[0]
    assert view.model.data(view.model.index(0, col)) == "1.00%"
    assert view.model.text(v, "can_exit") == "是"
    assert "1 个村符合退出条件" in view.summary.text()
    warnings = []
    import desktop.ui.village_exit_view as module

    module.QMessageBox.warning = lambda *a, **k: warnings.append(a)  # noqa: B010 - restored below
    try:
        assert not view.save(v.uuid, {"total_population": -1})
    finally:
        module.QMessageBox.warning = QMessageBox.warning
    assert warnings
    dialog = module.VillageEditDialog(v, view)
    qtbot.addWidget(dialog)
    values = dialog.values()
    assert values["total_population"] == v.remaining * 100 and values["culture_center"] is True
    assert values["environment_beautified"] is None  # 半选 = 未填


def test_feature_in_the_real_main_window(qtbot, db) -> None:
    from desktop.ui.main_window import MainWindow

    w = MainWindow(db, operator="测试员")
    qtbot.addWidget(w)
    assert isinstance(getattr(w, "problems", None), feature.ProblemsFeature)
    assert isinstance(w.problems.run_action, QObject)
    tab = w.problems.show()
    assert w.tabs.currentWidget() is tab
