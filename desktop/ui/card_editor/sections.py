"""The sections of the card editor, one tab each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from db.models import ExitAssessment, HelpPlan, Household, IncomeRecord, Measure, Visit
from desktop.core import codelists, households
from desktop.core.households import Card, HistoryEntry
from desktop.core.income import IncomeError, summarise
from desktop.ui.card_editor.records import RecordSection, display
from desktop.ui.fields import Choice, ChoiceCombo, keys_for
from desktop.ui.forms import FieldSpec, RecordForm, spec, specs
from desktop.ui.helper_picker import HelperChoices, HelperPicker

MAIN_CAUSES = [i.label for i in codelists.get("poverty_cause").items if i.code and int(i.code) <= 12]
OTHER_CAUSES = [i.label for i in codelists.get("poverty_cause").items if i.label != "产业扶贫失败"]


@dataclass
class EditorContext:
    """What the sections need from outside the card."""

    database: Database
    helper_choices: HelperChoices
    working_year: int
    villages: list[tuple[int, str, str]] = field(default_factory=list)
    lines: dict[int, Decimal | None] = field(default_factory=dict)

    def line(self, year: int | None) -> Decimal | None:
        if year is None:
            return None
        if year not in self.lines:
            from desktop.core.povertylines import line_for

            with self.database.session() as session:
                self.lines[year] = line_for(session, year)
        return self.lines[year]


class Section(QWidget):
    """Base of a tab. Signals: edited()."""

    edited = Signal()
    title = ""

    def load(self, card: Card) -> None:
        raise NotImplementedError

    def show_issues(self, issues: list[households.Issue]) -> None:  # noqa: B027 - optional hook
        pass

    def focus_first(self) -> None:
        w = self.first_editor()
        if w is not None:
            w.setFocus(Qt.FocusReason.OtherFocusReason)

    def first_editor(self) -> QWidget | None:
        return None

    def focus_field(self, row: int | None, key: str | None) -> None:  # noqa: ARG002
        self.focus_first()

    def commit(self) -> None:
        """Finish any edit in progress."""


def _scroll(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class FormsSection(Section):
    """Several titled forms, all bound to ``card.household``."""

    def __init__(self, ctx: EditorContext, groups: Sequence[tuple[str, list[FieldSpec], int]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.card: Card | None = None
        inner = QWidget()
        col = QVBoxLayout(inner)
        col.setContentsMargins(6, 6, 6, 6)
        self.forms: list[RecordForm] = []
        for title, field_specs, columns in groups:
            form = RecordForm(field_specs, columns, inner, title=title)
            form.edited.connect(self._edited)
            col.addWidget(form)
            self.forms.append(form)
        self.extra = QVBoxLayout()
        col.addLayout(self.extra)
        col.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_scroll(inner))

    def editor(self, key: str) -> QWidget:
        for form in self.forms:
            if key in form.editors:
                return form.editors[key]
        raise KeyError(key)

    def load(self, card: Card) -> None:
        self.card = card
        for form in self.forms:
            form.bind(card.household)

    def _edited(self, key: str, value: Any) -> None:
        self.on_edit(key, value)
        self.edited.emit()

    def on_edit(self, key: str, value: Any) -> None:
        """Hook for dependent fields."""

    def refresh(self, keys: Sequence[str] | None = None) -> None:
        for form in self.forms:
            form.refresh(keys)

    def first_editor(self) -> QWidget | None:
        return self.forms[0].first_editor() if self.forms else None

    def show_issues(self, issues: list[households.Issue]) -> None:
        marks = {i.field: (i.message, i.severity) for i in issues if i.section == "household" and i.field}
        for form in self.forms:
            form.show_issues({k: v for k, v in marks.items() if k in form.editors})

    def focus_field(self, row: int | None, key: str | None) -> None:  # noqa: ARG002
        for form in self.forms:
            if key in form.editors:
                form.editors[key].setFocus(Qt.FocusReason.OtherFocusReason)
                return
        self.focus_first()


# --------------------------------------------------------------------------- 基本情况


class BasicSection(FormsSection):
    title = "基本情况"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        village_choices = [Choice(i, name, keys_for(name, code, code[-3:])) for i, code, name in ctx.villages]
        place = [
            spec(Household, "village_id", kind="choice", choices=village_choices),
            spec(Household, "group_id", kind="choice", choices=[]),
            spec(Household, "natural_village"),
            spec(Household, "household_number"),
            spec(Household, "local_number"),
            spec(Household, "household_size", readonly=True, kind="int"),
            spec(Household, "address", span=2),
            spec(Household, "phone"),
            spec(Household, "bank_name", span=2),
            spec(Household, "bank_account"),
        ]
        status = specs(Household, ["identification_standard", "attribute", "identification_year",
                                   "exit_status", "planned_exit_year", "exit_year"])
        flags = specs(Household, ["is_military_family", "is_only_child", "is_two_daughters", "is_relocated",
                                  "relocation_willing", "relocation_mode", "resettlement_mode", "resettlement_place"])
        check = specs(Household, ["verified_by", "verified_on", "verification_result", "note"],
                      verification_result={"span": 3}, note={"span": 3})
        super().__init__(ctx, [("户籍与联系", place, 3), ("识别与脱贫", status, 3), ("户类型", flags, 4),
                               ("核查（回头看）", check, 3)], parent)
        self.village = self.editor("village_id")
        self.group = self.editor("group_id")

    def load(self, card: Card) -> None:
        self._set_groups(card.household.get("village_id"))
        super().load(card)

    def _set_groups(self, village_id: int | None) -> None:
        with self.ctx.database.session() as session:
            groups = households.groups(session, village_id)
        self.group.set_choices([Choice(i, name, keys_for(name)) for i, name in groups])

    def on_edit(self, key: str, value: Any) -> None:
        if key == "village_id" and self.card is not None:
            self._set_groups(value)
            valid = {c.value for c in self.group.choices()}
            if self.card.household.get("group_id") not in valid:
                self.card.household["group_id"] = None
            self.group.set_value(self.card.household.get("group_id"))

    def set_size(self, size: int) -> None:
        if self.card is not None:
            self.card.household["household_size"] = size
            self.refresh(["household_size"])


# --------------------------------------------------------------------------- 致贫原因


class CausesSection(FormsSection):
    title = "致贫原因"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        causes = [
            spec(Household, "main_cause", only=MAIN_CAUSES),
            spec(Household, "other_cause_1", only=OTHER_CAUSES),
            spec(Household, "other_cause_2", only=OTHER_CAUSES),
        ]
        relapse = specs(Household, ["relapse_year", "relapse_cause"])
        super().__init__(ctx, [("致贫原因（主要原因单选；其他原因最多两项，不能与主要原因相同）", causes, 3),
                               ("返贫", relapse, 3)], parent)
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.facts.setStyleSheet("color:#444; padding:6px")
        self.extra.addWidget(self.facts)

    def load(self, card: Card) -> None:
        super().load(card)
        self._restrict()
        self.update_facts()

    def on_edit(self, key: str, value: Any) -> None:
        if key in ("main_cause", "other_cause_1", "other_cause_2"):
            self._restrict()

    def _restrict(self) -> None:
        """The other causes never offer the main one (nor each other's)."""
        if self.card is None:
            return
        h = self.card.household
        for key, other_key in (("other_cause_1", "other_cause_2"), ("other_cause_2", "other_cause_1")):
            combo: ChoiceCombo = self.editor(key)  # type: ignore[assignment]
            excluded = {h.get("main_cause"), h.get(other_key)} - {None}
            allowed = [c for c in OTHER_CAUSES if c not in excluded or c == h.get(key)]
            combo.set_choices([Choice(c, c, keys_for(c, codelists.get("poverty_cause").code_of(c) or ""))
                               for c in allowed])
            combo.set_value(h.get(key))

    def update_facts(self) -> None:
        if self.card is None:
            return
        members = self.card.current_members
        year = self.ctx.working_year
        sick = sum(1 for m in members if m.get("health") in ("长期慢性病", "患有大病"))
        disabled = sum(1 for m in members if m.get("health") == "残疾")
        students = sum(1 for m in members if m.get("student_status") not in (None, "非在校生"))
        able = sum(1 for m in members if m.get("labour_skill") in ("普通劳动力", "技能劳动力"))
        ages = [households.age_of(m.get("birth_date"), year) for m in members]
        old = sum(1 for a in ages if a is not None and a >= 60)
        self.facts.setText(self.tr(
            "供参考（%d 年度）：在册成员 %d 人，其中患病 %d 人、残疾 %d 人、在校生 %d 人、有劳动力 %d 人、60 岁以上 %d 人。")
            % (year, len(members), sick, disabled, students, able, old))


# --------------------------------------------------------------------------- 生产生活条件


class ConditionsSection(FormsSection):
    title = "生产生活条件"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        land = specs(Household, ["cultivated_land", "cultivated_land_confirmed", "irrigated_land", "forest_land",
                                 "returned_farmland_forest", "fruit_forest", "pasture", "water_surface"])
        living = specs(Household, ["domestic_power", "production_power", "broadcast_tv", "drinking_water_difficult",
                                   "drinking_water_safe", "has_sanitary_toilet", "main_fuel", "joined_cooperative",
                                   "distance_to_road_km", "access_road_type"])
        housing = specs(Household, ["housing_area", "house_structure", "is_dangerous_house", "dangerous_house_grade"])
        super().__init__(ctx, [("土地（亩）", land, 4), ("生活条件", living, 4), ("住房", housing, 4)], parent)


# --------------------------------------------------------------------------- 收入情况


def _income_value(row: dict, what: str) -> Any:
    try:
        s = summarise(row)
    except IncomeError:
        return "？"
    return {"gross": s.gross, "net": s.net, "per_capita": s.per_capita}[what]


class IncomeSection(Section):
    title = "收入情况"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.card: Card | None = None

        def line_text(row: dict) -> str:
            line = ctx.line(row.get("year"))
            return display(line) if line is not None else "—"

        def verdict(row: dict) -> str:
            per = _income_value(row, "per_capita")
            line = ctx.line(row.get("year"))
            if not isinstance(per, Decimal) or line is None:
                return ""
            return self.tr("高于标准") if per >= line else self.tr("低于标准")

        columns = [("year", "年度"), ("population", "核算人口"), (lambda r: _income_value(r, "gross"), "年收入"),
                   (lambda r: _income_value(r, "net"), "年纯收入"), (lambda r: _income_value(r, "per_capita"), "人均纯收入"),
                   (line_text, "当年标准"), (verdict, "对比")]
        field_specs = specs(IncomeRecord, ["year", "population", "wage", "production", "property_income", "transfer",
                                           "transfer_family_planning", "transfer_dibao", "transfer_wubao",
                                           "transfer_pension", "transfer_eco", "transfer_other",
                                           "production_expense", "note"], note={"span": 2},
                            population={"kind": "int"})
        self.records = RecordSection(columns, field_specs, self._new_row, self, noun="年度收入", list_height=110,
                                     on_remove=self._removed)
        self.totals = QLabel(self)
        self.totals.setObjectName("income_totals")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setStyleSheet("QLabel{background:#f5f7fa;border:1px solid #d5dbe3;padding:8px;font-size:14px}")
        self.totals.setMinimumWidth(230)
        self.totals.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.records, 1)
        layout.addWidget(self.totals)
        self.records.edited.connect(self._changed)
        self.records.table.selectionModel().currentRowChanged.connect(lambda *_: self.update_totals())

    def _new_row(self) -> dict:
        years = {r.get("year") for r in self.records.rows}
        year = self.ctx.working_year
        while year in years:
            year += 1
        population = len(self.card.current_members) if self.card else None
        return households.new_row("incomes", year=year, population=population)

    def _removed(self, row: dict) -> None:
        if self.card is not None and row.get("uuid"):
            self.card.removed.setdefault("incomes", []).append(row["uuid"])

    def load(self, card: Card) -> None:
        self.card = card
        self.records.set_rows(card.incomes)
        self.update_totals()

    def _changed(self) -> None:
        self.update_totals()
        self.edited.emit()

    def update_totals(self) -> None:
        row = self.records.current_row()
        if not 0 <= row < len(self.records.rows):
            self.totals.setText(self.tr("没有收入记录。按 Alt+A 新增本年度收入。"))
            return
        r = self.records.rows[row]
        try:
            s = summarise(r)
        except IncomeError as exc:
            self.totals.setText(f"<span style='color:#b3261e'>{exc}</span>")
            return
        line = self.ctx.line(r.get("year"))
        per = display(s.per_capita) if s.per_capita is not None else self.tr("（核算人口未填）")
        parts = [
            f"<b>{r.get('year') or ''} {self.tr('年度')}</b>",
            f"{self.tr('年收入')}：{display(s.gross)} {self.tr('元')}",
            f"{self.tr('年纯收入')}：{display(s.net)} {self.tr('元')}",
            f"{self.tr('核算人口')}：{s.population} {self.tr('人')}",
            f"<b>{self.tr('人均纯收入')}：{per}</b>",
        ]
        if line is None:
            parts.append(self.tr("当年未设贫困标准（工具 → 贫困标准）"))
        else:
            parts.append(f"{self.tr('当年标准')}：{display(line)} {self.tr('元/人·年')}")
            if s.per_capita is not None:
                diff = s.per_capita - line
                colour = "#1b7f3b" if diff >= 0 else "#b3261e"
                word = self.tr("高于标准") if diff >= 0 else self.tr("低于标准")
                parts.append(f"<span style='color:{colour};font-weight:bold'>{word} {display(abs(diff))} 元</span>")
        if s.transfer_items_exceed:
            parts.append(f"<span style='color:#8a5a00'>{self.tr('“其中”各项之和超过转移性收入')}</span>")
        self.totals.setText("<br>".join(parts))

    def first_editor(self) -> QWidget | None:
        return self.records.form.first_editor() if self.records.rows else self.records.add_button

    def show_issues(self, issues: list[households.Issue]) -> None:
        self.records.show_issues(_by_row(issues, "incomes"))

    def focus_field(self, row: int | None, key: str | None) -> None:
        _focus_record(self.records, row, key)


def _by_row(issues: list[households.Issue], section: str) -> dict[int, dict[str, tuple[str, str]]]:
    out: dict[int, dict[str, tuple[str, str]]] = {}
    for i in issues:
        if i.section == section and i.row is not None:
            out.setdefault(i.row, {})[i.field or ""] = (i.message, i.severity)
    return out


def _focus_record(records: RecordSection, row: int | None, key: str | None) -> None:
    if row is not None:
        records.select(row)
    editor = records.form.editors.get(key or "") or records.form.first_editor()
    if editor is not None:
        editor.setFocus(Qt.FocusReason.OtherFocusReason)


class RecordsTab(Section):
    """A section that is one RecordSection over one list of the card."""

    section = ""

    def __init__(self, ctx: EditorContext, columns: Sequence, field_specs: Sequence[FieldSpec],
                 parent: QWidget | None = None, *, noun: str, form_columns: int = 3, list_height: int = 130) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.card: Card | None = None
        self.records = RecordSection(columns, field_specs, self.new_row, self, noun=noun, form_columns=form_columns,
                                     list_height=list_height, on_remove=self._removed)
        self.records.edited.connect(self.edited.emit)
        self.records.row_changed = self.row_changed  # type: ignore[method-assign]
        self.records.row_bound = self.row_bound  # type: ignore[method-assign]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.records)

    def new_row(self) -> dict:
        return households.new_row(self.section)

    def _removed(self, row: dict) -> None:
        if self.card is not None and row.get("uuid"):
            self.card.removed.setdefault(self.section, []).append(row["uuid"])

    def load(self, card: Card) -> None:
        self.card = card
        self.records.set_rows(card.section(self.section))

    def row_changed(self, key: str, value: Any) -> None:
        """Hook for dependent fields of the current row."""

    def row_bound(self, row: int) -> None:
        """Hook: row shown in the form."""

    def first_editor(self) -> QWidget | None:
        return self.records.form.first_editor() if self.records.rows else self.records.add_button

    def show_issues(self, issues: list[households.Issue]) -> None:
        self.records.show_issues(_by_row(issues, self.section))

    def focus_field(self, row: int | None, key: str | None) -> None:
        _focus_record(self.records, row, key)


# --------------------------------------------------------------------------- 帮扶责任人


class HelpersSection(RecordsTab):
    title = "帮扶责任人"
    section = "assignments"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        field_specs = [
            FieldSpec("helper_id", "帮扶责任人", "custom", span=2,
                      extra={"factory": lambda p: HelperPicker(ctx.helper_choices, p)}),
            FieldSpec("start_date", "帮扶开始日期", "date"),
            FieldSpec("end_date", "帮扶结束日期", "date"),
        ]
        columns = [("_name", "姓名"), ("_unit", "单位名称"), ("_post", "职务"), ("_phone", "联系电话"),
                   ("start_date", "开始日期"), ("end_date", "结束日期")]
        super().__init__(ctx, columns, field_specs, parent, noun="帮扶责任人", form_columns=2, list_height=160)
        note = QLabel(self.tr("帮扶关系结束时请填写结束日期，不必删除；结束日期为空表示仍在帮扶。"), self)
        note.setStyleSheet("color:#666; padding:0 6px")
        self.layout().addWidget(note)

    def new_row(self) -> dict:
        return households.new_row("assignments", start_date=date.today())

    def row_changed(self, key: str, value: Any) -> None:
        if key != "helper_id":
            return
        row = self.records.current_row()
        if not 0 <= row < len(self.records.rows):
            return
        r = self.records.rows[row]
        for k in ("_name", "_unit", "_post", "_phone"):
            r.pop(k, None)
        if value is not None:
            with self.ctx.database.session() as session:
                r.update(households.helper_display(session, value))
        self.records.model.changed(row)


# --------------------------------------------------------------------------- 帮扶计划与措施


class PlansSection(Section):
    title = "帮扶计划与措施"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.card: Card | None = None
        plan_specs = specs(HelpPlan, ["year", "target_exit_year", "plan_text"])
        self.plans = RecordSection([("year", "年度"), ("target_exit_year", "目标脱贫年度"),
                                    (lambda r: (r.get("plan_text") or "")[:30], "帮扶计划")],
                                   plan_specs, self._new_plan, self, noun="计划", form_columns=1, list_height=110,
                                   on_remove=lambda r: self._removed("plans", r))
        measure_specs = specs(Measure, ["year", "category", "subcategory", "status", "amount", "fund_source",
                                        "quantity", "quantity_unit", "helping_unit", "implemented_on",
                                        "beneficiary_uuid", "head_signed", "content"],
                              subcategory={"kind": "choice", "choices": []},
                              beneficiary_uuid={"kind": "choice", "choices": []},
                              quantity={"kind": "money"}, content={"span": 2})
        self.measures = RecordSection([("year", "年度"), ("category", "措施大类"), ("subcategory", "措施子项"),
                                       ("amount", "金额(元)"), ("fund_source", "资金来源"), ("status", "实施状态"),
                                       ("implemented_on", "实施日期")],
                                      measure_specs, self._new_measure, self, noun="措施", form_columns=2,
                                      list_height=140, on_remove=lambda r: self._removed("measures", r),
                                      keys=("M", "K"))
        self.plans.edited.connect(self.edited.emit)
        self.measures.edited.connect(self.edited.emit)
        self.measures.row_changed = self._measure_changed  # type: ignore[method-assign]
        self.measures.row_bound = self._measure_bound  # type: ignore[method-assign]
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.plans)
        splitter.addWidget(self.measures)
        splitter.setSizes([420, 880])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _removed(self, section: str, row: dict) -> None:
        if self.card is not None and row.get("uuid"):
            self.card.removed.setdefault(section, []).append(row["uuid"])

    def _new_plan(self) -> dict:
        years = {r.get("year") for r in self.plans.rows}
        year = self.ctx.working_year
        while year in years:
            year += 1
        return households.new_row("plans", year=year)

    def _new_measure(self) -> dict:
        return households.new_row("measures", year=self.ctx.working_year, status="计划")

    def load(self, card: Card) -> None:
        self.card = card
        self.plans.set_rows(card.plans)
        self.measures.set_rows(card.measures)

    def _measure_bound(self, row: int) -> None:
        if not 0 <= row < len(self.measures.rows) or self.card is None:
            return
        r = self.measures.rows[row]
        sub: ChoiceCombo = self.measures.form.editors["subcategory"]  # type: ignore[assignment]
        subs = codelists.measure_subcategories(r["category"]) if r.get("category") else []
        sub.set_choices([Choice(s, s, keys_for(s)) for s in subs])
        sub.set_value(r.get("subcategory"))
        who: ChoiceCombo = self.measures.form.editors["beneficiary_uuid"]  # type: ignore[assignment]
        who.set_choices([Choice(m["uuid"], m.get("name") or "", keys_for(m.get("name") or ""))
                         for m in self.card.members if m.get("uuid")])
        who.set_value(r.get("beneficiary_uuid"))

    def _measure_changed(self, key: str, _value: Any) -> None:
        if key == "category":
            row = self.measures.current_row()
            r = self.measures.rows[row]
            if r.get("subcategory") and r.get("category") and r["subcategory"] not in codelists.measure_subcategories(
                    r["category"]):
                r["subcategory"] = None
            self._measure_bound(row)

    def first_editor(self) -> QWidget | None:
        return self.plans.form.first_editor() if self.plans.rows else self.plans.add_button

    def show_issues(self, issues: list[households.Issue]) -> None:
        self.plans.show_issues(_by_row(issues, "plans"))
        self.measures.show_issues(_by_row(issues, "measures"))

    def focus_field(self, row: int | None, key: str | None, section: str = "plans") -> None:
        _focus_record(self.measures if section == "measures" else self.plans, row, key)


# --------------------------------------------------------------------------- 走访记录


class VisitsSection(RecordsTab):
    title = "走访记录"
    section = "visits"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        field_specs = [
            spec(Visit, "visited_on"),
            FieldSpec("helper_id", "走访的帮扶责任人", "custom",
                      extra={"factory": lambda p: HelperPicker(ctx.helper_choices, p)}),
            spec(Visit, "visitor"),
            spec(Visit, "mode"),
            spec(Visit, "head_signed"),
            spec(Visit, "content", span=2),
            spec(Visit, "problems_solved", span=2),
        ]
        columns = [("visited_on", "走访日期"), ("visitor", "走访人"), ("mode", "走访方式"),
                   (lambda r: (r.get("content") or "")[:40], "走访内容"), ("head_signed", "户主签字")]
        super().__init__(ctx, columns, field_specs, parent, noun="走访", form_columns=2, list_height=150)

    def new_row(self) -> dict:
        row = households.new_row("visits", visited_on=date.today(), mode="入户走访")
        if self.card is not None:
            current = [a for a in self.card.assignments if a.get("helper_id") and not a.get("end_date")]
            if current:
                row["helper_id"] = current[0]["helper_id"]
                row["visitor"] = current[0].get("_name")
        return row

    def row_changed(self, key: str, value: Any) -> None:
        row = self.records.current_row()
        if key == "helper_id" and value is not None and 0 <= row < len(self.records.rows):
            r = self.records.rows[row]
            if not r.get("visitor"):
                r["visitor"] = self.ctx.helper_choices.text_of(value).split("（")[0]
                self.records.form.refresh(["visitor"])


# --------------------------------------------------------------------------- 脱贫评估


class ExitSection(RecordsTab):
    title = "两不愁三保障与脱贫评估"
    section = "exits"

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        keys = households.editable_fields(ExitAssessment)
        per_key = {k: {"span": 2} for k in keys if k.endswith("_evidence")}
        per_key["note"] = {"span": 3}
        field_specs = specs(ExitAssessment, keys, **per_key)
        # Lay the 两不愁三保障 items out as "item | evidence" pairs on one row each.
        columns = [("year", "评估年度"), ("per_capita_income", "年人均纯收入"), ("threshold", "脱贫标准"),
                   ("decision", "评估结论"), ("resulting_status", "认定脱贫状态"), ("resulting_exit_year", "认定脱贫年度")]
        super().__init__(ctx, columns, field_specs, parent, noun="评估", form_columns=3, list_height=90)
        self.fill_button = QPushButton(self.tr("按收入和当年标准填入(&I)"), self)
        self.fill_button.clicked.connect(self.fill_from_income)
        self.records.extra_buttons.insertWidget(2, self.fill_button)

    def new_row(self) -> dict:
        years = {r.get("year") for r in self.records.rows}
        year = self.ctx.working_year
        while year in years:
            year += 1
        row = households.new_row("exits", year=year)
        self._fill(row)
        return row

    def _fill(self, row: dict) -> None:
        if self.card is None:
            return
        income = next((r for r in self.card.incomes if r.get("year") == row.get("year")), None)
        if income is not None:
            try:
                row["per_capita_income"] = summarise(income).per_capita
            except IncomeError:
                pass
        row["threshold"] = self.ctx.line(row.get("year"))

    def fill_from_income(self) -> None:
        row = self.records.current_row()
        if 0 <= row < len(self.records.rows):
            self._fill(self.records.rows[row])
            self.records.form.refresh(["per_capita_income", "threshold"])
            self.records.model.changed(row)
            self.edited.emit()


# --------------------------------------------------------------------------- 修改记录


class HistorySection(Section):
    title = "修改记录"
    HEADERS = ("时间", "操作员", "操作", "对象", "字段", "原值", "新值")

    def __init__(self, load: Callable[[], list[HistoryEntry]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load = load
        self.table = QTableWidget(0, len(self.HEADERS), self)
        self.table.setObjectName("history")
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in self.HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        for i, width in enumerate((140, 70, 48, 150, 150, 160)):
            self.table.setColumnWidth(i, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.note = QLabel(self)
        self.note.setStyleSheet("color:#666")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.entries: list[HistoryEntry] = []

    def load(self, card: Card) -> None:  # noqa: ARG002 - history is read from the database
        self.reload()

    def reload(self) -> None:
        self.entries = self._load()
        self.table.setRowCount(len(self.entries))
        for r, e in enumerate(self.entries):
            for c, text in enumerate((e.at, e.operator, e.action, e.entity, e.field, e.old, e.new)):
                item = QTableWidgetItem(text)
                if c in (5, 6):
                    item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.note.setText(self.tr("共 %d 条修改记录（最新在前）。每次保存时自动记录操作员、时间、字段及原值→新值。")
                          % len(self.entries) if self.entries else self.tr("还没有修改记录（新建的户保存后才有记录）。"))

    def first_editor(self) -> QWidget | None:
        return self.table

