"""Forms built from the models' column info (label, code list, type).

``spec(Model, "key")`` reads the Chinese label and the code list from the column;
``RecordForm`` lays fields out in a grid of label/editor pairs, row by row, so the
Tab order is the reading order of the paper form, and writes every change straight
into the bound row dict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget
from sqlalchemy import Boolean, Date, Integer, Numeric, Text

from desktop.core.households import codelist_of, label
from desktop.ui.fields import (
    Choice,
    ChoiceCombo,
    CodeCombo,
    DateEdit,
    IntEdit,
    MemoEdit,
    MoneyEdit,
    TextEdit,
    YearEdit,
    YesNoCombo,
    set_issue,
)

MULTILINE = {"plan_text", "content", "problems_solved", "work_team_members"}


@dataclass
class FieldSpec:
    key: str
    label: str
    kind: str  # text, memo, code, choice, yesno, date, int, year, money, custom (extra['factory'])
    codelist: str | None = None
    choices: list[Choice] | None = None
    span: int = 1  # grid columns (label+editor pairs) the field takes
    max_length: int | None = None
    only: list[str] | None = None  # subset of a code list
    readonly: bool = False
    extra: dict = field(default_factory=dict)


def spec(model: type, key: str, **overrides: Any) -> FieldSpec:
    column = model.__table__.columns.get(key)
    kind = "text"
    max_length = None
    codelist = codelist_of(model, key)
    if column is not None:
        t = column.type
        if codelist:
            kind = "code"
        elif isinstance(t, Boolean):
            kind = "yesno"
        elif isinstance(t, Date):
            kind = "date"
        elif isinstance(t, Integer):
            kind = "year" if key.endswith("year") or key == "year" else "int"
        elif isinstance(t, Numeric):
            kind = "money"
        elif isinstance(t, Text):
            kind = "memo" if key in MULTILINE else "text"
        else:
            max_length = getattr(t, "length", None)
    result = FieldSpec(key=key, label=label(model, key), kind=kind, codelist=codelist, max_length=max_length)
    for name, value in overrides.items():
        setattr(result, name, value)
    return result


def specs(model: type, keys: Sequence[str], **per_key: dict) -> list[FieldSpec]:
    return [spec(model, k, **per_key.get(k, {})) for k in keys]


def make_editor(s: FieldSpec, parent: QWidget | None = None) -> QWidget:
    if s.kind == "custom":
        w: QWidget = s.extra["factory"](parent)
    elif s.kind == "code":
        w = CodeCombo(s.codelist, parent, only=s.only)
    elif s.kind == "choice":
        w = ChoiceCombo(s.choices or [], parent)
    elif s.kind == "yesno":
        w = YesNoCombo(parent)
    elif s.kind == "date":
        w = DateEdit(parent)
    elif s.kind == "int":
        w = IntEdit(parent, **s.extra)
    elif s.kind == "year":
        w = YearEdit(parent)
    elif s.kind == "money":
        w = MoneyEdit(parent)
    elif s.kind == "memo":
        w = MemoEdit(parent)
    else:
        w = TextEdit(parent, max_length=s.max_length)
    if s.readonly:
        if hasattr(w, "setReadOnly"):
            w.setReadOnly(True)
        else:
            w.setEnabled(False)
        w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    w.setObjectName(f"field_{s.key}")
    w.setAccessibleName(s.label)
    return w


class RecordForm(QWidget):
    """Label/editor pairs in ``columns`` columns, bound to a row dict.

    Signals:
        edited(key, value): the clerk changed a field (the row dict is already updated).
    """

    edited = Signal(str, object)

    def __init__(self, field_specs: Sequence[FieldSpec], columns: int = 3, parent: QWidget | None = None, *,
                 title: str | None = None) -> None:
        super().__init__(parent)
        self.specs = list(field_specs)
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._row: dict[str, Any] | None = None
        self._loading = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        host: QWidget = self
        if title:
            box = QGroupBox(title, self)
            outer.addWidget(box)
            host = box
            grid = QGridLayout(box)
        else:
            grid = QGridLayout()
            outer.addLayout(grid)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(5)
        self.grid = grid
        row = col = 0
        for s in self.specs:
            span = min(s.span, columns)
            if col + span > columns:
                row, col = row + 1, 0
            lab = QLabel(s.label, host)
            lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            editor = make_editor(s, host)
            lab.setBuddy(editor)
            grid.addWidget(lab, row, col * 2)
            grid.addWidget(editor, row, col * 2 + 1, 1, span * 2 - 1)
            self.editors[s.key] = editor
            self.labels[s.key] = lab
            editor.changed.connect(lambda value, key=s.key: self._on_changed(key, value))
            col += span
            if col >= columns:
                row, col = row + 1, 0
        for c in range(columns):
            grid.setColumnStretch(c * 2 + 1, 1)
        outer.addStretch(1)
        self.setEnabled(False)

    def bind(self, row: dict[str, Any] | None) -> None:
        """Show ``row`` (or nothing) and write later edits into it."""
        self._row = row
        self._loading = True
        for key, editor in self.editors.items():
            editor.set_value(None if row is None else row.get(key))
            set_issue(editor, None)
        self._loading = False
        self.setEnabled(row is not None)

    def row(self) -> dict[str, Any] | None:
        return self._row

    def refresh(self, keys: Sequence[str] | None = None) -> None:
        """Re-read values from the bound row (after code changed it)."""
        if self._row is None:
            return
        self._loading = True
        for key in keys or list(self.editors):
            if key in self.editors:
                self.editors[key].set_value(self._row.get(key))
        self._loading = False

    def _on_changed(self, key: str, value: Any) -> None:
        if self._loading or self._row is None:
            return
        self._row[key] = value
        self.edited.emit(key, value)

    def first_editor(self) -> QWidget | None:
        for s in self.specs:
            editor = self.editors[s.key]
            if editor.focusPolicy() != Qt.FocusPolicy.NoFocus and editor.isEnabled():
                return editor
        return None

    def show_issues(self, issues: dict[str, tuple[str, str]]) -> None:
        """Mark fields: key → (message, severity)."""
        for key, editor in self.editors.items():
            message, severity = issues.get(key, (None, ""))
            set_issue(editor, message, severity or "错误")

    def on_edit(self, fn: Callable[[str, Any], None]) -> None:
        self.edited.connect(fn)
