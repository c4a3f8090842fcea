"""Long work off the GUI thread, with progress and cancel.

A task is a plain function ``fn(progress: Progress) -> result`` written in the
Qt-free core; it opens its own database session, calls ``progress.update(done,
total, text)`` now and then and stops early (raising ``Cancelled``) when
``progress.cancelled`` is set. ``run_task`` runs it in a QThreadPool with a
modal QProgressDialog and hands the result (or the error) back on the GUI
thread.

``fn`` must not make or use Qt objects (no QTextDocument, QPdfWriter, QPainter,
QImage …): PySide keeps the GIL across Qt calls, and a worker that takes one of
Qt's global mutexes with the GIL held can deadlock with the GUI thread, which
takes them without the GIL and then waits for it (desktop/ui/printing/threads.py
has the stack dumps). Return plain data and do the Qt part in ``on_done``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.core.progress import Cancelled, Progress


class _Signals(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[Progress], Any], progress: Progress, signals: _Signals) -> None:
        super().__init__()
        self.fn, self.progress, self.signals = fn, progress, signals

    def run(self) -> None:
        try:
            result = self.fn(self.progress)
        except BaseException as exc:  # noqa: BLE001 - reported on the GUI thread
            self._emit("failed", exc)
        else:
            self._emit("finished", result)

    def _emit(self, name: str, value: Any) -> None:
        try:
            getattr(self.signals, name).emit(value)
        except RuntimeError:  # "Signal source has been deleted": the parent window closed meanwhile
            pass


def run_task(
    parent: QWidget | None,
    title: str,
    fn: Callable[[Progress], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    *,
    pool: QThreadPool | None = None,
) -> _Signals:
    """Run ``fn`` in the background with a progress dialog; returns the signals object."""
    signals = _Signals()
    dialog = QProgressDialog(title, parent.tr("取消") if parent else "取消", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)

    def emit_progress(done: int, total: int, text: str) -> None:
        try:
            signals.progressed.emit(done, total, text)
        except RuntimeError:  # the parent window (and with it ``signals``) is gone: nobody to tell
            progress.cancel()

    progress = Progress(on_update=emit_progress)
    # A lambda, not the bound method: PySide guards bound-method slots with a weakref whose callback
    # disconnects when ``progress`` dies; that happened on the worker thread (GIL held, waiting for the
    # dialog's connection lock) while the GUI thread closed the dialog (lock held, waiting for the GIL).
    dialog.canceled.connect(lambda: progress.cancel())

    def update(done: int, total: int, text: str) -> None:
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total else 0)
        if text:
            dialog.setLabelText(text)

    def finished(result: Any) -> None:
        dialog.reset()
        dialog.close()
        on_done(result)

    def failed(exc: BaseException) -> None:
        dialog.reset()
        dialog.close()
        if isinstance(exc, Cancelled):
            return
        if on_error is not None:
            on_error(exc)
        else:
            raise exc

    signals.progressed.connect(update)
    signals.finished.connect(finished)
    signals.failed.connect(failed)
    signals.setParent(parent)
    (pool or QThreadPool.globalInstance()).start(_Runnable(fn, progress, signals))
    return signals
