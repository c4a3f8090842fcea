"""贫困标准 (poverty lines by year and scope) and 乡镇设置 (township name, working year)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from db.models import PovertyLine
from desktop.core import rosters
from desktop.ui.card_editor.records import RowListModel
from desktop.ui.fields import TextEdit, YearEdit
from desktop.ui.forms import RecordForm, specs
from desktop.ui.rosters.common import make_table

LINE_COLUMNS = [("year", "年度"), ("scope", "标准类别"), ("amount", "标准(元/人·年)"), ("source", "依据"), ("note", "备注")]


class PovertyLineRoster(QWidget):
    """Signals: lines_changed()."""

    lines_changed = Signal()

    def __init__(self, database: Database, operator=lambda: "", parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.database = database
        self.operator = operator
        self.current: dict[str, Any] | None = None
        self.model = RowListModel(LINE_COLUMNS, self)
        self.table = make_table(self.model, self, [60, 80, 110, 300])
        self.table.setObjectName("poverty_lines")
        self.form = RecordForm(specs(PovertyLine, ["year", "scope", "amount", "source", "note"],
                                     source={"span": 2}, note={"span": 3}), 3, self, title=self.tr("标准"))
        self.new_button = QPushButton(self.tr("新增(&A)"), self)
        self.save_button = QPushButton(self.tr("保存(&S)"), self)
        self.delete_button = QPushButton(self.tr("删除(&E)"), self)
        self.message = QLabel(self)
        note = QLabel(self.tr("脱贫判定用当年的“脱贫标准”，没有时用“国家”标准。标注“待核实”的数值请向县扶贫办核实后修改。"),
                      self)
        note.setStyleSheet("color:#666")
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show(cur.row()))
        self.new_button.clicked.connect(self.new_line)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete)
        self.reload()

    def reload(self, keep_id: int | None = None) -> None:
        with self.database.session() as session:
            rows = [asdict(r) for r in rosters.poverty_lines(session)]
        self.model.set_rows(rows)
        index = next((i for i, r in enumerate(rows) if r["id"] == keep_id), 0 if rows else -1)
        if index >= 0:
            self.table.selectRow(index)
        self._show(index)

    def _show(self, row: int) -> None:
        self.current = dict(self.model.rows[row]) if 0 <= row < len(self.model.rows) else None
        self.form.bind(self.current)

    def new_line(self) -> None:
        self.current = {"id": None, "year": None, "scope": "脱贫标准", "amount": None, "source": None, "note": None}
        self.form.bind(self.current)
        editor = self.form.first_editor()
        if editor is not None:
            editor.setFocus()

    def save(self) -> bool:
        c = self.current
        if c is None:
            return False
        if c.get("year") is None or c.get("amount") is None or not c.get("scope"):
            self._error(self.tr("请填写年度、标准类别和金额"))
            return False
        try:
            with self.database.session() as session:
                session.info["operator"] = self.operator() or None
                line = rosters.save_poverty_line(session, rosters.LineRow(
                    c.get("id"), c["year"], c["scope"], c["amount"], c.get("source"), c.get("note")))
                line_id = line.id
        except (ValueError, LookupError) as exc:
            self._error(str(exc))
            return False
        self.reload(line_id)
        self.message.setStyleSheet("color:#1b7f3b")
        self.message.setText(self.tr("已保存"))
        self.lines_changed.emit()
        return True

    def delete(self) -> None:
        c = self.current
        if not c or c.get("id") is None:
            return
        if QMessageBox.question(self, self.tr("删除标准"), self.tr("删除 %s 年的“%s”标准？") % (c["year"], c["scope"])) \
                != QMessageBox.StandardButton.Yes:
            return
        with self.database.session() as session:
            session.info["operator"] = self.operator() or None
            rosters.delete_poverty_line(session, c["id"])
        self.reload()
        self.lines_changed.emit()

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color:#b3261e")
        self.message.setText(text)


class TownshipSettings(QWidget):
    """Signals: settings_changed()."""

    settings_changed = Signal()

    def __init__(self, database: Database, operator=lambda: "", parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.database = database
        self.operator = operator
        self.names: dict[int, TextEdit] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        with database.session() as session:
            townships = rosters.townships(session)
            year = rosters.working_year(session)
            stored = rosters.get_setting(session, rosters.WORKING_YEAR_KEY)
        for t in townships:
            box = QGroupBox(self.tr("乡镇"), self)
            form = QFormLayout(box)
            name = TextEdit(box, max_length=50)
            name.set_value(t.name)
            name.setObjectName(f"township_name_{t.id}")
            name.setMaximumWidth(360)
            self.names[t.id] = name
            form.addRow(self.tr("乡镇名称(&N)"), name)
            form.addRow(self.tr("乡镇代码"), QLabel(t.code))
            form.addRow(self.tr("所属县"), QLabel(f"{t.province or ''}{t.prefecture or ''}{t.county_name}（{t.county_code}）"))
            layout.addWidget(box)
        box = QGroupBox(self.tr("工作年度"), self)
        form = QFormLayout(box)
        self.year = YearEdit(box)
        self.year.setObjectName("working_year")
        self.year.setMaximumWidth(120)
        self.year.set_value(year)
        form.addRow(self.tr("工作年度(&Y)"), self.year)
        hint = QLabel(self.tr("年龄按工作年度 12 月 31 日计算；新增收入、措施默认为该年度；打印与检查也按此年度。")
                      + ("" if stored else self.tr("（目前未设置，取最新收入年度 %d）") % year), box)
        hint.setStyleSheet("color:#666")
        hint.setWordWrap(True)
        form.addRow(hint)
        layout.addWidget(box)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("保存(&S)"), self)
        self.message = QLabel(self)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.message, 1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.save_button.clicked.connect(self.save)

    def save(self) -> bool:
        year = self.year.value()
        if year is None:
            self.message.setStyleSheet("color:#b3261e")
            self.message.setText(self.tr("请填写工作年度（四位年份）"))
            return False
        try:
            with self.database.session() as session:
                session.info["operator"] = self.operator() or None
                for township_id, edit in self.names.items():
                    rosters.rename_township(session, township_id, edit.text())
                rosters.set_working_year(session, year)
        except (ValueError, LookupError) as exc:
            self.message.setStyleSheet("color:#b3261e")
            self.message.setText(str(exc))
            return False
        self.message.setStyleSheet("color:#1b7f3b")
        self.message.setText(self.tr("已保存"))
        self.settings_changed.emit()
        return True
