"""A section of the card made of rows (plans, measures, incomes, visits, helpers, exit assessments):
a short list of the rows above a form for the selected row.

Keys: Alt+A adds a row and puts the cursor in its first field; Alt+E deletes the
selected row (after asking) — the measures beside the plans use Alt+M / Alt+K; ↑/↓ in the list choose the row, Tab goes on to the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.forms import FieldSpec, RecordForm

Index = QModelIndex | QPersistentModelIndex


def display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text[:-3] if text.endswith(".00") else text
    return str(value)


class RowListModel(QAbstractTableModel):
    """Read-only list of row dicts; columns are (key or callable, header)."""

    def __init__(self, columns: Sequence[tuple[str | Callable[[dict], Any], str]], parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[dict[str, Any]] = []
        self.issue_rows: dict[int, tuple[str, str]] = {}

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def changed(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = self.columns[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = key(row) if callable(key) else row.get(key)
            text = display(value)
            if role == Qt.ItemDataRole.ToolTipRole:
                issue = self.issue_rows.get(index.row())
                return issue[0] if issue else (text if len(text) > 12 else None)
            return text.replace("\n", " ")
        if role == Qt.ItemDataRole.BackgroundRole and index.row() in self.issue_rows:
            from PySide6.QtGui import QColor

            return QColor("#fde2e2" if self.issue_rows[index.row()][1] == "错误" else "#fff4d6")
        return None


class RecordSection(QWidget):
    """Rows of one card section: list above, form below.

    Signals:
        edited(): a row was added, removed or changed.
    """

    edited = Signal()

    def __init__(self, columns: Sequence[tuple[str | Callable[[dict], Any], str]], field_specs: Sequence[FieldSpec],
                 new_row: Callable[[], dict[str, Any]], parent: QWidget | None = None, *, form_columns: int = 3,
                 noun: str = "记录", list_height: int = 130, on_remove: Callable[[dict], None] | None = None,
                 keys: tuple[str, str] = ("A", "E")) -> None:
        super().__init__(parent)
        self.noun = noun
        self._new_row = new_row
        self._on_remove = on_remove
        self.rows: list[dict[str, Any]] = []
        self.model = RowListModel(columns, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setMaximumHeight(list_height)
        self.table.setMinimumHeight(min(list_height, 90))
        self.table.setTabKeyNavigation(False)
        # Alt+letter keys; never a menu's letter (F R P D C T H), or the key would only move the focus.
        self.add_button = QPushButton(self.tr("新增%s(&%s)") % (noun, keys[0]), self)
        self.remove_button = QPushButton(self.tr("删除%s(&%s)") % (noun, keys[1]), self)
        self.form = RecordForm(field_specs, form_columns, self)
        self.form.edited.connect(self._row_edited)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self.extra_buttons = buttons
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.form, 1)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_row)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._bind(cur.row()))
        self._update_buttons()

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.model.set_rows(rows)
        self._bind(len(rows) - 1 if rows else -1)
        if rows:
            self.table.selectRow(len(rows) - 1)
        self._update_buttons()

    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def select(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.table.selectRow(row)
            self._bind(row)

    def add_row(self) -> dict[str, Any]:
        row = self._new_row()
        self.model.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(row)
        self.model.endInsertRows()
        self.select(len(self.rows) - 1)
        self._update_buttons()
        self.edited.emit()
        editor = self.form.first_editor()
        if editor is not None:
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return row

    def remove_row(self) -> None:
        i = self.current_row()
        if not 0 <= i < len(self.rows):
            return
        answer = QMessageBox.question(
            self, self.tr("删除%s") % self.noun, self.tr("确定删除选中的这条%s吗？保存后生效，并记入修改记录。") % self.noun,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.model.beginRemoveRows(QModelIndex(), i, i)
        row = self.rows.pop(i)
        self.model.endRemoveRows()
        if self._on_remove is not None:
            self._on_remove(row)
        self.select(min(i, len(self.rows) - 1))
        if not self.rows:
            self.form.bind(None)
        self._update_buttons()
        self.edited.emit()

    def _bind(self, row: int) -> None:
        self.form.bind(self.rows[row] if 0 <= row < len(self.rows) else None)
        self.row_bound(row)

    def row_bound(self, row: int) -> None:
        """Hook: a row is now shown in the form."""

    def _row_edited(self, key: str, value: Any) -> None:
        self.model.changed(self.current_row())
        self.row_changed(key, value)
        self.edited.emit()

    def row_changed(self, key: str, value: Any) -> None:
        """Hook: the clerk changed ``key`` of the current row."""

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.rows))

    def show_issues(self, by_row: dict[int, dict[str, tuple[str, str]]]) -> None:
        self.model.issue_rows = {r: next(iter(f.values())) for r, f in by_row.items() if f}
        if self.rows:
            self.model.dataChanged.emit(self.model.index(0, 0),
                                        self.model.index(len(self.rows) - 1, self.model.columnCount() - 1))
        self.form.show_issues(by_row.get(self.current_row(), {}))
