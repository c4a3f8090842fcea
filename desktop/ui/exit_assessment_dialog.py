"""脱贫评估: the exit assessment of one household for one year.

Shows the per-capita net income against that year's line (from the editable
贫困标准 table), each 两不愁三保障 item with its evidence and what the recorded
data says about it, the procedure dates, and the decision. 保存 with 通过 moves
the household to 已脱贫 (all in its history); anything that stands in the way is
listed in red as the form is filled in. Reachable from 检查 → 脱贫评估 and from
the problems list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core import exit_assessment as ea
from desktop.core.checks import settings as check_settings

EMPTY_DATE = QDate(2000, 1, 1)  # shown as 未填
OK_CHOICES = (("未评定", ""), ("是", "yes"), ("否", "no"))
STATUS_CHOICES = ("已脱贫（享受政策）", "已脱贫（不再享受政策）")


class DateField(QDateEdit):
    """A date that may be empty (未填); Delete or Backspace with everything selected empties it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(EMPTY_DATE)
        self.setSpecialValueText(self.tr("未填"))
        self.setDate(EMPTY_DATE)

    def value(self) -> date | None:
        d = self.date()
        return None if d == EMPTY_DATE else date(d.year(), d.month(), d.day())

    def set_value(self, value: date | None) -> None:
        self.setDate(EMPTY_DATE if value is None else QDate(value.year, value.month, value.day))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (
                self.value() is None or self.lineEdit().selectedText() == self.lineEdit().text()):
            self.setDate(EMPTY_DATE)
            return
        if self.value() is None and event.text().isdigit():
            self.setDate(QDate.currentDate())
        super().keyPressEvent(event)


class ExitAssessmentDialog(QDialog):
    """Signals:
        saved(): an assessment was stored (the household may have changed status).
    """

    saved = Signal()

    def __init__(self, database: Any, household_uuid: str, year: int | None = None, operator: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.household_uuid = household_uuid
        self.operator = operator
        self.assessment: ea.Assessment | None = None
        self._loading = False
        with database.session() as session:
            settings = check_settings.load(session)
            self.settings = settings
            default_year = year or check_settings.check_year(session, settings)
        self.setWindowTitle(self.tr("脱贫评估"))
        self.resize(980, 660)

        self.header = QLabel(self)
        self.header.setWordWrap(True)
        self.year = QSpinBox(self)
        self.year.setRange(2010, 2035)
        self.year.setValue(default_year)
        year_label = QLabel(self.tr("评估年度(&Y)"), self)
        year_label.setBuddy(self.year)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(year_label)
        top.addWidget(self.year)

        self.income = QLabel(self)
        self.income.setTextFormat(Qt.TextFormat.RichText)
        self.income.setWordWrap(True)

        items_box = QGroupBox(self.tr("两不愁三保障"), self)
        grid = QGridLayout(items_box)
        for col, title in enumerate((self.tr("项目"), self.tr("评定"), self.tr("依据"), self.tr("系统核对"))):
            head = QLabel(f"<b>{title}</b>", items_box)
            grid.addWidget(head, 0, col)
        self.item_widgets: dict[str, tuple[QComboBox, QLineEdit, QLabel]] = {}
        for row, (key, _evidence_key, label) in enumerate(ea.ITEMS, 1):
            name = QLabel(self.tr(label) + f"(&{row})", items_box)
            combo = QComboBox(items_box)
            for text, value in OK_CHOICES:
                combo.addItem(self.tr(text), value)
            evidence = QLineEdit(items_box)
            evidence.setPlaceholderText(self.tr("入户核实的情况、证明材料"))
            basis = QLabel(items_box)
            basis.setWordWrap(True)
            name.setBuddy(combo)
            grid.addWidget(name, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(evidence, row, 2)
            grid.addWidget(basis, row, 3)
            self.item_widgets[key] = (combo, evidence, basis)
            combo.currentIndexChanged.connect(self._update_reasons)
            evidence.textChanged.connect(self._update_reasons)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(3, 2)
        self.apply_button = QPushButton(self.tr("按数据填写未评定的项目(&D)"), items_box)
        self.apply_button.clicked.connect(self.apply_suggestions)
        grid.addWidget(self.apply_button, len(ea.ITEMS) + 1, 0, 1, 2)

        steps_box = QGroupBox(self.tr("退出程序"), self)
        steps = QGridLayout(steps_box)
        self.step_widgets: dict[str, DateField] = {}
        for n, (key, label) in enumerate(ea.STEPS):
            field = DateField(steps_box)
            text = QLabel(self.tr(label), steps_box)
            text.setBuddy(field)
            steps.addWidget(text, n // 4 * 2, n % 4)
            steps.addWidget(field, n // 4 * 2 + 1, n % 4)
            self.step_widgets[key] = field
            field.dateChanged.connect(self._update_reasons)
        self.review_result = QLineEdit(steps_box)
        self.review_result.setPlaceholderText(self.tr("如：同意退出"))
        self.head_confirmed = QCheckBox(self.tr("户主已签字认可(&H)"), steps_box)
        review_label = QLabel(self.tr("民主评议结果(&R)"), steps_box)
        review_label.setBuddy(self.review_result)
        steps.addWidget(review_label, 0, 4)
        steps.addWidget(self.review_result, 1, 4)
        steps.addWidget(self.head_confirmed, 3, 3, 1, 2)
        for column in range(4):
            steps.setColumnStretch(column, 1)
        steps.setColumnStretch(4, 2)
        self.review_result.textChanged.connect(self._update_reasons)
        self.head_confirmed.toggled.connect(self._update_reasons)

        decision_box = QGroupBox(self.tr("评估结论"), self)
        form = QFormLayout(decision_box)
        self.decision = QComboBox(decision_box)
        self.decision.addItem(self.tr("（未决定）"), "")
        for d in ea.DECISIONS:
            self.decision.addItem(self.tr(d), d)
        self.resulting_status = QComboBox(decision_box)
        for s in STATUS_CHOICES:
            self.resulting_status.addItem(self.tr(s), s)
        self.resulting_year = QSpinBox(decision_box)
        self.resulting_year.setRange(2010, 2035)
        self.note = QLineEdit(decision_box)
        form.addRow(self.tr("评估结论(&C)"), self.decision)
        form.addRow(self.tr("认定脱贫状态"), self.resulting_status)
        form.addRow(self.tr("认定脱贫年度"), self.resulting_year)
        form.addRow(self.tr("备注(&N)"), self.note)
        self.decision.currentIndexChanged.connect(self._update_reasons)

        self.reasons = QLabel(self)
        self.reasons.setWordWrap(True)
        self.reasons.setStyleSheet("color:#c9302c")
        lower = QHBoxLayout()
        lower.addWidget(decision_box, 2)
        lower.addWidget(self.reasons, 3)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("保存(&S)"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("关闭"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.income)
        layout.addWidget(items_box)
        layout.addWidget(steps_box)
        layout.addLayout(lower)
        layout.addWidget(self.buttons)
        self.year.valueChanged.connect(lambda _v: self.load())
        self.load()

    # ----- form <-> assessment -------------------------------------------------
    def load(self) -> None:
        year = self.year.value()
        with self.database.session() as session:
            a = ea.assess(session, self.household_uuid, year)
        self.assessment = a
        self._loading = True
        status = f"{a.current_status}" + (f"（{a.current_exit_year}年）" if a.current_exit_year else "")
        self.header.setText(self.tr("<b>户 %1</b>　户主 %2　%3　当前脱贫状态：%4").replace("%1", a.household_number or "")
                            .replace("%2", a.head_name or "未登记").replace("%3", a.village or "").replace("%4", status))
        if a.per_capita is None:
            income = self.tr("%1 年度没有收入核算（或核算人口为0）。").replace("%1", str(year))
        else:
            income = self.tr("收入：核算人口 %1 人，年纯收入 %2 元，<b>年人均纯收入 %3 元</b>").replace(
                "%1", str(a.population)).replace("%2", str(a.net)).replace("%3", str(a.per_capita))
        if a.line is None:
            income += self.tr("；贫困标准表中没有 %1 年度的标准。").replace("%1", str(year))
        else:
            ok = a.income_ok
            color = "#2e7d32" if ok else "#c9302c"
            verdict = self.tr("高于标准") if ok else self.tr("未超过标准")
            income += self.tr("；当年标准 %1 元　<span style='color:%2'><b>%3</b></span>").replace(
                "%1", str(a.line)).replace("%2", color).replace("%3", verdict) if a.per_capita is not None else \
                self.tr("；当年标准 %1 元").replace("%1", str(a.line))
        self.income.setText(income)
        for item in a.items:
            combo, evidence, basis = self.item_widgets[item.key]
            combo.setCurrentIndex(0 if item.ok is None else (1 if item.ok else 2))
            evidence.setText(item.evidence)
            mark = {True: "✔", False: "✘", None: "？"}[item.suggested]
            color = {True: "#2e7d32", False: "#c9302c", None: "#777"}[item.suggested]
            basis.setText(f"<span style='color:{color}'>{mark} {item.basis}</span>")
        for step in a.steps:
            self.step_widgets[step.key].set_value(step.on)
        self.review_result.setText(a.democratic_review_result)
        self.head_confirmed.setChecked(bool(a.head_confirmed))
        self.decision.setCurrentIndex(max(self.decision.findData(a.decision or ""), 0))
        self.resulting_status.setCurrentIndex(max(self.resulting_status.findData(
            a.resulting_status or STATUS_CHOICES[0]), 0))
        self.resulting_year.setValue(a.resulting_exit_year or year)
        self.note.setText(a.note)
        self._loading = False
        self._update_reasons()

    def form_assessment(self) -> ea.Assessment:
        """The assessment as the form shows it now."""
        a = self.assessment
        items = []
        for item in a.items:
            combo, evidence, _basis = self.item_widgets[item.key]
            value = combo.currentData()
            ok = None if not value else value == "yes"
            items.append(ea.Item(item.key, item.evidence_key, item.label, ok, evidence.text(), item.suggested,
                                 item.basis))
        steps = [ea.Step(s.key, s.label, self.step_widgets[s.key].value()) for s in a.steps]
        decision = self.decision.currentData() or None
        return replace(a, items=items, steps=steps, democratic_review_result=self.review_result.text(),
                       head_confirmed=self.head_confirmed.isChecked() or None, decision=decision,
                       resulting_status=self.resulting_status.currentData(),
                       resulting_exit_year=self.resulting_year.value(), note=self.note.text())

    def apply_suggestions(self) -> None:
        for item in self.assessment.items:
            combo, evidence, _basis = self.item_widgets[item.key]
            if combo.currentIndex() == 0 and item.suggested is not None:
                combo.setCurrentIndex(1 if item.suggested else 2)
                if not evidence.text().strip():
                    evidence.setText(item.basis)

    def _update_reasons(self) -> None:
        if self._loading or self.assessment is None:
            return
        reasons = ea.blocking_reasons(self.form_assessment(), self.settings)
        if not reasons:
            self.reasons.setStyleSheet("color:#2e7d32")
            self.reasons.setText(self.tr("各项条件齐备，可以评为“通过”。"))
        else:
            self.reasons.setStyleSheet("color:#c9302c")
            self.reasons.setText(self.tr("评为“通过”前还需：") + "\n" + "\n".join(f"· {r}" for r in reasons))

    def save(self) -> bool:
        a = self.form_assessment()
        try:
            with self.database.session() as session:
                ea.save(session, a, operator=self.operator or None)
        except ea.AssessmentError as exc:
            QMessageBox.warning(self, self.tr("不能保存"),
                                self.tr("没有保存，原因：") + "\n" + "\n".join(f"· {r}" for r in exc.reasons))
            return False
        self.saved.emit()
        self.load()
        self.reasons.setStyleSheet("color:#2e7d32")
        self.reasons.setText(self.tr("已保存。当前脱贫状态：%1").replace("%1", self.assessment.current_status) + "\n"
                             + self.reasons.text())
        return True
