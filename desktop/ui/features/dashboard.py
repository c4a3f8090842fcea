"""Plugs the overview dashboard (概况仪表盘) into the main window as its first tab."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTabWidget

from desktop.ui.dashboard import DashboardTab

TAB_TITLE = "概况仪表盘"


def install(window: Any) -> DashboardTab:
    tab = DashboardTab(window.database, window)
    title = tab.tr(TAB_TITLE)
    tabs = getattr(window, "tabs", None)
    if isinstance(tabs, QTabWidget):
        index = tabs.insertTab(0, tab, title)
        tabs.setCurrentIndex(index)
    else:
        window.add_tab(tab, title)

    def show() -> None:
        if isinstance(tabs, QTabWidget):
            tabs.setCurrentWidget(tab)
        tab.setFocus()

    action = QAction(tab.tr("概况仪表盘(&O)"), window)
    action.triggered.connect(show)
    window.menu("tools").addAction(action)
    refresh = QAction(tab.tr("刷新概况仪表盘"), window)
    refresh.triggered.connect(lambda: (show(), tab.refresh()))
    window.menu("tools").addAction(refresh)
    window.households_changed.connect(tab.mark_stale)
    window.dashboard = tab
    return tab
