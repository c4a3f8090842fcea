"""The 打印 menu in the main window: entries, the options dialog, export /
preview / print through the background task runner, the print log."""

from __future__ import annotations

import faulthandler
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox, QPushButton
from sqlalchemy import func, select

from db.models import PrintLog
from desktop.core import card as C
from desktop.ui.features.printing import EXPORT, PREVIEW, PRINT, PrintOptionsDialog, PrintRequest
from desktop.ui.main_window import MainWindow

needs_poppler = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed")


@pytest.fixture
def window(qtbot, demo_db):
    w = MainWindow(demo_db, operator="张会计")
    qtbot.addWidget(w)
    return w


def _pages(path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def _group(demo_db, name: str = "三组") -> tuple[str, list[str]]:
    with demo_db.session() as s:
        [(code, _name, groups)] = C.villages(s)
        uuid = next(u for u, n in groups if n == name)
        return uuid, C.select_households(s, C.Selection("group", uuid))


def _log_count(demo_db) -> int:
    with demo_db.session() as s:
        return s.scalar(select(func.count()).select_from(PrintLog))


def test_print_menu_entries(window) -> None:
    texts = [a.text() for a in window.menu("print").actions() if not a.isSeparator()]
    assert texts == ["打印预览(&V)…", "打印(&P)…", "导出PDF(&E)…", "批量打印（村/组/全乡镇）(&B)…",
                     "只打印上次打印后有修改的户(&C)…"]
    assert window.printing.print_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Print)
    assert window.printing.print_action.shortcut().toString() == "Ctrl+P"


def test_dialog_defaults_and_full_id_is_opt_in(window, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(window, "selected_household_uuids", lambda: [])
    dialog = window.printing.make_dialog(EXPORT)
    qtbot.addWidget(dialog)
    assert not dialog.rb_selected.isEnabled()  # nothing selected
    assert dialog.rb_village.isChecked()
    assert not dialog.full_id_check.isChecked() and not dialog.full_id_warning.isVisibleTo(dialog)
    assert dialog.export_button.isDefault() and not dialog.print_button.isDefault()
    request = dialog.request()
    assert request.selection == C.Selection("village", "411726100200")
    assert request.full_id is False and request.changed_only is False and request.year is None
    dialog.full_id_check.setChecked(True)
    assert dialog.full_id_warning.isVisibleTo(dialog)
    assert "敏感" in dialog.full_id_warning.text()
    assert dialog.request().full_id is True
    dialog.rb_group.setChecked(True)
    dialog.group_combo.setCurrentIndex(dialog.group_combo.findText("五组"))
    group_uuid = dialog.group_combo.currentData()
    assert dialog.request().selection == C.Selection("group", group_uuid)
    dialog.year_spin.setValue(2016)
    assert dialog.request().year == 2016
    # the dialog is opened fresh each time: full IDs never carry over
    again = window.printing.make_dialog(PRINT)
    qtbot.addWidget(again)
    assert not again.full_id_check.isChecked() and again.print_button.isDefault()


def test_dialog_uses_the_selection_and_the_changed_entry(window, qtbot, demo_db, monkeypatch) -> None:
    _uuid, members = _group(demo_db)
    monkeypatch.setattr(window, "selected_household_uuids", lambda: members[:2])
    dialog = window.printing.make_dialog(PREVIEW, changed_only=True)
    qtbot.addWidget(dialog)
    assert dialog.rb_selected.isChecked() and "2 户" in dialog.rb_selected.text()
    assert dialog.changed_check.isChecked() and dialog.preview_button.isDefault()
    assert dialog.request() == PrintRequest(C.Selection("households", members[:2]), None, False, True)


def test_keyboard_accepts_the_default_action(window, qtbot) -> None:
    dialog = window.printing.make_dialog(PREVIEW)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.action == PREVIEW and dialog.result() == PrintOptionsDialog.DialogCode.Accepted


@needs_poppler
def test_export_a_group_in_the_background(window, qtbot, demo_db, tmp_path) -> None:
    group_uuid, members = _group(demo_db)
    out = tmp_path / "三组.pdf"
    window.printing.run(EXPORT, PrintRequest(C.Selection("group", group_uuid)), pdf_path=str(out))
    qtbot.waitUntil(lambda: window.printing.last_result is not None or window.printing.last_error is not None,
                    timeout=30000)
    assert window.printing.last_error is None
    result = window.printing.last_result
    assert result.households == len(members) and result.uuids == members
    assert _pages(out) == len(members)
    box = window.printing.message_box
    assert box is not None and f"已输出 {len(members)} 户" in box.text() and str(out) in box.text()
    with demo_db.session() as s:
        rows = s.scalars(select(PrintLog)).all()
    assert sorted(r.household_uuid for r in rows) == sorted(members)
    assert {r.operator for r in rows} == {"张会计"} and {r.target for r in rows} == {str(out.resolve())}
    # nothing changed since: the "changed only" run finds nothing and says so
    window.printing.run(EXPORT, PrintRequest(C.Selection("group", group_uuid), changed_only=True),
                        pdf_path=str(tmp_path / "again.pdf"))
    qtbot.waitUntil(lambda: window.printing.message_box is not box and window.printing.message_box is not None,
                    timeout=30000)
    assert "没有需要打印的户" in window.printing.message_box.text()
    assert not (tmp_path / "again.pdf").exists()
    assert _log_count(demo_db) == len(members)


def test_print_to_a_pdf_printer(window, qtbot, demo_db, tmp_path) -> None:
    _group_uuid, members = _group(demo_db, "一组")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printer.pdf"))
    window.printing.run(PRINT, PrintRequest(C.Selection("households", members[:3])), printer=printer)
    qtbot.waitUntil(lambda: window.printing.last_result is not None or window.printing.last_error is not None,
                    timeout=30000)
    assert window.printing.last_error is None
    assert window.printing.last_result.households == 3
    assert (tmp_path / "printer.pdf").stat().st_size > 0
    assert _log_count(demo_db) == 3


def test_preview_opens_with_one_page_per_household(window, qtbot, demo_db) -> None:
    _group_uuid, members = _group(demo_db, "一组")
    window.printing.run(PREVIEW, PrintRequest(C.Selection("households", members[:4])))
    qtbot.waitUntil(lambda: window.printing.preview_dialog is not None, timeout=30000)
    dialog = window.printing.preview_dialog
    widget = dialog.preview_widget()
    qtbot.waitUntil(lambda: widget.pageCount() == 4, timeout=10000)
    assert len(dialog.cards) == 4 and [c.uuid for c in dialog.cards] == members[:4]
    assert _log_count(demo_db) == 0  # previewing is not printing
    dialog.accept()  # printed from the preview
    assert _log_count(demo_db) == 4
    dialog.close()


def test_preview_of_a_large_batch_shows_the_first_cards(window, qtbot, demo_db, monkeypatch) -> None:
    from desktop.ui.printing import preview

    monkeypatch.setattr(preview, "PREVIEW_LIMIT", 2)
    _group_uuid, members = _group(demo_db, "一组")
    window.printing.run(PREVIEW, PrintRequest(C.Selection("households", members[:3])))
    qtbot.waitUntil(lambda: window.printing.preview_dialog is not None, timeout=30000)
    dialog = window.printing.preview_dialog
    assert [c.uuid for c in dialog.cards] == members[:2]
    assert "共 3 户，预览前 2 户" in dialog.windowTitle()
    dialog.accept()
    assert _log_count(demo_db) == 2
    assert "只打印了前 2 户（共 3 户）" in window.printing.message_box.text()
    dialog.close()


def test_errors_are_shown_not_raised(window, qtbot, tmp_path) -> None:
    window.printing.run(EXPORT, PrintRequest(C.Selection("village", "411726999999")),
                        pdf_path=str(tmp_path / "x.pdf"))
    qtbot.waitUntil(lambda: window.printing.last_error is not None, timeout=30000)
    box = window.printing.message_box
    assert box.icon() == QMessageBox.Icon.Warning and "找不到村代码“411726999999”" in box.text()


def _record_layout_threads(monkeypatch) -> list[str]:
    """Names of the threads that lay out card documents during the test."""
    from desktop.ui.printing import card_document

    names: list[str] = []
    real = card_document._document

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(card_document, "_document", spy)
    return names


class _Sender(QObject):
    ping = Signal()


@pytest.fixture
def busy_gui_thread():
    """The GUI thread deletes, every event-loop turn, receivers connected to Python-made senders.

    ``QObject::~QObject`` then holds a signal-slot mutex and waits for the GIL (to call the
    sender's ``disconnectNotify``): the GUI half of the deadlock a worker laying out cards fell
    into. A real hang cannot be interrupted by pytest-timeout (its handler needs the GIL), so
    faulthandler ends the run with every thread's stack instead of letting CI stall.
    """
    keep: list[QObject] = []

    def churn() -> None:
        for _ in range(10):
            sender = _Sender()
            receiver = QObject(sender)
            sender.ping.connect(receiver.deleteLater)
            keep.append(sender)
            receiver.deleteLater()
        del keep[:-200]

    timer = QTimer()
    timer.timeout.connect(churn)
    timer.start(0)
    faulthandler.dump_traceback_later(120, exit=True)
    yield timer
    faulthandler.cancel_dump_traceback_later()
    timer.stop()


@needs_poppler
@pytest.mark.timeout(60)
def test_exports_at_once_and_back_to_back_lay_out_on_the_gui_thread(window, qtbot, demo_db, tmp_path,
                                                                     monkeypatch, busy_gui_thread) -> None:
    layout_threads = _record_layout_threads(monkeypatch)
    results = []
    monkeypatch.setattr(window.printing, "_finished", results.append)
    monkeypatch.setattr(window.printing, "_failed", results.append)
    names = ["一组", "二组", "三组"]
    groups = {name: _group(demo_db, name) for name in names}
    folder = tmp_path / "out"
    folder.mkdir()

    def export(name: str) -> None:
        window.printing.run(EXPORT, PrintRequest(C.Selection("group", groups[name][0])),
                            pdf_path=str(folder / f"{name}.pdf"))

    export("一组")
    export("二组")  # while the first is still gathering or painting
    qtbot.waitUntil(lambda: len(results) == 2, timeout=45000)
    export("三组")  # and one more after those
    qtbot.waitUntil(lambda: len(results) == 3, timeout=45000)
    assert not [r for r in results if isinstance(r, BaseException)]
    by_target = {Path(r.target).stem: r for r in results}
    for name in names:
        members = groups[name][1]
        assert by_target[name].uuids == members
        assert _pages(folder / f"{name}.pdf") == len(members)
    assert _log_count(demo_db) == sum(len(m) for _u, m in groups.values())
    # every card was laid out, and only on the GUI thread
    assert len(layout_threads) >= sum(len(m) for _u, m in groups.values())
    assert set(layout_threads) == {threading.main_thread().name}
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.pdf" for n in names)  # no temp files


def test_cancel_while_painting_leaves_no_file_and_no_log(window, qtbot, demo_db, tmp_path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "village.pdf"
    window.printing.run(EXPORT, PrintRequest(C.Selection("all")), pdf_path=str(out))
    qtbot.waitUntil(lambda: window.printing.paint_run is not None
                    and window.printing.paint_run.job.result.households >= 2, timeout=30000)
    run = window.printing.paint_run
    assert not run.finished
    cancel = run.dialog.findChild(QPushButton)
    assert cancel.text() == "取消"
    cancel.click()
    assert run.finished
    qtbot.wait(200)
    assert window.printing.last_result is None and window.printing.last_error is None
    assert list(folder.iterdir()) == []  # neither the PDF nor its temp file
    assert _log_count(demo_db) == 0


def test_closing_the_window_while_painting_leaves_no_temp_file(qtbot, demo_db, tmp_path) -> None:
    from shiboken6 import isValid

    folder = tmp_path / "out"
    folder.mkdir()
    w = MainWindow(demo_db, operator="张会计")
    w.show()
    w.printing.run(EXPORT, PrintRequest(C.Selection("all")), pdf_path=str(folder / "all.pdf"))
    qtbot.waitUntil(lambda: w.printing.paint_run is not None and w.printing.paint_run.job.result.households >= 1,
                    timeout=30000)
    assert any(p.name.endswith(".pdf.tmp") for p in folder.iterdir())  # painting into the temp file
    run = w.printing.paint_run
    w.close()
    w.deleteLater()
    qtbot.waitUntil(lambda: not isValid(run), timeout=5000)
    assert list(folder.iterdir()) == []
    assert _log_count(demo_db) == 0
