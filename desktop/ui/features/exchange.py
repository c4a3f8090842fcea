"""数据交换 menu: export / import the exchange workbook, legacy roster import, summary report.

Every long step runs through ``desktop.ui.tasks.run_task`` (worker thread, progress, cancel). An
import first runs as a dry run and shows its counts, problems and field-level differences; only the
clerk's confirmation writes, in one transaction.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from db.models import Township
from desktop.core.exchange.errors import (
    EditedFileError,
    ExchangeError,
    ExportBlocked,
    ImportRejected,
    write_error_workbook,
)
from desktop.core.exchange.export import ExportOptions, ExportResult, export_database
from desktop.core.exchange.importer import ImportPlan, import_workbook
from desktop.core.exchange.report import ReportResult, write_report
from desktop.ui.tasks import run_task

XLSX_FILTER = "Excel 工作簿 (*.xlsx)"
ROWS_SHOWN = 2000


def install(window: Any) -> None:
    window.exchange = ExchangeController(window)


class ExchangeController(QObject):
    """Owns the menu actions and the dialogs of the exchange feature (one per main window)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.preview: ImportPreviewDialog | None = None
        self.message: QMessageBox | None = None
        self.last_result: Any = None
        self.last_error: BaseException | None = None
        self.wizard: QDialog | None = None
        menu = window.menu("data")
        self.export_action = self._action(menu, self.tr("导出交换表(&E)…"), "Ctrl+Shift+E", self.export)
        self.import_action = self._action(menu, self.tr("导入交换表(&I)…"), "Ctrl+Shift+I", self.import_)
        self.legacy_action = self._action(menu, self.tr("导入花名册（列映射）(&L)…"), "Ctrl+Shift+L", self.legacy)
        menu.addSeparator()
        self.report_action = self._action(menu, self.tr("汇总报表(&R)…"), "Ctrl+Shift+R", self.report)

    def _action(self, menu: Any, text: str, shortcut: str, slot: Any) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # ----- helpers -----------------------------------------------------
    def _inform(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = box
        box.open()
        return box

    def _fail(self, title: str, exc: BaseException) -> None:
        self.last_error = exc
        text = str(exc) if isinstance(exc, ExchangeError) else self.tr("程序内部错误：%s") % exc
        self._inform(title, text, QMessageBox.Icon.Warning)

    def _default_name(self, kind: str) -> str:
        with self.window.database.session() as session:
            names = list(session.scalars(select(Township.name).order_by(Township.code)))
        who = names[0] if len(names) == 1 else (self.tr("县汇总") if names else self.tr("明白卡"))
        return str(Path.home() / f"{who}{kind}_{date.today():%Y%m%d}.xlsx")

    # ----- export ------------------------------------------------------
    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, self.tr("导出交换表"), self._default_name(self.tr("交换表")),
                                              self.tr(XLSX_FILTER))
        if path:
            self.export_to(path)

    def ask_override_reason(self, blocked: ExportBlocked) -> str | None:
        text, ok = QInputDialog.getMultiLineText(
            self.window, self.tr("数据检查有错误"),
            self.tr("%s\n\n如确需现在报送，请填写强制导出的理由（将记录在日志中）：") % blocked, "")
        return text.strip() if ok and text.strip() else None

    def export_to(self, path: str | Path, override_reason: str | None = None) -> None:
        options = ExportOptions(operator=self.window.operator or None, override_reason=override_reason)
        database = self.window.database

        def work(progress: Any) -> ExportResult:
            return export_database(database, path, options, progress)

        def done(result: ExportResult) -> None:
            self.last_result = result
            rows = "\n".join(f"{k}：{v}" for k, v in result.row_counts.items())
            extra = ""
            if result.override_reason:
                extra = self.tr("\n\n数据检查有 %d 个错误，已按所填理由强制导出并记录。") % result.check_errors
            self._inform(self.tr("导出完成"), self.tr("已导出到 %s\n导出序号 %d\n\n%s\n\n数据摘要：%s%s") % (
                result.path, result.sequence, rows, result.digest, extra))

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ExportBlocked) and override_reason is None:
                reason = self.ask_override_reason(exc)
                if reason:
                    self.export_to(path, reason)
                    return
            self._fail(self.tr("无法导出"), exc)

        run_task(self.window, self.tr("正在导出交换表…"), work, done, failed)

    # ----- import ------------------------------------------------------
    def import_(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, self.tr("导入交换表"), str(Path.home()),
                                              self.tr(XLSX_FILTER))
        if path:
            self.import_from(path)

    def import_from(self, path: str | Path) -> None:
        """Dry run first; the preview dialog asks before anything is written."""
        database = self.window.database

        def work(progress: Any) -> ImportPlan:
            return import_workbook(database, path, dry_run=True, progress=progress)

        def done(plan: ImportPlan) -> None:
            self.last_result = plan
            self.preview = ImportPreviewDialog(plan, self.window)
            self.preview.accepted.connect(lambda: self._apply(plan))
            self.preview.open()

        run_task(self.window, self.tr("正在检查交换表…"), work, done, lambda exc: self._fail(self.tr("无法导入"), exc))

    def _apply(self, plan: ImportPlan) -> None:
        database = self.window.database
        operator = self.window.operator or None
        accept = plan.edited

        def work(progress: Any) -> ImportPlan:
            return import_workbook(database, plan.path, accept_edited=accept, operator=operator, progress=progress)

        def done(result: ImportPlan) -> None:
            self.last_result = result
            self.window.households_changed.emit()
            self.window.refresh()
            self._inform(self.tr("导入完成"), self.tr("已导入“%s”：%s") % (result.path.name, result.summary_text()))

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ImportRejected | EditedFileError):
                exc = ExchangeError(f"{exc}（文件在检查后又被改动？请重新导入。）")
            self._fail(self.tr("导入失败，数据未作改动"), exc)

        run_task(self.window, self.tr("正在导入交换表…"), work, done, failed)

    # ----- legacy roster ---------------------------------------------------
    def legacy(self) -> None:
        from desktop.ui.legacy_import_wizard import LegacyImportWizard

        self.wizard = LegacyImportWizard(self.window)
        self.wizard.open()

    # ----- report ------------------------------------------------------
    def report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, self.tr("汇总报表"), self._default_name(self.tr("汇总报表")),
                                              self.tr(XLSX_FILTER))
        if path:
            self.report_to(path)

    def report_to(self, path: str | Path, year: int | None = None) -> None:
        database = self.window.database

        def work(progress: Any) -> ReportResult:
            return write_report(database, path, year=year, progress=progress)

        def done(result: ReportResult) -> None:
            self.last_result = result
            self._inform(self.tr("汇总报表已生成"), self.tr("%s\n%d 个村，%d 户，%d 人；年度 %s，贫困线 %s 元") % (
                result.path, result.villages, result.households, result.people, result.year, result.line))

        run_task(self.window, self.tr("正在生成汇总报表…"), work, done, lambda exc: self._fail(self.tr("无法生成报表"), exc))


class ImportPreviewDialog(QDialog):
    """The dry run's result: counts per sheet, problems, field-level differences; 导入 confirms."""

    def __init__(self, plan: ImportPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle(self.tr("导入交换表 — 试导入结果"))
        self.resize(1100, 640)
        layout = QVBoxLayout(self)
        m = plan.manifest
        head = QLabel(self.tr("文件：%s\n乡镇：%s（%s）  导出时间：%s  导出序号：%s\n%s") % (
            plan.path.name, "、".join(m.township_names), "、".join(m.township_codes), m.exported_at,
            m.sequence if m.sequence is not None else "—", plan.summary_text()), self)
        head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(head)
        self.counts = self._counts_table()
        layout.addWidget(self.counts)
        self.tabs = QTabWidget(self)
        self.problems = self._problem_table()
        self.diffs = self._diff_table()
        self.tabs.addTab(self.problems, self.tr("问题（%d）") % (plan.error_count + len(plan.warnings)))
        self.tabs.addTab(self.diffs, self.tr("修改明细（%d）") % sum(sp.changed_fields for sp in plan.sheets.values()))
        layout.addWidget(self.tabs, 1)
        self.edited_box: QCheckBox | None = None
        if plan.has_errors:
            note = QLabel(self.tr("文件有 %d 个错误，不能导入。请改正后重新导入，或保存错误清单交给填表人。")
                          % plan.error_count, self)
            note.setStyleSheet("color: #C00000; font-weight: bold;")
            layout.addWidget(note)
            self.tabs.setCurrentIndex(0)
        elif plan.edited:
            note = QLabel(self.tr("注意：该文件在导出后被修改过或已损坏（%s）。") % "；".join(plan.edited_reasons), self)
            note.setStyleSheet("color: #C55A11; font-weight: bold;")
            note.setWordWrap(True)
            layout.addWidget(note)
            self.edited_box = QCheckBox(self.tr("我已核对修改明细，仍然导入(&K)"), self)
            layout.addWidget(self.edited_box)
            self.tabs.setCurrentIndex(1)
        else:
            self.tabs.setCurrentIndex(1 if plan.diffs else 0)
        buttons = QDialogButtonBox(self)
        self.import_button = QPushButton(self.tr("导入(&I)"), self)
        self.save_errors_button = QPushButton(self.tr("保存错误清单(&S)…"), self)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.save_errors_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.save_errors_button.clicked.connect(self.save_errors)
        self.save_errors_button.setEnabled(bool(plan.problems))
        nothing = plan.totals()["新增"] + plan.totals()["修改"] == 0
        if nothing and not plan.has_errors:
            self.import_button.setText(self.tr("没有需要导入的改动"))
        self.import_button.setEnabled(not plan.has_errors and not nothing and self.edited_box is None)
        if self.edited_box is not None:
            self.edited_box.toggled.connect(lambda on: self.import_button.setEnabled(on and not nothing))
        layout.addWidget(buttons)
        (self.edited_box or self.import_button if self.import_button.isEnabled() else buttons).setFocus()

    def _counts_table(self) -> QTableWidget:
        counts = self.plan.counts()
        table = QTableWidget(len(counts) + 1, 5, self)
        table.setHorizontalHeaderLabels([self.tr("工作表"), "新增", "修改", "不变", "错误"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        totals = self.plan.totals()
        rows = [*counts.items(), (self.tr("合计"), totals)]
        for r, (title, c) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(title))
            for col, key in enumerate(("新增", "修改", "不变", "错误"), 1):
                item = QTableWidgetItem(str(c[key]))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if key == "错误" and c[key]:
                    item.setForeground(QColor("#C00000"))
                table.setItem(r, col, item)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.setMaximumHeight(28 + 24 * min(len(rows), 7))
        return table

    def _problem_table(self) -> QTableWidget:
        problems = self.plan.problems[:ROWS_SHOWN]
        table = QTableWidget(len(problems), 6, self)
        table.setHorizontalHeaderLabels([self.tr("级别"), self.tr("工作表"), self.tr("行"), self.tr("列"),
                                         self.tr("值"), self.tr("问题")])
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, p in enumerate(problems):
            cells = [p.level, p.sheet, "" if p.row is None else str(p.row),
                     f"{p.column or ''}{f'（{p.column_letter}）' if p.column_letter else ''}",
                     "" if p.value is None else str(p.value), p.message]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if p.level == "错误":
                    item.setForeground(QColor("#C00000"))
                table.setItem(r, c, item)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        return table

    def _diff_table(self) -> QTableWidget:
        diffs = self.plan.diffs[:ROWS_SHOWN]
        table = QTableWidget(len(diffs), 6, self)
        table.setHorizontalHeaderLabels([self.tr("工作表"), self.tr("行"), self.tr("记录"), self.tr("列"), self.tr("原值"),
                                         self.tr("新值")])
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        from desktop.core.exchange.format import canonical_text

        for r, d in enumerate(diffs):
            for c, text in enumerate([d.sheet, str(d.row), d.record, d.column, canonical_text(d.old) or "（空）",
                                      canonical_text(d.new) or "（空）"]):
                table.setItem(r, c, QTableWidgetItem(text))
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        return table

    def save_errors(self, path: str | None = None) -> None:
        if not path:
            default = str(self.plan.path.with_name(self.plan.path.stem + "_错误清单.xlsx"))
            path, _ = QFileDialog.getSaveFileName(self, self.tr("保存错误清单"), default, self.tr(XLSX_FILTER))
        if path:
            write_error_workbook(self.plan.problems, path, source=self.plan.path)
