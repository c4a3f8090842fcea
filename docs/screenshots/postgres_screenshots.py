"""Screenshots of the GUI on a PostgreSQL server (docs/screenshots/postgres-*.png).

Makes a throw-away database with 300 demo households on the server named by
``MINGBAIKA_TEST_PG_URL`` (``.ci/start-postgres`` starts one), opens it in the main window as
clerk 张会计, lets a second connection (clerk 李干部) save a member's phone of the same household,
then saves 张会计's edit: the conflict dialog. Also the server dialog with a refused database and
the main window's status bar with the 文件 menu open. Run under Xvfb:

    eval "$(.ci/start-postgres)"
    xvfb-run -a -s "-screen 0 1366x768x24" python docs/screenshots/postgres_screenshots.py
"""

from __future__ import annotations

import os
import sys
import uuid as uuid_mod
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from db.errors import DatabaseOpenError  # noqa: E402
from db.models import Household, Member  # noqa: E402
from db.session import open_database  # noqa: E402
from desktop.core import households  # noqa: E402
from desktop.core.demo import DemoOptions, generate  # noqa: E402
from desktop.ui.app import install_translators  # noqa: E402
from desktop.ui.card_editor import conflict_dialog  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.server_dialog import ServerDialog  # noqa: E402


def settle(ms: int = 300) -> None:
    QTest.qWait(ms)
    QApplication.processEvents()


def screen(name: str) -> None:
    path = HERE / f"postgres-{name}.png"
    QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
    print("wrote", path.relative_to(ROOT))


def main() -> int:
    server = make_url(os.environ["MINGBAIKA_TEST_PG_URL"])
    name = f"mbshot_{uuid_mod.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translators(app)
    first = second = None
    try:
        first = open_database(url)
        with first.session() as s:
            generate(s, DemoOptions(households=300, seed=7))
            hid = s.scalar(select(Member.household_id).group_by(Member.household_id)
                           .having(func.count() >= 3).order_by(Member.household_id).limit(1))
            uuid = s.get(Household, hid).uuid
        second = open_database(url)

        window = MainWindow(first, operator="张会计")
        window.resize(1366, 740)
        window.move(0, 0)
        window.show()
        seen_busy = False
        for _ in range(100):  # the dashboard counts in the background
            settle(200)
            busy = "正在统计" in " ".join(w.text() for w in window.findChildren(QLabel))
            seen_busy |= busy
            if seen_busy and not busy:
                break
        menu = window.menu("file")
        menu.popup(window.mapToGlobal(window.menuBar().geometry().bottomLeft()))
        settle(400)
        screen("main")
        menu.close()

        window.open_household(uuid)
        editor = window.editor
        settle()
        phone = editor.basic.editor("phone")
        phone.setFocus()
        phone.selectAll()
        QTest.keyClicks(phone, "13811112222")
        editor.members.view.setFocus()
        settle()
        with second.session() as s:  # the other clerk, on another PC, saves the same household
            card = households.load_card(s, uuid)
            card.members[1]["phone"] = "13955556666"
            card.members[2]["note"] = "在外务工，春节返乡"
            card.household["bank_name"] = "农村信用合作社"
            households.save_card(s, card, operator="李干部")

        def on_dialog() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, conflict_dialog.ConflictDialog):
                QTimer.singleShot(50, on_dialog)
                return
            dialog.move(180, 110)
            dialog.activateWindow()
            settle(500)
            screen("conflict")
            dialog.reapply_button.click()

        QTimer.singleShot(0, on_dialog)
        window.save_card()
        settle(500)
        screen("reapplied")
        window.save_card()
        settle(300)
        editor._original = editor.card.snapshot()  # noqa: SLF001 - saved; nothing to ask on close

        bad = server.set(database=name + "_x").render_as_string(hide_password=False)
        try:
            open_database(bad).dispose()
            error = ""
        except DatabaseOpenError as exc:
            error = str(exc)
        dialog = ServerDialog(window, error=error, previous=make_url(bad).set(password=None))
        dialog.move(380, 170)
        dialog.show()
        settle(500)
        screen("server-dialog")
        dialog.close()
        window.close()
        settle()
    finally:
        for db in (first, second):
            if db is not None:
                db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
