"""The 数据交换 menu: export, import with dry-run preview, report, legacy wizard (real widgets, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMainWindow, QWizard
from sqlalchemy import func, select

from db.models import ExchangeLog, Household, Member, Village
from desktop.core.exchange import export as export_mod
from desktop.core.exchange.export import ExportOptions, ExportResult, export_database
from desktop.core.exchange.importer import ImportPlan
from desktop.ui.features.exchange import ExchangeController, ImportPreviewDialog


class StubWindow(QMainWindow):
    """What the feature uses of the main window, without the other features."""

    households_changed = Signal()

    def __init__(self, database) -> None:
        super().__init__()
        self.database = database
        self.operator = "测试员"
        self.refreshed = 0
        self._menu = self.menuBar().addMenu("数据交换(&D)")

    def menu(self, key: str):
        assert key == "data"
        return self._menu

    def refresh(self) -> None:
        self.refreshed += 1


@pytest.fixture
def tiny_db(tmp_path: Path):
    from db.session import open_database
    from desktop.core.demo import DemoOptions, generate

    db = open_database(tmp_path / "tiny.sqlite3")
    with db.session() as session:
        generate(session, DemoOptions(households=5, seed=3))
    yield db
    db.dispose()


@pytest.fixture
def ui(qtbot, tiny_db):
    window = StubWindow(tiny_db)
    qtbot.addWidget(window)
    controller = ExchangeController(window)
    return window, controller


def test_menu_actions_have_keyboard_paths(ui) -> None:
    window, controller = ui
    texts = [a.text() for a in window.menu("data").actions() if a.text()]
    assert texts == ["导出交换表(&E)…", "导入交换表(&I)…", "导入花名册（列映射）(&L)…", "汇总报表(&R)…"]
    assert all(not a.shortcut().isEmpty() for a in window.menu("data").actions() if a.text())


def test_export_runs_in_a_task_and_reports(qtbot, ui, tmp_path: Path) -> None:
    window, controller = ui
    out = tmp_path / "out.xlsx"
    controller.export_to(out)
    qtbot.waitUntil(lambda: isinstance(controller.last_result, ExportResult), timeout=20000)
    assert out.exists()
    assert "导出序号 1" in controller.message.text()
    with window.database.session() as s:
        assert s.scalars(select(ExchangeLog)).one().operator == "测试员"


def test_blocked_export_asks_for_a_reason(qtbot, ui, tmp_path: Path, monkeypatch) -> None:
    window, controller = ui

    class P:
        severity = "错误"

    monkeypatch.setattr(export_mod, "blocking_problems", lambda session, progress=None: [P()])
    asked = []
    monkeypatch.setattr(controller, "ask_override_reason", lambda exc: asked.append(str(exc)) or "县里催报")
    controller.export_to(tmp_path / "o.xlsx")
    qtbot.waitUntil(lambda: isinstance(controller.last_result, ExportResult), timeout=20000)
    assert asked and "1 个错误" in asked[0]
    assert controller.last_result.override_reason == "县里催报"
    assert "强制导出" in controller.message.text()


def _edited_export(db, tmp_path: Path) -> Path:
    out = tmp_path / "x.xlsx"
    export_database(db, out, ExportOptions(run_checks=False))
    wb = load_workbook(out)
    ws = wb["家庭成员"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("姓名") + 1).value = "孙改名"
    wb.save(out)
    return out


def test_import_shows_preview_and_writes_only_after_confirmation(qtbot, ui, tmp_path: Path) -> None:
    window, controller = ui
    path = _edited_export(window.database, tmp_path)
    controller.import_from(path)
    qtbot.waitUntil(lambda: controller.preview is not None, timeout=20000)
    dialog: ImportPreviewDialog = controller.preview
    assert dialog.counts.item(dialog.counts.rowCount() - 1, 2).text() == "1"  # 合计 修改
    assert dialog.diffs.rowCount() == 1 and dialog.diffs.item(0, 5).text() == "孙改名"
    record = dialog.diffs.item(0, 2).text()
    assert record and "孙改名" not in record  # the 户编号 and the old name say whose row it is
    assert dialog.edited_box is not None and not dialog.import_button.isEnabled()
    with window.database.session() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.name == "孙改名")) == 0
    changed = []
    window.households_changed.connect(lambda: changed.append(1))
    dialog.edited_box.setChecked(True)
    assert dialog.import_button.isEnabled()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: bool(changed), timeout=20000)
    assert isinstance(controller.last_result, ImportPlan)
    assert "修改 1 行" in controller.message.text()
    with window.database.session() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.name == "孙改名")) == 1
    assert window.refreshed == 1


def test_import_with_errors_cannot_be_confirmed(qtbot, ui, tmp_path: Path) -> None:
    window, controller = ui
    path = tmp_path / "x.xlsx"
    export_database(window.database, path, ExportOptions(run_checks=False))
    wb = load_workbook(path)
    ws = wb["家庭成员"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("性别") + 1).value = "男士"
    wb.save(path)
    controller.import_from(path)
    qtbot.waitUntil(lambda: controller.preview is not None, timeout=20000)
    dialog = controller.preview
    assert not dialog.import_button.isEnabled()
    assert dialog.problems.rowCount() == 1 and "男士" in dialog.problems.item(0, 4).text()
    errors = tmp_path / "errors.xlsx"
    dialog.save_errors(str(errors))
    assert errors.exists()


def test_unreadable_file_gives_a_message(qtbot, ui, tmp_path: Path) -> None:
    _window, controller = ui
    bad = tmp_path / "bad.xlsx"
    bad.write_text("nonsense", encoding="utf-8")
    controller.import_from(bad)
    qtbot.waitUntil(lambda: controller.message is not None, timeout=20000)
    assert "不是有效的 Excel 工作簿" in controller.message.text()
    assert controller.preview is None


def test_report(qtbot, ui, tmp_path: Path) -> None:
    _window, controller = ui
    out = tmp_path / "r.xlsx"
    controller.report_to(out)
    qtbot.waitUntil(lambda: controller.last_result is not None, timeout=20000)
    assert out.exists() and "5 户" in controller.message.text()


def test_legacy_wizard_maps_previews_and_imports(qtbot, ui, tmp_path: Path) -> None:
    window, controller = ui
    with window.database.session() as s:
        village = s.scalar(select(Village.name))
        before = s.scalar(select(func.count()).select_from(Household))
    path = tmp_path / "roster.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["村", "户号", "姓名", "家庭关系", "性别", "备用"])
    ws.append([village, "W001", "周大", "户主", "男", "x"])
    ws.append([village, "W001", "吴二", "配偶", "女", "y"])
    wb.save(path)
    controller.legacy()
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    wizard.file_page.open_file(path)
    assert wizard.file_page.isComplete()
    wizard.next()
    assert wizard.mapping()[2] == "m.name" and wizard.mapping()[5] == ""
    wizard.next()
    qtbot.waitUntil(lambda: wizard.plan is not None, timeout=20000)
    assert wizard.preview_page.isComplete()
    assert "新增 1 户、2 人" in wizard.preview_page.summary.text()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.applied is not None, timeout=20000)
    with window.database.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == before + 1


def test_real_main_window_installs_the_feature(qtbot, tiny_db) -> None:
    from desktop.ui.main_window import MainWindow

    window = MainWindow(tiny_db)
    qtbot.addWidget(window)
    assert isinstance(window.exchange, ExchangeController)
    assert window.exchange.import_action in window.menu("data").actions()
