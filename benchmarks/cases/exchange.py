"""Exchange workbook export and import. Each step runs in its own subprocess so that its peak memory
(``ru_maxrss``) can be reported. **Export**: ours streams every entity sheet plus the flat 花名册 through
SQLAlchemy Core into an openpyxl write-only workbook with text/number formats, validations, a hidden code
sheet, the manifest and the SHA-256 digest (data rows are serialised by `desktop/core/exchange/xlsxfast.py`
straight into openpyxl's sheet stream instead of one ElementTree element per cell), then renames it into
place; the baseline runs the very same SELECTs (compiled to SQL) with plain `sqlite3` and appends the raw
rows to an openpyxl write-only workbook (no styles, no validation, no digest). **Import**: ours reads the
entity sheets with python-calamine, checks every cell, compares with the database and inserts everything
into an empty database in one transaction (then a second run finds every row unchanged); the baselines
only read the same sheets' cells, with python-calamine and with openpyxl's read-only mode (the latter only
for the 家庭成员 sheet, it is too slow for all of them; its row rate is given). Most of the import's
memory is python-calamine's: it holds a whole sheet (the 家庭成员 sheet is 400,000 rows × 48 columns) while
it is read. The machine is shared with other developers' test runs, so absolute times are noisy."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.runner import Context, Result

NAME = "exchange"
TITLE = "Exchange workbook: export and import"


def _child(op: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cases.exchange", op, *args], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2])
    if proc.returncode != 0:
        raise RuntimeError(f"{op} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(ctx: Context) -> list[Result]:
    db = ctx.demo_db()
    out = ctx.workdir / "exchange.xlsx"
    base_out = ctx.workdir / "baseline.xlsx"
    ours = _child("export", str(db), str(out))
    ours["cells"] = _child("count_cells", str(out))["cells"]
    base = _child("baseline_export", str(db), str(base_out))
    target = ctx.workdir / "import-target.sqlite3"
    imp = _child("import", str(target), str(out))
    again = _child("import", str(target), str(out))
    cal = _child("baseline_read_calamine", str(out))
    opx = _child("baseline_read_openpyxl", str(out))
    rows = ours["rows"]
    entity_rows = sum(v for k, v in rows.items() if k != "花名册")
    mb = out.stat().st_size / 1e6
    members = rows["家庭成员"]
    opx_rate = opx["rows"] / opx["seconds"]
    opx_all = entity_rows / opx_rate
    return [
        Result(f"export {ctx.households:,} households / {members:,} people ({entity_rows:,} entity rows + "
               f"{rows['花名册']:,} roster rows, {ours['cells']:,} cells, {mb:.0f} MB)", ours["seconds"],
               base["seconds"], "openpyxl write-only, same SELECTs, raw rows",
               notes=f"peak RSS ours {ours['peak_mb']:.0f} MB, baseline {base['peak_mb']:.0f} MB"),
        Result(f"import into an empty database ({imp['added']:,} rows added)", imp["seconds"], cal["seconds"],
               "python-calamine reading the same sheets' cells",
               notes=f"peak RSS ours {imp['peak_mb']:.0f} MB, calamine read {cal['peak_mb']:.0f} MB"),
        Result(f"re-import of the same file ({again['unchanged']:,} rows unchanged)", again["seconds"],
               cal["seconds"], "python-calamine reading the same sheets' cells",
               notes=f"peak RSS {again['peak_mb']:.0f} MB"),
        Result("read all entity sheets: openpyxl read-only vs python-calamine", opx_all, cal["seconds"],
               "python-calamine",
               notes=f"openpyxl read {opx['rows']:,} 家庭成员 rows in {opx['seconds']:.1f} s "
                     f"({opx_rate:,.0f} rows/s), extrapolated to all {entity_rows:,} rows; "
                     f"calamine {cal['rows'] / cal['seconds']:,.0f} rows/s"),
    ]


# ----------------------------------------------------------------------------- child processes

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export(db_path: str, out: str) -> dict:
    from db.session import open_database
    from desktop.core.exchange.export import ExportOptions, export_database

    db = open_database(db_path)
    start = time.perf_counter()
    result = export_database(db, out, ExportOptions(run_checks=False))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": result.row_counts, "peak_mb": _peak_mb()}


def _count_cells(path: str) -> dict:
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(path)
    total = 0
    for name in wb.sheet_names:
        for row in wb.get_sheet_by_name(name).iter_rows():
            total += sum(1 for v in row if v != "")
    return {"cells": total}


def _baseline_export(db_path: str, out: str) -> dict:
    import sqlite3

    from openpyxl import Workbook
    from sqlalchemy.dialects import sqlite

    from desktop.core.exchange import export as ex
    from desktop.core.exchange import format as fmt

    queries = [(s.title, ex._sheet_query(s, None)) for s in fmt.sheets()]
    queries.append((fmt.ROSTER_SHEET, ex._roster_query(None)))
    sql = [(t, str(q.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))) for t, q in queries]
    start = time.perf_counter()
    con = sqlite3.connect(db_path)
    wb = Workbook(write_only=True)
    for title, text in sql:
        ws = wb.create_sheet(title)
        cur = con.execute(text)
        ws.append([d[0] for d in cur.description])
        for row in cur:
            ws.append(row)
    wb.save(out)
    con.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}


def _import(db_path: str, path: str) -> dict:
    from db.session import open_database
    from desktop.core.exchange.importer import import_workbook

    db = open_database(db_path)
    start = time.perf_counter()
    plan = import_workbook(db, path)
    seconds = time.perf_counter() - start
    totals = plan.totals()
    return {"seconds": seconds, "added": totals["新增"], "unchanged": totals["不变"], "errors": totals["错误"],
            "peak_mb": _peak_mb()}


def _read_calamine(path: str) -> dict:
    import python_calamine

    from desktop.core.exchange import format as fmt

    start = time.perf_counter()
    wb = python_calamine.CalamineWorkbook.from_path(path)
    rows = 0
    for sheet in fmt.sheets():
        for _row in wb.get_sheet_by_name(sheet.title).iter_rows():
            rows += 1
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": _peak_mb()}


def _read_openpyxl(path: str) -> dict:
    from openpyxl import load_workbook

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    rows = sum(1 for _ in wb["家庭成员"].iter_rows(values_only=True))
    wb.close()
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": _peak_mb()}


OPS = {"export": _export, "count_cells": _count_cells, "baseline_export": _baseline_export, "import": _import,
       "baseline_read_calamine": _read_calamine, "baseline_read_openpyxl": _read_openpyxl}

if __name__ == "__main__":
    print(json.dumps(OPS[sys.argv[1]](*sys.argv[2:]), ensure_ascii=False, default=str))
