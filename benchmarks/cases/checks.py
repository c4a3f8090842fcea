"""The data-quality checks over the whole demo database (`run_checks`, every rule, the way the 问题清单 and
`mingbaika-cli check` run them) beside a baseline that only fetches the same columns of the same tables with bare
`sqlite3` (`fetchall`, no rules, no objects) — so the ratio is the price of the 125 rules and of building the
data set on top of reading the rows. Best of two runs after a warm-up on a small database (both runs are in the
notes). The machine (2 cores) is shared with other developers' test runs, so absolute times are noisy. The single-household check is what the card editor runs on save (`check_household`, median of
100 households), beside loading the same household with its members through the ORM. The run with one fault of
each kind planted checks that every planted fault is found (the counts in the notes)."""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import time

from benchmarks.runner import Context, Result, timed

NAME = "checks"
TITLE = "Data-quality checks (问题清单)"


def _baseline_sql() -> list[str]:
    from desktop.core.checks import settings as check_settings
    from desktop.core.checks.data import needed_columns
    from desktop.core.checks.engine import enabled_rules

    wanted = needed_columns(enabled_rules(check_settings.load(None)))
    out = []
    for table in ("household", "member", "helper", "assignment", "income_record", "exit_assessment"):
        cols = ", ".join(sorted(wanted.get(table, ())))
        if cols:
            out.append(f"SELECT {cols} FROM {table}")
    out.append("SELECT household_id, count(*) FROM visit GROUP BY household_id")
    return out


def run(ctx: Context) -> list[Result]:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from db.models import Household
    from db.session import open_database
    from desktop.core.checks import RULES, check_household, run_checks
    from desktop.core.checks import demo_faults as faults

    path = ctx.demo_db()
    small = ctx.demo_db(300) if ctx.households != 300 else path
    warm = open_database(small)
    with warm.session() as s:
        run_checks(s)
    warm.dispose()

    db = open_database(path)
    times, count = [], 0
    for _ in range(2):
        with db.session() as s:
            seconds, problems = timed(lambda s=s: run_checks(s))
        times.append(seconds)
        count = len(problems)
    ours = min(times)

    statements = _baseline_sql()

    def baseline() -> int:
        con = sqlite3.connect(path)
        rows = sum(len(con.execute(sql).fetchall()) for sql in statements)
        con.close()
        return rows

    baseline()  # same warm file cache as ours
    base_s = min(timed(baseline)[0] for _ in range(2))

    with db.session() as s:
        uuids = list(s.scalars(select(Household.uuid).order_by(Household.id).limit(100)))
        single, orm = [], []
        for uuid in uuids:
            start = time.perf_counter()
            h = s.scalar(select(Household).where(Household.uuid == uuid).options(selectinload(Household.members)))
            _ = len(h.members)
            orm.append(time.perf_counter() - start)
            s.expire_all()
            h = s.scalar(select(Household).where(Household.uuid == uuid))
            start = time.perf_counter()
            check_household(s, h)
            single.append(time.perf_counter() - start)
            s.expire_all()
    db.dispose()

    planted_path = ctx.workdir / "checks-planted.sqlite3"
    shutil.copyfile(path, planted_path)
    pdb = open_database(planted_path)
    with pdb.session() as s:
        planted = faults.plant_all(s, 2017)
    pdb.dispose()
    planted.append(faults.plant_orphan(str(planted_path)))
    pdb = open_database(planted_path)
    planted_runs = []
    for _ in range(2):
        with pdb.session() as s:
            seconds, found = timed(lambda s=s: run_checks(s))
        planted_runs.append(seconds)
    planted_s = min(planted_runs)
    pdb.dispose()
    wanted = {(p.rule, p.entity_uuid) for p in planted}
    got = {(p.rule_id, p.entity_uuid) for p in found}
    con = sqlite3.connect(path)
    members = con.execute("SELECT count(*) FROM member").fetchone()[0]
    con.close()
    return [
        Result(f"full run, {len(RULES)} rules, {ctx.households:,} households / {members:,} people", ours, base_s,
               "bare sqlite3 fetch of the same columns",
               notes=f"{count} problems on clean demo data; runs {', '.join(f'{t:.2f}' for t in times)} s"),
        Result("check one household (card editor save), median of 100", statistics.median(single),
               statistics.median(orm), "ORM load of the household with members",
               notes=f"max {max(single) * 1000:.0f} ms"),
        Result(f"full run with {len(planted)} planted faults", planted_s, None,
               notes=f"{len(wanted & got)}/{len(wanted)} planted faults found, {len(got - wanted)} other problems; "
                     f"runs {', '.join(f'{t:.2f}' for t in planted_runs)} s"),
    ]
