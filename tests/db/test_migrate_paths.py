"""A database in a folder with Chinese characters, spaces or "%" opens and migrates."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from db import migrate
from db.session import open_database


@pytest.mark.parametrize("folder, name", [
    ("扶贫 数据", "明白卡.sqlite3"),
    ("100% 完成", "明白卡.sqlite3"),
])
def test_open_and_migrate_in_a_non_ascii_path(tmp_path: Path, folder: str, name: str) -> None:
    path = tmp_path / folder / name
    db = open_database(path)
    try:
        assert path.is_file()
        assert "household" in inspect(db.engine).get_table_names()
        assert not migrate.needs_upgrade(db.engine)
    finally:
        db.dispose()
    again = open_database(path)  # reopening (no upgrade needed) works too
    again.dispose()
