"""Demo generation builds every row in Python (names, valid ID numbers, pinyin search keys, consistent
households) and inserts through SQLAlchemy Core; the baseline inserts the very same rows, read back from
our database, into an empty database of the same schema with plain `sqlite3.executemany`, so the ratio is
the price of generating the data plus the ORM layer. Size compares our file with a `VACUUM`ed copy."""

from __future__ import annotations

import sqlite3

from benchmarks.runner import Context, Result, timed

NAME = "demo_generation"
TITLE = "Demo generation and database size"


def run(ctx: Context) -> list[Result]:
    from db.session import open_database
    from desktop.core.demo import DemoOptions, generate

    ours_path = ctx.workdir / "demo-gen.sqlite3"
    db = open_database(ours_path)

    def ours() -> None:
        with db.session() as session:
            generate(session, DemoOptions(households=ctx.households, seed=ctx.seed))

    ours_s, _ = timed(ours)
    db.dispose()
    ctx.cache[f"demo-{ctx.households}"] = ours_path

    base_path = ctx.workdir / "baseline.sqlite3"
    empty = open_database(base_path)  # same schema, no rows
    empty.dispose()
    src = sqlite3.connect(ours_path)
    tables = [r[0] for r in src.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'")]
    data = {t: src.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
    src.close()
    order = ["county", "township", "village", "village_group", "helper", "household", "member", "assignment",
             "help_plan", "income_record", "measure", "visit", "exit_assessment", "poverty_line"]

    def baseline() -> None:
        con = sqlite3.connect(base_path)
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        with con:
            for t in order:
                rows = data.get(t) or []
                if rows:
                    marks = ",".join("?" * len(rows[0]))
                    con.executemany(f'INSERT INTO "{t}" VALUES ({marks})', rows)
        con.close()

    base_s, _ = timed(baseline)
    total_rows = sum(len(v) for v in data.values())
    people = len(data.get("member", []))
    size_mb = ours_path.stat().st_size / 1e6
    vac = ctx.workdir / "vacuumed.sqlite3"
    con = sqlite3.connect(ours_path)
    con.execute(f"VACUUM INTO '{vac}'")
    con.close()
    vac_mb = vac.stat().st_size / 1e6
    return [
        Result(f"generate {ctx.households:,} households / {people:,} people ({total_rows:,} rows)", ours_s,
               base_s, "sqlite3 executemany of the same rows"),
        Result("database file size", size_mb, vac_mb, "VACUUM INTO copy", unit="MB",
               notes=f"{size_mb * 1e6 / ctx.households / 1024:.1f} KiB per household"),
    ]
