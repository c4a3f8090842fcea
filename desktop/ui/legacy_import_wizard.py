"""导入花名册（列映射）: a wizard that reads any roster workbook, maps its columns to fields (with
suggestions and remembered mappings), previews and validates, then imports in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from sqlalchemy import select

from db.models import Village
from desktop.core.exchange.errors import ExchangeError, write_error_workbook
from desktop.core.exchange.legacy import (
    FIELDS,
    IGNORE,
    LegacyPlan,
    LegacyTable,
    apply_legacy,
    plan_legacy,
    read_table,
    suggest_mapping,
)
from desktop.ui.tasks import run_task

SAMPLES = 3


class LegacyImportWizard(QWizard):
    """Pages: file → column mapping → preview. ``table``, ``mapping`` and ``plan`` hold the state."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.database = window.database
        self.table: LegacyTable | None = None
        self.plan: LegacyPlan | None = None
        self.applied: LegacyPlan | None = None
        self.setWindowTitle(self.tr("导入花名册（列映射）"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(1000, 640)
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("下一步(&N) >"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("< 上一步(&B)"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("导入(&I)"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("取消"))
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        for page in (self.file_page, self.mapping_page, self.preview_page):
            self.addPage(page)

    def load(self, path: str | Path, sheet: str | None = None, header_row: int | None = None) -> LegacyTable:
        self.table = read_table(path, sheet, header_row)
        self.plan = None
        return self.table

    def mapping(self) -> dict[int, str]:
        return self.mapping_page.mapping()

    def accept(self) -> None:
        plan = self.plan
        if plan is None or plan.has_errors:
            return
        database, operator = self.database, self.window.operator or None

        def work(progress: Any) -> LegacyPlan:
            with database.session() as session:
                return apply_legacy(session, plan, operator=operator, progress=progress)

        def done(result: LegacyPlan) -> None:
            self.applied = result
            self.window.households_changed.emit()
            self.window.refresh()
            box = QMessageBox(QMessageBox.Icon.Information, self.tr("导入完成"),
                              self.tr("花名册已导入：%s") % result.summary_text(), QMessageBox.StandardButton.Ok,
                              self.window)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            QWizard.accept(self)

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self, self.tr("导入失败，数据未作改动"), str(exc))

        run_task(self, self.tr("正在导入花名册…"), work, done, failed)


class FilePage(QWizardPage):
    def __init__(self, wizard: LegacyImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("第一步：选择花名册工作簿"))
        self.setSubTitle(self.tr("每行一人的工作簿（xlsx）。程序会自动找到表头行，也可以手动指定。"))
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit(self)
        self.path.setReadOnly(True)
        browse = QPushButton(self.tr("浏览(&O)…"), self)
        browse.clicked.connect(self.browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(self.tr("文件(&F)："), row)
        self.sheet = QComboBox(self)
        self.sheet.activated.connect(lambda _i: self.reload(header_row=None))
        form.addRow(self.tr("工作表(&W)："), self.sheet)
        self.header_row = QSpinBox(self)
        self.header_row.setRange(1, 50)
        self.header_row.editingFinished.connect(lambda: self.reload(header_row=self.header_row.value()))
        form.addRow(self.tr("表头所在行(&H)："), self.header_row)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        form.addRow(self.info)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择花名册"), str(Path.home()),
                                              self.tr("Excel 工作簿 (*.xlsx *.xlsm *.xls)"))
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> None:
        self.path.setText(str(path))
        self.reload(sheet=None, header_row=None)

    def reload(self, sheet: str | None = "", header_row: int | None = None) -> None:
        if not self.path.text():
            return
        if sheet == "":
            sheet = self.sheet.currentText() or None
        try:
            table = self.wiz.load(self.path.text(), sheet, header_row)
        except ExchangeError as exc:
            self.info.setText(f"<span style='color:#C00000'>{exc}</span>")
            self.wiz.table = None
            self.completeChanged.emit()
            return
        self.sheet.blockSignals(True)
        self.sheet.clear()
        self.sheet.addItems(table.sheets)
        self.sheet.setCurrentText(table.sheet)
        self.sheet.blockSignals(False)
        self.header_row.setValue(table.header_row)
        shown = "、".join(h for h in table.headers if h)
        self.info.setText(self.tr("工作表“%s”：第 %d 行是表头，%d 行数据。\n列：%s") % (
            table.sheet, table.header_row, len(table.rows), shown))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.wiz.table is not None and bool(self.wiz.table.rows)


class MappingPage(QWizardPage):
    def __init__(self, wizard: LegacyImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("第二步：指定各列对应的字段"))
        self.setSubTitle(self.tr("已按表头名称和上次的选择给出建议；不需要的列选“（不导入）”。姓名必须指定。"))
        layout = QVBoxLayout(self)
        self.grid = QTableWidget(0, 3, self)
        self.grid.setHorizontalHeaderLabels([self.tr("工作簿中的列"), self.tr("示例值"), self.tr("对应字段")])
        self.grid.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.grid, 1)
        form = QFormLayout()
        self.village = QComboBox(self)
        form.addRow(self.tr("没有“村”列时，所有人属于(&V)："), self.village)
        layout.addLayout(form)
        self.combos: list[QComboBox] = []

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        table = self.wiz.table
        assert table is not None
        with self.wiz.database.session() as session:
            suggested = suggest_mapping(session, table)
            villages = list(session.scalars(select(Village.name).order_by(Village.code)))
        self.village.clear()
        self.village.addItem(self.tr("（按“村”列）"), "")
        for name in villages:
            self.village.addItem(name, name)
        self.grid.setRowCount(len(table.headers))
        self.combos = []
        for i, header in enumerate(table.headers):
            self.grid.setItem(i, 0, QTableWidgetItem(header or self.tr("（第 %d 列，无表头）") % (i + 1)))
            samples = [r[i] for _n, r in table.rows[:SAMPLES] if i < len(r) and r[i] not in (None, "")]
            shown = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in samples]
            self.grid.setItem(i, 1, QTableWidgetItem("；".join(shown)))
            combo = QComboBox(self.grid)
            combo.addItem(self.tr("（不导入）"), IGNORE)
            for f in FIELDS:
                combo.addItem(f.label, f.key)
            combo.setCurrentIndex(max(combo.findData(suggested.get(i, IGNORE)), 0))
            if combo.currentData():
                self.grid.item(i, 0).setForeground(QColor("#1F6E43"))
            self.grid.setCellWidget(i, 2, combo)
            self.combos.append(combo)
        self.grid.resizeColumnToContents(0)
        self.grid.setColumnWidth(2, 220)

    def mapping(self) -> dict[int, str]:
        return {i: combo.currentData() or IGNORE for i, combo in enumerate(self.combos)}

    def set_mapping(self, mapping: dict[int, str]) -> None:
        for i, key in mapping.items():
            self.combos[i].setCurrentIndex(max(self.combos[i].findData(key), 0))

    def default_village(self) -> str | None:
        return self.village.currentData() or None


class PreviewPage(QWizardPage):
    def __init__(self, wizard: LegacyImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("第三步：检查结果"))
        self.setSubTitle(self.tr("有错误时不能导入；可保存错误清单交给填表人改正。"))
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.problems = QTableWidget(0, 5, self)
        self.problems.setHorizontalHeaderLabels([self.tr("级别"), self.tr("行"), self.tr("列"), self.tr("值"),
                                                 self.tr("问题")])
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.problems, 1)
        self.save_button = QPushButton(self.tr("保存错误清单(&S)…"), self)
        self.save_button.clicked.connect(self.save_errors)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.wiz.plan = None
        self.summary.setText(self.tr("正在检查……"))
        self.problems.setRowCount(0)
        self.completeChanged.emit()
        table, mapping = self.wiz.table, self.wiz.mapping()
        village = self.wiz.mapping_page.default_village()
        database = self.wiz.database

        def work(progress: Any) -> LegacyPlan:
            with database.session() as session:
                plan = plan_legacy(session, table, mapping, default_village=village, progress=progress)
                session.rollback()
                return plan

        run_task(self, self.tr("正在检查花名册…"), work, self.show_plan,
                 lambda exc: self.summary.setText(f"<span style='color:#C00000'>{exc}</span>"))

    def show_plan(self, plan: LegacyPlan) -> None:
        self.wiz.plan = plan
        text = plan.summary_text()
        if plan.has_errors:
            text = self.tr("有 %d 个错误，不能导入。\n") % len(plan.errors) + text
        self.summary.setText(text)
        self.problems.setRowCount(len(plan.problems[:2000]))
        for r, p in enumerate(plan.problems[:2000]):
            cells = [p.level, "" if p.row is None else str(p.row), p.column or "",
                     "" if p.value is None else str(p.value), p.message]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if p.level == "错误":
                    item.setForeground(QColor("#C00000"))
                self.problems.setItem(r, c, item)
        self.problems.resizeColumnsToContents()
        self.save_button.setEnabled(bool(plan.problems))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        plan = self.wiz.plan
        return plan is not None and not plan.has_errors

    def save_errors(self, _checked: bool = False, path: str | None = None) -> None:
        plan = self.wiz.plan
        if plan is None:
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("保存错误清单"), str(Path.home() / "花名册错误清单.xlsx"),
                                                  self.tr("Excel 工作簿 (*.xlsx)"))
        if path:
            write_error_workbook(plan.problems, path, source=plan.table.path)


__all__ = ["LegacyImportWizard", "QWidget"]
