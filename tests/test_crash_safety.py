"""Crash safety, proven by killing: SIGKILL a process in the middle of an import-like bulk
write and of a batch of ORM edits, 25 random points each. Every time, the database opens,
passes ``PRAGMA integrity_check`` and holds either all or none of the interrupted work.

To keep 50 kills fast, one helper process (a "zygote") imports the program once and
forks a fresh worker for every run; the test kills the worker with SIGKILL at a random
moment (seeded, printed on failure) between its start and a little after the time an
uninterrupted run takes, so kills land before, during and after the commit. The zygote
reaps a worker only when told to, so a kill can never hit a recycled process id.

What SIGKILL proves: the transaction is atomic when the *process* dies at any instant.
It does not simulate losing power (the OS still writes out its cache); that relies on
SQLite's WAL with ``synchronous=FULL`` (``db/engine.py``) and a disk that honours fsync.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.session import open_database

ROOT = Path(__file__).resolve().parents[1]
KILLS = 25
SEED = int(os.environ.get("MINGBAIKA_CRASH_SEED", "20261130"))
IMPORT_HOUSEHOLDS = 150
EDIT_HOUSEHOLDS = 200

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill test forks workers (POSIX)"),
]

ZYGOTE = r'''
import os, sys
from datetime import date
from sqlalchemy import select
from db.session import open_database
from db.models import ExchangeLog, Household, Member, Village, Visit
import desktop.core  # the same flush listeners as the program (search keys, validation guard)


def say(text):
    os.write(1, (text + "\n").encode())


def import_like(path, marker, n):
    """One transaction, like an import: n households with members, and the exchange log row."""
    db = open_database(path)
    with db.session() as s:
        s.info["operator"] = "crash-test"
        village = s.scalars(select(Village).limit(1)).one()
        for i in range(n):
            hh = Household(village=village, household_number=f"{marker}-{i:04d}", local_number=marker,
                           address="泌水镇崩溃测试村")
            for j, relation in enumerate(("户主", "配偶", "之子")):
                hh.members.append(Member(name=f"测试{i}{j}", sex="男" if j != 1 else "女", relation=relation,
                                         seq=j + 1))
            s.add(hh)
            if i % 25 == 24:
                s.flush()  # dirty pages reach the WAL long before the commit
                say(f"progress {i + 1}")
        s.add(ExchangeLog(direction="import", file_name=f"{marker}.xlsx", summary=marker, operator="crash-test"))
        say("committing")
    say("committed")


def edit_batch(path, marker, n):
    """One transaction of ORM edits: change n households and add a visit to each."""
    db = open_database(path)
    with db.session() as s:
        s.info["operator"] = "crash-test"
        households = s.scalars(select(Household).order_by(Household.id).limit(n)).all()
        for i, hh in enumerate(households):
            hh.local_number = marker
            hh.phone = "139" + marker[-8:]
            s.add(Visit(household=hh, visited_on=date(2017, 6, 1), content=marker, visitor="崩溃测试"))
            if i % 40 == 39:
                s.flush()
                say(f"progress {i + 1}")
        say("committing")
    say("committed")


for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "quit":
        break
    kind, path, marker, n = parts[0], parts[1], parts[2], int(parts[3])
    pid = os.fork()
    if pid == 0:
        try:
            (import_like if kind == "import" else edit_batch)(path, marker, n)
        except BaseException as exc:
            say(f"error {type(exc).__name__}: {exc}")
            os._exit(1)
        os._exit(0)
    say(f"pid {pid}")
    sys.stdin.readline()  # "reap": only now may the pid be recycled
    _, status = os.waitpid(pid, 0)
    say(f"exit {status}")
'''


class Zygote:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def start(self, kind: str, path: Path, marker: str, n: int) -> int:
        self.proc.stdin.write(f"{kind} {path} {marker} {n}\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, "the zygote died"
            if line.startswith("pid "):
                return int(line.split()[1])

    def wait_for(self, word: str) -> list[str]:
        """Read the worker's lines up to ``word`` (it is still running, or has just finished)."""
        lines = []
        while True:
            line = self.proc.stdout.readline()
            assert line, "the zygote died"
            lines.append(line.strip())
            if line.strip() == word or line.startswith("error"):
                return lines

    def reap(self) -> list[str]:
        """Let the zygote wait for the worker; the worker's own lines and the exit status."""
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            assert line, "the zygote died"
            lines.append(line.strip())
            if line.startswith("exit "):
                return lines

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


@pytest.fixture(scope="module")
def zygote():
    z = Zygote()
    yield z
    z.close()


def check(path: Path, marker: str, full: list[int], count_sql: list[str]) -> int:
    """Open like the program (inspection + quick_check), run integrity_check, return how much
    of the work is there; fail unless it is all or nothing."""
    db = open_database(path)
    db.dispose()
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = [con.execute(sql, (marker,)).fetchone()[0] for sql in count_sql]
    finally:
        con.close()
    assert counts in ([0] * len(counts), full), f"partial work for {marker}: {counts} (all = {full})"
    return counts[0]


IMPORT_COUNTS = [
    "SELECT count(*) FROM household WHERE local_number = ?",
    "SELECT count(*) FROM member m JOIN household h ON m.household_id = h.id WHERE h.local_number = ?",
    "SELECT count(*) FROM exchange_log WHERE summary = ?",
]
EDIT_COUNTS = [
    "SELECT count(*) FROM household WHERE local_number = ?",
    "SELECT count(*) FROM visit WHERE content = ?",
]


def run_scenario(zygote: Zygote, tmp_path: Path, demo_db_file: Path, kind: str) -> tuple[int, int]:
    path = tmp_path / f"{kind}.sqlite3"
    shutil.copyfile(demo_db_file, path)
    open_database(path).dispose()  # at the current schema before any worker starts
    n = IMPORT_HOUSEHOLDS if kind == "import" else EDIT_HOUSEHOLDS
    counts = IMPORT_COUNTS if kind == "import" else EDIT_COUNTS
    full = [n, 3 * n, 1] if kind == "import" else [n, n]  # households, members / visits, log row

    # uninterrupted runs: they must complete, and they tell how long a run takes
    durations = []
    for attempt in range(2):
        started = time.perf_counter()
        zygote.start(kind, path, f"{kind}-full{attempt}", n)
        lines = zygote.wait_for("committed")
        durations.append(time.perf_counter() - started)
        lines += zygote.reap()
        assert lines[-1] == "exit 0" and "committed" in lines, lines
        assert check(path, f"{kind}-full{attempt}", full, counts) == n
    duration = min(durations)

    rng = random.Random(f"{SEED}-{kind}")
    outcomes = {"none": 0, "all": 0}
    phases = {"before_commit": 0, "during_commit": 0, "after_commit": 0}
    for k in range(KILLS):
        marker = f"{kind}-{k:02d}-{rng.randrange(10**8):08d}"
        delay = rng.uniform(0.0, duration * 1.1)
        pid = zygote.start(kind, path, marker, n)
        seen: list[str] = []
        if k % 3 == 2:  # every third kill aims at the commit itself
            seen = zygote.wait_for("committing")
            delay = rng.uniform(0.0, 0.004)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)  # a zombie (already finished) ignores it: fine
        lines = seen + zygote.reap()
        assert not any(line.startswith("error") for line in lines), lines
        got = check(path, marker, full, counts)
        outcomes["all" if got else "none"] += 1
        phases["after_commit" if "committed" in lines else "during_commit" if "committing" in lines
               else "before_commit"] += 1
        if got:
            assert "committing" in lines  # all only when the worker got as far as the commit
    print(f"{kind}: run {duration:.2f} s, seed {SEED}, outcomes {outcomes}, kill phases {phases}")
    return outcomes["none"], outcomes["all"]


def test_kill_during_an_import_like_bulk_write(zygote: Zygote, tmp_path: Path, demo_db_file: Path) -> None:
    none, all_ = run_scenario(zygote, tmp_path, demo_db_file, "import")
    assert none + all_ == KILLS
    assert none >= 5, f"too few kills landed before the commit (seed {SEED}): none={none} all={all_}"


def test_kill_during_a_batch_of_orm_edits(zygote: Zygote, tmp_path: Path, demo_db_file: Path) -> None:
    none, all_ = run_scenario(zygote, tmp_path, demo_db_file, "edits")
    assert none + all_ == KILLS
    assert none >= 5, f"too few kills landed before the commit (seed {SEED}): none={none} all={all_}"
