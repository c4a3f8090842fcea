"""Typing into the real widgets the way a clerk does: keys to whatever has the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

NO_MOD = Qt.KeyboardModifier.NoModifier


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    if widget is None:
        # After a modal dialog the offscreen platform does not always give the window back
        # its activation; a real window manager does. Re-activate, as the clerk's click would.
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()]
        if windows:
            windows[-1].activateWindow()
            QApplication.processEvents()
            widget = QApplication.focusWidget() or windows[-1].focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def key(k: Qt.Key, modifier: Qt.KeyboardModifier = NO_MOD) -> None:
    """One key press to the focused widget (shortcuts included)."""
    QTest.keyClick(focus(), k, modifier)
    QApplication.processEvents()
    if modifier & Qt.KeyboardModifier.AltModifier:
        # A button's Alt mnemonic "animates" its click: pressed now, clicked ~100 ms later.
        from PySide6.QtWidgets import QAbstractButton

        QTest.qWait(110)
        for _ in range(100):
            if not any(b.isDown() for b in QApplication.allWidgets() if isinstance(b, QAbstractButton)):
                break
            QTest.qWait(10)
        QApplication.processEvents()


def type_text(text: str) -> None:
    """Type ``text`` character by character into whatever has the focus.

    ASCII goes as ordinary key clicks; a Chinese character goes as a key event
    carrying the text (what an input method delivers) — ``qtbot.keyClicks`` with
    non-ASCII text would abort the run.
    """
    for ch in text:
        widget = focus()
        if ch.isascii():
            QTest.keyClick(widget, ch)
        else:
            QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, NO_MOD)
        QApplication.processEvents()


def discard_open_card(window) -> None:  # noqa: ANN001 - MainWindow
    """Teardown: drop unsaved edits so closing the window asks nothing (a failed test
    must not hang on the unsaved-changes question)."""
    editor = getattr(window, "editor", None)
    if editor is not None:
        editor.members.model.cell_errors.clear()
        editor._original = editor.card.snapshot()  # noqa: SLF001


def open_window(qtbot, database, operator: str, *, browser: bool = False, wait_active: bool = True):  # noqa: ANN001, ANN201
    """A shown main window on ``database`` for keyboard tests, closed after the test without
    questions (:func:`discard_open_card`); ``browser`` puts the household list in front."""
    from desktop.ui.main_window import MainWindow

    w = MainWindow(database, operator=operator)
    qtbot.addWidget(w, before_close_func=discard_open_card)  # a failed test must not hang on a question
    w.show()
    w.activateWindow()
    qtbot.waitExposed(w)
    if wait_active:
        qtbot.waitUntil(w.isActiveWindow)
    if browser:
        w.tabs.setCurrentWidget(w.browser)
    return w


def answer_next_dialog(button_text: str, seen: list[str] | None = None) -> None:
    """Click the button whose text contains ``button_text`` on the next modal dialog.

    The dialog's text is appended to ``seen``.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    def click() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, click)
            return
        if seen is not None and isinstance(box, QMessageBox):
            seen.append(box.text())
        buttons = box.buttons() if isinstance(box, QMessageBox) else []
        for button in buttons:
            if button_text in button.text():
                button.click()
                return
        raise AssertionError(f"no button “{button_text}” in {[b.text() for b in buttons]}")

    QTimer.singleShot(0, click)
