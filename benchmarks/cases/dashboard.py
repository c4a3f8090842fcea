"""The dashboard computes every aggregate in SQL (`desktop.core.dashboard.compute`: GROUP BY, CASE, integer-cent
income arithmetic) off the GUI thread. The baseline loads the same rows with bare `sqlite3` into Python and counts
them with `Counter` loops (per-capita income by `desktop.core.income.summarise`), which is what a "fetch and count"
dashboard would do; both sides are checked to give the same numbers. "One village" is the same work scoped to one
village (the baseline still has to read every row). "Households behind a bar" is the click-through list
(`list_households`, 因病 × 未脱贫) against fetching all households and filtering in Python. The last row refreshes the
real dashboard tab (offscreen) while a 5 ms timer runs on the GUI thread: the longest gap between ticks, against the
same compute done on the GUI thread (the window frozen for all of it)."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from datetime import date, timedelta

from benchmarks.runner import Context, Result, timed

NAME = "dashboard"
TITLE = "Overview dashboard aggregates"


def _baseline(path, year: int, days: int, village_id: int | None = None) -> dict:
    from desktop.core.income import summarise

    con = sqlite3.connect(path)
    try:
        households = con.execute("SELECT id, village_id, group_id, exit_status, attribute, main_cause, "
                                 "planned_exit_year, exit_year FROM household").fetchall()
        members = con.execute("SELECT household_id, status FROM member").fetchall()
        measures = con.execute("SELECT household_id, category, amount FROM measure WHERE year = ?", (year,)).fetchall()
        incomes = con.execute("SELECT household_id, population, wage, production, property_income, transfer, "
                              "production_expense FROM income_record WHERE year = ?", (year,)).fetchall()
        visits = con.execute("SELECT household_id, visited_on FROM visit").fetchall()
        lines = dict(con.execute("SELECT scope, amount FROM poverty_line WHERE year = ?", (year,)).fetchall())
    finally:
        con.close()
    if village_id is not None:
        households = [h for h in households if h[1] == village_id]
    status_of = {h[0]: h[3] for h in households}
    people: Counter = Counter()
    for hid, status in members:
        if status != "自然减少" and hid in status_of:
            people[hid] += 1
    result: dict = {
        "status": Counter(h[3] for h in households),
        "people": Counter({s: 0 for s in status_of.values()}),
        "attribute": Counter(h[4] for h in households),
        "area": Counter((h[2] if village_id else h[1], h[3]) for h in households),
        "planned": Counter(h[6] for h in households if h[6] is not None),
        "actual": Counter(h[7] for h in households if h[7] is not None),
        "causes": Counter((h[5], h[3]) for h in households),
    }
    for hid, n in people.items():
        result["people"][status_of[hid]] += n
    funds: dict = defaultdict(float)
    for hid, category, amount in measures:
        if hid in status_of:
            funds[category] += amount or 0
    result["funds"] = funds
    line = lines.get("脱贫标准", lines.get("国家"))
    records = {r[0]: r for r in incomes}
    bands: Counter = Counter()
    for hid, status in status_of.items():
        r = records.get(hid)
        if r is None:
            bands[("none", status)] += 1
            continue
        s = summarise({"wage": r[2], "production": r[3], "property_income": r[4], "transfer": r[5],
                       "production_expense": r[6]}, population=r[1])
        bands[("pop" if s.per_capita is None else s.per_capita < line, status)] += 1
    result["income"] = bands
    last: dict = {}
    for hid, on in visits:
        if hid in status_of and (hid not in last or on > last[hid]):
            last[hid] = on
    as_of = date.fromisoformat(max(v[1] for v in visits))
    since = (as_of - timedelta(days=days)).isoformat()
    result["not_visited"] = sum(1 for hid in status_of if last.get(hid, "") < since)
    return result


def run(ctx: Context) -> list[Result]:
    from db.session import open_database
    from desktop.core import dashboard as d

    path = ctx.demo_db()
    db = open_database(path)
    with db.session() as s:
        opts = d.options(s)
        year = opts.default_year
        village = opts.villages[len(opts.villages) // 2]
    con = sqlite3.connect(path)
    village_id = con.execute("SELECT id FROM village WHERE uuid = ?", (village.uuid,)).fetchone()[0]
    con.close()

    def ours(scope: d.Scope):
        with db.session() as s:
            return d.compute(s, scope, year=year, visit_days=90)

    ours(d.Scope())  # warm the page cache for both sides
    ours_s, overview = timed(lambda: ours(d.Scope()))
    base_s, base = timed(lambda: _baseline(path, year, 90))
    # the same numbers on both sides
    assert {k: v[0] for k, v in overview.totals.by_status.items()} == dict(base["status"])
    assert {k: v[1] for k, v in overview.totals.by_status.items()} == dict(base["people"])
    assert overview.exits.as_dict()["实际脱贫"] == {str(y): base["actual"].get(y, 0)
                                                for y in map(int, overview.exits.categories)}
    assert overview.income_info.below_line == sum(n for (k, _s), n in base["income"].items() if k is True)
    assert overview.visit_info.not_visited == base["not_visited"]
    assert abs(float(overview.measure_totals.amount) - sum(base["funds"].values())) < 1

    v_ours_s, v_overview = timed(lambda: ours(d.Scope(village_uuid=village.uuid)))
    v_base_s, v_base = timed(lambda: _baseline(path, year, 90, village_id))
    assert v_overview.totals.households == sum(v_base["status"].values())
    assert v_overview.visit_info.not_visited == v_base["not_visited"]

    filters = {"main_cause": "因病", "exit_status": "未脱贫"}

    def ours_list():
        with db.session() as s:
            return d.list_households(s, filters)

    def base_list():
        con = sqlite3.connect(path)
        try:
            rows = con.execute("SELECT h.uuid, h.household_number, v.name, h.main_cause, h.exit_status, h.id "
                               "FROM household h JOIN village v ON v.id = h.village_id").fetchall()
            heads = dict(con.execute("SELECT household_id, name FROM member WHERE relation = '户主' "
                                     "AND status <> '自然减少'").fetchall())
        finally:
            con.close()
        return [(r[0], r[1], r[2], heads.get(r[5])) for r in rows if r[3] == "因病" and r[4] == "未脱贫"]

    list_s, listed = timed(ours_list)
    base_list_s, base_listed = timed(base_list)
    assert len(listed) == len(base_listed)
    stall, refresh_s = _gui_stall(db)
    sync_stall, _ = timed(lambda: ours(d.Scope()))
    db.dispose()
    steps = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in overview.timings.items())
    return [
        Result(f"all aggregates, whole township ({overview.totals.households:,} households)", ours_s, base_s,
               "sqlite3 fetch + Python Counter", notes=steps),
        Result(f"all aggregates, one village ({v_overview.totals.households:,} households)", v_ours_s, v_base_s,
               "sqlite3 fetch + Python filter/Counter"),
        Result(f"households behind a bar (因病 × 未脱贫: {len(listed):,} rows with 户主)", list_s, base_list_s,
               "sqlite3 fetch all + Python filter"),
        Result("longest GUI-thread stall while the dashboard tab refreshes", stall, sync_stall,
               "the same compute on the GUI thread", notes=f"refresh took {refresh_s:.2f} s; 5 ms timer on the GUI"),
    ]


def _gui_stall(db) -> tuple[float, float]:
    """Refresh the real DashboardTab while a 5 ms timer ticks on the GUI thread; the longest
    gap between ticks is how long the window could not react."""
    import os
    import time

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from desktop.ui.dashboard import DashboardTab

    tab = DashboardTab(db)
    tab.resize(1366, 700)
    tab.show()
    done: list[float] = []
    tab.refreshed.connect(lambda: done.append(time.perf_counter()))
    results = []
    for _ in range(2):  # the first also loads the filter options
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(lambda ticks=ticks: ticks.append(time.perf_counter()))
        timer.start()
        done.clear()
        start = time.perf_counter()
        tab.refresh()
        while not done:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        timer.stop()
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)] or [done[0] - start]
        results.append((max(gaps), done[0] - start))
    tab.close()
    tab.deleteLater()
    app.processEvents()
    return results[-1]
