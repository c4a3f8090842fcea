"""Typing into the real widgets the way a clerk does: keys to whatever has the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

NO_MOD = Qt.KeyboardModifier.NoModifier


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def key(k: Qt.Key, modifier: Qt.KeyboardModifier = NO_MOD) -> None:
    """One key press to the focused widget (shortcuts included)."""
    QTest.keyClick(focus(), k, modifier)
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
