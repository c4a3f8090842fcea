"""Backups with SQLite's online backup API, rotation, and restore.

* :func:`backup_now` copies a live database (other connections may keep writing) into a
  temporary file in the backup folder, checks the copy with ``PRAGMA quick_check``,
  flushes it to disk and only then gives it its final name — a backup that exists is a
  verified backup; a failed one (full disk, read-only folder, damaged source) leaves no
  file behind and raises :class:`BackupError` with a Chinese message.
* It runs automatically on opening (at most once a day, :func:`daily_backup`), before every
  schema migration (:func:`db.session.open_database`), before every import (the importer
  calls ``backup_now(database, "import")``) and on demand.
* :func:`rotate` keeps the newest ``keep_last`` backups plus the newest one of each of the
  last ``keep_daily`` days, ``keep_weekly`` ISO weeks and ``keep_monthly`` months.
* :func:`restore` previews nothing itself (see :func:`inspect_backup` for the counts),
  backs up the current file first, and replaces it atomically (``os.replace``).

Settings (folder and rotation) live in ``config.json`` in the user's data folder, not in
the database, so that they survive a restore. ``db/`` does not import ``desktop``; the
data folder is found the same way as :func:`desktop.core.paths.data_dir` (a test keeps
the two in step).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from db.errors import DatabaseOpenError

CONFIG_FILE_NAME = "config.json"
BACKUP_SUFFIX = ".sqlite3"
#: Pages copied per step of the online backup (4 KiB pages: 16 MiB per step).
STEP_PAGES = 4096

REASONS = {
    "manual": "手动备份",
    "daily": "每日自动备份",
    "upgrade": "升级结构前",
    "import": "导入数据前",
    "restore": "恢复备份前",
    "damaged": "损坏文件原样副本",
}
_NAME = re.compile(r"^(?P<stem>.+)_(?P<ts>\d{8}-\d{6})(?:-(?P<n>\d+))?_(?P<reason>[a-z]+)\.sqlite3$")



class ProgressLike(Protocol):
    """What long work reports to (``desktop.core.progress.Progress`` fits): ``update`` may
    raise to cancel; the exception propagates and nothing is left behind."""

    def update(self, done: int, total: int, text: str = "") -> None: ...


class BackupError(Exception):
    """A backup or restore failed; the message is Chinese and says what to do. Nothing
    was changed and no partial file was left behind."""


# --------------------------------------------------------------------------- settings


def data_dir() -> Path:
    """The user's data folder; mirrors :func:`desktop.core.paths.data_dir`."""
    override = os.environ.get("MINGBAIKA_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("Mingbaika", appauthor=False))


def config_file() -> Path:
    return data_dir() / CONFIG_FILE_NAME


@dataclass
class BackupSettings:
    """Where backups go and how many are kept. ``folder=None``: ``backups`` in the data folder."""

    folder: str | None = None
    keep_last: int = 5
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12

    def resolved_folder(self) -> Path:
        return Path(self.folder).expanduser() if self.folder else data_dir() / "backups"

    def validate(self) -> None:
        for name in ("keep_last", "keep_daily", "keep_weekly", "keep_monthly"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0 or value > 1000:
                raise BackupError(f"备份设置“{name}”应为 0–1000 的整数，实为 {value!r}")
        if self.keep_last < 1:
            raise BackupError("至少要保留最近 1 份备份")


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # an unreadable config must not stop the program; defaults apply
    return data if isinstance(data, dict) else {}


def load_settings(path: Path | None = None) -> BackupSettings:
    section = _read_config(path or config_file()).get("backup") or {}
    defaults = BackupSettings()
    values = {}
    for key, default in asdict(defaults).items():
        value = section.get(key, default)
        if key == "folder":
            values[key] = value if isinstance(value, str) and value.strip() else None
        else:
            values[key] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    settings = BackupSettings(**values)
    settings.keep_last = max(settings.keep_last, 1)
    return settings


def atomic_write_text(path: Path, text: str) -> None:
    """Write a small text file atomically (temp file in the same folder, fsync, os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def save_settings(settings: BackupSettings, path: Path | None = None) -> None:
    """Store the settings in the data folder's config file, keeping its other sections."""
    settings.validate()
    target = path or config_file()
    data = _read_config(target)
    data["backup"] = asdict(settings)
    try:
        atomic_write_text(target, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise BackupError(f"无法保存备份设置到“{target}”：{_os_reason(exc)}") from exc


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class BackupFile:
    path: Path
    database: str  # file stem of the database it was taken from
    taken_at: datetime
    reason: str
    size: int

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)


def parse_name(path: Path) -> BackupFile | None:
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        taken = datetime.strptime(m.group("ts"), "%Y%m%d-%H%M%S")
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    return BackupFile(path=path, database=m.group("stem"), taken_at=taken, reason=m.group("reason"), size=size)


def list_backups(database: Path | str, folder: Path | None = None) -> list[BackupFile]:
    """Backups of ``database`` (matched by file stem) in ``folder``, newest first."""
    stem = Path(database).stem
    folder = folder if folder is not None else load_settings().resolved_folder()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = [b for b in (parse_name(p) for p in entries if p.is_file()) if b and b.database == stem]
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def _unique_target(folder: Path, stem: str, when: datetime, reason: str) -> Path:
    base = f"{stem}_{when:%Y%m%d-%H%M%S}"
    target = folder / f"{base}_{reason}{BACKUP_SUFFIX}"
    n = 2
    while target.exists():
        target = folder / f"{base}-{n}_{reason}{BACKUP_SUFFIX}"
        n += 1
    return target


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _remove_quietly(paths: Iterable[Path]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _temp_files(tmp: Path) -> list[Path]:
    return [tmp] + [tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm")]


def _os_reason(exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in text or "disk full" in text:
        return "磁盘空间不足"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in text or "read-only" in text:
        return "没有写入权限（文件夹只读或被保护）"
    if "disk i/o error" in text:
        return "写入磁盘失败（磁盘可能已满、U 盘被拔出或磁盘故障）"
    if "unable to open" in text:
        return "无法创建文件（文件夹不存在、只读或没有权限）"
    return str(exc)


def _check_space(folder: Path, needed: int) -> None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    margin = needed // 20 + 1_000_000
    if free < needed + margin:
        raise BackupError(
            f"“{folder}”所在磁盘空间不足：需要约 {(needed + margin) / 1e6:.0f} MB，"
            f"可用 {free / 1e6:.0f} MB。请清理磁盘或在“备份设置”中换一个文件夹。"
        )


def _source_size(path: Path) -> int:
    total = 0
    for p in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += p.stat().st_size
    return total


def _source_connection(path: Path) -> sqlite3.Connection:
    """Read the live database. A normal connection when possible (it tidies its WAL on
    close like any other); read-only when the file or folder cannot be written."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        con = sqlite3.connect(path, timeout=10)
    else:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    con.execute("PRAGMA busy_timeout=10000")
    return con



def _check_copy(source: Path, copy: Path) -> None:
    """quick_check the finished copy and make sure it is a Mingbaika database."""
    from db.session import SIGNATURE_TABLES, quick_check

    check = sqlite3.connect(f"{copy.resolve().as_uri()}?immutable=1", uri=True)
    try:
        try:
            problems = quick_check(check)
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")} \
            if not problems else set()
    finally:
        check.close()
    if problems:
        raise BackupError(
            f"数据库“{source}”已损坏，无法得到完好的副本（完整性检查：{'；'.join(problems[:3])}）。"
            "请用“从备份恢复”换回以前的完好备份。"
        )
    if not SIGNATURE_TABLES <= tables:
        raise BackupError(f"“{source}”不是明白卡数据库。")


def copy_database(source: Path, target_tmp: Path, *, progress: ProgressLike | None = None) -> None:
    """Online-backup ``source`` into the new file ``target_tmp``, verify and fsync it.

    Other connections may keep writing meanwhile (the copy is a consistent snapshot).
    Raises :class:`BackupError` on failure, or whatever ``progress.update`` raises to
    cancel; either way ``target_tmp`` (and its journal) is removed.
    """
    try:
        try:
            src = _source_connection(source)
        except sqlite3.Error as exc:
            raise BackupError(f"无法读取数据库“{source}”：{exc}") from exc
        try:
            try:
                dst = sqlite3.connect(target_tmp)
            except sqlite3.Error as exc:
                raise BackupError(f"无法在“{target_tmp.parent}”中创建文件：{_os_reason(exc)}") from exc
            try:
                def step(_status: int, remaining: int, total: int) -> None:
                    if progress is not None:
                        progress.update(total - remaining, total, "正在复制数据库…")

                src.backup(dst, pages=STEP_PAGES, progress=step)
            except sqlite3.DatabaseError as exc:
                reason = _os_reason(exc)
                if "malformed" in str(exc) or "not a database" in str(exc):
                    reason = f"数据库“{source}”已损坏：{exc}"
                raise BackupError(f"复制数据库失败：{reason}") from exc
            finally:
                dst.close()
        finally:
            src.close()
        if progress is not None:
            progress.update(0, 0, "正在校验副本…")
        _check_copy(source, target_tmp)
        _fsync_file(target_tmp)
    except OSError as exc:
        _remove_quietly(_temp_files(target_tmp))
        raise BackupError(f"写入“{target_tmp.parent}”失败：{_os_reason(exc)}") from exc
    except BaseException:
        _remove_quietly(_temp_files(target_tmp))
        raise


def _database_path(database: Any) -> Path:
    """The SQLite file of a ``Database`` (also one opened read-only), a path or a URL."""
    from db.session import database_file, sqlite_path

    if isinstance(database, str | Path):
        path = sqlite_path(database)
    else:
        path = database_file(database)
    if path is None:
        raise BackupError("只有本机数据库文件（SQLite）可以这样备份；服务器数据库请由管理员备份。")
    return Path(path)


def backup_now(
    database: Any,
    reason: str = "manual",
    *,
    settings: BackupSettings | None = None,
    dest: Path | str | None = None,
    progress: ProgressLike | None = None,
    now: datetime | None = None,
) -> BackupFile:
    """Write a verified backup of ``database`` (a ``Database``, a path or a SQLite URL).

    ``reason``: one of :data:`REASONS` (``"import"`` before an import). Without ``dest``
    the backup goes to the settings' folder and old backups are rotated. ``dest`` may be a
    folder (a dated file is made in it, nothing is rotated) or a file path ending in
    ``.sqlite3`` (must not exist yet). Raises :class:`BackupError`.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown backup reason {reason!r}")
    source = _database_path(database)
    if not source.exists():
        raise BackupError(f"数据库“{source}”不存在，没有可备份的内容。")
    settings = settings if settings is not None else load_settings()
    when = now or datetime.now()
    rotate_after = dest is None
    if dest is None:
        folder = settings.resolved_folder()
        target = None
    else:
        dest = Path(dest).expanduser()
        if dest.suffix.lower() in (".sqlite3", ".sqlite", ".db") and not dest.is_dir():
            folder, target = dest.parent, dest
            if target.exists():
                raise BackupError(f"“{target}”已存在，不会覆盖。请换一个文件名。")
            if target.resolve() == source.resolve():
                raise BackupError("备份文件不能是数据库本身。")
        else:
            folder, target = dest, None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法创建备份文件夹“{folder}”：{_os_reason(exc)}") from exc
    _check_space(folder, _source_size(source))
    if target is None:
        target = _unique_target(folder, source.stem, when, reason)
    tmp = folder / f".{target.name}.{os.getpid()}.tmp"
    copy_database(source, tmp, progress=progress)
    try:
        if target.exists():  # only possible for an explicit dest created meanwhile
            raise BackupError(f"“{target}”已存在，不会覆盖。")
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(_temp_files(tmp))
        raise BackupError(f"保存备份“{target}”失败：{_os_reason(exc)}") from exc
    except BaseException:
        _remove_quietly(_temp_files(tmp))
        raise
    _fsync_dir(folder)
    info = BackupFile(path=target, database=source.stem, taken_at=when.replace(microsecond=0),
                      reason=reason, size=target.stat().st_size)
    if rotate_after:
        rotate(source, settings)
    return info


def backup_due(database: Any, settings: BackupSettings | None = None, *, now: datetime | None = None) -> bool:
    """True when ``database`` exists and has no backup (of any kind) from today."""
    try:
        source = _database_path(database)
    except BackupError:
        return False
    if not source.exists() or source.stat().st_size == 0:
        return False
    settings = settings if settings is not None else load_settings()
    today = (now or datetime.now()).date()
    return not any(b.taken_at.date() == today and b.reason != "damaged"
                   for b in list_backups(source, settings.resolved_folder()))


def daily_backup(database: Any, settings: BackupSettings | None = None, *,
                 progress: ProgressLike | None = None, now: datetime | None = None) -> BackupFile | None:
    """The automatic backup on opening: at most once a day. Returns None when not due."""
    settings = settings if settings is not None else load_settings()
    if not backup_due(database, settings, now=now):
        return None
    return backup_now(database, "daily", settings=settings, progress=progress, now=now)


def kept(backups: list[BackupFile], settings: BackupSettings) -> set[Path]:
    """The backups rotation keeps: the newest ``keep_last``, and the newest of each of the
    last ``keep_daily`` days, ``keep_weekly`` ISO weeks and ``keep_monthly`` months that
    have backups. ``backups`` newest first."""
    keep = {b.path for b in backups[: max(settings.keep_last, 1)]}
    rules: list[tuple[int, Callable[[datetime], Any]]] = [
        (settings.keep_daily, lambda d: d.date()),
        (settings.keep_weekly, lambda d: d.isocalendar()[:2]),
        (settings.keep_monthly, lambda d: (d.year, d.month)),
    ]
    for count, period in rules:
        seen: list[Any] = []
        for b in backups:
            key = period(b.taken_at)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(b.path)
    return keep


def rotate(database: Any, settings: BackupSettings | None = None) -> list[Path]:
    """Delete the backups of ``database`` that :func:`kept` does not keep; return them.

    Raw copies of damaged files (reason ``damaged``) are never deleted automatically.
    Stale temporary files of interrupted backups (older than an hour) are removed too.
    """
    settings = settings if settings is not None else load_settings()
    source = _database_path(database)
    folder = settings.resolved_folder()
    backups = [b for b in list_backups(source, folder) if b.reason != "damaged"]
    keep = kept(backups, settings)
    removed = []
    for b in backups:
        if b.path not in keep:
            try:
                b.path.unlink()
                removed.append(b.path)
            except OSError:
                pass
    cutoff = time.time() - 3600
    with contextlib.suppress(OSError):
        for p in folder.glob(f".{source.stem}_*.tmp*"):
            with contextlib.suppress(OSError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()
    return removed


def preserve_copy(path: Path, settings: BackupSettings | None = None, *, now: datetime | None = None) -> Path:
    """Copy a file that cannot be backed up normally (damaged, not ours, newer) byte for
    byte — with its ``-wal`` file — into the backup folder, reason ``damaged``."""
    settings = settings if settings is not None else load_settings()
    folder = settings.resolved_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _check_space(folder, _source_size(path))
        target = _unique_target(folder, path.stem, now or datetime.now(), "damaged")
        pairs = [(path, target)]
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            pairs.append((wal, target.with_name(target.name + "-wal")))
        temps = [dst.with_name(f".{dst.name}.{os.getpid()}.tmp") for _src, dst in pairs]
        placed: list[Path] = []
        try:
            for (src, _dst), tmp in zip(pairs, temps, strict=True):
                shutil.copyfile(src, tmp)
                _fsync_file(tmp)
            for (_src, dst), tmp in zip(pairs, temps, strict=True):
                os.replace(tmp, dst)
                placed.append(dst)
        except BaseException:
            _remove_quietly(temps + placed)
            raise
    except OSError as exc:
        raise BackupError(f"无法把“{path}”复制到备份文件夹“{folder}”：{_os_reason(exc)}") from exc
    _fsync_dir(folder)
    return target


# --------------------------------------------------------------------------- inspect / restore


@dataclass
class BackupInfo:
    """What a backup file holds, for the preview before restoring."""

    path: Path
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    last_change: str | None = None  # newest 修改时间 of a household, text as stored
    size: int = 0
    needs_upgrade: bool = False

    @property
    def households(self) -> int:
        return self.counts.get("household", 0)


def inspect_backup(path: Path | str) -> BackupInfo:
    """Check a backup (or any database file) fully and count its rows. Never writes.

    Raises :class:`BackupError` with the reason when it is not a usable Mingbaika database.
    """
    from db.session import inspect_file, readonly_connection

    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件“{path}”。")
    try:
        status = inspect_file(path, integrity=True)
    except DatabaseOpenError as exc:
        raise BackupError(str(exc).replace("已停止打开，", "")) from exc
    if status.is_empty:
        raise BackupError(f"“{path}”是空文件，不是明白卡数据库备份。")
    con = readonly_connection(path)
    try:
        counts = {}
        for table in sorted(status.tables):
            if table.startswith("sqlite_") or table == "alembic_version":
                continue
            counts[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        last = con.execute("SELECT max(updated_at) FROM household").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"读取备份“{path}”失败：{exc}") from exc
    finally:
        con.close()
    return BackupInfo(path=path, revision=status.revision, counts=counts, last_change=last,
                      size=path.stat().st_size, needs_upgrade=status.needs_upgrade)


def latest_good_backup(database: Path | str, settings: BackupSettings | None = None) -> BackupInfo | None:
    """The newest backup of ``database`` that passes :func:`inspect_backup`, or None."""
    settings = settings if settings is not None else load_settings()
    for b in list_backups(database, settings.resolved_folder()):
        if b.reason == "damaged":
            continue
        try:
            return inspect_backup(b.path)
        except BackupError:
            continue
    return None


@dataclass
class RestoreResult:
    target: Path
    restored_from: Path
    previous_backup: Path | None  # verified backup of the file that was replaced
    previous_copy: Path | None  # raw copy, when the replaced file was damaged / not usable
    info: BackupInfo


def _settle_wal(target: Path, healthy: bool) -> None:
    """Make the main file self-contained before it is replaced: checkpoint the WAL into it
    (healthy file), then remove the sidecar files so they cannot be applied to the new file."""
    if healthy:
        con = sqlite3.connect(target, timeout=10)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
    for side in (target.with_name(target.name + s) for s in ("-wal", "-shm", "-journal")):
        if side.exists():
            side.unlink()


def restore(
    target: Path | str,
    backup_path: Path | str,
    *,
    settings: BackupSettings | None = None,
    progress: ProgressLike | None = None,
    lock: Any = None,
    operator: str = "",
) -> RestoreResult:
    """Replace the database ``target`` with the backup ``backup_path``.

    1. the backup is checked (:func:`inspect_backup`); 2. the current file is backed up
    (reason ``restore``; a damaged one is copied byte for byte instead); 3. the backup is
    copied next to the target and verified; 4. ``os.replace`` swaps it in. Until step 4
    the target is untouched, and step 4 is atomic. Nobody else may have the database open:
    pass the caller's own :class:`db.lock.DatabaseLock` as ``lock``, else one is taken here
    (``LockHeldError`` if another instance holds it).
    """
    from db import lock as db_lock
    from db.session import inspect_file

    target = Path(target).expanduser().resolve()
    backup_path = Path(backup_path).expanduser().resolve()
    if backup_path == target:
        raise BackupError("不能用数据库文件自身来恢复。")
    settings = settings if settings is not None else load_settings()
    info = inspect_backup(backup_path)
    own_lock = None
    if lock is None:
        own_lock = db_lock.acquire(target, operator=operator, purpose="恢复备份")
    try:
        previous_backup = previous_copy = None
        healthy = False
        if target.exists() and target.stat().st_size > 0:
            try:
                status = inspect_file(target, integrity=False)
                healthy = not status.is_empty
            except DatabaseOpenError:
                healthy = False
            if healthy:
                try:
                    previous_backup = backup_now(target, "restore", settings=settings, progress=progress).path
                except BackupError as exc:
                    if "已损坏" not in str(exc):
                        raise BackupError(f"恢复前备份当前数据库失败，未作任何改动：{exc}") from exc
                    healthy = False
            if not healthy:
                previous_copy = preserve_copy(target, settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        _check_space(target.parent, info.size)
        tmp = target.with_name(f".{target.name}.restore-{os.getpid()}.tmp")
        copy_database(backup_path, tmp, progress=progress)
        try:
            if target.exists():
                _settle_wal(target, healthy)
            os.replace(tmp, target)
        except (OSError, sqlite3.Error) as exc:
            _remove_quietly(_temp_files(tmp))
            raise BackupError(f"替换数据库“{target}”失败，原文件保持不变：{_os_reason(exc)}") from exc
        except BaseException:
            _remove_quietly(_temp_files(tmp))
            raise
        _fsync_dir(target.parent)
    finally:
        if own_lock is not None:
            own_lock.release()
    return RestoreResult(target=target, restored_from=backup_path, previous_backup=previous_backup,
                         previous_copy=previous_copy, info=info)


def age_text(taken_at: datetime, now: datetime | None = None) -> str:
    """Chinese "how long ago" for lists: 刚才 / 3 小时前 / 2 天前."""
    delta = (now or datetime.now()) - taken_at
    if delta < timedelta(minutes=1):
        return "刚才"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} 分钟前"
    if delta < timedelta(days=1):
        return f"{int(delta.total_seconds() // 3600)} 小时前"
    return f"{delta.days} 天前"
