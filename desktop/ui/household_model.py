"""The household list as a lazy, SQL-backed table model.

``set_filters`` runs one query for the ids of all matching households in display
order (filtering and sorting happen in SQL, see :mod:`desktop.core.search`);
``data`` fetches the displayed columns a block of rows at a time, only for the
rows the view asks for, and keeps a bounded number of blocks. A county database
of 100,000 households therefore opens with one id query and one block fetch.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from db.engine import Database
from desktop.core import search
from desktop.core.search import COLUMNS, DEFAULT_SORT, UNSORTABLE, Filters, ListRow

BLOCK = 100
MAX_BLOCKS = 64
STATUS_COLOURS = {
    "未脱贫": "#b3261e",
    "返贫": "#b3261e",
    "预脱贫": "#8a5a00",
}

Index = QModelIndex | QPersistentModelIndex
_ROLES = frozenset(int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                    Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole,
                                    Qt.ItemDataRole.UserRole))


class HouseholdTableModel(QAbstractTableModel):
    """Signals:
    queried(count, seconds): a new result set is in place.
    """

    queried = Signal(int, float)

    def __init__(self, database: Database, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.database = database
        self.keys = list(COLUMNS)
        self.filters = Filters()
        self.sort_key = DEFAULT_SORT
        self.ascending = True
        self._ids: list[int] = []
        self._complete = False  # _ids is the full result of self.filters
        self._blocks: OrderedDict[int, dict[int, ListRow]] = OrderedDict()
        self.last_query_seconds = 0.0
        self.fetches = 0  # block fetches since the last query (tests, benchmarks)

    # ----- queries ----------------------------------------------------------
    def set_filters(self, filters: Filters) -> None:
        previous, previous_ids = self.filters, self._ids
        self.filters = filters
        within = None
        if (previous.replace(text=filters.text) == filters and self._complete
                and search.narrows(previous.text, filters.text)):
            within = previous_ids  # typing on: only these can still match
        self.requery(within=within)

    def requery(self, within: list[int] | None = None) -> None:
        start = time.perf_counter()
        with self.database.session() as session:
            ids = search.match_ids(session, self.filters, self.sort_key, self.ascending, within=within)
        self._complete = True
        self.beginResetModel()
        self._ids = ids
        self._blocks.clear()
        self.fetches = 0
        self.endResetModel()
        self.last_query_seconds = time.perf_counter() - start
        self.queried.emit(len(ids), self.last_query_seconds)

    def invalidate(self) -> None:
        """Forget cached rows (data changed) but keep the result set."""
        self._blocks.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self.keys) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: D102
        key = self.keys[column] if 0 <= column < len(self.keys) else DEFAULT_SORT
        if key in UNSORTABLE:
            return
        self.sort_key = key
        self.ascending = order == Qt.SortOrder.AscendingOrder
        self.requery()

    # ----- rows --------------------------------------------------------------
    def ids(self) -> list[int]:
        return self._ids

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_at(self, row: int) -> ListRow | None:
        hid = self.id_at(row)
        if hid is None:
            return None
        block_no = row // BLOCK
        block = self._blocks.get(block_no)
        if block is None:
            ids = self._ids[block_no * BLOCK:(block_no + 1) * BLOCK]
            with self.database.session() as session:
                block = search.fetch_rows(session, ids)
            self.fetches += 1
            self._blocks[block_no] = block
            while len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block_no)
        return block.get(hid)

    def uuid_at(self, row: int) -> str | None:
        r = self.row_at(row)
        return r.uuid if r else None

    def row_of_id(self, household_id: int) -> int:
        try:
            return self._ids.index(household_id)
        except ValueError:
            return -1

    # ----- Qt model interface ---------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.keys)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(COLUMNS[self.keys[section]])
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():  # painting asks for many roles; answer most cheaply
            return None
        key = self.keys[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if key == "size":
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row.uuid
        value = row[key]
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "exit_status" and value in STATUS_COLOURS:
                return QBrush(QColor(STATUS_COLOURS[value]))
            return None
        if role == Qt.ItemDataRole.ToolTipRole and key not in ("helpers", "village"):
            return None
        return "" if value is None else str(value)
