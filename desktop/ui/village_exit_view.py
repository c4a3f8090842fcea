"""贫困村退出: every village's 贫困发生率 and exit indicators (检查 → 贫困村退出).

贫困发生率 = remaining poor population (current members of households not yet
exited) ÷ the village's total population; a village may exit when it is below
the threshold (default 2 %) and every required indicator is met. Enter (or a
double click) edits a village's population, exit years and indicators.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import exit_assessment as ea

SHORT = {
    "road_hardened": "公路", "bus_service": "客运", "safe_drinking_water": "饮水", "electricity": "用电",
    "broadcast_tv": "广电", "culture_center": "文化", "clinic_with_doctor": "卫生室", "broadband": "宽带",
    "environment_beautified": "美化", "dangerous_houses_renovated": "危改", "village_office_built": "村室",
}
BASE_COLUMNS = (("township", "乡镇", 56), ("code", "村代码", 92), ("name", "村名称", 64), ("kind", "类型", 56),
                ("total_population", "村总人口", 58), ("households", "建档户数", 58),
                ("registered", "建档人口", 58), ("remaining_households", "未脱贫户", 58),
                ("remaining", "未脱贫人口", 66), ("incidence", "贫困发生率", 68))
TAIL_COLUMNS = (("can_exit", "可退出", 48), ("reasons", "说明", 220))


class VillageModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ea.VillageExit] = []
        self.indicator_keys: list[str] = []

    def set_rows(self, rows: list[ea.VillageExit]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.indicator_keys = [i.key for i in rows[0].indicators] if rows else []
        self.endResetModel()

    def columns(self) -> list[tuple[str, str, int]]:
        middle = [(f"i:{k}", SHORT.get(k, k), 40) for k in self.indicator_keys]
        return [*BASE_COLUMNS, *middle, *TAIL_COLUMNS]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns())

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        key, title, _w = self.columns()[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.tr(title)
        if role == Qt.ItemDataRole.ToolTipRole and key.startswith("i:"):
            v = self.rows[0].indicators[self.indicator_keys.index(key[2:])] if self.rows else None
            return (v.label + ("（必需）" if v.required else "（参考）")) if v else None
        return None

    def text(self, v: ea.VillageExit, key: str) -> str:
        if key.startswith("i:"):
            ind = next(i for i in v.indicators if i.key == key[2:])
            return {True: "✔", False: "✘", None: "—"}[ind.value]
        if key == "incidence":
            return "" if v.incidence is None else f"{v.incidence:.2%}"
        if key == "can_exit":
            return "是" if v.can_exit else "否"
        if key == "reasons":
            return "；".join(v.reasons)
        value = getattr(v, key)
        return "" if value is None else str(value)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        v = self.rows[index.row()]
        key = self.columns()[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(v, key)
        if role == Qt.ItemDataRole.TextAlignmentRole and (key.startswith("i:") or key == "can_exit"):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "incidence" and v.incidence is not None:
                return QColor("#2e7d32" if v.incidence_ok else "#c9302c")
            if key == "can_exit":
                return QColor("#2e7d32" if v.can_exit else "#c9302c")
            if key.startswith("i:"):
                ind = next(i for i in v.indicators if i.key == key[2:])
                if ind.value is not True:
                    return QColor("#c9302c" if ind.required else "#999999")
        return None


class VillageEditDialog(QDialog):
    """Population, exit years and indicators of one village."""

    def __init__(self, village: ea.VillageExit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.village = village
        self.setWindowTitle(self.tr("编辑 %1").replace("%1", village.name))
        form = QFormLayout(self)
        self.population = QSpinBox(self)
        self.population.setRange(0, 1_000_000)
        self.population.setSpecialValueText(self.tr("未填"))
        self.population.setValue(village.total_population or 0)
        self.planned = QSpinBox(self)
        self.exit_year = QSpinBox(self)
        for box, value in ((self.planned, village.planned_exit_year), (self.exit_year, village.exit_year)):
            box.setRange(1999, 2035)
            box.setSpecialValueText(self.tr("未填"))
            box.setValue(value or 1999)
        form.addRow(self.tr("村总人口(&P)"), self.population)
        form.addRow(self.tr("计划退出年度"), self.planned)
        form.addRow(self.tr("退出年度"), self.exit_year)
        self.checks: dict[str, QCheckBox] = {}
        for ind in village.indicators:
            box = QCheckBox(self.tr(ind.label) + ("" if ind.required else self.tr("（参考）")), self)
            box.setTristate(True)
            box.setCheckState({True: Qt.CheckState.Checked, False: Qt.CheckState.Unchecked,
                               None: Qt.CheckState.PartiallyChecked}[ind.value])
            box.setToolTip(self.tr("半选 = 未填"))
            form.addRow(box)
            self.checks[ind.key] = box
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("保存(&S)"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "total_population": self.population.value() or None,
            "planned_exit_year": None if self.planned.value() == 1999 else self.planned.value(),
            "exit_year": None if self.exit_year.value() == 1999 else self.exit_year.value(),
        }
        for key, box in self.checks.items():
            out[key] = {Qt.CheckState.Checked: True, Qt.CheckState.Unchecked: False,
                        Qt.CheckState.PartiallyChecked: None}[box.checkState()]
        return out


class VillageExitView(QWidget):
    """Signals:
        villages_changed(): a village's data was edited.
    """

    villages_changed = Signal()

    def __init__(self, database: Any, operator: Any = lambda: "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.operator = operator
        self.model = VillageModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("village_exit")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.edit_button = QPushButton(self.tr("编辑所选村(Enter)…"), self)
        self.refresh_button = QPushButton(self.tr("刷新(F5)"), self)
        note = QLabel(self.tr("贫困发生率 = 未脱贫建档立卡人口 ÷ 村总人口；✔ 已达标　✘ 未达标　— 未填"), self)
        note.setStyleSheet("color:#666")
        bar = QHBoxLayout()
        bar.addWidget(self.edit_button)
        bar.addWidget(self.refresh_button)
        bar.addWidget(note, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.edit_button.clicked.connect(self.edit_current)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.activated.connect(lambda _i: self.edit_current())  # Enter or a double click
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.refresh()

    def refresh(self) -> None:
        current = self.current()
        with self.database.session() as session:
            rows = ea.village_overview(session)
        self.model.set_rows(rows)
        for i, (_k, _t, width) in enumerate(self.model.columns()):
            self.table.setColumnWidth(i, width)
        ready = sum(1 for v in rows if v.can_exit)
        threshold = rows[0].threshold if rows else 0.02
        self.summary.setText(self.tr("共 %1 个村，%2 个村符合退出条件（贫困发生率低于 %3 且必需指标全部达标）。")
                             .replace("%1", str(len(rows))).replace("%2", str(ready))
                             .replace("%3", f"{threshold:.0%}"))
        row = next((i for i, v in enumerate(rows) if current and v.uuid == current.uuid), 0)
        if rows:
            self.table.selectRow(row)

    def current(self) -> ea.VillageExit | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() and index.row() < len(self.model.rows) else None

    def edit_current(self) -> None:
        village = self.current()
        if village is None:
            return
        dialog = VillageEditDialog(village, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.save(village.uuid, dialog.values())

    def save(self, uuid: str, values: dict[str, Any]) -> bool:
        try:
            with self.database.session() as session:
                ea.update_village(session, uuid, values, operator=self.operator() or None)
        except ea.AssessmentError as exc:
            QMessageBox.warning(self, self.tr("不能保存"), "\n".join(exc.reasons))
            return False
        self.refresh()
        self.villages_changed.emit()
        return True
