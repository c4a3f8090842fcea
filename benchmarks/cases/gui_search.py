"""The household browser on a county-size database. *Open* is the time from constructing the
main window (every feature module installed) to the first rows painted, and the same for the
household browser alone; the baseline loads every household's list columns into a
`QStandardItemModel`, as a list without lazy loading would. *Search* replays what clerks type —
pinyin initials, full pinyin, Chinese names, the last digits of an ID number, a phone, a 户编号 —
one keystroke at a time through the real widget (filter + SQL sort + the first screen of rows +
repainting the window), and reports the median and 95th percentile per keystroke; prefixes the
browser does not search yet (one letter, fewer than four digits) are left out. Baselines in the
same run: a `QSortFilterProxyModel` over all rows filtering the search-key column
(`setFilterFixedString`, shown in a view), and bare `sqlite3` running only the `LIKE` over the
same column (the floor for this design). The machine is shared by several developers' test runs,
so absolute numbers are noisy; the ratios within one run are fair."""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import time

from benchmarks.runner import Context, Result

NAME = "gui_search"
TITLE = "Household browser: open-to-window and search-as-you-type"
SIZES = (10_000, 100_000)
PROXY_KEYSTROKES = 12  # the proxy baseline is slow; a sample of keystrokes is enough


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["bench"])


def _queries(path, rng: random.Random, n: int = 24) -> list[str]:
    """Realistic look-ups for households that exist: names, initials, pinyin, ID tails, phones, numbers."""
    from desktop.core.pinyin import search_key

    con = sqlite3.connect(path)
    heads = con.execute(
        "SELECT m.name, m.id_number, h.phone, h.household_number FROM member m JOIN household h "
        "ON h.id = m.household_id WHERE m.relation = '户主' ORDER BY m.id").fetchall()
    con.close()
    picks = rng.sample(heads, n)
    out = []
    for i, (name, id_number, phone, number) in enumerate(picks):
        variants = search_key(name).split()
        kind = i % 6
        if kind == 0:
            out.append(variants[-1])  # initials, e.g. zs
        elif kind == 1:
            out.append(variants[1] if len(variants) > 1 else name)  # full pinyin
        elif kind == 2:
            out.append(name)  # Chinese
        elif kind == 3:
            out.append((id_number or "")[-6:])  # last digits of the ID
        elif kind == 4:
            out.append(phone or (id_number or "")[-4:])
        else:
            out.append(number or name)
    return [q for q in out if q]


def _keystrokes(query: str) -> list[str]:
    """The texts the box holds while the query is typed (Chinese arrives as one commit)."""
    if not query.isascii():
        return [query]
    return [query[:i] for i in range(2, len(query) + 1)]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p * (len(ordered) - 1))))
    return ordered[k]


def _measure_size(ctx: Context, n: int) -> list[Result]:
    app = _app()
    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from db.session import open_database
    from desktop.ui.helper_picker import HelperChoices
    from desktop.ui.household_list import HouseholdBrowser
    from desktop.ui.main_window import MainWindow

    path = ctx.demo_db(n)
    db = open_database(path)
    # Warm the OS cache and SQLAlchemy's compiled statements once, as a second start would be.
    warm = MainWindow(db, "bench")
    warm.close()
    warm.deleteLater()
    app.processEvents()

    def open_window() -> float:
        start = time.perf_counter()
        w = MainWindow(db, "bench")
        w.resize(1366, 740)
        w.tabs.setCurrentWidget(w.browser)
        w.show()
        app.processEvents()
        assert w.browser.model.rowCount() == n
        elapsed = time.perf_counter() - start
        w.close()
        w.deleteLater()
        app.processEvents()
        return elapsed

    def open_browser() -> tuple[float, HouseholdBrowser]:
        start = time.perf_counter()
        b = HouseholdBrowser(db, HelperChoices(db))
        b.resize(1366, 700)
        b.show()
        app.processEvents()
        return time.perf_counter() - start, b

    window_s = min(open_window() for _ in range(3))
    browser_s, browser = min((open_browser() for _ in range(3)), key=lambda t: t[0])

    def baseline_open() -> tuple[float, QStandardItemModel]:
        start = time.perf_counter()
        con = sqlite3.connect(path)
        rows = con.execute(
            "SELECT h.household_number, (SELECT name FROM member m WHERE m.household_id = h.id AND "
            "m.relation = '户主' LIMIT 1), v.name, g.name, h.household_size, h.attribute, h.main_cause, "
            "h.exit_status, h.phone, h.search_key FROM household h JOIN village v ON v.id = h.village_id "
            "LEFT JOIN village_group g ON g.id = h.group_id ORDER BY v.code, h.household_number").fetchall()
        con.close()
        model = QStandardItemModel(len(rows), 10)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                model.setItem(r, c, QStandardItem("" if value is None else str(value)))
        return time.perf_counter() - start, model

    base_open_s, full_model = baseline_open()

    rng = random.Random(ctx.seed + n)
    queries = _queries(path, rng)
    strokes = [s for q in queries for s in _keystrokes(q)]
    from desktop.ui.household_list import too_short

    skipped = sum(1 for text in strokes if too_short(text))
    strokes = [text for text in strokes if not too_short(text)]  # the browser waits for more keys
    ours: list[float] = []
    queries_only: list[float] = []
    model = browser.model
    for text in strokes:
        start = time.perf_counter()
        browser.search.setText(text)
        browser.apply_filters()
        for r in range(min(30, model.rowCount())):  # the first screen of rows
            model.row_at(r)
        queries_only.append(time.perf_counter() - start)
        app.processEvents()  # and paint them
        ours.append(time.perf_counter() - start)
    found = model.rowCount()

    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(full_model)
    proxy.setFilterKeyColumn(9)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy_view = QTableView()
    proxy_view.resize(1000, 600)
    proxy_view.setModel(proxy)
    proxy_view.show()
    app.processEvents()
    proxy_times: list[float] = []
    for text in strokes[:PROXY_KEYSTROKES]:
        start = time.perf_counter()
        proxy.setFilterFixedString(text.lower())
        proxy.rowCount()
        app.processEvents()
        proxy_times.append(time.perf_counter() - start)
    proxy_view.close()

    con = sqlite3.connect(path)
    sql_times: list[float] = []
    for text in strokes:
        start = time.perf_counter()
        con.execute("SELECT id FROM household WHERE search_key LIKE ? ESCAPE '\\'", (f"%{text.lower()}%",)).fetchall()
        sql_times.append(time.perf_counter() - start)
    con.close()

    # Sorting the whole list by a joined column (a header click), and a filter on top of a search.
    start = time.perf_counter()
    browser.search.setText("")
    browser.apply_filters()
    model.sort(model.keys.index("head_name"), Qt.SortOrder.AscendingOrder)
    model.row_at(0)
    sort_s = time.perf_counter() - start
    model.sort(model.keys.index("village"), Qt.SortOrder.AscendingOrder)
    browser.close()
    db.dispose()

    ms = 1000.0
    label = f"{n:,} households"
    return [
        Result(f"{label}: open main window to first rows", window_s, base_open_s,
               "load all rows into QStandardItemModel", notes="all feature modules installed"),
        Result(f"{label}: open household browser alone", browser_s, base_open_s,
               "load all rows into QStandardItemModel"),
        Result(f"{label}: search per keystroke, p50", statistics.median(ours) * ms,
               statistics.median(proxy_times) * ms, "QSortFilterProxyModel, search-key column", unit="ms",
               notes=f"{len(strokes)} searching keystrokes of {len(queries)} look-ups ({skipped} too short, skipped)"),
        Result(f"{label}: search per keystroke, p95", _percentile(ours, 0.95) * ms,
               _percentile(proxy_times, 0.95) * ms, "QSortFilterProxyModel, search-key column", unit="ms",
               notes=f"max {max(ours) * ms:.0f} ms; last look-up found {found}"),
        Result(f"{label}: search per keystroke without painting, p50 / p95",
               statistics.median(queries_only) * ms, statistics.median(sql_times) * ms,
               "sqlite3 LIKE only (no sort, no rows)", unit="ms",
               notes=f"p95 {_percentile(queries_only, 0.95) * ms:.1f} ms vs {_percentile(sql_times, 0.95) * ms:.1f} ms"),
        Result(f"{label}: sort all by 户主 (header click)", sort_s * ms, None, unit="ms"),
    ]


def run(ctx: Context) -> list[Result]:
    results: list[Result] = []
    for n in sorted({*SIZES, ctx.households} if ctx.households >= max(SIZES) else {ctx.households}):
        results += _measure_size(ctx, n)
    return results
