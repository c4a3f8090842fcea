"""Rosters in the main window: 户档案 → 帮扶责任人名册 / 行政村名册; 工具 → 贫困标准 / 乡镇设置.

Each opens (or brings forward) its own tab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from desktop.ui.rosters.helpers import HelperRoster
from desktop.ui.rosters.settings import PovertyLineRoster, TownshipSettings
from desktop.ui.rosters.villages import VillageRoster


class Rosters:
    def __init__(self, window: Any) -> None:
        self.window = window
        self.tabs: dict[str, QWidget] = {}
        operator: Callable[[], str] = lambda: window.operator  # noqa: E731
        self.factories: dict[str, tuple[str, Callable[[], QWidget]]] = {
            "helpers": ("帮扶责任人名册", lambda: self._helpers(operator)),
            "villages": ("行政村名册", lambda: self._villages(operator)),
            "lines": ("贫困标准", lambda: self._lines(operator)),
            "settings": ("乡镇设置", lambda: self._settings(operator)),
        }
        records = window.menu("records")
        tools = window.menu("tools")
        self.actions = {
            "helpers": self._action(records, "帮扶责任人名册(&H)", "helpers", "Ctrl+Shift+H"),
            "villages": self._action(records, "行政村名册(&V)", "villages", "Ctrl+Shift+V"),
            "lines": self._action(tools, "贫困标准(&L)", "lines"),
            "settings": self._action(tools, "乡镇设置与工作年度(&Y)", "settings"),
        }

    def _action(self, menu, text: str, key: str, shortcut: str | None = None) -> QAction:  # noqa: ANN001
        action = QAction(self.window.tr(text), self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: self.show(key))
        menu.addAction(action)
        return action

    def show(self, key: str) -> QWidget:
        widget = self.tabs.get(key)
        tabs = self.window.tabs
        if widget is None or tabs.indexOf(widget) < 0:
            title, factory = self.factories[key]
            widget = factory()
            self.tabs[key] = widget
            self.window.add_tab(widget, self.window.tr(title))
        tabs.setCurrentWidget(widget)
        widget.setFocus()
        return widget

    def _helpers(self, operator: Callable[[], str]) -> QWidget:
        roster = HelperRoster(self.window.database, operator, self.window)
        roster.open_household.connect(self.window.open_household)
        roster.helpers_changed.connect(self.window.helper_choices.reload)
        roster.helpers_changed.connect(self.window.households_changed.emit)
        return roster

    def _villages(self, operator: Callable[[], str]) -> QWidget:
        roster = VillageRoster(self.window.database, operator, self.window)
        roster.villages_changed.connect(self.window.households_changed.emit)
        return roster

    def _lines(self, operator: Callable[[], str]) -> QWidget:
        return PovertyLineRoster(self.window.database, operator, self.window)

    def _settings(self, operator: Callable[[], str]) -> QWidget:
        settings = TownshipSettings(self.window.database, operator, self.window)
        settings.settings_changed.connect(self.window.households_changed.emit)
        return settings


def install(window: Any) -> Rosters:
    rosters = Rosters(window)
    window.rosters = rosters
    return rosters
