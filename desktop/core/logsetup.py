"""Logging to a file in the data folder; unexpected errors are written there."""

from __future__ import annotations

import logging
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from desktop.core.paths import log_dir

LOG_NAME = "mingbaika.log"
_handler: RotatingFileHandler | None = None


def configure() -> Path:
    """Log to the data folder's log file; returns its path. Calling again is cheap, and a data
    folder that has changed since (MINGBAIKA_HOME, tests) gets the handler moved to it."""
    global _handler
    path = log_dir() / LOG_NAME
    if _handler is not None and Path(_handler.baseFilename) == path.resolve():
        return path
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    _handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(_handler)
    root.setLevel(logging.INFO)
    return path


def log_unexpected(exc: BaseException, *, context: str = "") -> Path:
    path = configure()
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    logging.getLogger("mingbaika").error("unexpected error in %s\n%s", context, details)
    return path
