"""One writer: the lock names its holder, dies with its process, and is never silently overridden."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from db import lock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "mingbaika.sqlite3"
    path.write_bytes(b"")
    return path


def test_second_acquire_is_told_who_holds_it(db_file: Path) -> None:
    held = lock.acquire(db_file, operator="张三")
    try:
        with pytest.raises(lock.LockHeldError) as info:
            lock.acquire(db_file, operator="李四")
        message = str(info.value)
        assert info.value.kind == "locked"
        assert "张三" in message and socket.gethostname() in message and str(os.getpid()) in message
        assert info.value.info.operator == "张三" and not info.value.can_force
        assert lock.holder(db_file).operator == "张三"
        data = json.loads(lock.lock_path(db_file).read_text(encoding="utf-8"))
        assert {"user", "host", "pid", "since"} <= set(data)
    finally:
        held.release()
    assert lock.holder(db_file) is None
    assert not lock.lock_path(db_file).exists()
    again = lock.acquire(db_file)
    again.release()


def test_update_records_the_operator_after_login(db_file: Path) -> None:
    with lock.acquire(db_file) as held:
        held.update(operator="王芳")
        assert lock.holder(db_file).operator == "王芳"


HOLDER = """
import sys, time
from db import lock
held = lock.acquire(sys.argv[1], operator="进程持有者")
print("locked", flush=True)
time.sleep(60)
"""


def test_lock_of_a_killed_process_is_stale_and_taken_over(db_file: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_file)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(lock.LockHeldError, match="进程持有者"):
            lock.acquire(db_file)
        assert lock.holder(db_file).pid == proc.pid
    finally:
        proc.kill()  # SIGKILL: no chance to clean up; the file stays behind
        proc.wait()
    assert lock.lock_path(db_file).exists()
    assert lock.holder(db_file) is None
    with lock.acquire(db_file, operator="新用户") as held:
        assert held.previous is not None and held.previous.pid == proc.pid  # reported as a stale session


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_lock(db_file: Path, *, host: str, pid: int, operator: str = "旧会话") -> None:
    data = {"user": "clerk", "host": host, "pid": pid, "since": "2026-11-30T08:00:00", "operator": operator}
    lock.lock_path(db_file).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_without_os_locks_a_dead_pid_on_this_host_is_stale(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock, "_os_lock", lambda fd: None)  # e.g. a network share without locking
    write_lock(db_file, host=socket.gethostname(), pid=dead_pid())
    assert lock.holder(db_file) is None
    with lock.acquire(db_file) as held:
        assert held.previous.operator == "旧会话"


def test_without_os_locks_a_live_pid_on_this_host_is_respected(db_file: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock, "_os_lock", lambda fd: None)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        write_lock(db_file, host=socket.gethostname(), pid=proc.pid)
        with pytest.raises(lock.LockHeldError, match="旧会话"):
            lock.acquire(db_file, force=True)  # force never overrides a live process on this computer
    finally:
        proc.kill()
        proc.wait()


def test_without_os_locks_another_computer_needs_force(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock, "_os_lock", lambda fd: None)
    write_lock(db_file, host="乡镇办公室-PC2", pid=12345)
    with pytest.raises(lock.LockHeldError) as info:
        lock.acquire(db_file)
    assert info.value.can_force and "乡镇办公室-PC2" in str(info.value)
    with lock.acquire(db_file, force=True) as held:
        assert held.previous.host == "乡镇办公室-PC2"


def test_read_only_folder_means_no_lock(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = db_file.parent
    folder.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root may write anyway: simulate the refusal
            real_open = os.open

            def refuse(path, flags, *a):
                if str(path).endswith(lock.LOCK_SUFFIX) and flags & os.O_CREAT:
                    raise PermissionError(errno.EACCES, "Permission denied")
                return real_open(path, flags, *a)

            monkeypatch.setattr(lock.os, "open", refuse)
        with pytest.raises(lock.LockUnavailableError) as info:
            lock.acquire(db_file)
        assert info.value.kind == "lock_unavailable" and "只读方式" in str(info.value)
    finally:
        folder.chmod(0o755)


def test_pid_alive() -> None:
    assert lock.pid_alive(os.getpid())
    assert not lock.pid_alive(dead_pid())
    assert not lock.pid_alive(0)
