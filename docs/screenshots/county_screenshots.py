"""Screenshots of the county consolidation (docs/screenshots/county-*.png).

Builds three demo townships (200 households each) with a few planted duplicates, exports them,
consolidates them in the GUI, re-exports one township after edits and consolidates again, then shows
the ordinary household list of the county database filtered by one township. Run under Xvfb:

    xvfb-run -a -s "-screen 0 1366x768x24" python docs/screenshots/county_screenshots.py /tmp/county-shots
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from db.models import Household, Township  # noqa: E402
from db.session import open_database  # noqa: E402
from desktop.core.demo import DemoOptions, generate  # noqa: E402
from desktop.core.exchange.export import ExportOptions, export_database  # noqa: E402
from desktop.ui.app import install_translators  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.village_tree import Scope  # noqa: E402

TOWNS = (("411726100000", "泌水镇", 41), ("411726101000", "羊册镇", 42), ("411726200000", "花园乡", 43))


def settle(app: QApplication, ms: int = 200) -> None:
    QTest.qWait(ms)
    app.processEvents()


def shot(widget, name: str) -> None:
    path = HERE / f"county-{name}.png"
    widget.grab().save(str(path))
    print("wrote", path.relative_to(ROOT))


def make_towns(folder: Path) -> list[Path]:
    dbs = []
    for code, name, seed in TOWNS:
        path = folder / f"{name}.sqlite3"
        db = open_database(path)
        with db.session() as s:
            generate(s, DemoOptions(households=200, seed=seed, township_code=code, township_name=name))
        db.dispose()
        dbs.append(path)
    a, b, c = (sqlite3.connect(p) for p in dbs)
    first = a.execute("SELECT id_number FROM member WHERE relation != '户主' ORDER BY id LIMIT 1").fetchone()[0]
    b.execute("UPDATE member SET id_number = ? WHERE id = (SELECT min(id) FROM member WHERE relation != '户主')", (first,))
    for con, name in ((a, "刘玮"), (c, "刘伟")):
        con.execute("UPDATE member SET name = ?, birth_date = '1971-03-09' WHERE id = "
                    "(SELECT min(id) + 40 FROM member WHERE relation != '户主')", (name,))
    head = c.execute("SELECT id_number FROM member WHERE relation = '户主' ORDER BY id LIMIT 1").fetchone()[0]
    b.execute("UPDATE helper SET id_number = ? WHERE id = (SELECT min(id) FROM helper)", (head,))
    for con in (a, b, c):
        con.commit()
        con.close()
    files = []
    for path in dbs:
        db = open_database(path)
        out = path.with_suffix(".xlsx")
        export_database(db, out, ExportOptions(run_checks=False))
        db.dispose()
        files.append(out)
    return files


def edit_and_reexport(folder: Path) -> Path:
    path = folder / "羊册镇.sqlite3"
    con = sqlite3.connect(path)
    con.execute("UPDATE household SET phone = '13900000000' WHERE id = 5")
    con.execute("UPDATE member SET name = '郑国强' WHERE id = 30")
    con.execute("UPDATE member SET status = '自然减少', change_reason = '死亡', change_date = '2017-06-01' WHERE id = 41")
    con.execute("UPDATE income_record SET wage = wage + 100.5 WHERE id = 12")
    con.execute("DELETE FROM measure WHERE id = 7")
    con.commit()
    con.close()
    db = open_database(path)
    out = folder / "羊册镇-第二轮.xlsx"
    export_database(db, out, ExportOptions(run_checks=False))
    db.dispose()
    return out


def run(app: QApplication, dialog, *, dry_run: bool) -> None:
    before = dialog.result
    dialog.start(dry_run=dry_run)
    while dialog.result is before and dialog.last_error is None:
        settle(app, 100)
    settle(app, 300)


def main(argv: list[str]) -> int:
    folder = Path(argv[1])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = make_towns(folder)
    app = QApplication.instance() or QApplication(argv[:1])
    install_translators(app)
    county = open_database(folder / "县汇总.sqlite3")
    window = MainWindow(county, operator="县扶贫办")
    window.resize(1366, 740)
    window.move(0, 0)
    window.show()
    settle(app, 300)
    dialog = window.county.show()
    dialog.resize(1340, 720)
    dialog.move(10, 10)
    dialog.add_files(files)
    dialog.out_edit.setText(str(folder / "县汇总表.xlsx"))
    dialog.problems_edit.setText(str(folder / "县汇总问题清单.xlsx"))
    dialog.report_edit.setText(str(folder / "县汇总报表.xlsx"))
    settle(app)
    shot(dialog, "files")
    run(app, dialog, dry_run=False)
    dialog.tabs.setCurrentIndex(0)
    dialog.problems.selectRow(0)
    settle(app)
    shot(dialog, "problems")
    dialog.tabs.setCurrentIndex(2)
    settle(app)
    shot(dialog, "reconciliation")
    second = edit_and_reexport(folder)
    dialog.files.setRowCount(0)
    dialog.paths = []
    dialog.add_files([*files[::2], second, files[1]])
    run(app, dialog, dry_run=True)
    dialog.tabs.setCurrentIndex(1)
    settle(app)
    shot(dialog, "changes")
    dialog.hide()
    with county.session() as s:
        town = s.scalar(select(Township).where(Township.code == "411726101000"))
        uuid = s.scalar(select(Household.uuid).where(Household.village.has(township_id=town.id))
                        .order_by(Household.household_number))
    window.tabs.setCurrentIndex(0)
    settle(app, 500)
    shot(window, "dashboard")
    window.tabs.setCurrentWidget(window.browser)
    window.browser.tree.set_scope(Scope(township_id=town.id))
    window.browser.apply_filters()
    settle(app, 500)
    window.browser.select_uuid(uuid)
    settle(app, 300)
    shot(window, "main-township-filter")
    window.close()
    county.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
