"""Screenshots of the 问题清单, 脱贫评估 and 贫困村退出 for docs/screenshots/ (checks-*.png).

Run under Xvfb at 1366×768:
    xvfb-run -a -s "-screen 0 1366x768x24" python scripts/checks_screenshots.py
Builds a 2,000-household demo database in a temporary folder, plants one fault of each kind
(desktop.core.checks.demo_faults), gives the villages a total population, and grabs the windows.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from db.models import Household, Village
    from db.session import open_database
    from desktop.core.checks import demo_faults, run_checks
    from desktop.core.demo import DemoOptions, generate
    from desktop.core.income import summarise

    home = Path(tempfile.mkdtemp(prefix="mingbaika-shots-"))
    os.environ["MINGBAIKA_HOME"] = str(home)
    path = home / "demo.sqlite3"
    db = open_database(path)
    with db.session() as s:
        generate(s, DemoOptions(households=2000, seed=1))
    with db.session() as s:
        demo_faults.plant_all(s, 2017)
        for n, village in enumerate(s.scalars(select(Village).order_by(Village.code))):
            poor = sum(len(h.current_members) for h in village.households if not h.exit_status.startswith("已脱贫"))
            village.total_population = poor * (60 if n % 3 else 30)
            if n % 4 == 1:
                village.broadband = False
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from desktop.ui.main_window import MainWindow

    window = MainWindow(db, operator="张会计")
    window.resize(1366, 740)
    window.show()
    feature = window.problems
    tab = feature.show()
    with db.session() as s:
        problems = run_checks(s)
    tab.year = 2017
    tab.set_problems(problems)
    app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "checks-problems.png"))

    # A warning checked with a note, its history below the list.
    tab.severity.setCurrentIndex(tab.severity.findData("警告"))
    tab.rule.setCurrentIndex(tab.rule.findData("PLA10"))
    tab.table.selectRow(0)
    tab.record_acknowledgement(tab.current_row(), "该户只有座机号码，已电话核实，号码无误。")
    tab.rule.setCurrentIndex(0)
    row = next(r for r in range(tab.proxy.rowCount())
               if tab.model.problems[tab.proxy.mapToSource(tab.proxy.index(r, 0)).row()].acknowledged)
    tab.table.selectRow(row)
    tab.table.scrollTo(tab.proxy.index(row, 0))
    app.processEvents()
    window.grab().save(str(OUT / "checks-warnings-acknowledged.png"))

    # The exit assessment of a household that qualifies, suggestions applied.
    with db.session() as s:
        uuid = next(h.uuid for h in s.scalars(select(Household).where(Household.exit_status == "未脱贫"))
                    if any(r.year == 2017 and (summarise(r).per_capita or 0) > 3335 for r in h.incomes)
                    and h.dangerous_house_grade in ("A级", "B级") and h.drinking_water_safe
                    and not h.drinking_water_difficult)
    dialog = feature.assess(uuid)
    dialog.apply_suggestions()
    app.processEvents()
    dialog.grab().save(str(OUT / "checks-exit-assessment.png"))
    dialog.close()

    view = feature.villages()
    app.processEvents()
    window.grab().save(str(OUT / "checks-village-exit.png"))
    window.close()
    db.dispose()
    print("\n".join(str(p) for p in sorted(OUT.glob("checks-*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
