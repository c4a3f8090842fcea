from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.errors import DatabaseOpenError
from db.models import County, Household
from db.session import open_database


@pytest.mark.sqlite_only  # SQLite connection settings (PRAGMAs)
def test_pragmas_are_set(database) -> None:
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_foreign_keys_are_enforced(database) -> None:
    with pytest.raises(IntegrityError):
        with database.session() as session:
            session.add(Household(village_id=999, household_number="x"))


def test_unit_of_work_rolls_back_on_error(database) -> None:
    with pytest.raises(RuntimeError):
        with database.session() as session:
            session.add(County(code="411726", name="泌阳县"))
            session.flush()
            raise RuntimeError("boom")
    with database.session() as session:
        assert session.query(County).count() == 0


def test_uuid_is_assigned_and_stable(database) -> None:
    with database.session() as session:
        county = County(code="411726", name="泌阳县")
        session.add(county)
        session.flush()
        first = county.uuid
    assert len(first) == 36
    with database.session() as session:
        assert session.query(County).one().uuid == first


def test_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("这不是数据库\n" * 100, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(DatabaseOpenError) as info:
        open_database(path)
    assert "不是明白卡数据库" in str(info.value)
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseOpenError) as info:
        open_database(path)
    assert info.value.kind == "not_database"


def test_newer_schema_is_refused(database) -> None:
    location = database.engine.url.render_as_string(hide_password=False)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999_future'"))
    database.dispose()
    with pytest.raises(DatabaseOpenError) as info:
        open_database(location)
    assert info.value.kind == "newer"
    assert "更新版本" in str(info.value)


def test_percent_escapes_in_file_names_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "a%20b.sqlite3"
    db = open_database(path)
    db.dispose()
    assert path.exists()
    assert not (tmp_path / "a b.sqlite3").exists()
