"""The same work on PostgreSQL and on SQLite, same demo data (same seed), same machine, same run.
*Ours* is PostgreSQL (the server from `.ci/start-postgres`: PostgreSQL 15 on loopback, `fsync` off,
default server memory settings; the program asks for `work_mem` 16 MB on its connections), the *baseline* is the SQLite file, so the ratio is PG / SQLite. The
PostgreSQL database `mbbench_…` is created for the run, filled by the demo generator, `ANALYZE`d (as
autovacuum would do within a minute of a bulk load) and dropped afterwards.
**Search** replays what clerks type — Chinese names, full pinyin, pinyin initials, the last digits of an
ID number, phones, 户编号 — one keystroke at a time from the second character (so the broad two-letter
prefixes `zh`, `wa`, `li` … are in the mix; digit strings shorter than four are left out, as the
browser does), each keystroke being what the household browser asks: every matching id in the default
order (`search.match_ids`) plus the list columns of the first screen (`search.fetch_rows`, 30 rows).
Every keystroke's id list is compared between the two databases (they must be equal). Two- and
one-character terms cannot use PostgreSQL's trigram index (a trigram needs three characters) and are
reported separately. **Export** is the full exchange workbook (`export_database`, checks off), each in
its own subprocess. Without a PostgreSQL server (`MINGBAIKA_TEST_PG_URL` or `MINGBAIKA_BENCH_PG_URL`)
the case reports that it skipped. The machine is shared by several developers' test runs, so absolute
numbers are noisy; the two backends run interleaved, keystroke by keystroke, to keep the ratio fair."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from benchmarks.runner import Context, Result

NAME = "backends"
TITLE = "PostgreSQL vs SQLite: search and exchange export"
PG_ENV = ("MINGBAIKA_BENCH_PG_URL", "MINGBAIKA_TEST_PG_URL")
FIRST_SCREEN = 30
LOOKUPS = 30


def server_url() -> str | None:
    for name in PG_ENV:
        if os.environ.get(name):
            return os.environ[name]
    return None


def keystrokes(query: str) -> list[str]:
    """What the box holds while ``query`` is typed, from the second character (Chinese arrives whole)."""
    if not query.isascii():
        return [query]
    typed = [query[:i] for i in range(2, len(query) + 1)]
    return [t for t in typed if not (t.rstrip("xX").isdigit() and len(t) < 4)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * (len(ordered) - 1))))]


def lookups(session, rng: random.Random, n: int = LOOKUPS) -> list[str]:  # noqa: ANN001 - Session
    """Realistic look-ups for households that exist (the same picks on both databases)."""
    from sqlalchemy import select

    from db.models import Household, Member
    from desktop.core.pinyin import search_key

    heads = session.execute(
        select(Member.name, Member.id_number, Household.phone, Household.household_number)
        .join(Household, Household.id == Member.household_id)
        .where(Member.relation == "户主").order_by(Member.id)).all()
    out = []
    for i, (name, id_number, phone, number) in enumerate(rng.sample(heads, n)):
        variants = search_key(name).split()
        pick = [variants[-1],  # initials, e.g. zs
                variants[1] if len(variants) > 1 else name,  # full pinyin
                name,  # Chinese
                (id_number or "")[-6:],  # last digits of the ID
                phone or (id_number or "")[-4:],
                number or name][i % 6]
        if pick:
            out.append(pick)
    return out


def _search_once(session, text: str) -> tuple[float, list[str]]:  # noqa: ANN001
    from desktop.core import search

    start = time.perf_counter()
    ids = search.match_ids(session, search.Filters(text=text))
    search.fetch_rows(session, ids[:FIRST_SCREEN])
    elapsed = time.perf_counter() - start
    return elapsed, list(search.uuids_of(session, ids[:FIRST_SCREEN]).values()) + [str(len(ids))]


def measure_search(sqlite_location, pg_location, seed: int = 1) -> dict:  # noqa: ANN001
    """Interleaved keystroke timings on both databases; raises if they disagree."""
    from db.session import open_database

    lite, pg = open_database(sqlite_location), open_database(pg_location)
    try:
        with lite.session() as ls, pg.session() as ps:
            queries = lookups(ls, random.Random(seed))
            strokes = [k for q in queries for k in keystrokes(q)]
            for text in strokes[:5]:  # warm caches and compiled statements on both
                _search_once(ls, text), _search_once(ps, text)
            times: dict[str, dict[str, list[float]]] = {"sqlite": {}, "postgresql": {}}
            for text in strokes:
                size = "short" if len(text) < 3 else "long"
                t_lite, found_lite = _search_once(ls, text)
                t_pg, found_pg = _search_once(ps, text)
                if found_lite != found_pg:
                    raise AssertionError(f"search {text!r} differs: SQLite {found_lite[-1]} rows, PG {found_pg[-1]}")
                times["sqlite"].setdefault(size, []).append(t_lite)
                times["postgresql"].setdefault(size, []).append(t_pg)
                times["sqlite"].setdefault("all", []).append(t_lite)
                times["postgresql"].setdefault("all", []).append(t_pg)
    finally:
        lite.dispose()
        pg.dispose()
    return {"times": times, "lookups": len(queries), "strokes": len(strokes)}


def _child(op: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cases.backends", op, *args], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2])
    if proc.returncode != 0:
        raise RuntimeError(f"{op} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(ctx: Context) -> list[Result]:
    url = server_url()
    if url is None:
        return [Result("skipped: no PostgreSQL server (set MINGBAIKA_TEST_PG_URL, e.g. "
                       "eval \"$(.ci/start-postgres)\")", 0.0, notes="nothing measured", skipped=True)]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(url)
    name = f"mbbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    pg_url = server.set(database=name).render_as_string(hide_password=False)
    try:
        lite_path = ctx.demo_db()
        fill = _child("fill", pg_url, str(ctx.households), str(ctx.seed))
        s = measure_search(lite_path, pg_url, ctx.seed)
        exp_pg = _child("export", pg_url, str(ctx.workdir / "pg.xlsx"))
        exp_lite = _child("export", str(lite_path), str(ctx.workdir / "sqlite.xlsx"))
        if exp_pg["rows"] != exp_lite["rows"]:
            raise AssertionError(f"exports differ: {exp_pg['rows']} vs {exp_lite['rows']}")
        sizes = {k: _child("size", str(lite_path) if k == "sqlite" else pg_url)["mb"] for k in ("sqlite", "postgresql")}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    ms = 1000.0
    t = s["times"]
    label = f"{ctx.households:,} households"
    results = []
    for key, what in (("all", "every keystroke"), ("long", "keystrokes of 3+ characters (trigram index)"),
                      ("short", "keystrokes of 2 characters (no trigram: scan)")):
        pg_t, lite_t = t["postgresql"].get(key, []), t["sqlite"].get(key, [])
        if not pg_t:
            continue
        results.append(Result(f"{label}: search, {what}, p50", statistics.median(pg_t) * ms,
                              statistics.median(lite_t) * ms, "SQLite", unit="ms",
                              notes=f"{len(pg_t)} keystrokes of {s['lookups']} look-ups, same results on both"))
        results.append(Result(f"{label}: search, {what}, p95", percentile(pg_t, 0.95) * ms,
                              percentile(lite_t, 0.95) * ms, "SQLite", unit="ms",
                              notes=f"max PG {max(pg_t) * ms:.0f} ms, SQLite {max(lite_t) * ms:.0f} ms"))
    rows = sum(v for k, v in exp_pg["rows"].items())
    results.append(Result(f"{label}: full exchange export ({rows:,} rows incl. 花名册)", exp_pg["seconds"],
                          exp_lite["seconds"], "SQLite",
                          notes=f"same row counts; peak RSS PG {exp_pg['peak_mb']:.0f} MB, "
                                f"SQLite {exp_lite['peak_mb']:.0f} MB"))
    results.append(Result(f"{label}: demo generation into PostgreSQL (then ANALYZE)", fill["seconds"], None,
                          notes=f"database size PG {sizes['postgresql']:.0f} MB, SQLite file {sizes['sqlite']:.0f} MB; "
                                f"search index on PG: {fill['index']}"))
    return results


# ----------------------------------------------------------------------------- child processes

def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fill(location: str, households: str, seed: str) -> dict:
    from sqlalchemy import text

    from db.dialects import for_dialect
    from db.session import open_database
    from desktop.core.demo import DemoOptions, generate

    db = open_database(location)
    start = time.perf_counter()
    with db.session() as session:
        generate(session, DemoOptions(households=int(households), seed=int(seed)))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    seconds = time.perf_counter() - start
    with db.session() as session:
        kind = for_dialect(session).search_index_kind(session)
    db.dispose()
    return {"seconds": seconds, "index": kind}


def _export(location: str, out: str) -> dict:
    from db.session import open_database
    from desktop.core.exchange.export import ExportOptions, export_database

    db = open_database(location)
    start = time.perf_counter()
    result = export_database(db, out, ExportOptions(run_checks=False))
    seconds = time.perf_counter() - start
    db.dispose()
    return {"seconds": seconds, "rows": result.row_counts, "peak_mb": _peak_mb()}


def _size(location: str) -> dict:
    from sqlalchemy import text

    from db.engine import make_engine
    from db.session import sqlite_path

    path = sqlite_path(location)
    if path is not None:
        return {"mb": path.stat().st_size / 1e6}
    engine = make_engine(location)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return {"mb": size / 1e6}


OPS = {"fill": _fill, "export": _export, "size": _size}

if __name__ == "__main__":
    print(json.dumps(OPS[sys.argv[1]](*sys.argv[2:]), ensure_ascii=False, default=str))
