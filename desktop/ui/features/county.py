"""数据交换 → 县级汇总 (Ctrl+Shift+C): the county consolidation dialog (desktop.ui.county_dialog).

The action is kept at the end of the 数据交换 menu (features install in name order, so it is moved
there whenever the menu opens). The dialog keeps its files and results while hidden: opening a
household from it hides it, the action shows it again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence


def install(window: Any) -> None:
    window.county = CountyController(window)


class CountyController(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: Any = None
        self.menu = window.menu("data")
        self.separator = QAction(window)
        self.separator.setSeparator(True)
        self.action = QAction(self.tr("县级汇总(&C)…"), window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.action.setStatusTip(self.tr("汇总各乡镇报送的交换表到本（县级）数据库，查重复，对账"))
        self.action.triggered.connect(lambda _checked=False: self.show())
        self.menu.addAction(self.separator)
        self.menu.addAction(self.action)
        self.menu.aboutToShow.connect(self._keep_last)

    def _keep_last(self) -> None:
        actions = self.menu.actions()
        if actions and actions[-1] is not self.action:
            self.menu.removeAction(self.separator)
            self.menu.removeAction(self.action)
            self.menu.addAction(self.separator)
            self.menu.addAction(self.action)

    def show(self) -> Any:
        if self.dialog is None:
            from desktop.ui.county_dialog import CountyDialog

            self.dialog = CountyDialog(self.window)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog
