"""One writer per database: a lock file beside it.

``mingbaika.sqlite3.lock`` holds who has the database open for writing — user, computer,
process id, operator and since when (JSON) — so a second instance can say who it is and
offer to open the file read-only instead.

The lock itself is an operating-system lock on that file (``fcntl.flock`` on Linux and
macOS, ``msvcrt.locking`` on Windows). The OS drops it when the process ends in any way
— closed, killed, crashed, or the PC switched off — so a lock left behind by a dead
process is recognised as stale and taken over without asking. Where the file system has
no such locks (some network shares), the contents decide: on the same computer a lock
whose process is gone is stale; a lock from another computer is respected unless the
user forces it (``force=True``) after checking that nobody is using the database.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from db.errors import DatabaseOpenError

LOCK_SUFFIX = ".lock"
#: Windows locks are mandatory: lock a byte far past the JSON so readers can still read it.
_WIN_LOCK_OFFSET = 1 << 20


@dataclass
class LockInfo:
    user: str
    host: str
    pid: int
    since: str  # local time, ISO format
    operator: str = ""
    purpose: str = ""

    def describe(self) -> str:
        """Chinese: 操作员 张三（系统用户 clerk，计算机 PC-01，进程 1234），自 2026-11-30 09:12 起."""
        who = f"操作员“{self.operator}”" if self.operator else f"用户“{self.user}”"
        since = self.since.replace("T", " ")[:16]
        what = f"（{self.purpose}）" if self.purpose else ""
        return f"{who}在计算机“{self.host}”上（系统用户 {self.user}，进程 {self.pid}）自 {since} 起正在使用{what}"

    @property
    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()


class LockHeldError(DatabaseOpenError):
    """Another instance has the database open for writing."""

    def __init__(self, db_path: Path, info: LockInfo | None, *, can_force: bool = False) -> None:
        who = info.describe() if info else "另一个明白卡程序正在使用"
        super().__init__(f"数据库“{db_path}”正被占用：{who}。", path=str(db_path), kind="locked")
        self.info = info
        self.can_force = can_force


class LockUnavailableError(DatabaseOpenError):
    """The lock file cannot be created (read-only folder, no permission)."""

    def __init__(self, db_path: Path, reason: str) -> None:
        super().__init__(
            f"无法在数据库所在文件夹创建锁文件（{reason}），只能以只读方式打开“{db_path}”。",
            path=str(db_path),
            kind="lock_unavailable",
        )


def lock_path(db_path: Path | str) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + LOCK_SUFFIX)


def pid_alive(pid: int) -> bool:
    """Is process ``pid`` running on this computer?"""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _os_lock(fd: int) -> bool | None:
    """Try to take the OS lock without waiting: True taken, False held elsewhere,
    None when the file system does not support locking."""
    try:
        if os.name == "nt":  # pragma: no cover - Windows only
            import msvcrt

            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES, errno.EDEADLK):
            return False
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
            return None
        raise
    return True


def _os_unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if os.name == "nt":  # pragma: no cover - Windows only
            import msvcrt

            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


def _read_info(fd: int) -> LockInfo | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 65536)
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
        if not isinstance(data, dict):
            return None
        return LockInfo(
            user=str(data.get("user", "")), host=str(data.get("host", "")), pid=int(data.get("pid", 0)),
            since=str(data.get("since", "")), operator=str(data.get("operator", "")),
            purpose=str(data.get("purpose", "")),
        )
    except (OSError, ValueError, TypeError):
        return None


def _write_info(fd: int, info: LockInfo) -> None:
    data = json.dumps(asdict(info), ensure_ascii=False).encode("utf-8")
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)
    with contextlib.suppress(OSError):
        os.fsync(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _me(operator: str, purpose: str) -> LockInfo:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some service environments
        user = "?"
    return LockInfo(user=user, host=socket.gethostname(), pid=os.getpid(),
                    since=datetime.now().isoformat(timespec="seconds"), operator=operator, purpose=purpose)


class DatabaseLock:
    """A held lock; :meth:`release` (or leaving the ``with`` block) frees it.

    ``previous``: what a stale lock file said (a session that ended abnormally), else None.
    """

    def __init__(self, db_path: Path, fd: int, info: LockInfo, previous: LockInfo | None, os_locked: bool) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self.info = info
        self.previous = previous
        self._fd: int | None = fd
        self._os_locked = os_locked

    @property
    def held(self) -> bool:
        return self._fd is not None

    def update(self, *, operator: str | None = None, purpose: str | None = None) -> None:
        """Record the operator after login (so a second instance can name them)."""
        if self._fd is None:
            return
        if operator is not None:
            self.info.operator = operator
        if purpose is not None:
            self.info.purpose = purpose
        with contextlib.suppress(OSError):
            _write_info(self._fd, self.info)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # POSIX: unlink while still locked, so a waiting process re-checks the inode.
        if os.name != "nt":
            with contextlib.suppress(OSError):
                if _same_file(fd, self.path):
                    self.path.unlink()
        else:  # pragma: no cover - Windows cannot delete an open file
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        if self._os_locked:
            _os_unlock(fd)
        os.close(fd)
        if os.name == "nt":  # pragma: no cover
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # a forgotten lock is released with its object
        with contextlib.suppress(Exception):
            self.release()


def acquire(db_path: Path | str, *, operator: str = "", purpose: str = "编辑", force: bool = False) -> DatabaseLock:
    """Take the writer lock of ``db_path``.

    Raises :class:`LockHeldError` (with the holder's :class:`LockInfo`) when another live
    instance holds it, :class:`LockUnavailableError` when no lock file can be made there.
    ``force=True`` takes over a lock whose holder cannot be checked (another computer, on
    a file system without OS locks); it never overrides a live OS lock.
    """
    db_path = Path(db_path).expanduser().resolve()
    path = lock_path(db_path)
    for _attempt in range(5):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            reason = "文件夹只读或没有权限" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else str(exc)
            raise LockUnavailableError(db_path, reason) from exc
        try:
            state = _os_lock(fd)
            previous = _read_info(fd)
            if state is False:
                raise LockHeldError(db_path, previous)
            if state is True and not _same_file(fd, path):
                _os_unlock(fd)  # the holder released (and removed) it meanwhile: try again
                os.close(fd)
                continue
            if state is None and previous is not None and previous.pid != os.getpid():
                if previous.on_this_host:
                    if pid_alive(previous.pid):
                        raise LockHeldError(db_path, previous)
                elif not force:
                    raise LockHeldError(db_path, previous, can_force=True)
            me = _me(operator, purpose)
            _write_info(fd, me)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        return DatabaseLock(db_path, fd, me, previous, os_locked=state is True)
    raise LockHeldError(db_path, None)


def holder(db_path: Path | str) -> LockInfo | None:
    """Who holds the writer lock of ``db_path`` right now (None: nobody). Never creates files."""
    path = lock_path(Path(db_path).expanduser().resolve())
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
    try:
        info = _read_info(fd)
        state = _os_lock(fd)
        if state is True:
            _os_unlock(fd)
            return None
        if state is False:
            return info or LockInfo(user="?", host="?", pid=0, since="")
        if info is None:
            return None
        if info.on_this_host and not pid_alive(info.pid):
            return None
        return info
    finally:
        os.close(fd)
