"""What data safety costs. **Open check**: `inspect_file` (read-only look + `PRAGMA quick_check`) against the
bare pragma on a plain `sqlite3` connection, and a whole `open_database` with and without the check.
**Backup**: `backup_now` (online backup API, `quick_check` of the copy, fsync, rotation) against the bare
`Connection.backup` into a new file. **Restore**: `restore` (checks the backup, backs up the current file
first, copies and verifies, `os.replace`) against `shutil.copyfile` of the backup over the database.
**Flush guard**: the same ORM insert of 400 households × 4 members with the control-character / length guard
on and off. **Password hash**: one `scrypt` hash (N=2^15, r=8: 32 MiB) against PBKDF2-SHA256 with OWASP's
600,000 iterations. Files are in the OS cache (warm), so disk speed of an old PC is not measured; a cold
`quick_check` reads the whole file once."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import time

from benchmarks.runner import Context, Result, timed


def best(fn, repeat: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        seconds, _ = timed(fn)
        times.append(seconds)
    return min(times)


NAME = "data_safety"
TITLE = "Data safety: integrity check on open, backup, restore, flush guard, password hashing"


def run(ctx: Context) -> list[Result]:
    from datetime import date

    from sqlalchemy import select

    from db import backup
    from db.models import Household, Member, Village
    from db.session import inspect_file, open_database
    from desktop.core import accounts

    source = ctx.demo_db()
    work = ctx.workdir / "safety.sqlite3"
    shutil.copyfile(source, work)
    open_database(work).dispose()  # at head, WAL checkpointed
    size_mb = work.stat().st_size / 1e6
    results = []

    # --- the check on open
    def bare_check() -> None:
        con = sqlite3.connect(work)
        con.execute("PRAGMA quick_check").fetchall()
        con.close()

    ours = best(lambda: inspect_file(work))
    results.append(Result(f"integrity check on open ({size_mb:.0f} MB file)", ours, best(bare_check),
                          "bare PRAGMA quick_check"))
    ours = best(lambda: open_database(work).dispose())
    base = best(lambda: open_database(work, integrity=False).dispose())
    results.append(Result("open_database with the check", ours, base, "open_database(integrity=False)"))

    # --- backup
    settings = backup.BackupSettings(folder=str(ctx.workdir / "backups"))
    made = []

    def ours_backup() -> None:
        made.append(backup.backup_now(work, "manual", settings=settings))

    def bare_backup() -> None:
        target = ctx.workdir / f"bare-{time.perf_counter_ns()}.sqlite3"
        src, dst = sqlite3.connect(work), sqlite3.connect(target)
        src.backup(dst)
        dst.close()
        src.close()
        target.unlink()

    results.append(Result("backup_now (copy + verify + fsync + rotate)", best(ours_backup, 2), best(bare_backup, 2),
                          "bare Connection.backup", notes=f"{made[-1].size / 1e6:.0f} MB backup"))

    # --- restore
    keep = made[-1].path

    def ours_restore() -> None:
        backup.restore(work, keep, settings=settings)

    def bare_restore() -> None:
        shutil.copyfile(keep, work)

    results.append(Result("restore (check backup, back up current, copy, verify, replace)", best(ours_restore, 2),
                          best(bare_restore, 2), "shutil.copyfile over the database",
                          notes="includes a full backup of the current file"))

    # --- the flush guard
    db = open_database(work)

    def insert(guard: bool) -> float:
        with db.session() as s:
            s.info["validation_disabled"] = not guard
            village = s.scalars(select(Village).limit(1)).one()
            started = time.perf_counter()
            for i in range(400):
                hh = Household(village=village, household_number=f"B{guard:d}{i:05d}", address="泌水镇基准测试村一组")
                for j in range(4):
                    hh.members.append(Member(name=f"基准{i}{j}", sex="男", relation="户主" if j == 0 else "之子",
                                             seq=j + 1, birth_date=date(1980, 1, 1), note="备注"))
                s.add(hh)
            s.flush()
            elapsed = time.perf_counter() - started
            s.rollback()
        return elapsed

    insert(True)  # warm up
    on, off = [], []
    for _ in range(4):  # interleaved, so load from elsewhere hits both alike
        on.append(insert(True))
        off.append(insert(False))
    results.append(Result("ORM insert 400 households × 4 members, guard on", min(on), min(off),
                          "the same, guard off", notes="noisy: the difference is within run-to-run spread"))
    from desktop.core.validation import check_object

    objects = [Member(name=f"基准{i}", sex="男", relation="之子", seq=1, note="备注") for i in range(1600)]
    objects += [Household(household_number=f"B{i:05d}", address="泌水镇基准测试村一组") for i in range(400)]

    def guard_alone() -> None:
        for obj in objects:
            check_object(obj)

    results.append(Result("the guard's own checks of those 2,000 objects", best(guard_alone), min(off),
                          "the insert they guard", notes="ratio = the guard's share of an insert"))
    db.dispose()

    # --- password hashing
    ours = best(lambda: accounts.hash_password("扶贫办2017"))
    base = best(lambda: hashlib.pbkdf2_hmac("sha256", b"password", os.urandom(16), 600_000))
    results.append(Result("one password hash (scrypt N=2^15, r=8)", ours, base, "PBKDF2-SHA256 600k iterations",
                          notes="the login checks one hash"))
    return results
