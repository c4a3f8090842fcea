"""Progress reporting and cancellation for long work (Qt-free)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """The user cancelled the work; nothing was changed."""

    def __init__(self, message: str = "已取消，数据未作改动。") -> None:
        super().__init__(message)


class Progress:
    """Passed to long-running functions; thread-safe cancel flag."""

    def __init__(self, on_update: Callable[[int, int, str], None] | None = None) -> None:
        self._on_update = on_update
        self._cancel = threading.Event()

    def update(self, done: int, total: int, text: str = "") -> None:
        if self._on_update is not None:
            self._on_update(done, total, text)
        self.check()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()


NULL_PROGRESS = Progress()
