"""Opening refuses damaged, foreign and newer files with the right kind, and never changes them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from db import migrate
from db.backup import BackupError, list_backups
from db.engine import connect
from db.errors import DatabaseOpenError
from db.session import inspect_file, open_database, sidecars


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def damage_middle(path: Path, *, fill: bytes | None = None) -> None:
    """Overwrite one page-aligned 4 KiB block in the middle of the file."""
    size = path.stat().st_size
    with sqlite3.connect(path) as con:  # make sure that page is in use (no free pages)
        assert con.execute("PRAGMA freelist_count").fetchone()[0] == 0
    con.close()
    offset = (size // 2) // 4096 * 4096
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(fill if fill is not None else bytes(range(256)) * 16)


@pytest.fixture
def demo_copy(demo_db_file: Path, tmp_path: Path) -> Path:
    target = tmp_path / "db" / "mingbaika.sqlite3"
    target.parent.mkdir()
    shutil.copyfile(demo_db_file, target)
    return target


def assert_refused_untouched(path: Path, kind: str, words: str) -> DatabaseOpenError:
    before, listing = path.read_bytes(), files_in(path.parent)
    with pytest.raises(DatabaseOpenError) as info:
        open_database(path)
    assert info.value.kind == kind
    assert words in str(info.value)
    assert "文件未作任何改动" in str(info.value)
    assert path.read_bytes() == before
    assert files_in(path.parent) == listing  # not even a -wal / -shm file appeared
    return info.value


def test_healthy_database_is_checked_and_opens(demo_copy: Path) -> None:
    status = inspect_file(demo_copy)
    assert status.checked and "household" in status.tables
    db = open_database(demo_copy)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar() == 300
    db.dispose()


@pytest.mark.parametrize("fill", [None, bytes(4096)], ids=["garbage", "zeros"])
def test_bytes_overwritten_in_the_middle_are_detected(demo_copy: Path, fill: bytes | None) -> None:
    damage_middle(demo_copy, fill=fill)
    assert_refused_untouched(demo_copy, "damaged", "已损坏")


def test_truncated_copy_is_detected(demo_copy: Path) -> None:
    data = demo_copy.read_bytes()
    demo_copy.write_bytes(data[: len(data) // 2])
    assert_refused_untouched(demo_copy, "damaged", "已损坏")


def test_text_file_renamed_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "名单.sqlite3"
    path.write_text("姓名,身份证号\n张三,411726199001011234\n" * 50, encoding="utf-8")
    error = assert_refused_untouched(path, "not_database", "不是明白卡数据库")
    assert "不是 SQLite 格式" in str(error)


def test_damaged_header_is_reported_as_not_ours_with_a_hint(demo_copy: Path) -> None:
    with demo_copy.open("r+b") as fh:
        fh.write(b"\0" * 16)
    error = assert_refused_untouched(demo_copy, "not_database", "不是明白卡数据库")
    assert "文件头已损坏" in str(error)


def test_foreign_sqlite_database_keeps_its_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER, body TEXT)")
    con.execute("INSERT INTO notes VALUES (1, 'x')")
    con.commit()
    con.close()
    assert_refused_untouched(path, "not_database", "其他程序")


def test_foreign_alembic_database_is_not_called_newer(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('abc');"
                      "CREATE TABLE customers (id INTEGER);")
    con.close()
    assert_refused_untouched(path, "not_database", "其他程序")


def test_future_schema_is_refused(demo_copy: Path) -> None:
    con = sqlite3.connect(demo_copy)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    error = assert_refused_untouched(demo_copy, "newer", "更新版本")
    assert "9999_future" in str(error)


def test_committed_data_still_in_the_wal_is_seen(demo_copy: Path) -> None:
    """A crash leaves committed pages in the -wal file; inspection must read them, not the stale main file."""
    writer = sqlite3.connect(demo_copy)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE marker (x)")
    writer.commit()
    try:
        assert Path(str(demo_copy) + "-wal").stat().st_size > 0
        assert "marker" in inspect_file(demo_copy).tables
    finally:
        writer.close()


def test_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    db = open_database(path)
    assert migrate.current_revision(db.engine) in migrate.script_heads()
    db.dispose()


def old_database(path: Path) -> None:
    db = connect(path)
    migrate.upgrade(db.engine, "0001")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO county (uuid, code, name, created_at, updated_at) "
                          "VALUES ('c1', '411726', '泌阳县', '2026-01-01', '2026-01-01')"))
    db.dispose()


def test_a_verified_backup_is_taken_before_every_migration(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_database(path)
    db = open_database(path)
    assert migrate.current_revision(db.engine) in migrate.script_heads()
    db.dispose()
    backups = list_backups(path, isolated_home / "backups")
    assert [b.reason for b in backups] == ["upgrade"]
    con = sqlite3.connect(backups[0].path)  # the old file as it was: old revision, same rows
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    assert con.execute("SELECT name FROM county").fetchall() == [("泌阳县",)]
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_no_migration_when_the_backup_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from db import backup

    path = tmp_path / "old.sqlite3"
    old_database(path)

    def fail(*_a, **_k):
        raise BackupError("磁盘空间不足")

    monkeypatch.setattr(backup, "backup_now", fail)
    with pytest.raises(DatabaseOpenError) as info:
        open_database(path)
    assert info.value.kind == "backup_failed" and "磁盘空间不足" in str(info.value)
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    con.close()


def test_read_only_open_cannot_write(demo_copy: Path) -> None:
    from sqlalchemy.exc import OperationalError

    from db.session import is_read_only

    open_database(demo_copy).dispose()  # bring to head first
    before = demo_copy.read_bytes()
    db = open_database(demo_copy, read_only=True)
    assert is_read_only(db)
    with pytest.raises(OperationalError, match="readonly"):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE household SET phone = '1'"))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar() == 300
    db.dispose()
    assert demo_copy.read_bytes() == before
    wal = sidecars(demo_copy)[0]
    assert not wal.exists() or wal.stat().st_size == 0  # nothing was written
