"""County consolidation of 20 township workbooks. Setup (not timed): 20 demo townships of N/20 households
each (different township codes and seeds), each exported to its own exchange workbook, two at a time.
**Ours** (`desktop.core.county.consolidate`, one subprocess, so its peak memory is its own): read every
workbook with python-calamine, check every cell, verify the digest, compare with the county database,
take all 20 in one transaction, run the cross-township duplicate checks, export the county workbook
(every entity sheet plus the 花名册, all townships), read it back with calamine and reconcile every
township and sheet, and write the problems workbook. **Baseline**: pandas (`pip install pandas`; the
benchmark's only use of it — it is not a dependency of the app or of any extra) reads the same 13 sheets
of every file with `read_excel` (its default engine for .xlsx, openpyxl), `concat`s them per sheet and
writes them with `to_excel` (openpyxl) — no checks, no database, no duplicates, no reconciliation. The
second row replaces the baseline's reader by `read_excel(engine="calamine")` (pandas' own fast reader);
only that read is measured again, the concat + to_excel part is the first baseline's measured time (the
same frames). The third row re-runs ours with the same 20 files: every file is read and its digest
verified, all are found identical and nothing is written."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.runner import Context, Result

NAME = "consolidate"
TITLE = "County consolidation: 20 township workbooks"
TOWNSHIPS = 20
ROOT = Path(__file__).resolve().parents[2]
NAMES = ("泌水镇", "羊册镇", "沙河店镇", "板桥镇", "马谷田镇", "春水镇", "花园乡", "郭集乡", "象河乡", "王店乡", "付庄乡",
         "黄山口乡", "贾楼乡", "高店乡", "泰山庙乡", "下碑寺乡", "铜山乡", "高邑乡", "陈庄乡", "杨家集乡")


def township_codes() -> list[tuple[str, str]]:
    codes = []
    for i, name in enumerate(NAMES):
        segment = 100 + i if name.endswith("镇") else 200 + i
        codes.append((f"411726{segment:03d}000", name))
    return codes


def _child(op: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cases.consolidate", op, *args], capture_output=True,
                          text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{op} failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def make_files(folder: Path, households: int, seed: int = 1) -> list[Path]:
    """The 20 township workbooks (two townships built at a time, each in its own process)."""
    per = max(1, households // TOWNSHIPS)
    jobs = [(str(folder / f"t{i:02d}.sqlite3"), str(folder / f"{code}-{name}.xlsx"), code, name, str(per), str(seed + i))
            for i, (code, name) in enumerate(township_codes())]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda job: _child("make_township", *job), jobs))
    return [Path(job[1]) for job in jobs]


def run(ctx: Context) -> list[Result]:
    folder = ctx.workdir / "townships"
    folder.mkdir(exist_ok=True)
    files = make_files(folder, ctx.households, ctx.seed)
    file_args = [str(f) for f in files]
    county = ctx.workdir / "county.sqlite3"
    ours = _child("ours", str(county), str(ctx.workdir / "county.xlsx"), str(ctx.workdir / "problems.xlsx"), *file_args)
    again = _child("again", str(county), *file_args)
    base = _child("baseline", str(ctx.workdir / "pandas.xlsx"), *file_args)
    cal = _child("baseline_calamine_read", *file_args)
    mb = sum(f.stat().st_size for f in files) / 1e6
    rows = base["rows"]
    breakdown = "; ".join(f"{k} {v:.1f} s" for k, v in ours["timings"].items())
    derived = cal["seconds"] + base["concat_seconds"] + base["write_seconds"]
    return [
        Result(f"consolidate {TOWNSHIPS} workbooks, {ours['households']:,} households / {ours['members']:,} people "
               f"({rows:,} rows in 13 sheets, {mb:.0f} MB) into an empty county database, county workbook and "
               f"problems workbook", ours["seconds"], base["seconds"],
               "pandas read_excel (openpyxl) + concat + to_excel",
               notes=f"ours: {breakdown}; {ours['problems']} problems, reconciliation "
                     f"{'balanced' if ours['reconciled'] else 'NOT balanced'}; peak RSS ours {ours['peak_mb']:.0f} MB, "
                     f"pandas {base['peak_mb']:.0f} MB; pandas read {base['read_seconds']:.1f} s, concat "
                     f"{base['concat_seconds']:.1f} s, to_excel {base['write_seconds']:.1f} s"),
        Result("the same, baseline reading with pandas' calamine engine", ours["seconds"], derived,
               "pandas read_excel(engine='calamine') + the concat and to_excel times above",
               notes=f"calamine read {cal['seconds']:.1f} s (peak RSS {cal['peak_mb']:.0f} MB)"),
        Result(f"second run with the same {TOWNSHIPS} files (all read, digests verified, all identical)",
               again["seconds"], base["read_seconds"], "pandas read_excel (openpyxl) of the same sheets",
               notes=f"statuses: {again['statuses']}; peak RSS {again['peak_mb']:.0f} MB"),
    ]


# ----------------------------------------------------------------------------- child processes

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _make_township(db_path: str, out: str, code: str, name: str, households: str, seed: str) -> dict:
    from db.session import open_database
    from desktop.core.demo import DemoOptions, generate
    from desktop.core.exchange.export import ExportOptions, export_database

    db = open_database(db_path)
    with db.session() as session:
        generate(session, DemoOptions(households=int(households), seed=int(seed), township_code=code,
                                      township_name=name))
    export_database(db, out, ExportOptions(run_checks=False))
    db.dispose()
    return {"ok": True}


def _ours(county: str, out: str, problems: str, *files: str) -> dict:
    from sqlalchemy import func, select

    from db.models import Household, Member
    from db.session import open_database
    from desktop.core.county.consolidate import consolidate

    db = open_database(county)
    start = time.perf_counter()
    result = consolidate(db, files, out=out, problems_out=problems)
    seconds = time.perf_counter() - start
    with db.session() as s:
        households = s.scalar(select(func.count()).select_from(Household))
        members = s.scalar(select(func.count()).select_from(Member))
    db.dispose()
    return {"seconds": seconds, "timings": result.timings, "problems": len(result.problems),
            "reconciled": result.reconciliation.ok, "households": households, "members": members,
            "statuses": sorted({v.status for v in result.verdicts}), "peak_mb": _peak_mb()}


def _again(county: str, *files: str) -> dict:
    from db.session import open_database
    from desktop.core.county.consolidate import consolidate

    db = open_database(county)
    start = time.perf_counter()
    result = consolidate(db, files)
    seconds = time.perf_counter() - start
    db.dispose()
    return {"seconds": seconds, "statuses": ",".join(sorted({v.status for v in result.verdicts})),
            "peak_mb": _peak_mb()}


def _titles() -> list[str]:
    from desktop.core.exchange import format as fmt

    return [s.title for s in fmt.sheets()] + [fmt.ROSTER_SHEET]


def _baseline(out: str, *files: str) -> dict:
    import pandas as pd

    titles = _titles()
    start = time.perf_counter()
    frames: dict[str, list] = {t: [] for t in titles}
    for f in files:
        for title, frame in pd.read_excel(f, sheet_name=titles).items():
            frames[title].append(frame)
    read = time.perf_counter()
    merged = {t: pd.concat(parts, ignore_index=True) for t, parts in frames.items()}
    concat = time.perf_counter()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for title, frame in merged.items():
            frame.to_excel(writer, sheet_name=title, index=False)
    end = time.perf_counter()
    return {"seconds": end - start, "read_seconds": read - start, "concat_seconds": concat - read,
            "write_seconds": end - concat, "rows": sum(len(f) for f in merged.values()), "peak_mb": _peak_mb()}


def _baseline_calamine_read(*files: str) -> dict:
    import pandas as pd

    titles = _titles()
    start = time.perf_counter()
    rows = 0
    for f in files:
        rows += sum(len(frame) for frame in pd.read_excel(f, sheet_name=titles, engine="calamine").values())
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": _peak_mb()}


OPS = {"make_township": _make_township, "ours": _ours, "again": _again, "baseline": _baseline,
       "baseline_calamine_read": _baseline_calamine_read}

if __name__ == "__main__":
    print(json.dumps(OPS[sys.argv[1]](*sys.argv[2:]), ensure_ascii=False, default=str))
