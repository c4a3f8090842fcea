"""The main window.

Feature modules in ``desktop/ui/features/`` plug themselves in: each defines
``install(window: MainWindow) -> None`` and adds its actions to
``window.menu(key)`` and, if it has one, a tab with ``window.add_tab``. The
window exposes what features need: the database, the operator, the selected
households, and a way to open a household.
"""

from __future__ import annotations

import importlib
import pkgutil

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QTabWidget, QWidget

from db.engine import Database
from desktop.core.stats import TABLE_LABELS, table_counts
from desktop.ui import features

# Menu keys in menu-bar order, with their titles.
MENUS = {
    "file": "文件(&F)",
    "records": "户档案(&R)",
    "print": "打印(&P)",
    "data": "数据交换(&D)",
    "check": "检查(&C)",
    "tools": "工具(&T)",
    "help": "帮助(&H)",
}


class MainWindow(QMainWindow):
    """Signals:
    households_changed: emitted after any feature wrote household data.
    """

    households_changed = Signal()

    def __init__(self, database: Database, operator: str = "") -> None:
        super().__init__()
        self.database = database
        self.operator = operator
        where = database.path or database.engine.url.render_as_string(hide_password=True)
        self.setWindowTitle(self.tr("明白卡 — %s") % where)
        self.resize(1366, 740)
        self._menus: dict[str, QMenu] = {}
        for key, title in MENUS.items():
            self._menus[key] = self.menuBar().addMenu(self.tr(title))
        quit_action = QAction(self.tr("退出(&X)"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self._menus["file"].addAction(quit_action)
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self.summary = QLabel(self)
        self.add_tab(self.summary, self.tr("概况"))
        self._install_features()
        self.refresh()

    # ----- the interface features use -----------------------------------
    def menu(self, key: str) -> QMenu:
        return self._menus[key]

    def add_tab(self, widget: QWidget, title: str) -> int:
        return self.tabs.addTab(widget, title)

    def selected_household_uuids(self) -> list[str]:
        return []

    def open_household(self, uuid: str) -> None:  # noqa: ARG002 - filled in by the household list
        return None

    def refresh(self) -> None:
        with self.database.session() as session:
            counts = table_counts(session)
        self.summary.setText("\n".join(f"{TABLE_LABELS[n]}：{c}" for n, c in counts.items()))

    # ----- internals ---------------------------------------------------
    def _install_features(self) -> None:
        for info in sorted(pkgutil.iter_modules(features.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{features.__name__}.{info.name}")
            module.install(self)
