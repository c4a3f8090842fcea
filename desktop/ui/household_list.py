"""The household browser: village tree, search-as-you-type with filters, the lazy list and a detail pane.

Keys: Ctrl+F (window) puts the cursor in the search box; ↓ or Enter there moves to the
list (Enter on a single result opens it); Enter in the list opens the card.
"""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.core import households, povertylines, rosters
from desktop.core.idnumber import mask
from desktop.core.income import summarise
from desktop.core.search import NO_GROUP, Filters
from desktop.ui.fields import CodeCombo
from desktop.ui.helper_picker import HelperChoices, HelperPicker
from desktop.ui.household_model import HouseholdTableModel
from desktop.ui.village_tree import Scope, VillageTree

COLUMN_WIDTHS = {
    "household_number": 88,
    "head_name": 58,
    "village": 60,
    "group": 58,
    "size": 36,
    "attribute": 106,
    "main_cause": 112,
    "exit_status": 118,
    "phone": 92,
}


def too_short(text: str) -> bool:
    """Not yet a search: one letter, or fewer than four digits (every 户编号 starts alike)."""
    t = text.strip()
    if not t or not t.isascii() or " " in t:
        return False
    digits = t.rstrip("xX")
    return len(t) == 1 or (digits.isdigit() and len(t) < 4)


class SearchEdit(QLineEdit):
    """The search box; ↓ and Enter hand over to the list."""

    go_down = Signal()
    go_enter = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Down:
            self.go_down.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.go_enter.emit()
            return
        super().keyPressEvent(event)


class HouseholdView(QTableView):
    open_current = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_current.emit()
            return
        super().keyPressEvent(event)


class DetailPane(QTextBrowser):
    """A read-only summary of one household: enough to answer a phone call."""

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.setOpenLinks(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.uuid: str | None = None

    def show_household(self, uuid: str | None) -> None:
        self.uuid = uuid
        if uuid is None:
            self.setHtml(f"<p style='color:#666'>{html.escape(self.tr('在左侧列表中选择一户，这里显示其概要。'))}</p>")
            return
        try:
            with self.database.session() as session:
                card = households.load_card(session, uuid)
                year = rosters.working_year(session)
                village = dict((i, n) for i, _c, n in households.villages(session)).get(
                    card.household.get("village_id"), "")
                group = dict(households.groups(session, card.household.get("village_id"))).get(
                    card.household.get("group_id"), "")
                income_rows = []
                for rec in card.incomes:
                    s = summarise(rec)
                    line = povertylines.line_for(session, rec["year"])
                    income_rows.append((rec["year"], s.per_capita, line))
        except LookupError as exc:
            self.setHtml(f"<p>{html.escape(str(exc))}</p>")
            return
        self.setHtml(self.render(card, year, village, group, income_rows))

    def render(self, card: households.Card, year: int, village: str, group: str, income_rows: list) -> str:
        h = card.household
        e = html.escape

        def v(x: object) -> str:
            return e("" if x is None else str(x))

        causes = "、".join(x for x in (h.get("other_cause_1"), h.get("other_cause_2")) if x)
        parts = [
            "<style>td,th{padding:1px 4px;white-space:nowrap;} th{background:#eef1f5;text-align:left;} "
            "h3{margin:4px 0;} .muted{color:#666}</style>",
            f"<h3>{e(card.head_name or self.tr('（无户主）'))} <span class='muted'>{v(h.get('household_number'))}"
            "</span></h3>",
            f"<div>{e(village)} {e(group)} {v(h.get('address'))}</div>",
            f"<div>{e(self.tr('电话'))}：{v(h.get('phone'))}　{e(self.tr('人口'))}：{len(card.current_members)}</div>",
            f"<div>{v(h.get('attribute'))}　<b>{v(h.get('exit_status'))}</b>"
            f"{(' ' + v(h.get('exit_year')) + self.tr('年')) if h.get('exit_year') else ''}</div>",
            f"<div>{e(self.tr('致贫原因'))}：{v(h.get('main_cause'))}"
            f"{('（' + e(self.tr('其他')) + '：' + e(causes) + '）') if causes else ''}</div>",
            f"<p><b>{e(self.tr('家庭成员'))}</b></p><table cellspacing='0'>"
            f"<tr><th>{e(self.tr('姓名'))}</th><th>{e(self.tr('关系'))}</th><th>{e(self.tr('年龄'))}</th>"
            f"<th>{e(self.tr('健康'))}</th><th>{e(self.tr('证件号码'))}</th></tr>",
        ]
        for m in card.members:
            gone = m.get("status") == "自然减少"
            age = households.age_of(m.get("birth_date"), year)
            style = " style='color:#999;text-decoration:line-through'" if gone else ""
            parts.append(
                f"<tr{style}><td>{v(m.get('name'))}</td><td>{v(m.get('relation'))}</td><td>{v(age)}</td>"
                f"<td>{v(m.get('health'))}</td><td>{e(mask(m.get('id_number') or ''))}</td></tr>")
        parts.append("</table>")
        helpers = [a for a in card.assignments if not a.get("end_date") or a["end_date"] >= date.today()]
        if helpers:
            parts.append(f"<p><b>{e(self.tr('帮扶责任人'))}</b></p>")
            for a in helpers:
                parts.append(f"<div>{v(a.get('_name'))}　{v(a.get('_unit'))}　{v(a.get('_phone'))}</div>")
        if income_rows:
            parts.append(f"<p><b>{e(self.tr('人均纯收入'))}</b></p>")
            for yr, per_capita, line in income_rows[-2:]:
                mark = ""
                if per_capita is not None and line is not None:
                    mark = (f"<span style='color:#1b7f3b'>{e(self.tr('高于标准'))} {line}</span>"
                            if per_capita >= line else
                            f"<span style='color:#b3261e'>{e(self.tr('低于标准'))} {line}</span>")
                parts.append(f"<div>{yr}：{v(per_capita)} {e(self.tr('元'))}　{mark}</div>")
        if card.visits:
            last = card.visits[-1]
            parts.append(f"<p><b>{e(self.tr('最近走访'))}</b>：{v(last.get('visited_on'))} {v(last.get('visitor'))}"
                         f"</p><div class='muted'>{v(last.get('content'))}</div>")
        return "".join(parts)


class HouseholdBrowser(QWidget):
    """Signals:
    open_requested(uuid): the clerk wants to edit this household.
    """

    open_requested = Signal(str)

    def __init__(self, database: Database, helper_choices: HelperChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.model = HouseholdTableModel(database, self)
        self.tree = VillageTree(database, self)
        self.tree.setMinimumWidth(140)

        self.search = SearchEdit(self)
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("查找：姓名、拼音首字母（zs）、身份证号或末几位、户编号、电话"))
        self.status_filter = CodeCombo("exit_status", self)
        self.attribute_filter = CodeCombo("household_attribute", self)
        self.cause_filter = CodeCombo("poverty_cause", self)
        self.helper_filter = HelperPicker(helper_choices, self)
        self.helper_filter.setPlaceholderText(self.tr("帮扶责任人"))
        self.helper_filter.setMaximumWidth(170)
        for combo, tip in ((self.status_filter, self.tr("脱贫状态")), (self.attribute_filter, self.tr("贫困户属性")),
                           (self.cause_filter, self.tr("主要致贫原因"))):
            combo.setToolTip(tip)
            combo.setAccessibleName(tip)
            combo.setItemText(0, tip)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        self.clear_button = QPushButton(self.tr("清除条件"), self)
        self.count_label = QLabel(self)
        self.count_label.setMinimumWidth(110)

        self.view = HouseholdView(self)
        self.view.setObjectName("households")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # No row numbers: sizing that header asks the model for hundreds of labels on every
        # new result set; the count is shown under the list instead.
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSortIndicator(self.model.keys.index("village"), Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self.model.sort)
        for key, width in COLUMN_WIDTHS.items():
            self.view.setColumnWidth(self.model.keys.index(key), width)
        header.setStretchLastSection(True)

        self.detail = DetailPane(database, self)
        self.detail.setMinimumWidth(230)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.attribute_filter)
        bar.addWidget(self.cause_filter)
        bar.addWidget(self.helper_filter, 1)
        bar.addWidget(self.clear_button)
        centre = QWidget(self)
        col = QVBoxLayout(centre)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(bar)
        col.addWidget(self.view, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.count_label)
        foot.addStretch(1)
        self.hint = QLabel(self.tr("Enter 打开明白卡　Ctrl+N 新建户　Ctrl+F 查找"), self)
        self.hint.setStyleSheet("color:#666")
        foot.addWidget(self.hint)
        col.addLayout(foot)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(centre)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([160, 856, 340])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        QWidget.setTabOrder(self.tree, self.search)
        QWidget.setTabOrder(self.search, self.status_filter)
        QWidget.setTabOrder(self.status_filter, self.attribute_filter)
        QWidget.setTabOrder(self.attribute_filter, self.cause_filter)
        QWidget.setTabOrder(self.cause_filter, self.helper_filter)
        QWidget.setTabOrder(self.helper_filter, self.clear_button)
        QWidget.setTabOrder(self.clear_button, self.view)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.apply_filters)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(60)
        self._detail_timer.timeout.connect(self._show_detail)

        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.go_down.connect(self.focus_list)
        self.search.go_enter.connect(self._enter_from_search)
        for combo in (self.status_filter, self.attribute_filter, self.cause_filter):
            combo.changed.connect(lambda _v: self._timer.start())
        self.helper_filter.changed.connect(lambda _v: self._timer.start())
        self.clear_button.clicked.connect(self.clear_filters)
        self.tree.scope_changed.connect(lambda _s: self._timer.start())
        self.model.queried.connect(self._on_queried)
        self.model.modelReset.connect(self._after_reset)
        self.view.open_current.connect(self._open_current)
        self.view.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._detail_timer.start())
        self.apply_filters()
        self.detail.show_household(None)

    # ----- filters ---------------------------------------------------------
    def filters(self) -> Filters:
        scope: Scope = self.tree.scope()
        text = self.search.text()
        if too_short(text):
            text = ""  # "z" or "10" matches half the township or all of it: wait for more keys
        return Filters(
            text=text,
            exit_status=self.status_filter.value(),
            attribute=self.attribute_filter.value(),
            main_cause=self.cause_filter.value(),
            helper_id=self.helper_filter.value(),
            township_id=scope.township_id,
            village_id=scope.village_id,
            group_id=scope.group_id,
        )

    def apply_filters(self) -> None:
        self._timer.stop()
        if too_short(self.search.text()) and self.model.rowCount():
            self._show_hint()  # keep what is listed until the text can narrow it
            return
        filters = self.filters()
        if filters != self.model.filters or not self.model.rowCount():
            self.model.set_filters(filters)
        self._show_hint()

    def refresh(self, keep_uuid: str | None = None) -> None:
        """Re-run the query (data changed), keeping the current household if still listed."""
        keep = keep_uuid or self.current_uuid()
        self.tree.reload()
        self.model.requery()
        if keep:
            self.select_uuid(keep)

    def clear_filters(self) -> None:
        for combo in (self.status_filter, self.attribute_filter, self.cause_filter):
            combo.set_value(None)
        self.helper_filter.set_value(None)
        self.search.clear()
        self.apply_filters()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def focus_list(self) -> None:
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.view.currentIndex().isValid() and self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))

    def _enter_from_search(self) -> None:
        self.apply_filters()
        if self.model.rowCount() == 1:
            self._open_row(0)
        else:
            self.focus_list()

    # ----- selection -------------------------------------------------------
    def current_uuid(self) -> str | None:
        index = self.view.currentIndex()
        return self.model.uuid_at(index.row()) if index.isValid() else None

    def selected_uuids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        out = []
        for r in rows:
            uuid = self.model.uuid_at(r)
            if uuid:
                out.append(uuid)
        return out

    def select_uuid(self, uuid: str) -> bool:
        with self.database.session() as session:
            from desktop.core.search import id_of

            hid = id_of(session, uuid)
        row = self.model.row_of_id(hid) if hid is not None else -1
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(index)
        return True

    def _open_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self._open_row(index.row())

    def _open_row(self, row: int) -> None:
        uuid = self.model.uuid_at(row)
        if uuid:
            self.open_requested.emit(uuid)

    def _on_queried(self, count: int, seconds: float) -> None:
        self.count_label.setText(self.tr("共 %s 户（%d 毫秒）") % (f"{count:,}", round(seconds * 1000)))

    def _show_hint(self) -> None:
        if too_short(self.search.text()):
            self.count_label.setText(self.tr("再输入几个字：字母至少 2 个，数字至少 4 位"))

    def _after_reset(self) -> None:
        if self.model.rowCount():
            self.view.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._detail_timer.start()

    def _show_detail(self) -> None:
        self.detail.show_household(self.current_uuid())

    def scope_for_new(self) -> tuple[int | None, int | None]:
        scope = self.tree.scope()
        group = scope.group_id if scope.group_id not in (None, NO_GROUP) else None
        return scope.village_id, group

