"""县级汇总 dialog: pick township workbooks, consolidate them into the open (county) database, and review
the result: every file's verdict, the change report, the problems (open the household, mark a likely
duplicate as "not a duplicate") and the reconciliation.

The work runs through ``desktop.ui.tasks.run_task`` (worker thread, progress, cancel); 试汇总 runs the
same consolidation and rolls it back, so the officer sees verdicts, changes and problems before anything
is written. The dialog is not modal: opening a household hides it (the 数据交换 menu shows it again with
its results).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.county.consolidate import ConsolidationError, ConsolidationResult, consolidate
from desktop.core.exchange.errors import ExchangeError
from desktop.core.exchange.format import canonical_text
from desktop.core.exchange.importer import open_workbook, read_manifest
from desktop.ui.tasks import run_task

XLSX_FILTER = "Excel 工作簿 (*.xlsx)"
RED, ORANGE, GREEN, GREY = QColor("#C00000"), QColor("#C55A11"), QColor("#375623"), QColor("#808080")
ROWS_SHOWN = 5000
FILE_COLUMNS = ("文件", "乡镇", "导出序号", "上次序号", "导出时间", "结论", "说明", "确认采用")
PROBLEM_COLUMNS = ("级别", "规则", "乡镇", "行政村", "户编号", "户主", "姓名", "另一方", "说明")
CHANGE_COLUMNS = ("乡镇", "工作表", "变更", "记录", "列", "原值", "新值")
RECON_COLUMNS = ("乡镇", "工作表", "文件行数", "读取行数", "采用行数", "县库行数", "县汇总表行数", "依据", "结论", "说明")


def _item(text: Any, color: QColor | None = None, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if len(item.text()) > 8:
        item.setToolTip(item.text())
    if color is not None:
        item.setForeground(color)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(parent: QWidget, columns: tuple[str, ...], widths: tuple[int, ...], stretch: int | None = None) -> QTableWidget:
    """A read-only table; column ``stretch`` (default: the last) takes the spare width."""
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels([parent.tr(c) for c in columns])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    table.setTabKeyNavigation(False)
    for i, w in enumerate(widths):
        table.setColumnWidth(i, w)
    header = table.horizontalHeader()
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class CountyDialog(QDialog):
    """Files, outputs, 试汇总 / 汇总, and the result tabs."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.paths: list[Path] = []
        self.result: ConsolidationResult | None = None
        self.last_error: BaseException | None = None
        self.message: QMessageBox | None = None
        self.shown_problems: list[Any] = []
        self.dismissed: set[tuple[str, str]] = set()
        self.setWindowTitle(self.tr("县级汇总"))
        self.setModal(False)
        self.resize(1240, 680)
        layout = QVBoxLayout(self)
        where = window.database.path or window.database.engine.url.render_as_string(hide_password=True)
        head = QLabel(self.tr("县级数据库：%s\n添加各乡镇报送的交换表，先“试汇总”查看结论、变更和问题，再“汇总”写入。"
                              "较新的文件（导出序号更大）替换该乡镇的数据；较旧或相同的文件不作改动；"
                              "被修改过的文件须勾选“确认采用”。") % where, self)
        head.setWordWrap(True)
        layout.addWidget(head)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(splitter)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.files = _table(top, FILE_COLUMNS, (200, 180, 62, 62, 140, 210, 330, 70), stretch=6)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        top_layout.addWidget(self.files)
        row = QHBoxLayout()
        self.add_button = QPushButton(self.tr("添加文件(&A)…"), top)
        self.remove_button = QPushButton(self.tr("移除所选(&D)"), top)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        top_layout.addLayout(row)
        grid = QGridLayout()
        self.out_edit = QLineEdit(top)
        self.problems_edit = QLineEdit(top)
        self.report_edit = QLineEdit(top)
        self.browse: dict[str, QPushButton] = {}
        for r, (label, edit, key) in enumerate(((self.tr("县汇总表(&O)："), self.out_edit, "out"),
                                                 (self.tr("问题清单(&P)："), self.problems_edit, "problems"),
                                                 (self.tr("汇总报表(&B)："), self.report_edit, "report"))):
            lab = QLabel(label, top)
            lab.setBuddy(edit)
            edit.setPlaceholderText(self.tr("不写（留空）"))
            button = QPushButton(self.tr("浏览…"), top)
            button.clicked.connect(lambda _c=False, e=edit: self._choose_output(e))
            self.browse[key] = button
            grid.addWidget(lab, r, 0)
            grid.addWidget(edit, r, 1)
            grid.addWidget(button, r, 2)
        top_layout.addLayout(grid)

        self.tabs = QTabWidget(splitter)
        self.problems = _table(self.tabs, PROBLEM_COLUMNS, (44, 250, 64, 64, 96, 56, 56, 220, 420))
        problems_page = QWidget(self.tabs)
        pl = QVBoxLayout(problems_page)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.problems)
        prow = QHBoxLayout()
        self.open_button = QPushButton(self.tr("打开该户(&H)"), problems_page)
        self.open_other_button = QPushButton(self.tr("打开另一方的户(&J)"), problems_page)
        self.dismiss_button = QPushButton(self.tr("不是重复(&N)…"), problems_page)
        for b in (self.open_button, self.open_other_button, self.dismiss_button):
            prow.addWidget(b)
        prow.addStretch(1)
        pl.addLayout(prow)
        self.changes = _table(self.tabs, CHANGE_COLUMNS, (70, 70, 60, 220, 120, 200, 200))
        self.recon = _table(self.tabs, RECON_COLUMNS, (80, 72, 66, 66, 66, 66, 86, 90, 56, 300))
        self.tabs.addTab(problems_page, self.tr("问题"))
        self.tabs.addTab(self.changes, self.tr("变更明细"))
        self.tabs.addTab(self.recon, self.tr("对账"))
        splitter.addWidget(top)
        splitter.addWidget(self.tabs)
        splitter.setSizes([300, 300])
        layout.addWidget(splitter, 1)

        self.summary = QLabel(self.tr("尚未汇总。"), self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.dry_button = QPushButton(self.tr("试汇总(&T)"), self)
        self.run_button = QPushButton(self.tr("汇总(&S)"), self)
        self.close_button = QPushButton(self.tr("关闭"), self)
        buttons.addStretch(1)
        for b in (self.dry_button, self.run_button, self.close_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(lambda: self.add_files())
        self.remove_button.clicked.connect(self.remove_selected)
        self.dry_button.clicked.connect(lambda: self.start(dry_run=True))
        self.run_button.clicked.connect(lambda: self.start(dry_run=False))
        self.close_button.clicked.connect(self.hide)
        self.open_button.clicked.connect(lambda: self.open_selected(other=False))
        self.open_other_button.clicked.connect(lambda: self.open_selected(other=True))
        self.dismiss_button.clicked.connect(lambda: self.dismiss_selected())
        self.problems.itemActivated.connect(lambda _item: self.open_selected(other=False))
        self.problems.itemSelectionChanged.connect(self._update_buttons)
        self.files.installEventFilter(self)  # Delete removes the selected files
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.files and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Delete:
            self.remove_selected()
            return True
        return super().eventFilter(watched, event)

    # ----- files ---------------------------------------------------------------
    def add_files(self, paths: list[str | Path] | None = None) -> None:
        if paths is None:
            chosen, _ = QFileDialog.getOpenFileNames(self, self.tr("选择乡镇交换表"), str(Path.home()),
                                                     self.tr(XLSX_FILTER))
            paths = chosen
        known = {p.resolve() for p in self.paths}
        for p in paths:
            path = Path(p)
            if path.resolve() in known:
                continue
            known.add(path.resolve())
            self.paths.append(path)
            self._add_file_row(path)
        if self.paths and not self.out_edit.text():
            folder, today = self.paths[0].parent, f"{date.today():%Y%m%d}"
            self.out_edit.setText(str(folder / f"县汇总表_{today}.xlsx"))
            self.problems_edit.setText(str(folder / f"县汇总问题清单_{today}.xlsx"))
        self._update_buttons()

    def _add_file_row(self, path: Path) -> None:
        r = self.files.rowCount()
        self.files.insertRow(r)
        township = sequence = exported = ""
        verdict, note, color = self.tr("待核验"), "", None
        try:
            wb = open_workbook(path)
            try:
                m = read_manifest(wb, path)
            finally:
                wb.close()
            township = f"{'、'.join(m.township_names)}（{'、'.join(m.township_codes)}）"
            sequence = "" if m.sequence is None else str(m.sequence)
            exported = m.exported_at
        except ExchangeError as exc:
            verdict, note, color = self.tr("无法使用"), str(exc), RED
        for c, text in enumerate((path.name, township, sequence, "", exported, verdict, note)):
            self.files.setItem(r, c, _item(text, color if c == 5 else None, align_right=c in (2, 3)))
        self.files.item(r, 0).setToolTip(str(path))
        accept = QTableWidgetItem("")
        accept.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.files.setItem(r, 7, accept)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.files.selectedIndexes()}, reverse=True)
        for r in rows:
            self.files.removeRow(r)
            del self.paths[r]
        self._update_buttons()

    def accepted_edited(self) -> list[Path]:
        out = []
        for r, path in enumerate(self.paths):
            item = self.files.item(r, 7)
            if item is not None and item.flags() & Qt.ItemFlag.ItemIsUserCheckable \
                    and item.checkState() == Qt.CheckState.Checked:
                out.append(path)
        return out

    def _choose_output(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("保存为"), edit.text() or str(Path.home()),
                                              self.tr(XLSX_FILTER))
        if path:
            edit.setText(path)

    # ----- running -----------------------------------------------------------------
    def start(self, *, dry_run: bool) -> None:
        if not self.paths:
            self._inform(self.tr("县级汇总"), self.tr("请先添加乡镇交换表文件。"))
            return
        database = self.window.database
        paths = list(self.paths)
        accept = self.accepted_edited()
        operator = getattr(self.window, "operator", "") or None
        outputs = {k: (e.text().strip() or None) for k, e in (("out", self.out_edit), ("problems", self.problems_edit),
                                                                ("report", self.report_edit))}

        def work(progress: Any) -> ConsolidationResult:
            return consolidate(database, paths, accept_edited=accept, operator=operator, out=outputs["out"],
                               problems_out=outputs["problems"], report_out=outputs["report"], dry_run=dry_run,
                               progress=progress)

        def done(result: ConsolidationResult) -> None:
            self.show_result(result)
            if not result.dry_run:
                self.window.households_changed.emit()
                refresh = getattr(self.window, "refresh", None)
                if refresh is not None:
                    refresh()

        def failed(exc: BaseException) -> None:
            self.last_error = exc
            if isinstance(exc, ConsolidationError | ExchangeError):
                text = str(exc)
            else:
                text = self.tr("程序内部错误：%s") % exc
            self._inform(self.tr("无法汇总，数据未作改动"), text, QMessageBox.Icon.Warning)

        title = self.tr("正在试汇总…") if dry_run else self.tr("正在汇总…")
        run_task(self, title, work, done, failed)

    def _inform(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = box
        box.open()

    # ----- the result ---------------------------------------------------------------
    def show_result(self, result: ConsolidationResult) -> None:
        self.result = result
        by_path = {v.path.resolve(): v for v in result.verdicts}
        for r, path in enumerate(self.paths):
            v = by_path.get(path.resolve())
            if v is None:
                continue
            color = GREEN if v.taken else (RED if v.held_back else GREY)
            township = f"{v.township_name or ''}（{v.township_code or ''}）" if v.township_code else ""
            prev = "" if v.previous_sequence is None else str(v.previous_sequence)
            for c, text in ((1, township), (3, prev), (5, v.label), (6, v.message)):
                self.files.setItem(r, c, _item(text, color if c == 5 else None, align_right=c == 3))
            self.files.item(r, 6).setToolTip(v.message)
            accept = QTableWidgetItem(self.tr("采用") if v.edited else "")
            if v.edited:
                accept.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                accept.setCheckState(Qt.CheckState.Checked if v.accepted_edited else Qt.CheckState.Unchecked)
                accept.setToolTip(self.tr("文件在导出后被修改过：%s。核对变更明细无误后勾选，再汇总。")
                                  % "；".join(v.edited_reasons))
            else:
                accept.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.files.setItem(r, 7, accept)
        self._fill_problems(result)
        self._fill_changes(result)
        self._fill_recon(result)
        self.tabs.setTabText(0, self.tr("问题（%d）") % len(result.problems))
        self.tabs.setTabText(1, self.tr("变更明细（%d）") % len(result.changes))
        rec = result.reconciliation
        self.tabs.setTabText(2, self.tr("对账（一致）") if rec is None or rec.ok else self.tr("对账（不一致！）"))
        outputs = [str(p) for p in (result.county_workbook, result.problems_workbook, result.report) if p]
        text = result.summary_text()
        if result.notes:
            text += "\n" + "\n".join(result.notes)
        if outputs:
            text += self.tr("\n已写出：%s") % "；".join(outputs)
        self.summary.setText(text)
        self.summary.setStyleSheet("" if result.ok else "color: #C00000;")
        if result.held_back:
            self.files.setFocus()
        elif result.problems:
            self.tabs.setCurrentIndex(0)
            self.problems.setFocus()

    def _fill_problems(self, result: ConsolidationResult) -> None:
        problems = result.problems[:ROWS_SHOWN]
        self.shown_problems = problems
        self.problems.setRowCount(len(problems))
        for r, p in enumerate(problems):
            other = "　".join(x for x in (p.other_township_name, p.other_village,
                                          f"户 {p.other_household_number}" if p.other_household_number else None,
                                          p.other_name) if x)
            color = RED if p.severity == "错误" else ORANGE
            cells = (p.severity, f"{p.rule_id} {p.title}", p.township_name, p.village, p.household_number, p.head_name,
                     p.member_name, other, p.message)
            for c, text in enumerate(cells):
                self.problems.setItem(r, c, _item(text, color if c == 0 else None))
            self.problems.item(r, 8).setToolTip(p.message)
        self._update_buttons()

    def _fill_changes(self, result: ConsolidationResult) -> None:
        changes = result.changes[:ROWS_SHOWN]
        self.changes.setRowCount(len(changes))
        for r, ch in enumerate(changes):
            cells = (ch.township_name, ch.sheet, ch.kind, ch.record, ch.column or "",
                     "" if ch.old is None else canonical_text(ch.old), "" if ch.new is None else canonical_text(ch.new))
            for c, text in enumerate(cells):
                self.changes.setItem(r, c, _item(text))

    def _fill_recon(self, result: ConsolidationResult) -> None:
        rec = result.reconciliation
        rows = [] if rec is None else rec.rows
        totals = [] if rec is None else rec.totals
        self.recon.setRowCount(len(rows) + len(totals))
        for r, x in enumerate(rows):
            cells = (x.township_name, x.sheet, x.file_rows, x.read_rows, x.accepted, x.db_rows, x.workbook_rows, x.basis,
                     self.tr("一致") if x.ok else self.tr("不一致"), x.note)
            for c, text in enumerate(cells):
                color = (GREEN if x.ok else RED) if c == 8 else None
                self.recon.setItem(r, c, _item(text, color, align_right=2 <= c <= 6))
        for i, t in enumerate(totals):
            r = len(rows) + i
            cells = (self.tr("县合计"), t.sheet, None, None, t.townships_sum, t.county_db, t.workbook_read,
                     self.tr("各乡镇之和"), self.tr("一致") if t.ok else self.tr("不一致"),
                     self.tr("各乡镇之和 %d = 县库全表 %d%s") % (
                         t.townships_sum, t.county_db,
                         "" if t.workbook_read is None else f" = 县汇总表 {t.workbook_read}"))
            for c, text in enumerate(cells):
                color = (GREEN if t.ok else RED) if c == 8 else None
                self.recon.setItem(r, c, _item(text, color, align_right=2 <= c <= 6))

    # ----- problems ------------------------------------------------------------------
    def selected_problem(self) -> Any:
        r = self.problems.currentRow()
        if 0 <= r < len(self.shown_problems) and self.problems.selectedIndexes():
            return self.shown_problems[r]
        return None

    def _update_buttons(self) -> None:
        p = self.selected_problem()
        self.open_button.setEnabled(p is not None and bool(p.household_uuid))
        self.open_other_button.setEnabled(p is not None and bool(p.other_household_uuid))
        self.dismiss_button.setEnabled(p is not None and p.dismissible and p.pair not in self.dismissed)
        self.remove_button.setEnabled(bool(self.paths))
        self.run_button.setEnabled(bool(self.paths))
        self.dry_button.setEnabled(bool(self.paths))

    def open_selected(self, *, other: bool) -> None:
        p = self.selected_problem()
        uuid = None if p is None else (p.other_household_uuid if other else p.household_uuid)
        if not uuid:
            return
        self.hide()
        self.window.open_household(uuid)
        status = getattr(self.window, "statusBar", None)
        if status is not None:
            status().showMessage(self.tr("数据交换 → 县级汇总（Ctrl+Shift+C）可回到汇总结果。"), 8000)

    def dismiss_selected(self, note: str | None = None) -> bool:
        p = self.selected_problem()
        if p is None or not p.dismissible or p.pair in self.dismissed:
            return False
        if note is None:
            text, ok = QInputDialog.getText(self, self.tr("不是重复"), self.tr(
                "确认 %s 与 %s 不是同一人？\n请填写核实说明（例如：已核对户籍，是两个人）：") % (p.member_name, p.other_name))
            if not ok:
                return False
            note = text
        from desktop.core.county.duplicates import dismiss

        with self.window.database.session() as session:
            dismiss(session, p.member_uuid, p.other_member_uuid, note=note,
                    operator=getattr(self.window, "operator", "") or None, household_uuid=p.household_uuid)
        self.dismissed.add(p.pair)
        r = self.problems.currentRow()
        for c in range(self.problems.columnCount()):
            item = self.problems.item(r, c)
            if item is not None:
                item.setForeground(GREY)
        self.problems.item(r, 0).setText(self.tr("已排除"))
        self._update_buttons()
        return True
