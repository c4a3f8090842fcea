"""行政村名册: each village with its 第一书记, 驻村工作队, paired enterprise and exit indicators."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from db.engine import Database
from db.models import Village
from desktop.core import rosters
from desktop.ui.card_editor.records import RowListModel
from desktop.ui.forms import RecordForm, specs
from desktop.ui.rosters.common import make_table


def _incidence(row: dict) -> str:
    total = row.get("total_population")
    if not total:
        return ""
    return f"{row['poor_people'] * 100 / total:.2f}%"


COLUMNS = [("code", "村代码"), ("name", "村名称"), ("poverty_village_type", "贫困村类型"), ("households", "建档户数"),
           ("poor_people", "未脱贫人口"), ("total_population", "村总人口"), (_incidence, "贫困发生率"),
           ("first_secretary", "第一书记"), ("work_team_unit", "工作队派出单位"), ("paired_enterprise", "结对企业"),
           (lambda r: f"{r['exit_indicators_met']}/{r['exit_indicators_total']}", "退出指标"), ("exit_year", "退出年度")]


class VillageRoster(QWidget):
    villages_changed = Signal()

    def __init__(self, database: Database, operator=lambda: "", parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.database = database
        self.operator = operator
        self.current: dict[str, Any] | None = None
        self.model = RowListModel(COLUMNS, self)
        self.table = make_table(self.model, self, [104, 64, 70, 60, 70, 60, 70, 60, 120, 150, 56])
        self.table.setObjectName("villages")
        support = specs(Village, ["name", *rosters.VILLAGE_SUPPORT_FIELDS], work_team_members={"span": 2},
                        first_secretary_unit={"span": 1})
        exits = specs(Village, list(rosters.VILLAGE_EXIT_FIELDS), note={"span": 3})
        self.support_form = RecordForm(support, 3, self, title=self.tr("驻村帮扶与结对"))
        self.exit_form = RecordForm(exits, 4, self, title=self.tr("贫困村退出指标"))
        self.save_button = QPushButton(self.tr("保存(&S)"), self)
        self.message = QLabel(self)
        self.note = QLabel(self.tr("贫困发生率 = 未脱贫建档立卡人口 ÷ 村总人口（河南省标准：低于 2%）。"), self)
        self.note.setStyleSheet("color:#666")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.note)
        lower = QWidget(self)
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.support_form)
        ll.addWidget(self.exit_form)
        ll.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([230, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show(cur.row()))
        self.save_button.clicked.connect(self.save)
        self.reload()

    def reload(self, keep_id: int | None = None) -> None:
        with self.database.session() as session:
            rows = [asdict(r) for r in rosters.village_rows(session)]
        self.model.set_rows(rows)
        index = next((i for i, r in enumerate(rows) if r["id"] == keep_id), 0 if rows else -1)
        if index >= 0:
            self.table.selectRow(index)
            self._show(index)

    def _show(self, row: int) -> None:
        self.message.clear()
        if not 0 <= row < len(self.model.rows):
            self.current = None
            self.support_form.bind(None)
            self.exit_form.bind(None)
            return
        with self.database.session() as session:
            self.current = rosters.village_values(session, self.model.rows[row]["id"])
        self.support_form.bind(self.current)
        self.exit_form.bind(self.current)

    def save(self) -> bool:
        if self.current is None:
            return False
        try:
            with self.database.session() as session:
                session.info["operator"] = self.operator() or None
                rosters.save_village(session, self.current["id"], dict(self.current))
        except (ValueError, LookupError) as exc:
            self.message.setStyleSheet("color:#b3261e")
            self.message.setText(str(exc))
            return False
        self.reload(self.current["id"])
        self.message.setStyleSheet("color:#1b7f3b")
        self.message.setText(self.tr("已保存"))
        self.villages_changed.emit()
        return True
