"""desktop.ui.tasks.run_task: result and errors on the GUI thread; a task whose window is
closed while it runs is cancelled quietly instead of failing in the worker."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget

from desktop.core.progress import Cancelled
from desktop.ui.tasks import run_task


def test_result_and_progress_arrive_on_the_gui_thread(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: dict[str, object] = {}

    def work(progress):  # noqa: ANN001, ANN202
        seen["worker"] = threading.current_thread().name
        for i in range(3):
            progress.update(i + 1, 3, f"{i + 1}")
        return 42

    run_task(parent, "任务", work, lambda r: seen.setdefault("result", (r, threading.current_thread().name)))
    qtbot.waitUntil(lambda: "result" in seen, timeout=10000)
    assert seen["result"] == (42, threading.main_thread().name) and seen["worker"] != threading.main_thread().name


def test_errors_go_to_on_error(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    errors = []

    def work(_progress):  # noqa: ANN001, ANN202
        raise ValueError("坏数据")

    run_task(parent, "任务", work, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert isinstance(errors[0], ValueError) and str(errors[0]) == "坏数据"


def test_closing_the_parent_cancels_the_task_quietly(qtbot) -> None:
    parent = QWidget()
    deleted = threading.Event()
    outcome: dict[str, object] = {}

    def work(progress):  # noqa: ANN001, ANN202
        assert deleted.wait(10)
        try:
            progress.update(1, 2, "still working")
        except BaseException as exc:  # noqa: BLE001 - what the task sees is the point
            outcome["raised"] = exc
            raise
        outcome["raised"] = None
        return 1

    done = []
    run_task(parent, "任务", work, done.append, done.append)
    parent.deleteLater()  # the window closes while the task runs; its children go with it
    qtbot.waitUntil(lambda: not _alive(parent), timeout=5000)
    deleted.set()
    assert QThreadPool.globalInstance().waitForDone(10000)
    qtbot.wait(50)
    assert isinstance(outcome["raised"], Cancelled)  # not RuntimeError("Signal source has been deleted")
    assert done == []


def _alive(widget: QWidget) -> bool:
    from shiboken6 import isValid

    return isValid(widget)
