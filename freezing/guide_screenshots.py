"""Screenshots for the user guide (``docs/使用说明.md``): ``docs/screenshots/help-*.png``.

Runs the real window on a 300-household demo database (synthetic people only) in
a throw-away data folder. Run it under Xvfb at the target screen size:

    xvfb-run -a -s "-screen 0 1366x768x24" python -m freezing.guide_screenshots
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def settle(app, ms: int = 600) -> None:  # noqa: ANN001
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def main() -> int:
    # A data folder where a clerk's would be (shown in the About dialog), removed afterwards.
    demo_home = Path("/home/fupinban")
    if sys.platform.startswith("linux") and not demo_home.exists() and os.access("/home", os.W_OK):
        work = demo_home
        os.environ["MINGBAIKA_HOME"] = str(work / ".local" / "share" / "Mingbaika")
    else:
        work = Path(tempfile.mkdtemp(prefix="mingbaika-shots-"))
        os.environ["MINGBAIKA_HOME"] = str(work / "Mingbaika")
    os.environ.pop("MINGBAIKA_DB", None)
    try:
        return take(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def take(work: Path) -> int:  # noqa: ARG001 - the folder is removed by the caller

    from PySide6.QtWidgets import QApplication

    from db.session import open_database
    from desktop.core.demo import DemoOptions, generate
    from desktop.core.paths import default_database
    from desktop.ui.app import install_translators
    from desktop.ui.features import help as help_feature
    from desktop.ui.main_window import MainWindow

    path = default_database()
    database = open_database(path)
    with database.session() as session:
        generate(session, DemoOptions(households=300, seed=7))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("明白卡")
    install_translators(app)
    window = MainWindow(database, operator="演示操作员")
    window.resize(1366, 740)
    window.show()
    settle(app, 1500)
    OUT.mkdir(parents=True, exist_ok=True)
    shots = {}
    shots["help-main-window.png"] = window.grab()
    for index in range(window.tabs.count()):
        if window.tabs.tabText(index).replace("&", "") == "户档案":
            window.tabs.setCurrentIndex(index)
            settle(app, 1000)
            shots["help-households.png"] = window.grab()
            window.tabs.setCurrentIndex(0)

    about = help_feature.AboutDialog(window)
    about.show()
    settle(app)
    shots["help-about.png"] = about.grab()
    about.close()

    guide = help_feature.show_guide(window)
    guide.resize(1000, 680)
    settle(app)
    guide.find_edit.setText("换新电脑")
    guide.find(from_start=True)
    guide.find()  # the section heading, not the table of contents
    settle(app)
    shots["help-user-guide.png"] = guide.grab()
    guide.close()

    for name, pixmap in shots.items():
        target = OUT / name
        if not pixmap.save(str(target)):
            raise SystemExit(f"could not write {target}")
        print(f"{target.relative_to(ROOT)}: {pixmap.width()}×{pixmap.height()}")
    window.close()
    database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
