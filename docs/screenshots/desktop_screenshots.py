"""Screenshots of the data-entry desktop (docs/screenshots/desktop-*.png).

Run under Xvfb at 1366×768 on a copy of a demo database (it saves one edit, so the card's
history has something to show):

    python -m desktop.cli.main --db /tmp/demo.sqlite3 demo --households 100000
    xvfb-run -a -s "-screen 0 1366x768x24" python docs/screenshots/desktop_screenshots.py /tmp/demo.sqlite3
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from db.models import ExitAssessment, Household, Member  # noqa: E402
from db.session import open_database  # noqa: E402
from desktop.core import households  # noqa: E402
from desktop.core.idnumber import check_char  # noqa: E402
from desktop.ui.app import install_translators  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402

SECTION_NAMES = ["basic", "members", "causes", "conditions", "income", "helpers", "plans", "visits", "exit",
                 "history"]


def settle(app: QApplication, ms: int = 150) -> None:
    QTest.qWait(ms)
    app.processEvents()


def shot(window: MainWindow, name: str) -> None:
    path = HERE / f"desktop-{name}.png"
    window.grab().save(str(path))
    print("wrote", path.relative_to(ROOT))


def pick_household(db) -> str:
    """A household with a rich card: four or more members, one disabled, an exit assessment."""
    with db.session() as s:
        disabled = select(Member.household_id).where(Member.health == "残疾")
        exited = select(ExitAssessment.household_id)
        sizes = select(Member.household_id).group_by(Member.household_id).having(func.count() >= 4)
        return s.scalar(select(Household.uuid).where(Household.id.in_(disabled), Household.id.in_(exited),
                                                     Household.id.in_(sizes)).order_by(Household.id).limit(1))


def main(argv: list[str]) -> int:
    app = QApplication.instance() or QApplication(argv[:1])
    install_translators(app)
    db = open_database(argv[1])
    window = MainWindow(db, operator="李娜")
    window.resize(1366, 740)
    window.move(0, 0)
    window.show()
    window.tabs.setCurrentWidget(window.browser)
    settle(app, 400)
    shot(window, "main")

    browser = window.browser
    browser.search.setFocus()
    QTest.keyClicks(browser.search, "wjg")
    browser.status_filter.set_value("未脱贫")
    browser.apply_filters()
    browser.focus_list()
    settle(app, 300)
    shot(window, "search")
    browser.clear_filters()

    uuid = pick_household(db)
    with db.session() as s:  # one saved edit so the history shows a change
        card = households.load_card(s, uuid)
        card.household["phone"] = "13839612345"
        card.members[0]["health"] = card.members[0]["health"] or "健康"
        households.save_card(s, card, operator="李娜")
    window.open_household(uuid)
    editor = window.editor
    settle(app, 300)
    for index, name in enumerate(SECTION_NAMES):
        editor.tabs.setCurrentIndex(index)
        settle(app)
        shot(window, f"card-{index + 1:02d}-{name}")

    # A new card: keying a member with a mistyped ID shows the error on the spot.
    window.close_card()
    window.new_household()
    editor = window.editor
    with db.session() as s:
        village_id = s.scalar(select(Household.village_id).where(Household.uuid == uuid))
    editor.card.household["village_id"] = village_id
    editor.card.household["main_cause"] = "因病"
    editor.basic.load(editor.card)
    editor.causes.load(editor.card)
    editor.tabs.setCurrentWidget(editor.members)
    settle(app)
    good = "411726198503121234"[:17]
    good += check_char(good)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        households.new_row("members", name="欧阳春晓", relation="户主"),
        households.new_row("members", name="李秀兰", relation="配偶"),
    ]
    editor.members.set_rows(rows)
    editor.card.members = rows
    model = editor.members.model
    model.setData(model.index(0, model.keys.index("id_number")), good)
    model.setData(model.index(1, model.keys.index("id_number")), bad)
    editor.members.view.setCurrentIndex(model.index(1, model.keys.index("relation")))
    editor.recheck()
    settle(app)
    shot(window, "card-members-bad-id")
    editor.discard_changes()
    editor._original = editor.card.snapshot()  # noqa: SLF001 - leave without asking
    window.close_card()

    window.rosters.show("helpers")
    roster = window.rosters.tabs["helpers"]
    roster.search.setText("")
    roster.reload()
    busiest = max(range(roster.model.rowCount()), key=lambda r: roster.model.rows[r]["households"])
    roster.table.selectRow(busiest)
    roster.table.scrollTo(roster.model.index(busiest, 0), roster.table.ScrollHint.PositionAtCenter)
    settle(app)
    shot(window, "helpers")
    window.rosters.show("villages")
    settle(app)
    shot(window, "villages")
    window.rosters.show("lines")
    settle(app)
    shot(window, "poverty-lines")
    window.rosters.show("settings")
    settle(app)
    shot(window, "settings")
    window.tabs.setCurrentWidget(window.browser)
    window.close()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
