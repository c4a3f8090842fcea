"""Where things live: bundled resources and the user's data folder.

Resources resolve both from a source checkout and from a PyInstaller bundle
(``sys._MEIPASS``). ``MINGBAIKA_HOME`` overrides the data folder (tests, portable
installs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Mingbaika"
DB_FILE_NAME = "mingbaika.sqlite3"


def is_frozen() -> bool:
    """True when running from the PyInstaller bundle (``build.spec``)."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_dir() -> Path:
    """The folder that holds ``resources/`` and ``docs/``: the source checkout, or in the
    frozen bundle its ``_internal`` folder (``sys._MEIPASS``)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    return bundle_dir() / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def user_guide() -> Path:
    """The user guide (``docs/使用说明.md``; its screenshots are in ``docs/screenshots``)."""
    return bundle_dir() / "docs" / "使用说明.md"


def data_dir() -> Path:
    override = os.environ.get("MINGBAIKA_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database() -> Path:
    return data_dir() / DB_FILE_NAME


def database_location(cli_value: str | None = None) -> str:
    """``--db`` wins, then ``MINGBAIKA_DB``, then the default file in the data folder."""
    if cli_value:
        return cli_value
    env = os.environ.get("MINGBAIKA_DB")
    if env:
        return env
    return str(default_database())
