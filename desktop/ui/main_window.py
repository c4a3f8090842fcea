"""The main window.

Feature modules in ``desktop/ui/features/`` plug themselves in: each defines
``install(window: MainWindow) -> None`` and adds its actions to
``window.menu(key)`` and, if it has one, a tab with ``window.add_tab``. The
window exposes what features need: the database, the operator, the selected
households, and a way to open a household.

The window itself holds the household browser (village tree, search with
filters, the lazy list, a detail pane; tab 户档案) and, while a card is open,
the card editor in its own tab. Keys: Ctrl+N new household, Ctrl+S save the
card, Ctrl+F find, Enter open the selected household, Esc leave the card,
F5 refresh. (Ctrl+P belongs to the printing feature.)
"""

from __future__ import annotations

import importlib
import pkgutil

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QTabWidget, QWidget

from db.engine import Database
from desktop.core.households import CarryForward
from desktop.core.location import describe as describe_location
from desktop.core.stats import TABLE_LABELS, table_counts
from desktop.ui import features
from desktop.ui.card_editor import CardEditor
from desktop.ui.helper_picker import HelperChoices
from desktop.ui.household_list import HouseholdBrowser

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
        self.where = describe_location(database)  # 本机数据库 / 服务器数据库, never the password
        kind = self.tr("服务器数据库") if self.where.is_server else self.tr("本机数据库")
        detail = self.where.short if self.where.is_server else str(database.path or self.where.short)
        self.setWindowTitle(self.tr("明白卡 — %s %s") % (kind, detail))
        self.resize(1366, 740)
        self._menus: dict[str, QMenu] = {}
        for key, title in MENUS.items():
            self._menus[key] = self.menuBar().addMenu(self.tr(title))
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self.helper_choices = HelperChoices(database, self)
        self.browser = HouseholdBrowser(database, self.helper_choices, self)
        self.browser.open_requested.connect(self.open_household)
        self.add_tab(self.browser, self.tr("户档案"))
        self.editor: CardEditor | None = None
        self._carry: CarryForward | None = None
        self._stale: set[str] = set()  # tabs to re-read when next shown
        self._select_after_refresh: str | None = None
        self.summary = QLabel(self)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setMargin(12)
        self.add_tab(self.summary, self.tr("数据统计"))
        self.database_label = QLabel(self.where.text, self)
        self.database_label.setObjectName("database_label")
        self.database_label.setToolTip(self.where.kind_label)
        self.statusBar().addPermanentWidget(self.database_label)
        self._make_actions()
        self.households_changed.connect(self._on_households_changed)
        self._install_features()
        self.refresh()

    # ----- the interface features use -----------------------------------
    def menu(self, key: str) -> QMenu:
        return self._menus[key]

    def add_tab(self, widget: QWidget, title: str) -> int:
        return self.tabs.addTab(widget, title)

    def selected_household_uuids(self) -> list[str]:
        """The open card's household while the card tab is showing, else the list's selection."""
        if self.editor is not None and self.tabs.currentWidget() is self.editor:
            return [self.editor.uuid] if self.editor.uuid else []
        return self.browser.selected_uuids()

    def open_household(self, uuid: str) -> None:
        """Open the card of ``uuid`` (asking first about unsaved changes of the open card)."""
        editor = self.editor
        if editor is not None and editor.uuid == uuid:
            self.tabs.setCurrentWidget(editor)
            return
        if editor is not None and not editor.confirm_leave():
            self.tabs.setCurrentWidget(editor)
            return
        editor = self._ensure_editor()
        if editor.load_household(uuid):
            self.tabs.setCurrentWidget(editor)
            editor.tabs.setCurrentIndex(0)
            editor.basic.focus_first()

    def refresh(self) -> None:
        with self.database.session() as session:
            counts = table_counts(session)
        self.summary.setText("\n".join(f"{TABLE_LABELS[n]}：{c}" for n, c in counts.items()))

    # ----- card editor -------------------------------------------------------
    def new_household(self) -> None:
        editor = self.editor
        if editor is not None and not editor.confirm_leave():
            self.tabs.setCurrentWidget(editor)
            return
        editor = self._ensure_editor()
        village_id, group_id = self.browser.scope_for_new()
        editor.new_household(self._carry, village_id, group_id)
        self.tabs.setCurrentWidget(editor)
        editor.basic.focus_first()

    def save_card(self) -> bool:
        if self.editor is None or self.tabs.currentWidget() is not self.editor:
            return False
        return self.editor.save()

    def close_card(self) -> bool:
        """Leave the open card (asking about unsaved changes); back to the list."""
        editor = self.editor
        if editor is None:
            return True
        if not editor.confirm_leave():
            return False
        uuid = editor.uuid
        index = self.tabs.indexOf(editor)
        if index >= 0:
            self.tabs.removeTab(index)
        editor.deleteLater()
        self.editor = None
        if uuid and "browser" in self._stale:
            self._select_after_refresh = uuid
        self.tabs.setCurrentWidget(self.browser)
        self._refresh_shown()
        if uuid:
            self.browser.select_uuid(uuid)
        self.browser.view.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def find(self) -> None:
        self.tabs.setCurrentWidget(self.browser)
        self.browser.focus_search()

    def _ensure_editor(self) -> CardEditor:
        if self.editor is None:
            editor = CardEditor(self.database, self.helper_choices, lambda: self.operator, self)
            editor.saved.connect(self._card_saved)
            editor.leave_requested.connect(self.close_card)
            editor.title_changed.connect(self._editor_title)
            self.editor = editor
            self.tabs.insertTab(self.tabs.indexOf(self.browser) + 1, editor, self.tr("明白卡"))
        return self.editor

    def _editor_title(self, title: str) -> None:
        if self.editor is not None:
            self.tabs.setTabText(self.tabs.indexOf(self.editor), title)

    def _card_saved(self, uuid: str) -> None:
        if self.editor is not None:
            self._carry = CarryForward.from_card(self.editor.card)
        self._select_after_refresh = uuid
        self.households_changed.emit()
        self.statusBar().showMessage(self.tr("已保存。"), 4000)

    def _on_households_changed(self) -> None:
        # Re-reading a county-size list and tree takes a moment: do it when they are shown,
        # not after every save while the clerk keys card after card.
        self._stale = {"browser", "summary"}
        self._refresh_shown()

    def _refresh_shown(self) -> None:
        current = self.tabs.currentWidget()
        if current is self.browser and "browser" in self._stale:
            self._stale.discard("browser")
            keep, self._select_after_refresh = self._select_after_refresh, None
            self.browser.refresh(keep)
        elif current is self.summary and "summary" in self._stale:
            self._stale.discard("summary")
            self.refresh()

    # ----- actions -------------------------------------------------------------
    def _action(self, menu: str, text: str, slot, shortcut: QKeySequence | str | None = None) -> QAction:  # noqa: ANN001
        action = QAction(self.tr(text), self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self._menus[menu].addAction(action)
        return action

    def _make_actions(self) -> None:
        self.new_action = self._action("records", "新建户(&N)", self.new_household, QKeySequence.StandardKey.New)
        self.open_action = self._action("records", "打开所选户的明白卡(&O)", self._open_selected)
        self.save_action = self._action("records", "保存明白卡(&S)", self.save_card, QKeySequence.StandardKey.Save)
        self.close_card_action = self._action("records", "关闭明白卡(&W)", self.close_card)
        self._menus["records"].addSeparator()
        self.find_action = self._action("records", "查找(&F)", self.find, QKeySequence.StandardKey.Find)
        self.refresh_action = self._action("records", "刷新列表(&R)", self.households_changed.emit,
                                           QKeySequence.StandardKey.Refresh)
        self._menus["records"].addSeparator()
        quit_action = QAction(self.tr("退出(&X)"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self._menus["file"].addAction(quit_action)
        self.tabs.currentChanged.connect(lambda _i: (self._update_actions(), self._refresh_shown()))
        self._update_actions()

    def _update_actions(self) -> None:
        on_card = self.editor is not None and self.tabs.currentWidget() is self.editor
        self.save_action.setEnabled(on_card)
        self.close_card_action.setEnabled(self.editor is not None)

    def _open_selected(self) -> None:
        uuid = self.browser.current_uuid()
        if uuid:
            self.open_household(uuid)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.editor is not None and not self.editor.confirm_leave():
            event.ignore()
            return
        super().closeEvent(event)

    # ----- internals ---------------------------------------------------
    def _install_features(self) -> None:
        for info in sorted(pkgutil.iter_modules(features.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{features.__name__}.{info.name}")
            module.install(self)
