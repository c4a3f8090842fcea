"""The 打印 menu: preview, print and export household cards (明白卡).

Every entry opens the same small dialog (:class:`PrintOptionsDialog`) with the
scope (selected households / a village / a group / everything), the year, "only
cards changed since their last print" and "print full ID numbers" (off unless
ticked each time); the entry decides which button is the default. Finding the
households and gathering their (Qt-free) card data runs off the GUI thread
through ``run_task``; laying the cards out and painting them onto the PDF or the
printer then runs on the GUI thread one slice (a card or two, 20-60 ms) per event-loop turn,
with its own progress dialog and cancel — Qt layout in a worker thread can
deadlock PySide (desktop/ui/printing/threads.py). Every printed card gets a
print-log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core import card as cards_core
from desktop.core.card import Selection
from desktop.core.progress import Cancelled
from desktop.ui.tasks import run_task

PREVIEW, PRINT, EXPORT = "preview", "print", "export"


@dataclass
class PrintRequest:
    selection: Selection
    year: int | None = None  # None: each card's own year (work_year setting / latest data)
    full_id: bool = False
    changed_only: bool = False


class PrintOptionsDialog(QDialog):
    """Choose what to print. ``action`` is set to preview / print / export on accept."""

    def __init__(self, parent: QWidget | None, *, villages: list[tuple[str, str, list[tuple[str, str]]]],
                 selected: list[str], default_action: str = PRINT, scope: str | None = None,
                 changed_only: bool = False, work_year: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("打印明白卡"))
        self.selected = list(selected)
        self.action: str | None = None
        self._villages = villages
        layout = QVBoxLayout(self)

        box = QGroupBox(self.tr("打印范围"), self)
        grid = QGridLayout(box)
        self.scope_group = QButtonGroup(self)
        self.rb_selected = QRadioButton(self.tr("选中的户（%1 户）(&S)").replace("%1", str(len(selected))), box)
        self.rb_village = QRadioButton(self.tr("村(&V)："), box)
        self.rb_group = QRadioButton(self.tr("村民小组(&G)："), box)
        self.rb_all = QRadioButton(self.tr("全部户（全乡镇）(&A)"), box)
        for i, rb in enumerate((self.rb_selected, self.rb_village, self.rb_group, self.rb_all)):
            self.scope_group.addButton(rb, i)
        self.village_combo = QComboBox(box)
        self.group_village_combo = QComboBox(box)
        self.group_combo = QComboBox(box)
        for code, name, _groups in villages:
            self.village_combo.addItem(f"{name}（{code}）", code)
            self.group_village_combo.addItem(f"{name}（{code}）", code)
        self.group_village_combo.currentIndexChanged.connect(self._fill_groups)
        self._fill_groups()
        self.rb_selected.setEnabled(bool(selected))
        grid.addWidget(self.rb_selected, 0, 0, 1, 3)
        grid.addWidget(self.rb_village, 1, 0)
        grid.addWidget(self.village_combo, 1, 1, 1, 2)
        grid.addWidget(self.rb_group, 2, 0)
        grid.addWidget(self.group_village_combo, 2, 1)
        grid.addWidget(self.group_combo, 2, 2)
        grid.addWidget(self.rb_all, 3, 0, 1, 3)
        layout.addWidget(box)
        self.village_combo.activated.connect(lambda _i: self.rb_village.setChecked(True))
        self.group_village_combo.activated.connect(lambda _i: self.rb_group.setChecked(True))
        self.group_combo.activated.connect(lambda _i: self.rb_group.setChecked(True))

        form = QFormLayout()
        self.year_spin = QSpinBox(self)
        self.year_spin.setRange(1999, 2100)
        self.year_spin.setSpecialValueText(self.tr("自动（工作年度或最近有数据的年度）"))
        self.year_spin.setMinimum(1999)
        self.year_spin.setValue(work_year or 1999)
        year_label = QLabel(self.tr("年度(&Y)："), self)
        year_label.setBuddy(self.year_spin)
        form.addRow(year_label, self.year_spin)
        layout.addLayout(form)

        self.changed_check = QCheckBox(self.tr("只打印上次打印后有修改的户(&C)"), self)
        self.changed_check.setChecked(changed_only)
        self.full_id_check = QCheckBox(self.tr("打印完整身份证号(&F)（默认只显示前6位和后4位）"), self)
        self.full_id_check.setChecked(False)
        self.full_id_warning = QLabel(self.tr(
            "注意：完整身份证号属于个人敏感信息，仅在确有需要时打印；打印记录中会注明。"), self)
        self.full_id_warning.setStyleSheet("color: #b00020;")
        self.full_id_warning.setWordWrap(True)
        self.full_id_warning.setVisible(False)
        self.full_id_check.toggled.connect(self.full_id_warning.setVisible)
        layout.addWidget(self.changed_check)
        layout.addWidget(self.full_id_check)
        layout.addWidget(self.full_id_warning)

        buttons = QDialogButtonBox(self)
        self.preview_button = QPushButton(self.tr("预览(&P)"), self)
        self.print_button = QPushButton(self.tr("打印(&R)…"), self)
        self.export_button = QPushButton(self.tr("导出PDF(&E)…"), self)
        for button, act in ((self.preview_button, PREVIEW), (self.print_button, PRINT),
                            (self.export_button, EXPORT)):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
            button.clicked.connect(lambda _c=False, a=act: self._accept(a))
            button.setAutoDefault(False)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.rejected.connect(self.reject)
        default = {PREVIEW: self.preview_button, PRINT: self.print_button, EXPORT: self.export_button}[
            default_action]
        default.setDefault(True)
        layout.addWidget(buttons)

        if scope is None:
            scope = "households" if selected else "village"
        {"households": self.rb_selected, "village": self.rb_village, "group": self.rb_group,
         "all": self.rb_all}.get(scope, self.rb_all).setChecked(True)
        if not villages:
            for w in (self.rb_village, self.rb_group, self.village_combo, self.group_village_combo,
                      self.group_combo):
                w.setEnabled(False)
            if not selected:
                self.rb_all.setChecked(True)

    def _fill_groups(self) -> None:
        self.group_combo.clear()
        index = self.group_village_combo.currentIndex()
        if 0 <= index < len(self._villages):
            for uuid, name in self._villages[index][2]:
                self.group_combo.addItem(name, uuid)

    def _accept(self, action: str) -> None:
        if self.rb_group.isChecked() and self.group_combo.currentData() is None:
            QMessageBox.warning(self, self.tr("打印明白卡"), self.tr("该村没有村民小组，请选择其他范围。"))
            return
        self.action = action
        self.accept()

    def request(self) -> PrintRequest:
        if self.rb_selected.isChecked():
            selection = Selection("households", list(self.selected))
        elif self.rb_village.isChecked():
            selection = Selection("village", self.village_combo.currentData())
        elif self.rb_group.isChecked():
            selection = Selection("group", self.group_combo.currentData())
        else:
            selection = Selection("all")
        year = self.year_spin.value()
        return PrintRequest(
            selection=selection,
            year=None if year == self.year_spin.minimum() else year,
            full_id=self.full_id_check.isChecked(),
            changed_only=self.changed_check.isChecked(),
        )


class PrintingFeature(QObject):
    """Menu actions and the work behind them; one per main window."""

    def __init__(self, window) -> None:  # noqa: ANN001 - MainWindow (avoids an import cycle)
        super().__init__(window)
        self.window = window
        self.last_result = None  # RenderResult of the latest print / export (tests, status)
        self.last_error: BaseException | None = None
        self.preview_dialog = None
        self.paint_run: PaintRun | None = None  # the latest painting on the GUI thread (tests)
        self.message_box: QMessageBox | None = None
        self._printer: QPrinter | None = None
        menu = window.menu("print")
        self.preview_action = self._action(menu, self.tr("打印预览(&V)…"), lambda: self.open_dialog(PREVIEW))
        self.print_action = self._action(menu, self.tr("打印(&P)…"), lambda: self.open_dialog(PRINT))
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.export_action = self._action(menu, self.tr("导出PDF(&E)…"), lambda: self.open_dialog(EXPORT))
        menu.addSeparator()
        self.batch_action = self._action(menu, self.tr("批量打印（村/组/全乡镇）(&B)…"),
                                         lambda: self.open_dialog(PRINT, scope="village"))
        self.changed_action = self._action(menu, self.tr("只打印上次打印后有修改的户(&C)…"),
                                           lambda: self.open_dialog(PRINT, scope="all", changed_only=True))

    def _action(self, menu, text: str, slot) -> QAction:  # noqa: ANN001
        action = QAction(text, self.window)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # ----- the dialog ----------------------------------------------------
    def make_dialog(self, default_action: str, scope: str | None = None,
                    changed_only: bool = False) -> PrintOptionsDialog:
        database = self.window.database
        with database.session() as session:
            villages = cards_core.villages(session)
            work_year = cards_core.work_year_setting(session)
        return PrintOptionsDialog(self.window, villages=villages, selected=self.window.selected_household_uuids(),
                                  default_action=default_action, scope=scope, changed_only=changed_only,
                                  work_year=work_year)

    def open_dialog(self, default_action: str, scope: str | None = None, changed_only: bool = False) -> None:
        dialog = self.make_dialog(default_action, scope, changed_only)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.action is None:
            return
        self.run(dialog.action, dialog.request())

    def run(self, action: str, request: PrintRequest, *, pdf_path: str | None = None,
            printer: QPrinter | None = None) -> None:
        """Carry out ``action`` for ``request``. ``pdf_path``/``printer`` skip the file/print dialogs."""
        if action == EXPORT:
            path = pdf_path or self._ask_pdf_path(request)
            if not path:
                return
            self._start(self.tr("导出明白卡PDF"), request, lambda cards: self._paint(
                self.tr("导出明白卡PDF"), request, cards, pdf_path=path))
        elif action == PRINT:
            printer = printer or self._ask_printer()
            if printer is None:
                return
            self._printer = printer
            self._start(self.tr("打印明白卡"), request, lambda cards: self._paint(
                self.tr("打印明白卡"), request, cards, printer=printer))
        else:
            self._start(self.tr("准备打印预览"), request, self._show_preview, preview=True)

    def _ask_pdf_path(self, request: PrintRequest) -> str | None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = f"明白卡_{date.today():%Y%m%d}.pdf"
        if request.selection.kind == "village":
            name = f"明白卡_{request.selection.value}_{date.today():%Y%m%d}.pdf"
        path, _filter = QFileDialog.getSaveFileName(self.window, self.tr("导出PDF"), str(Path(folder) / name),
                                                    self.tr("PDF 文件 (*.pdf)"))
        if path and not path.lower().endswith(".pdf"):
            path += ".pdf"
        return path or None

    def _ask_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.window)
        dialog.setWindowTitle(self.tr("打印明白卡"))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return printer

    # ----- background work ------------------------------------------------
    def _start(self, title: str, request: PrintRequest, done, *, preview: bool = False) -> None:  # noqa: ANN001
        """Find the households and gather their cards in the background; ``done(cards)`` on the GUI thread."""
        from desktop.ui.printing.preview import PREVIEW_LIMIT

        database = self.window.database

        def task(progress):  # noqa: ANN001, ANN202 - runs in the pool: no Qt in here
            progress.update(0, 0, "正在查找需要打印的户…")
            with database.session() as session:
                uuids = cards_core.resolve(session, request.selection, changed_only=request.changed_only)
                if not uuids:
                    return None
                shown = uuids[:PREVIEW_LIMIT] if preview else uuids
                cards = cards_core.load_cards(session, shown, year=request.year, full_id=request.full_id,
                                              progress=progress)
            return (cards, len(uuids), request) if preview else cards

        def gathered(cards) -> None:  # noqa: ANN001
            if cards is None:
                self.last_result = None
                self._nothing()
                return
            done(cards)

        self.last_result = None
        self.last_error = None
        run_task(self.window, title, task, gathered, self._failed)

    def _paint(self, title: str, request: PrintRequest, cards, *, pdf_path: str | None = None,  # noqa: ANN001
               printer: QPrinter | None = None) -> None:
        """Paint ``cards`` on the GUI thread, a slice per event-loop turn; then log them."""
        from desktop.ui.printing.render import PdfJob, PrinterJob

        try:
            if pdf_path is not None:
                job = PdfJob(pdf_path, cards, len(cards))
                target = str(Path(pdf_path).resolve())
            else:
                job = PrinterJob(printer, cards, len(cards))
                target = None
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self._failed(exc)
            return
        database, operator = self.window.database, self.window.operator or None

        def done(result) -> None:  # noqa: ANN001
            try:
                with database.session() as session:
                    cards_core.log_prints(session, result.uuids, target=target or result.target,
                                          operator=operator, full_id=request.full_id)
            except Exception as exc:  # noqa: BLE001 - the output exists; say the log failed
                self._failed(exc)
                return
            self._finished(result)

        self.paint_run = PaintRun(self.window, title, job, done, self._failed)

    # ----- results on the GUI thread ----------------------------------------
    def _message(self, icon: QMessageBox.Icon, text: str) -> None:
        """A window-modal message that does not block (the latest is kept in ``message_box``)."""
        box = QMessageBox(icon, self.tr("打印明白卡"), text, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.message_box = box
        box.open()

    def _nothing(self) -> None:
        self._message(QMessageBox.Icon.Information,
                      self.tr("没有需要打印的户（所选范围为空，或上次打印后都没有修改）。"))

    def _finished(self, result) -> None:  # noqa: ANN001
        self.last_result = result
        if result is None:
            self._nothing()
            return
        text = self.tr("已输出 %1 户、%2 页。").replace("%1", str(result.households)).replace(
            "%2", str(result.pages))
        if result.multi_page:
            text += self.tr("\n其中 %1 户内容较多，占两页以上（续页有表头）。").replace("%1", str(len(result.multi_page)))
        if result.target:
            text += self.tr("\n输出到：%1").replace("%1", result.target)
        self.window.statusBar().showMessage(text.replace("\n", " "), 10000)
        self._message(QMessageBox.Icon.Information, text)

    def _failed(self, exc: BaseException) -> None:
        self.last_error = exc
        self._message(QMessageBox.Icon.Warning, self.tr("打印未完成：%1").replace("%1", str(exc)))

    def _show_preview(self, prepared) -> None:  # noqa: ANN001
        from desktop.ui.printing.preview import CardPreviewDialog

        shown, total, request = prepared

        def printed(printer: QPrinter, cards) -> None:  # noqa: ANN001
            target = printer.outputFileName() or printer.printerName() or "printer"
            with self.window.database.session() as session:
                cards_core.log_prints(session, [c.uuid for c in cards], target=target,
                                      operator=self.window.operator or None, full_id=request.full_id)
            if total > len(cards):
                self._message(QMessageBox.Icon.Information, self.tr(
                    "预览中只打印了前 %1 户（共 %2 户）。要打印全部，请用“打印…”。").replace(
                    "%1", str(len(cards))).replace("%2", str(total)))

        dialog = CardPreviewDialog(shown, self.window, on_printed=printed, total=total)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.preview_dialog = dialog
        dialog.open()


class PaintRun(QObject):
    """Drives a :class:`desktop.ui.printing.render.CardJob` on the GUI thread.

    A zero-interval timer calls ``job.step(SLICE)`` once per event-loop turn, so
    the window keeps repainting and the window-modal progress dialog's 取消
    works between slices. ``on_done(result)`` or ``on_error(exc)`` is called once
    (not at all after 取消: the partial output is removed / the print job aborted).
    """

    SLICE = 0.02  # seconds of painting per event-loop turn (at least one card, about 30 ms)

    def __init__(self, parent: QWidget, title: str, job, on_done, on_error) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.job = job
        self._on_done, self._on_error = on_done, on_error
        self._busy = False
        self._cancel_requested = False
        self._state = {"finished": False}  # shared with the destroyed() hook, which outlives the wrapper
        total = job.total or 0
        self.dialog = QProgressDialog(title, self.tr("取消"), 0, total, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(300)
        self.dialog.setAutoReset(False)
        self.dialog.setAutoClose(False)
        self.dialog.canceled.connect(lambda: self.cancel())
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(lambda: self._tick())
        self.timer.start()
        # The window closing mid-way deletes this object with it: close the output, leave no temp file.
        state = self._state
        self.destroyed.connect(lambda *_: None if state["finished"] else job.abort())

    @property
    def finished(self) -> bool:
        return self._state["finished"]

    @finished.setter
    def finished(self, value: bool) -> None:
        self._state["finished"] = value

    def cancel(self) -> None:
        """Stop painting; nothing is written or logged."""
        if self.finished:
            return
        if self._busy:  # 取消 pressed while a slice runs (the dialog processes events): stop after it
            self._cancel_requested = True
            return
        self._end()
        self.job.abort()

    def _end(self) -> None:
        self.finished = True
        self.timer.stop()
        self.dialog.reset()
        self.dialog.close()
        self.dialog.deleteLater()
        self.deleteLater()

    def _tick(self) -> None:
        if self._busy or self.finished:
            return
        self._busy = True
        try:
            try:
                complete = self.job.step(self.SLICE)
                result = self.job.finish() if complete else None
            except BaseException as exc:  # noqa: BLE001 - reported below, on the GUI thread
                self._end()
                self.job.abort()
                if not isinstance(exc, Cancelled):
                    self._on_error(exc)
                return
            if complete:
                self._end()
                self._on_done(result)
                return
            done, total = self.job.result.households, self.job.total or 0
            self.dialog.setLabelText(self.tr("正在排版第 %1/%2 户").replace("%1", str(done)).replace(
                "%2", str(total)))
            self.dialog.setValue(min(done, total))  # may process events (modal): 取消 lands in cancel()
        finally:
            self._busy = False
        if self._cancel_requested:
            self._cancel_requested = False
            self.cancel()


def install(window) -> None:  # noqa: ANN001
    window.printing = PrintingFeature(window)
