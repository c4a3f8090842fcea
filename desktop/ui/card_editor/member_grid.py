"""Members as an editable grid (家庭成员).

Keyboard: typing in a cell starts editing it (code-list cells take the code or the
pinyin initials: 01 / hz → 户主); Tab / Shift+Tab move along the row;
Enter finishes the row and goes to the name of the next member, adding a new row
after the last one; Insert adds a member. Typing an ID number fills 出生日期, 性别
and 年龄 (at 31 December of the working year) at once; a wrong check digit or
date, and a relation that does not fit the sex, colour the cell and are listed
under the grid. Saved members are never deleted: 成员减少 marks them with reason and
date (shown struck through).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.models import MEMBER_STATUS_REMOVED, Member
from desktop.core import codelists, households, idnumber
from desktop.ui.card_editor.records import display
from desktop.ui.fields import Choice, ChoiceCombo, DateEdit, keys_for, parse_date
from desktop.ui.forms import FieldSpec, make_editor, spec

Index = QModelIndex | QPersistentModelIndex

# Grid columns in keying order; short headers where the model's label is long.
GRID_COLUMNS: list[tuple[str, str | None, int]] = [
    ("name", None, 64),
    ("relation", None, 64),
    ("id_number", None, 150),
    ("sex", None, 40),
    ("birth_date", None, 82),
    ("age", "年龄", 36),
    ("ethnicity", "民族", 52),
    ("education", None, 84),
    ("student_status", None, 84),
    ("health", None, 76),
    ("labour_skill", None, 78),
    ("work_location", "务工所在地", 96),
    ("work_months", "务工月数", 56),
    ("political_status", None, 64),
    ("in_rural_medical", "医保", 40),
    ("in_serious_illness_insurance", "大病保险", 56),
    ("in_rural_pension", "养老保险", 56),
    ("on_dibao", "低保", 40),
    ("on_tekun", "特困", 40),
    ("phone", "电话", 92),
    ("id_type", None, 80),
    ("disability_type", None, 72),
    ("disability_grade", None, 56),
    ("disability_cert_no", None, 150),
    ("disability_cert_year", "办证年度", 60),
    ("illness_name", None, 80),
    ("illness_grade", None, 60),
    ("has_chronic_card", "慢性病卡", 56),
    ("chronic_card_no", None, 90),
    ("work_company", None, 100),
    ("employment_channel", None, 80),
    ("public_job_type", None, 90),
    ("public_job_months", "公益岗位月数", 70),
    ("in_employee_medical", "职工医保", 56),
    ("in_employee_pension", "职工养老", 56),
    ("is_active_military", "现役军人", 56),
    ("speaks_mandarin", "普通话", 48),
    ("note", None, 120),
    ("status", None, 64),
    ("change_reason", None, 64),
    ("change_date", None, 82),
]
READ_ONLY = {"age", "status", "change_reason", "change_date"}
IN_REASONS = [i.label for i in codelists.get("member_change_reason").items if i.extra.get("direction") == "in"]
OUT_REASONS = [i.label for i in codelists.get("member_change_reason").items if i.extra.get("direction") != "in"]


def column_specs() -> list[FieldSpec]:
    out = []
    for key, short, _width in GRID_COLUMNS:
        if key == "age":
            s = FieldSpec("age", "年龄", "int", readonly=True)
        else:
            s = spec(Member, key)
            if key == "work_months":
                s.kind, s.extra = "int", {"minimum": 0, "maximum": 12}
            elif key == "public_job_months":
                s.kind, s.extra = "int", {"minimum": 0, "maximum": 12}
            elif key == "id_number" or key == "disability_cert_no":
                s.kind, s.max_length = "text", 24
        s.extra.setdefault("short", short or s.label)
        out.append(s)
    return out


class MemberModel(QAbstractTableModel):
    """The card's member rows as a grid.

    Signals:
        edited(row, key): a cell changed (dependent cells may have changed too).
    """

    edited = Signal(int, str)

    def __init__(self, working_year: int, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.specs = column_specs()
        self.keys = [s.key for s in self.specs]
        self.rows: list[dict[str, Any]] = []
        self.working_year = working_year
        self.issues: dict[tuple[int, str], tuple[str, str]] = {}
        self.cell_errors: dict[tuple[int, str], str] = {}

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.cell_errors.clear()
        self.endResetModel()

    def set_issues(self, issues: list[households.Issue]) -> None:
        found: dict[tuple[int, str], tuple[str, str]] = {}
        for issue in issues:
            if issue.section != "members" or issue.row is None:
                continue
            key = issue.field if issue.field in self.keys else "name"
            previous = found.get((issue.row, key))
            if previous is None or (previous[1] != "错误" and issue.severity == "错误"):
                found[(issue.row, key)] = (issue.message, issue.severity)
        changed = set(found) | set(self.issues)
        self.issues = found
        for row, key in changed:
            if row < len(self.rows):
                index = self.index(row, self.keys.index(key))
                self.dataChanged.emit(index, index)

    def spec_at(self, column: int) -> FieldSpec:
        return self.specs[column]

    # ----- Qt model interface ---------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.keys)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            s = self.specs[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return s.extra.get("short") or s.label
            if role == Qt.ItemDataRole.ToolTipRole:
                return s.label
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and self.keys[index.column()] not in READ_ONLY:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def value(self, row: int, key: str) -> Any:
        r = self.rows[row]
        if key == "age":
            return households.age_of(r.get("birth_date"), self.working_year)
        return r.get(key)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, key = index.row(), self.keys[index.column()]
        r = self.rows[row]
        gone = r.get("status") == MEMBER_STATUS_REMOVED
        if role == Qt.ItemDataRole.DisplayRole:
            if (row, key) in self.cell_errors:
                return self.cell_errors[(row, key)].split("｜", 1)[-1]
            return display(self.value(row, key))
        if role == Qt.ItemDataRole.EditRole:
            return self.value(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if (row, key) in self.cell_errors:
                return self.cell_errors[(row, key)].split("｜", 1)[0]
            issue = self.issues.get((row, key))
            if issue:
                return f"{issue[1]}：{issue[0]}"
            if gone:
                return f"已减少：{r.get('change_reason') or ''} {display(r.get('change_date'))}"
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if (row, key) in self.cell_errors:
                return QBrush(QColor("#f8c4c4"))
            issue = self.issues.get((row, key))
            if issue:
                return QBrush(QColor("#f8c4c4" if issue[1] == "错误" else "#ffe9b0"))
            if key in READ_ONLY:
                return QBrush(QColor("#f3f3f3"))
            return None
        if role == Qt.ItemDataRole.ForegroundRole and gone:
            return QBrush(QColor("#8a8a8a"))
        if role == Qt.ItemDataRole.FontRole and gone and key == "name":
            font = QFont()
            font.setStrikeOut(True)
            return font
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row, key = index.row(), self.keys[index.column()]
        if key in READ_ONLY:
            return False
        r = self.rows[row]
        self.cell_errors.pop((row, key), None)
        if isinstance(value, str):
            value = value.strip() or None
        if key in ("id_number", "disability_cert_no") and value:
            value = idnumber.normalise(value)
        if r.get(key) == value and (r.get(key) is None) == (value is None):
            self.dataChanged.emit(index, index)
            return True
        r[key] = value
        if key == "id_number":
            self._fill_from_id(r)
        elif key == "disability_cert_no" and value:
            facts = households.id_facts(value, self.working_year)
            if facts.disability_type and not r.get("disability_type"):
                r["disability_type"], r["disability_grade"] = facts.disability_type, facts.disability_grade
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.keys) - 1))
        self.edited.emit(row, key)
        return True

    def set_cell_error(self, row: int, key: str, message: str, typed: str) -> None:
        self.cell_errors[(row, key)] = f"{message}｜{typed}"
        index = self.index(row, self.keys.index(key))
        self.dataChanged.emit(index, index)
        self.edited.emit(row, key)

    def _fill_from_id(self, r: dict[str, Any]) -> None:
        facts = households.id_facts(r.get("id_number"), self.working_year, r.get("id_type"))
        if facts.birth_date is None:
            return
        r["birth_date"] = facts.birth_date
        r["sex"] = facts.sex
        if facts.disability_type:
            r["disability_cert_no"] = r["id_number"]
            r["disability_type"], r["disability_grade"] = facts.disability_type, facts.disability_grade

    def insert_member(self, row: dict[str, Any] | None = None) -> int:
        if row is None:
            ethnicity = next((m.get("ethnicity") for m in self.rows if m.get("ethnicity")), "汉族")
            row = households.new_row("members", ethnicity=ethnicity)
        n = len(self.rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self.rows.append(row)
        self.endInsertRows()
        self.edited.emit(n, "")
        return n

    def remove_new_member(self, row: int) -> bool:
        if not 0 <= row < len(self.rows) or self.rows[row].get("uuid"):
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        self.rows.pop(row)
        self.endRemoveRows()
        self.cell_errors = {((r - 1 if r > row else r), k): v for (r, k), v in self.cell_errors.items() if r != row}
        self.edited.emit(row, "")
        return True

    def row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.keys) - 1))
        self.edited.emit(row, "status")


class FieldDelegate(QStyledItemDelegate):
    """Cell editors built from the column specs (the same editors as the forms)."""

    def __init__(self, model: MemberModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.member_model = model

    def createEditor(self, parent: QWidget, _option, index: Index) -> QWidget:  # noqa: N802, ANN001
        s = self.member_model.spec_at(index.column())
        editor = make_editor(s, parent)
        if isinstance(editor, QComboBox):
            editor.setFrame(False)
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        key = self.member_model.keys[index.column()]
        typed = self.member_model.cell_errors.get((index.row(), key))
        if typed is not None and isinstance(editor, DateEdit):
            editor.setText(typed.split("｜", 1)[-1])
            return
        editor.set_value(index.data(Qt.ItemDataRole.EditRole))
        if hasattr(editor, "selectAll"):
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractTableModel, index: Index) -> None:  # noqa: N802
        key = self.member_model.keys[index.column()]
        if isinstance(editor, DateEdit):
            try:
                value = parse_date(editor.text())
            except ValueError as exc:
                self.member_model.set_cell_error(index.row(), key, str(exc), editor.text())
                return
            model.setData(index, value, Qt.ItemDataRole.EditRole)
            return
        if getattr(editor, "error", None):
            self.member_model.set_cell_error(index.row(), key, editor.error, editor.text())
            return
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)


class MemberView(QTableView):
    """Enter finishes the row and goes to the next member's name (adding one at the end)."""

    next_row = Signal()

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:  # noqa: N802
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            self.next_row.emit()
            return
        super().closeEditor(editor, hint)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != QAbstractItemView.State.EditingState:
            self.next_row.emit()
            return
        if event.key() == Qt.Key.Key_Escape and self.state() != QAbstractItemView.State.EditingState:
            event.ignore()  # leave the card (handled by the editor)
            return
        super().keyPressEvent(event)

    def commit_open_editor(self) -> None:
        """Commit a cell being edited (before saving or switching sections)."""
        if self.state() == QAbstractItemView.State.EditingState:
            editor = self.indexWidget(self.currentIndex())
            if editor is not None:
                self.commitData(editor)
                super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)


class ChangeDialog(QDialog):
    """Reason and date of a member leaving (or joining) the household."""

    def __init__(self, title: str, reasons: list[str], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reason = ChoiceCombo([Choice(r, r, keys_for(r)) for r in reasons], self, allow_blank=False)
        self.on = DateEdit(self)
        self.on.set_value(date.today())
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("成员：%s") % name))
        form.addRow(self.tr("变动原因(&R)"), self.reason)
        form.addRow(self.tr("变动日期(&T)"), self.on)
        self.error = QLabel(self)
        self.error.setStyleSheet("color:#b3261e")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        try:
            on = parse_date(self.on.text())
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        if on is None:
            self.error.setText(self.tr("请填写变动日期"))
            return
        self.value = (self.reason.value(), on)
        self.accept()


class MemberGrid(QWidget):
    """The members section.

    Signals:
        edited(): any change of the members.
    """

    edited = Signal()

    def __init__(self, working_year: int, parent: QWidget | None = None,
                 ask_change: Callable[[str, list[str], str], tuple[str, date] | None] | None = None) -> None:
        super().__init__(parent)
        self.model = MemberModel(working_year, self)
        self.view = MemberView(self)
        self.view.setObjectName("members")
        self.view.setModel(self.model)
        self.delegate = FieldDelegate(self.model, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setTabKeyNavigation(True)
        self.view.verticalHeader().setDefaultSectionSize(24)
        for i, (_key, _short, width) in enumerate(GRID_COLUMNS):
            self.view.setColumnWidth(i, width)
        self.view.next_row.connect(self.next_row)
        self._ask_change = ask_change or self._dialog_change

        self.add_button = QPushButton(self.tr("添加成员(&A)"), self)
        self.depart_button = QPushButton(self.tr("成员减少(&L)…"), self)
        self.arrive_button = QPushButton(self.tr("标为新增成员(&J)…"), self)
        self.reinstate_button = QPushButton(self.tr("撤销减少(&U)"), self)
        self.remove_button = QPushButton(self.tr("删除未保存行(&X)"), self)
        for b in (self.depart_button, self.arrive_button, self.reinstate_button, self.remove_button):
            b.setEnabled(False)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("member_issues")
        self.message.setStyleSheet("QLabel{color:#8c1d18}")
        self.summary = QLabel(self)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.depart_button, self.arrive_button, self.reinstate_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        hint = QLabel(self.tr("在格子里直接输入；Tab 下一格，Enter 下一名成员（末行自动添加），Insert 添加成员。"
                              "录入身份证号自动填出生日期、性别和年龄。"), self)
        hint.setStyleSheet("color:#666")
        layout.addWidget(hint)

        self.add_button.clicked.connect(self.add_member)
        self.depart_button.clicked.connect(self.depart_current)
        self.arrive_button.clicked.connect(self.arrive_current)
        self.reinstate_button.clicked.connect(self.reinstate_current)
        self.remove_button.clicked.connect(self.remove_current)
        self.model.edited.connect(lambda *_: self.edited.emit())
        self.model.modelReset.connect(self._update)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update())

    def set_rows(self, rows: list[dict[str, Any]], working_year: int | None = None) -> None:
        if working_year is not None:
            self.model.working_year = working_year
        self.model.set_rows(rows)
        self._update()

    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Insert:
            self.add_member()
            return
        super().keyPressEvent(event)

    def add_member(self) -> None:
        self.view.commit_open_editor()
        row = self.model.insert_member()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.view.setCurrentIndex(self.model.index(row, 0))
        self._update()

    def next_row(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        if row == self.model.rowCount() - 1:
            if not (self.model.rows[row].get("name") or "").strip():
                return  # an empty last row: nothing to finish
            self.model.insert_member()
        self.view.setCurrentIndex(self.model.index(row + 1, 0))
        self._update()

    def _dialog_change(self, title: str, reasons: list[str], name: str) -> tuple[str, date] | None:
        dialog = ChangeDialog(title, reasons, name, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.value
        return None

    def depart_current(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        r = self.model.rows[row]
        answer = self._ask_change(self.tr("成员减少"), OUT_REASONS, r.get("name") or "")
        if answer:
            households.depart(r, *answer)
            self.model.row_changed(row)
            self._update()

    def arrive_current(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        r = self.model.rows[row]
        answer = self._ask_change(self.tr("新增成员"), IN_REASONS, r.get("name") or "")
        if answer:
            households.arrive(r, *answer)
            self.model.row_changed(row)
            self._update()

    def reinstate_current(self) -> None:
        row = self.current_row()
        if row >= 0:
            households.reinstate(self.model.rows[row])
            self.model.row_changed(row)
            self._update()

    def remove_current(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        if self.model.rows[row].get("uuid"):
            QMessageBox.information(self, self.tr("不能删除"), self.tr("已保存的成员不能删除，请用“成员减少”注明原因和日期。"))
            return
        self.model.remove_new_member(row)
        self._update()

    def _update(self) -> None:
        row = self.current_row()
        r = self.model.rows[row] if 0 <= row < len(self.model.rows) else None
        saved = bool(r and r.get("uuid"))
        gone = bool(r and r.get("status") == MEMBER_STATUS_REMOVED)
        self.depart_button.setEnabled(bool(r) and not gone)
        self.arrive_button.setEnabled(bool(r) and not gone)
        self.reinstate_button.setEnabled(gone or bool(r and r.get("change_reason")))
        self.remove_button.setEnabled(bool(r) and not saved)
        current = sum(1 for m in self.model.rows if m.get("status") != MEMBER_STATUS_REMOVED)
        self.summary.setText(self.tr("在册 %d 人，共 %d 行") % (current, len(self.model.rows)))

    def show_issues(self, issues: list[households.Issue]) -> None:
        self.model.set_issues(issues)
        lines = [f"{i.where()}：{i.message}" for i in issues if i.section == "members"]
        lines += [f"家庭成员第{r + 1}行：{m.split('｜', 1)[0]}" for (r, _k), m in self.model.cell_errors.items()]
        self.message.setText("\n".join(lines[:6]) + (f"\n……共 {len(lines)} 条" if len(lines) > 6 else ""))
        self.message.setVisible(bool(lines))

    def focus_first(self) -> None:
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.view.currentIndex().isValid() and self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))

