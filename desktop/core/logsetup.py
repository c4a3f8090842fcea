"""Logging to a file in the data folder; unexpected errors are written there."""

from __future__ import annotations

import logging
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from desktop.core.paths import log_dir

LOG_NAME = "mingbaika.log"
_configured = False


def configure() -> Path:
    global _configured
    path = log_dir() / LOG_NAME
    if not _configured:
        handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        _configured = True
    return path


def log_unexpected(exc: BaseException, *, context: str = "") -> Path:
    path = configure()
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    logging.getLogger("mingbaika").error("unexpected error in %s\n%s", context, details)
    return path
