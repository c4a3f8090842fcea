"""问题清单: the data-quality problems of the whole database in a tab.

Runs ``desktop.core.checks.run_checks`` off the GUI thread (``run_task``, with
progress and cancel); filters by severity, rule, village and helper (and free
text); Enter or a double click opens the household's card; a warning can be
marked as checked with a note (kept in ``check_acknowledgement`` and in the
household's history, shown below the table); the list exports to a workbook.

The 检查 menu gets: 运行数据检查 (F9), 问题清单, 导出问题清单, 脱贫评估 and
贫困村退出.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.checks import RULES, Problem, run_checks
from desktop.core.checks import settings as check_settings
from desktop.core.checks.acknowledge import AcknowledgeError, acknowledge, history, revoke
from desktop.core.checks.engine import ERROR, ordered_rules
from desktop.core.checks.export import ExportError, write_workbook
from desktop.core.progress import Progress
from desktop.ui.tasks import run_task

ALL = ""  # "no filter" item data (never None through a QVariant)
COLUMNS = (
    ("severity", "严重程度", 64),
    ("rule", "规则", 200),
    ("village", "行政村", 80),
    ("household_number", "户编号", 96),
    ("head_name", "户主", 64),
    ("member_name", "成员", 64),
    ("field", "字段", 100),
    ("message", "问题描述", 420),
    ("helpers", "帮扶责任人", 90),
    ("acknowledged", "已核实", 52),
)
ROLE_PROBLEM = Qt.ItemDataRole.UserRole + 1


class ProblemsModel(QAbstractTableModel):
    """The problems of the last run, one row each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problems: list[Problem] = []

    def set_problems(self, problems: list[Problem]) -> None:
        self.beginResetModel()
        self.problems = list(problems)
        self.endResetModel()

    def replace(self, row: int, problem: Problem) -> None:
        self.problems[row] = problem
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(COLUMNS[section][1])
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def text(self, p: Problem, key: str) -> str:
        if key == "rule":
            return f"{p.rule_id} {p.title}"
        if key == "field":
            return p.field_label or ""
        if key == "helpers":
            return "、".join(p.helpers)
        if key == "acknowledged":
            return "已核实" if p.acknowledged else ""
        return str(getattr(p, key) or "")

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        p = self.problems[index.row()]
        key = COLUMNS[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(p, key)
        if role == Qt.ItemDataRole.ForegroundRole:
            if p.acknowledged:
                return QColor("#888888")
            if key == "severity" and p.severity == ERROR:
                return QColor("#c9302c")
            if key == "severity":
                return QColor("#b8860b")
        if role == ROLE_PROBLEM:
            return index.row()
        return None


class ProblemsFilter(QSortFilterProxyModel):
    """Severity, rule, village, helper, free text and whether to show checked warnings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.severity = self.rule = self.village = self.helper = self.text = ALL
        self.show_acknowledged = True

    def set(self, **values: Any) -> None:
        self.beginFilterChange()
        for key, value in values.items():
            setattr(self, key, value)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802 - Qt override
        p = self.sourceModel().problems[row]
        if self.severity and p.severity != self.severity:
            return False
        if self.rule and p.rule_id != self.rule:
            return False
        if self.village and p.village != self.village:
            return False
        if self.helper and self.helper not in p.helpers:
            return False
        if not self.show_acknowledged and p.acknowledged:
            return False
        if self.text:
            hay = f"{p.message} {p.household_number or ''} {p.rule_id}".lower()
            if self.text.lower() not in hay:
                return False
        return True


class AcknowledgeDialog(QDialog):
    """Asks for the note that explains why a warning is acceptable."""

    def __init__(self, problem: Problem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("标记为已核实"))
        self.resize(560, 260)
        layout = QVBoxLayout(self)
        message = QLabel(problem.message, self)
        message.setWordWrap(True)
        layout.addWidget(message)
        prompt = QLabel(self.tr("核实说明（必填，例如核实了什么、为什么可以接受）(&N)："), self)
        self.note = QPlainTextEdit(self)
        self.note.setTabChangesFocus(True)
        prompt.setBuddy(self.note)
        layout.addWidget(prompt)
        layout.addWidget(self.note, 1)
        self.error = QLabel(self)
        self.error.setStyleSheet("color:#c9302c")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("确定(&O)"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.note.setFocus()

    def _accept(self) -> None:
        if not self.note.toPlainText().strip():
            self.error.setText(self.tr("请填写核实说明。"))
            return
        self.accept()


class ProblemsTab(QWidget):
    """Signals:
        open_household(str): the user asked to open a household's card.
        assess_household(str): the user asked for the exit assessment of a household.
        checked(): a run finished and the list shows its result.
    """

    open_household = Signal(str)
    assess_household = Signal(str)
    checked = Signal()

    def __init__(self, database: Any, operator: Any = lambda: "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.operator = operator
        self.year: int | None = None
        self.stale = False
        self.running = False

        self.run_button = QPushButton(self.tr("运行检查(F9)"), self)
        self.export_button = QPushButton(self.tr("导出(&E)…"), self)
        self.severity = QComboBox(self)
        for text, value in ((self.tr("全部"), ALL), (self.tr("错误"), "错误"), (self.tr("警告"), "警告")):
            self.severity.addItem(text, value)
        self.rule = QComboBox(self)
        self.village = QComboBox(self)
        self.helper = QComboBox(self)
        for combo in (self.rule, self.village, self.helper):
            combo.setMinimumContentsLength(8)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.rule.setMinimumContentsLength(22)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("查找户编号、姓名或内容"))
        self.search.setClearButtonEnabled(True)
        self.show_acknowledged = QCheckBox(self.tr("显示已核实(&K)"), self)
        self.show_acknowledged.setChecked(True)

        bar = QHBoxLayout()
        bar.addWidget(self.run_button)
        for label_text, widget in ((self.tr("严重程度(&S)"), self.severity), (self.tr("规则(&U)"), self.rule),
                                   (self.tr("村(&G)"), self.village), (self.tr("帮扶责任人(&B)"), self.helper)):
            label = QLabel(label_text, self)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.show_acknowledged)
        bar.addWidget(self.export_button)

        self.summary = QLabel(self.tr("尚未检查。按 F9 运行数据检查。"), self)
        self.model = ProblemsModel(self)
        self.proxy = ProblemsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("problems")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        for i, (_key, _title, width) in enumerate(COLUMNS):
            self.table.setColumnWidth(i, width)
        header.setSectionResizeMode(COLUMNS.index(next(c for c in COLUMNS if c[0] == "message")),
                                    QHeaderView.ResizeMode.Stretch)

        self.details = QTextBrowser(self)
        self.details.setOpenLinks(False)
        self.open_button = QPushButton(self.tr("打开档案(Enter)"), self)
        self.ack_button = QPushButton(self.tr("标记为已核实(Ctrl+K)…"), self)
        self.revoke_button = QPushButton(self.tr("撤销核实"), self)
        self.assess_button = QPushButton(self.tr("脱贫评估…"), self)
        actions = QVBoxLayout()
        for button in (self.open_button, self.ack_button, self.revoke_button, self.assess_button):
            actions.addWidget(button)
        actions.addStretch(1)
        lower = QWidget(self)
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.details, 1)
        lower_layout.addLayout(actions)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        self.run_button.clicked.connect(self.run)
        self.export_button.clicked.connect(self.export)
        self.severity.currentIndexChanged.connect(self._filter)
        self.rule.currentIndexChanged.connect(self._filter)
        self.village.currentIndexChanged.connect(self._filter)
        self.helper.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.show_acknowledged.toggled.connect(self._filter)
        # Enter (and a double click) emit activated()
        self.table.activated.connect(lambda _i: self.open_current())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_details())
        self.open_button.clicked.connect(self.open_current)
        self.ack_button.clicked.connect(self.acknowledge_current)
        self.revoke_button.clicked.connect(self.revoke_current)
        self.assess_button.clicked.connect(self._assess_current)
        QShortcut(QKeySequence("Ctrl+K"), self, self.acknowledge_current,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+E"), self, self.export, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+F"), self, self.search.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._fill_filters()
        self._update_buttons()

    # ----- running ----------------------------------------------------------
    def run(self) -> None:
        """Run every rule over the database in the background."""
        if self.running:
            return
        database = self.database

        def work(progress: Progress) -> tuple[int, list[Problem]]:
            with database.session() as session:
                settings = check_settings.load(session)
                year = check_settings.check_year(session, settings)
                return year, run_checks(session, progress=progress, settings=settings, year=year)

        def failed(exc: BaseException) -> None:
            self.running = False
            self.summary.setText(self.tr("检查出错：%1").replace("%1", str(exc)))
            QMessageBox.warning(self, self.tr("数据检查"), self.tr("检查出错：%1").replace("%1", str(exc)))

        self.running = True
        self.summary.setText(self.tr("正在检查…"))
        run_task(self, self.tr("数据检查"), work, self._checked, failed)

    def _checked(self, result: tuple[int, list[Problem]]) -> None:
        self.running = False
        self.year, problems = result
        self.stale = False
        self.set_problems(problems)
        self.checked.emit()

    def set_problems(self, problems: list[Problem]) -> None:
        self.model.set_problems(problems)
        self._fill_filters()
        self._summarise()
        if self.proxy.rowCount():
            self.table.selectRow(0)
        self._show_details()
        self.table.setFocus()

    def mark_stale(self) -> None:
        if self.model.problems or self.year is not None:
            self.stale = True
            self._summarise()

    # ----- filters ------------------------------------------------------------
    def _fill_filters(self) -> None:
        problems = self.model.problems
        counts: dict[str, int] = {}
        for p in problems:
            counts[p.rule_id] = counts.get(p.rule_id, 0) + 1
        previous = (self.rule.currentData(), self.village.currentData(), self.helper.currentData())
        for combo in (self.rule, self.village, self.helper):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.tr("全部"), ALL)
        for r in ordered_rules():
            if r.id in counts:
                self.rule.addItem(f"{r.id} {r.title}（{counts[r.id]}）", r.id)
        for name in sorted({p.village for p in problems if p.village}):
            self.village.addItem(name, name)
        for name in sorted({h for p in problems for h in p.helpers}):
            self.helper.addItem(name, name)
        for combo, value in zip((self.rule, self.village, self.helper), previous, strict=True):
            index = combo.findData(value) if value else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self._filter()

    def _filter(self) -> None:
        def data(combo: QComboBox) -> str:
            return combo.currentData() if combo.currentIndex() >= 0 else ALL

        self.proxy.set(severity=data(self.severity), rule=data(self.rule), village=data(self.village),
                       helper=data(self.helper), text=self.search.text().strip(),
                       show_acknowledged=self.show_acknowledged.isChecked())
        self._summarise()
        self._show_details()

    def _summarise(self) -> None:
        problems = self.model.problems
        if self.year is None and not problems:
            return
        errors = sum(1 for p in problems if p.severity == ERROR)
        acknowledged = sum(1 for p in problems if p.acknowledged)
        households = len({p.household_uuid for p in problems if p.household_uuid})
        text = self.tr("%1年度：错误 %2 条，警告 %3 条（已核实 %4 条），涉及 %5 户；显示 %6 条。")
        for n, value in enumerate((self.year or "", errors, len(problems) - errors, acknowledged, households,
                                   self.proxy.rowCount()), 1):
            text = text.replace(f"%{n}", str(value))
        if not problems:
            text = self.tr("%1年度：没有发现问题。").replace("%1", str(self.year or ""))
        if self.stale:
            text += self.tr("　数据已修改，结果可能已过期，按 F9 重新检查。")
        self.summary.setText(text)

    # ----- the selected problem ---------------------------------------------------
    def current_row(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.proxy.mapToSource(index).row()

    def current_problem(self) -> Problem | None:
        row = self.current_row()
        return None if row is None else self.model.problems[row]

    def _update_buttons(self) -> None:
        p = self.current_problem()
        self.open_button.setEnabled(bool(p and p.household_uuid))
        self.assess_button.setEnabled(bool(p and p.household_uuid))
        self.ack_button.setEnabled(bool(p and p.severity != ERROR and not p.acknowledged and p.entity_uuid))
        self.revoke_button.setEnabled(bool(p and p.acknowledged))

    def _show_details(self) -> None:
        self._update_buttons()
        p = self.current_problem()
        if p is None:
            self.details.setPlainText("")
            return
        rule = RULES.get(p.rule_id)
        lines = [f"<b>{p.severity}　{p.rule_id} {p.title}</b>（{p.category}）", p.message.replace("<", "&lt;")]
        if rule is not None:
            lines.append(f"<span style='color:#555'>规则说明：{rule.description}</span>")
        with self.database.session() as session:
            records = history(session, rule_id=p.rule_id, entity_uuid=p.entity_uuid) if p.entity_uuid else []
        if records:
            lines.append("<b>核实记录</b>")
            for r in records:
                state = "（已撤销）" if r.revoked else ""
                lines.append(f"{r.at}　{r.operator or '未署名'}：{r.note}{state}".replace("<", "&lt;"))
        elif p.severity == ERROR:
            lines.append("<span style='color:#c9302c'>错误须改正数据；导出时可由审核人记录理由后放行。</span>")
        self.details.setHtml("<br>".join(lines))

    def open_current(self) -> None:
        p = self.current_problem()
        if p is not None and p.household_uuid:
            self.open_household.emit(p.household_uuid)

    def _assess_current(self) -> None:
        p = self.current_problem()
        if p is not None and p.household_uuid:
            self.assess_household.emit(p.household_uuid)

    def acknowledge_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        p = self.model.problems[row]
        if p.severity == ERROR:
            QMessageBox.information(self, self.tr("标记为已核实"), self.tr("这是错误，不能标记为已核实；请改正数据。"))
            return
        if p.acknowledged:
            return
        dialog = AcknowledgeDialog(p, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.record_acknowledgement(row, dialog.note.toPlainText())

    def record_acknowledgement(self, row: int, note: str) -> bool:
        p = self.model.problems[row]
        try:
            with self.database.session() as session:
                acknowledge(session, p, note, operator=self.operator() or None)
        except AcknowledgeError as exc:
            QMessageBox.warning(self, self.tr("标记为已核实"), str(exc))
            return False
        self.model.replace(row, replace(p, acknowledged=True))
        self._summarise()
        self._show_details()
        return True

    def revoke_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        p = self.model.problems[row]
        if not p.acknowledged:
            return
        with self.database.session() as session:
            revoke(session, p.rule_id, p.entity_uuid, p.household_uuid, operator=self.operator() or None)
        self.model.replace(row, replace(p, acknowledged=False))
        self._summarise()
        self._show_details()

    # ----- export ------------------------------------------------------------------
    def export(self, path: str | None = None) -> None:
        """Save the problems (all of them, not only the filtered ones) to a workbook."""
        problems = list(self.model.problems)
        if not problems and self.year is None:
            QMessageBox.information(self, self.tr("导出问题清单"), self.tr("请先运行数据检查（F9）。"))
            return
        if not path:
            suggested = str(Path.home() / f"问题清单-{date.today():%Y%m%d}.xlsx")
            path, _filter = QFileDialog.getSaveFileName(self, self.tr("导出问题清单"), suggested,
                                                        self.tr("Excel 工作簿 (*.xlsx)"))
            if not path:
                return
            if not path.lower().endswith(".xlsx"):
                path += ".xlsx"
        year = self.year
        source = str(getattr(self.database, "path", "") or "")

        def work(_progress: Progress) -> Path:
            return write_workbook(problems, path, year=year, source=source)

        def done(written: Path) -> None:
            self.summary.setText(self.summary.text().split("　已导出")[0] + self.tr("　已导出到 %1").replace(
                "%1", str(written)))

        def failed(exc: BaseException) -> None:
            message = str(exc) if isinstance(exc, ExportError) else self.tr("导出失败：%1").replace("%1", str(exc))
            QMessageBox.warning(self, self.tr("导出问题清单"), message)

        run_task(self, self.tr("导出问题清单"), work, done, failed)


# --------------------------------------------------------------------------- main-window hook


class ProblemsFeature:
    """The tab and the 检查 menu in the main window."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.tab: ProblemsTab | None = None
        menu = window.menu("check")
        self.run_action = self._action(menu, "运行数据检查(&R)", self.run, "F9")
        self.show_action = self._action(menu, "问题清单(&P)", self.show, "Ctrl+Shift+Q")
        self.export_action = self._action(menu, "导出问题清单(&E)…", self.export)
        menu.addSeparator()
        self.assess_action = self._action(menu, "脱贫评估(&A)…", self.assess, "Ctrl+Shift+A")
        self.villages_action = self._action(menu, "贫困村退出(&V)…", self.villages, "Ctrl+Shift+G")
        self.village_view: QWidget | None = None
        window.households_changed.connect(self._changed)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: str | None = None) -> QAction:
        action = QAction(self.window.tr(text), self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _operator(self) -> str:
        return getattr(self.window, "operator", "") or ""

    def show(self) -> ProblemsTab:
        tab = self.tab
        tabs = self.window.tabs
        if tab is None or tabs.indexOf(tab) < 0:
            tab = ProblemsTab(self.window.database, self._operator, self.window)
            tab.open_household.connect(self.window.open_household)
            tab.assess_household.connect(self.assess)
            self.tab = tab
            self.window.add_tab(tab, tab.tr("问题清单"))
        tabs.setCurrentWidget(tab)
        tab.table.setFocus()
        return tab

    def run(self) -> None:
        self.show().run()

    def export(self) -> None:
        self.show().export()

    def _changed(self) -> None:
        if self.tab is not None:
            self.tab.mark_stale()

    def _household_for_assessment(self) -> str | None:
        selected = list(self.window.selected_household_uuids() or [])
        if self.tab is not None and self.window.tabs.currentWidget() is self.tab:
            p = self.tab.current_problem()
            if p is not None and p.household_uuid:
                return p.household_uuid
        if selected:
            return selected[0]
        number, ok = QInputDialog.getText(self.window, self.window.tr("脱贫评估"),
                                          self.window.tr("请输入户编号："))
        if not ok or not number.strip():
            return None
        from sqlalchemy import select

        from db.models import Household

        with self.window.database.session() as session:
            uuid = session.scalar(select(Household.uuid).where(Household.household_number == number.strip()))
        if uuid is None:
            QMessageBox.information(self.window, self.window.tr("脱贫评估"),
                                    self.window.tr("没有户编号为“%1”的户。").replace("%1", number.strip()))
        return uuid

    def assess(self, household_uuid: str | None = None) -> Any:
        from desktop.ui.exit_assessment_dialog import ExitAssessmentDialog

        uuid = household_uuid or self._household_for_assessment()
        if not uuid:
            return None
        dialog = ExitAssessmentDialog(self.window.database, uuid, operator=self._operator(), parent=self.window)
        dialog.saved.connect(self.window.households_changed.emit)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        self.window.exit_assessment_dialog = dialog
        return dialog

    def villages(self) -> QWidget:
        from desktop.ui.village_exit_view import VillageExitView

        view = self.village_view
        tabs = self.window.tabs
        if view is None or tabs.indexOf(view) < 0:
            view = VillageExitView(self.window.database, self._operator, self.window)
            view.villages_changed.connect(self.window.households_changed.emit)
            self.village_view = view
            self.window.add_tab(view, view.tr("贫困村退出"))
        else:
            view.refresh()
        tabs.setCurrentWidget(view)
        view.table.setFocus()
        return view


def install(window: Any) -> ProblemsFeature:
    feature = ProblemsFeature(window)
    window.problems = feature
    return feature
