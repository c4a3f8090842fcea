"""A plain filtered household list, used when the main window has no ``show_households``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.core import dashboard
from desktop.core.progress import Progress
from desktop.ui.tasks import run_task

Index = QModelIndex | QPersistentModelIndex


class HouseholdRowsModel(QAbstractTableModel):
    """Rows of :func:`desktop.core.dashboard.list_households` (uuid first, hidden)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple] = []

    def set_rows(self, rows: list[tuple]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(dashboard.HOUSEHOLD_LIST_COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column() + 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return dashboard.HOUSEHOLD_LIST_COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def uuid_at(self, row: int) -> str:
        return self.rows[row][0]


class HouseholdListDialog(QDialog):
    """The households behind a bar: loaded off the GUI thread; Enter / double-click opens one."""

    def __init__(self, database: Database, filters: dict[str, Any], description: str,
                 open_household: Callable[[str], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.filters = dict(filters)
        self.open_household = open_household
        self.setWindowTitle(self.tr("户列表"))
        self.resize(980, 560)
        layout = QVBoxLayout(self)
        self.heading = QLabel(description, self)
        self.heading.setWordWrap(True)
        self.count_label = QLabel(self.tr("正在查询…"), self)
        self.model = HouseholdRowsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # 户编号 (starts with the village code)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.doubleClicked.connect(self._open_index)
        self.view.activated.connect(self._open_index)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.heading)
        layout.addWidget(self.count_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.loaded = False
        self._load()

    def _load(self) -> None:
        filters = self.filters

        def work(progress: Progress) -> tuple[list[tuple], str]:
            progress.update(0, 0, "正在查询户列表…")
            with self.database.session() as session:
                return dashboard.list_households(session, filters), dashboard.describe_filters(filters, session)

        run_task(self, self.tr("查询户列表"), work, self._loaded, self._failed)

    def _loaded(self, result: tuple[list[tuple], str]) -> None:
        rows, description = result
        self.model.set_rows(rows)
        self.count_label.setText(self.tr("条件：%1　共 %2 户").replace("%1", description)
                                 .replace("%2", f"{len(rows):,}"))
        if rows:
            self.view.selectRow(0)
        self.view.setFocus()
        self.loaded = True

    def _failed(self, exc: BaseException) -> None:
        self.count_label.setText(self.tr("查询失败：%1").replace("%1", str(exc)))
        QMessageBox.warning(self, self.tr("查询失败"), str(exc))

    def _open_index(self, index: QModelIndex) -> None:
        if self.open_household is None or not index.isValid():
            return
        self.open_household(self.model.uuid_at(self.proxy.mapToSource(index).row()))

    def uuids(self) -> list[str]:
        return [r[0] for r in self.model.rows]
