"""Online backups: verified, rotated, at most daily, safe on full disks and read-only folders; restore."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from db import backup, lock
from db.backup import BackupError, BackupFile, BackupSettings

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def source(demo_db_file: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data" / "mingbaika.sqlite3"
    target.parent.mkdir()
    shutil.copyfile(demo_db_file, target)
    return target


@pytest.fixture
def settings(tmp_path: Path) -> BackupSettings:
    return BackupSettings(folder=str(tmp_path / "备份"))


def count(path: Path, table: str = "household", where: str = "") -> int:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]
    finally:
        con.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(("-journal", ".tmp")))


def test_backup_is_a_verified_copy_in_the_settings_folder(source: Path, settings: BackupSettings) -> None:
    made = backup.backup_now(source, "manual", settings=settings)
    folder = settings.resolved_folder()
    assert made.path.parent == folder and made.path.name.startswith("mingbaika_")
    assert made.path.name.endswith("_manual.sqlite3") and made.reason_label == "手动备份"
    assert count(made.path) == count(source) == 300
    con = sqlite3.connect(made.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert leftovers(folder) == []
    assert backup.list_backups(source, folder)[0].path == made.path


def test_backup_of_a_live_database_is_a_consistent_snapshot(source: Path, settings: BackupSettings) -> None:
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("DELETE FROM visit")  # uncommitted: must not appear in the backup
    try:
        made = backup.backup_now(source, "manual", settings=settings)
    finally:
        writer.rollback()
        writer.close()
    assert count(made.path, "visit") == count(source, "visit") > 0


@pytest.mark.sqlite_only  # a backup is a verified copy of the SQLite file
def test_backup_accepts_an_open_database_object(demo_db, settings: BackupSettings) -> None:
    made = backup.backup_now(demo_db, "import", settings=settings)
    assert made.reason == "import" and count(made.path) == 300
    from db.session import open_database

    read_only = open_database(demo_db.path, read_only=True)
    try:
        again = backup.backup_now(read_only, "manual", settings=settings)
        assert again.database == "demo" and count(again.path) == 300
    finally:
        read_only.dispose()
    with pytest.raises(BackupError, match="只有本机数据库文件"):
        backup.backup_now("postgresql://county-server/mingbaika", "manual", settings=settings)


def test_backup_to_an_explicit_file_or_folder(source: Path, tmp_path: Path, settings: BackupSettings) -> None:
    target = tmp_path / "u盘" / "拷贝.sqlite3"
    made = backup.backup_now(source, "manual", dest=target, settings=settings)
    assert made.path == target and count(target) == 300
    with pytest.raises(BackupError, match="已存在，不会覆盖"):
        backup.backup_now(source, "manual", dest=target, settings=settings)
    folder_made = backup.backup_now(source, "manual", dest=tmp_path / "u盘", settings=settings)
    assert folder_made.path.parent == tmp_path / "u盘"
    assert not settings.resolved_folder().exists()  # nothing went to (or was rotated in) the usual folder


def test_two_backups_in_the_same_second_get_different_names(source: Path, settings: BackupSettings) -> None:
    now = datetime(2026, 11, 30, 9, 0, 0)
    a = backup.backup_now(source, "manual", settings=settings, now=now)
    b = backup.backup_now(source, "manual", settings=settings, now=now)
    assert a.path != b.path and a.path.exists() and b.path.exists()
    assert backup.parse_name(b.path).taken_at == now


def test_daily_backup_at_most_once_a_day(source: Path, settings: BackupSettings) -> None:
    day = datetime(2026, 11, 30, 8, 0)
    assert backup.backup_due(source, settings, now=day)
    first = backup.daily_backup(source, settings, now=day)
    assert first is not None and first.reason == "daily"
    assert backup.daily_backup(source, settings, now=day + timedelta(hours=5)) is None
    assert backup.daily_backup(source, settings, now=day + timedelta(days=1)) is not None


def test_no_daily_backup_of_a_missing_or_empty_file(tmp_path: Path, settings: BackupSettings) -> None:
    assert not backup.backup_due(tmp_path / "none.sqlite3", settings)
    (tmp_path / "empty.sqlite3").touch()
    assert not backup.backup_due(tmp_path / "empty.sqlite3", settings)


def fake(day: datetime, reason: str = "daily") -> BackupFile:
    return BackupFile(path=Path(f"/x/m_{day:%Y%m%d-%H%M%S}_{reason}.sqlite3"), database="m", taken_at=day,
                      reason=reason, size=1)


def test_rotation_keeps_last_daily_weekly_monthly() -> None:
    start = datetime(2026, 11, 30, 18, 0)
    # two backups a day for 400 days, newest first
    backups = [fake(start - timedelta(hours=12 * i)) for i in range(800)]
    policy = BackupSettings(keep_last=3, keep_daily=7, keep_weekly=4, keep_monthly=12)
    keep = backup.kept(backups, policy)
    kept_days = sorted({b.taken_at.date() for b in backups if b.path in keep}, reverse=True)
    assert backups[0].path in keep and backups[1].path in keep and backups[2].path in keep
    # the newest of each of the last 7 days
    assert kept_days[:7] == [(start - timedelta(days=i)).date() for i in range(7)]
    months = {(b.taken_at.year, b.taken_at.month) for b in backups if b.path in keep}
    assert len(months) == 12
    assert len(keep) <= 3 + 7 + 4 + 12
    oldest_kept = min(b.taken_at for b in backups if b.path in keep)
    assert oldest_kept > start - timedelta(days=366)


def test_rotate_deletes_files_but_never_damaged_copies(source: Path, settings: BackupSettings) -> None:
    folder = settings.resolved_folder()
    folder.mkdir(parents=True)
    start = datetime(2026, 11, 30, 12, 0)
    for i in range(40):
        (folder / f"mingbaika_{start - timedelta(days=i):%Y%m%d-%H%M%S}_daily.sqlite3").write_bytes(b"x")
    (folder / "mingbaika_20200101-000000_damaged.sqlite3").write_bytes(b"x")
    (folder / "other_20200101-000000_daily.sqlite3").write_bytes(b"x")  # another database: not touched
    expected = backup.kept([b for b in backup.list_backups(source, folder) if b.reason != "damaged"], settings)
    removed = backup.rotate(source, settings)
    names = {p.name for p in folder.iterdir()}
    assert len(removed) == 40 - len(expected) and len(removed) > 20
    assert {p.name for p in expected} | {"mingbaika_20200101-000000_damaged.sqlite3",
                                         "other_20200101-000000_daily.sqlite3"} == names


def test_settings_live_in_the_data_folder_config(isolated_home: Path, tmp_path: Path) -> None:
    from desktop.core.paths import data_dir

    assert backup.data_dir() == data_dir()  # db/ mirrors desktop.core.paths without importing it
    config = isolated_home / "config.json"
    config.write_text(json.dumps({"other": {"keep": "me"}}), encoding="utf-8")
    backup.save_settings(BackupSettings(folder=str(tmp_path / "E盘备份"), keep_daily=3))
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["other"] == {"keep": "me"} and data["backup"]["keep_daily"] == 3
    loaded = backup.load_settings()
    assert loaded.resolved_folder() == tmp_path / "E盘备份" and loaded.keep_daily == 3
    config.write_text("{ broken", encoding="utf-8")
    assert backup.load_settings() == BackupSettings()  # defaults, never a crash
    with pytest.raises(BackupError):
        backup.save_settings(BackupSettings(keep_last=0))


def test_damaged_source_gives_a_clear_error_and_no_file(source: Path, settings: BackupSettings) -> None:
    from tests.db.test_integrity import damage_middle

    damage_middle(source)
    with pytest.raises(BackupError, match="已损坏"):
        backup.backup_now(source, "manual", settings=settings)
    assert list(settings.resolved_folder().iterdir()) == []


def test_cancelling_leaves_no_file(source: Path, settings: BackupSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.core.progress import Cancelled, Progress

    monkeypatch.setattr(backup, "STEP_PAGES", 10)
    progress = Progress(on_update=lambda done, total, _t: progress.cancel() if done > 50 else None)
    with pytest.raises(Cancelled):
        backup.backup_now(source, "manual", settings=settings, progress=progress)
    assert list(settings.resolved_folder().iterdir()) == []


def test_full_disk_at_the_last_step_leaves_no_partial_file(
    source: Path, settings: BackupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup.os, "replace", no_space)
    with pytest.raises(BackupError, match="磁盘空间不足"):
        backup.backup_now(source, "manual", settings=settings)
    assert list(settings.resolved_folder().iterdir()) == []


def test_too_little_free_space_is_refused_before_writing(
    source: Path, settings: BackupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(BackupError, match="空间不足：需要约"):
        backup.backup_now(source, "manual", settings=settings)
    assert list(settings.resolved_folder().iterdir()) == []


def test_read_only_folder(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "只读"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if IS_ROOT:  # root writes anyway; simulate the refusal where the file is created
            real_connect = sqlite3.connect

            def refuse(target, *a, **k):
                if str(target).startswith(str(folder)):
                    raise sqlite3.OperationalError("attempt to write a readonly database")
                return real_connect(target, *a, **k)

            monkeypatch.setattr(backup.sqlite3, "connect", refuse)
        with pytest.raises(BackupError, match="没有写入权限"):
            backup.backup_now(source, "manual", dest=folder)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


FULL_DISK_SCRIPT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from pathlib import Path
from db import backup
try:
    backup.backup_now(Path(sys.argv[1]), "manual", dest=Path(sys.argv[2]))
except backup.BackupError as exc:
    print(exc)
    sys.exit(1)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE (POSIX)")
def test_real_write_failure_mid_copy_leaves_no_partial_file(source: Path, tmp_path: Path) -> None:
    """A file-size limit makes the kernel refuse writes past 512 KiB: a full disk, for real, mid-copy."""
    folder = tmp_path / "小盘"
    folder.mkdir()
    result = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(source), str(folder), str(512 * 1024)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "复制数据库失败：写入磁盘失败（磁盘可能已满" in result.stdout
    assert list(folder.iterdir()) == []


# --------------------------------------------------------------------------- restore


def edit(path: Path, sql: str) -> None:
    con = sqlite3.connect(path)
    con.execute(sql)
    con.commit()
    con.close()


def test_restore_replaces_and_backs_up_the_current_file_first(source: Path, settings: BackupSettings) -> None:
    made = backup.backup_now(source, "manual", settings=settings)
    edit(source, "DELETE FROM visit")
    result = backup.restore(source, made.path, settings=settings)
    assert count(source, "visit") > 0  # the backup's rows are back
    assert result.previous_backup is not None and count(result.previous_backup, "visit") == 0
    assert result.previous_copy is None
    assert result.info.households == 300
    assert lock.holder(source) is None and not lock.lock_path(source).exists()
    assert leftovers(source.parent) == []


def test_restore_is_refused_while_another_instance_holds_the_lock(source: Path, settings: BackupSettings) -> None:
    made = backup.backup_now(source, "manual", settings=settings)
    before = source.read_bytes()
    held = lock.acquire(source, operator="王芳")
    try:
        with pytest.raises(lock.LockHeldError, match="王芳"):
            backup.restore(source, made.path, settings=settings)
    finally:
        held.release()
    assert source.read_bytes() == before


def test_restore_over_a_damaged_file_keeps_its_bytes(source: Path, settings: BackupSettings) -> None:
    from tests.db.test_integrity import damage_middle

    made = backup.backup_now(source, "manual", settings=settings)
    damage_middle(source)
    damaged = source.read_bytes()
    result = backup.restore(source, made.path, settings=settings)
    assert result.previous_backup is None
    assert result.previous_copy is not None and result.previous_copy.read_bytes() == damaged
    assert result.previous_copy.name.endswith("_damaged.sqlite3")
    assert count(source) == 300


def test_a_damaged_or_foreign_backup_is_refused_and_nothing_changes(source: Path, tmp_path: Path,
                                                                    settings: BackupSettings) -> None:
    from tests.db.test_integrity import damage_middle

    bad = tmp_path / "bad.sqlite3"
    shutil.copyfile(source, bad)
    damage_middle(bad)
    text_file = tmp_path / "notes.sqlite3"
    text_file.write_text("hello", encoding="utf-8")
    before = source.read_bytes()
    for candidate, words in ((bad, "已损坏"), (text_file, "不是明白卡数据库"), (tmp_path / "none.sqlite3", "找不到")):
        with pytest.raises(BackupError, match=words):
            backup.restore(source, candidate, settings=settings)
    assert source.read_bytes() == before
    assert not settings.resolved_folder().exists() or list(settings.resolved_folder().iterdir()) == []


def test_a_failed_replace_leaves_the_database_untouched(source: Path, settings: BackupSettings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    made = backup.backup_now(source, "manual", settings=settings)
    edit(source, "DELETE FROM visit")
    before = source.read_bytes()
    real_replace = os.replace

    def fail_on_target(src, dst):
        if Path(dst) == source.resolve():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(backup.os, "replace", fail_on_target)
    with pytest.raises(BackupError, match="原文件保持不变"):
        backup.restore(source, made.path, settings=settings)
    assert source.read_bytes() == before
    assert leftovers(source.parent) == []


CRASH_WRITER = """
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("DELETE FROM visit")
con.commit()
print("written", flush=True)
os.kill(os.getpid(), 9)
"""


def test_a_stale_wal_file_is_not_applied_to_the_restored_database(source: Path, settings: BackupSettings) -> None:
    made = backup.backup_now(source, "manual", settings=settings)
    result = subprocess.run([sys.executable, "-c", CRASH_WRITER, str(source)], capture_output=True, text=True)
    assert "written" in result.stdout and result.returncode == -9
    assert Path(str(source) + "-wal").stat().st_size > 0  # the crash left committed pages in the WAL
    backup.restore(source, made.path, settings=settings)
    assert not Path(str(source) + "-wal").exists()
    assert count(source, "visit") == count(made.path, "visit") > 0
    con = sqlite3.connect(source)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_latest_good_backup_skips_damaged_ones(source: Path, settings: BackupSettings) -> None:
    from tests.db.test_integrity import damage_middle

    good = backup.backup_now(source, "manual", settings=settings, now=datetime(2026, 11, 1, 9))
    newer = backup.backup_now(source, "manual", settings=settings, now=datetime(2026, 11, 2, 9))
    damage_middle(newer.path)
    found = backup.latest_good_backup(source, settings)
    assert found is not None and found.path == good.path and found.counts["member"] > 0
