"""帮扶责任人名册: the helpers, each with the households they serve.

Keys: type in the search box to narrow the list (name, pinyin initials, unit,
phone); ↓ goes to the list; Tab to the form; Alt+S saves, Alt+A starts a new helper;
Enter on a household in the right-hand list opens its card.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from db.models import Helper
from desktop.core import rosters
from desktop.ui.card_editor.records import RowListModel, display
from desktop.ui.forms import RecordForm, specs
from desktop.ui.rosters.common import make_table

COLUMNS = [("name", "姓名"), ("sex", "性别"), ("unit", "单位名称"), ("post", "职务"), ("phone", "联系电话"),
           ("political_status", "政治面貌"), ("unit_affiliation", "隶属"), ("households", "帮扶户数"),
           (lambda r: "在岗" if r["active"] else "离岗", "状态")]


class _Search(QLineEdit):
    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.down.emit()
            return
        super().keyPressEvent(event)


class _Served(QTableWidget):
    open_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.open_row.emit(self.currentRow())
            return
        super().keyPressEvent(event)


class HelperRoster(QWidget):
    """Signals:
    open_household(uuid); helpers_changed().
    """

    open_household = Signal(str)
    helpers_changed = Signal()

    def __init__(self, database: Database, operator=lambda: "", parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.database = database
        self.operator = operator
        self.current: dict[str, Any] | None = None
        self._current_id: int | None = None

        self.search = _Search(self)
        self.search.setObjectName("helper_search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("查找帮扶责任人：姓名、拼音首字母、单位、电话"))
        self.only_active = QCheckBox(self.tr("只看在岗(&G)"), self)
        self.count = QLabel(self)
        self.model = RowListModel(COLUMNS, self)
        self.table = make_table(self.model, self, [70, 40, 190, 70, 100, 70, 50, 60])
        self.table.setObjectName("helpers")

        field_specs = specs(Helper, list(rosters.HELPER_FIELDS), note={"span": 2}, unit={"span": 2})
        self.form = RecordForm(field_specs, 2, self, title=self.tr("帮扶责任人信息"))
        self.new_button = QPushButton(self.tr("新增责任人(&A)"), self)
        self.save_button = QPushButton(self.tr("保存(&S)"), self)
        self.message = QLabel(self)
        self.message.setStyleSheet("color:#b3261e")
        self.served_label = QLabel(self)
        self.served = _Served(0, 5, self)
        self.served.setObjectName("served")
        self.served.setHorizontalHeaderLabels([self.tr(h) for h in ("户编号", "户主", "行政村", "脱贫状态", "帮扶期间")])
        self.served.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.served.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.served.verticalHeader().setVisible(False)
        self.served.verticalHeader().setDefaultSectionSize(22)
        self.served.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((92, 60, 70, 120)):
            self.served.setColumnWidth(i, w)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.only_active)
        top.addWidget(self.count)
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(self.table, 1)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.message, 1)
        rl.addLayout(buttons)
        rl.addWidget(self.served_label)
        rl.addWidget(self.served, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([760, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.down.connect(self._to_list)
        self.only_active.toggled.connect(lambda _c: self.reload())
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show(cur.row()))
        self.new_button.clicked.connect(self.new_helper)
        self.save_button.clicked.connect(self.save)
        self.served.open_row.connect(self._open_served)
        self.served.cellDoubleClicked.connect(lambda r, _c: self._open_served(r))
        self.reload()

    def reload(self, keep_id: int | None = None) -> None:
        keep = keep_id if keep_id is not None else self._current_id
        with self.database.session() as session:
            rows = [asdict(r) for r in rosters.helpers(session, self.search.text(),
                                                       only_active=self.only_active.isChecked())]
        self.model.set_rows(rows)
        self.count.setText(self.tr("共 %d 人") % len(rows))
        index = next((i for i, r in enumerate(rows) if r["id"] == keep), 0 if rows else -1)
        if index >= 0:
            self.table.selectRow(index)
            self._show(index)
        else:
            self._show(-1)

    def _to_list(self) -> None:
        self.table.setFocus()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _show(self, row: int) -> None:
        self.message.clear()
        if not 0 <= row < len(self.model.rows):
            self.current, self._current_id = None, None
            self.form.bind(None)
            self.served.setRowCount(0)
            self.served_label.setText("")
            return
        helper_id = self.model.rows[row]["id"]
        with self.database.session() as session:
            self.current = rosters.helper_values(session, helper_id)
            served = rosters.helper_households(session, helper_id)
        self._current_id = helper_id
        self.form.bind(self.current)
        self._fill_served(served)

    def _fill_served(self, served: list[rosters.ServedHousehold]) -> None:
        self._served_uuids = [s.uuid for s in served]
        self.served.setRowCount(len(served))
        for r, s in enumerate(served):
            period = f"{display(s.start_date)} 至 {display(s.end_date) or '今'}"
            for c, text in enumerate((s.household_number, s.head_name, s.village, s.exit_status, period)):
                item = QTableWidgetItem(display(text))
                if not s.current:
                    item.setForeground(Qt.GlobalColor.gray)
                self.served.setItem(r, c, item)
        current = sum(1 for s in served if s.current)
        self.served_label.setText(self.tr("帮扶的户：目前 %d 户（共 %d 户，灰色为已结束；Enter 打开明白卡）")
                                  % (current, len(served)))

    def _open_served(self, row: int) -> None:
        if 0 <= row < len(getattr(self, "_served_uuids", [])):
            self.open_household.emit(self._served_uuids[row])

    def new_helper(self) -> None:
        self._current_id = None
        self.current = {"name": None, "active": True}
        self.form.bind(self.current)
        self.served.setRowCount(0)
        self.served_label.setText(self.tr("新增帮扶责任人：填写后按 Alt+S 保存"))
        editor = self.form.first_editor()
        if editor is not None:
            editor.setFocus()

    def save(self) -> bool:
        if self.current is None:
            return False
        try:
            with self.database.session() as session:
                session.info["operator"] = self.operator() or None
                helper = rosters.save_helper(session, dict(self.current), self._current_id)
                helper_id = helper.id
        except (ValueError, LookupError) as exc:
            self.message.setText(str(exc))
            return False
        self.reload(helper_id)
        self.message.setStyleSheet("color:#1b7f3b")
        self.message.setText(self.tr("已保存"))
        self.helpers_changed.emit()
        return True

