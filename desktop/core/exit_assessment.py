"""The exit assessment (精准退出, domain.md §3.2–§3.5).

Household level: for one household and year, the per-capita net income against
that year's line (the editable ``poverty_line`` table), each 两不愁三保障 item
(plus 饮水安全) with its evidence and what the recorded data suggests, the
procedure steps with dates (民主评议 → 核实 → 户主签字 → 公示 → 乡镇审核 →
县审定), and the decision. Saving a decision of 通过 moves the household to
已脱贫 with that exit year; every change is in the household's history.

Village level: 贫困发生率 = remaining poor population ÷ the village's total
population, against the threshold in ``resources/rules.yaml`` (village_exit),
with the village exit indicators.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.models import MEMBER_STATUS_REMOVED, AuditLog, ExitAssessment, Household, Member, Township, Village
from desktop.core import povertylines
from desktop.core.checks import settings as check_settings
from desktop.core.income import summarise

PASSED, FAILED, PENDING = "通过", "不通过", "待定"
DECISIONS = (PASSED, FAILED, PENDING)
EXITED_DEFAULT = "已脱贫（享受政策）"

# (ok column, evidence column, label)
ITEMS = (
    ("food_ok", "food_evidence", "不愁吃"),
    ("clothing_ok", "clothing_evidence", "不愁穿"),
    ("education_ok", "education_evidence", "义务教育有保障"),
    ("medical_ok", "medical_evidence", "基本医疗有保障"),
    ("housing_ok", "housing_evidence", "住房安全有保障"),
    ("water_ok", "water_evidence", "饮水安全有保障"),
)
STEPS = (
    ("democratic_review_on", "民主评议"),
    ("village_verified_on", "村两委及驻村工作队核实"),
    ("head_confirmed_on", "户主签字认可"),
    ("publicity_start", "村内公示开始"),
    ("publicity_end", "村内公示结束"),
    ("township_reviewed_on", "乡镇审核"),
    ("county_approved_on", "县审定"),
)
VILLAGE_INDICATOR_LABELS = {name: Village.__table__.c[name].info["label"] for name in (
    "road_hardened", "bus_service", "safe_drinking_water", "electricity", "broadcast_tv", "culture_center",
    "clinic_with_doctor", "broadband", "environment_beautified", "dangerous_houses_renovated",
    "village_office_built")}


class AssessmentError(ValueError):
    """The assessment cannot be saved; ``reasons`` lists why, in Chinese."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.reasons = reasons


@dataclass
class Item:
    key: str  # the *_ok column
    evidence_key: str
    label: str
    ok: bool | None = None  # what the assessor recorded
    evidence: str = ""
    suggested: bool | None = None  # what the recorded household data says (None: cannot tell)
    basis: str = ""  # why, in Chinese


@dataclass
class Step:
    key: str
    label: str
    on: date | None = None


@dataclass
class Assessment:
    household_uuid: str
    household_number: str | None
    head_name: str | None
    village: str | None
    year: int
    current_status: str
    current_exit_year: int | None
    population: int | None = None
    gross: Decimal | None = None
    net: Decimal | None = None
    per_capita: Decimal | None = None
    line: Decimal | None = None
    items: list[Item] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    democratic_review_result: str = ""
    head_confirmed: bool | None = None
    decision: str | None = None
    resulting_status: str | None = None
    resulting_exit_year: int | None = None
    note: str = ""
    record_uuid: str | None = None  # the stored ExitAssessment, if any

    @property
    def income_ok(self) -> bool | None:
        if self.per_capita is None or self.line is None:
            return None
        return self.per_capita > self.line

    def item(self, key: str) -> Item:
        return next(i for i in self.items if i.key == key)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)


# --------------------------------------------------------------------------- what the data says


def _age(m: Member, year: int) -> int | None:
    return year - m.birth_date.year if m.birth_date else None


def suggestions(household: Household, year: int, settings: Any = None) -> dict[str, tuple[bool | None, str]]:
    """For each item: (True/False/None, the basis in Chinese) from the recorded data."""
    settings = settings or check_settings.load(None)
    members = household.current_members
    low, high = settings.compulsory_school_age
    out: dict[str, tuple[bool | None, str]] = {
        "food_ok": (None, "需入户核实口粮和肉蛋奶等"),
        "clothing_ok": (None, "需入户核实四季衣被"),
    }
    school_age = [m for m in members if (a := _age(m, year)) is not None and low <= a <= high]
    dropouts = [m.name for m in school_age if m.student_status in (None, "", "非在校生")]
    if dropouts:
        out["education_ok"] = (False, f"义务教育阶段未在校：{'、'.join(dropouts)}")
    elif school_age:
        out["education_ok"] = (True, f"{len(school_age)} 名义务教育阶段适龄儿童均在校")
    else:
        out["education_ok"] = (True, "无义务教育阶段适龄儿童")
    uninsured = [m.name for m in members if not m.in_rural_medical and not m.in_employee_medical]
    sick = [m.name for m in members if m.health in ("长期慢性病", "患有大病") and not m.in_serious_illness_insurance]
    if uninsured or sick:
        parts = []
        if uninsured:
            parts.append(f"未参加基本医疗保险：{'、'.join(uninsured)}")
        if sick:
            parts.append(f"患病未参加大病保险：{'、'.join(sick)}")
        out["medical_ok"] = (False, "；".join(parts))
    else:
        out["medical_ok"] = (True, "全家参加基本医疗保险，患病成员参加大病保险")
    grade = household.dangerous_house_grade
    if household.is_dangerous_house or grade in ("C级", "D级"):
        out["housing_ok"] = (False, f"危房（{grade or '等级未填'}）")
    elif household.housing_area is not None and household.housing_area <= 0:
        out["housing_ok"] = (False, "住房面积为0")
    elif grade in ("A级", "B级"):
        out["housing_ok"] = (True, f"住房安全等级{grade}，面积 {household.housing_area or '未填'} 平方米")
    else:
        out["housing_ok"] = (None, "住房安全等级未填，需核实")
    if household.drinking_water_difficult:
        out["water_ok"] = (False, "饮水困难")
    elif household.drinking_water_safe is False:
        out["water_ok"] = (False, "饮水不安全")
    elif household.drinking_water_safe:
        out["water_ok"] = (True, "饮水安全、不困难")
    else:
        out["water_ok"] = (None, "饮水情况未填，需核实")
    return out


# --------------------------------------------------------------------------- load / validate / save


def _household(session: Session, household_uuid: str) -> Household:
    household = session.scalar(select(Household).where(Household.uuid == household_uuid))
    if household is None:
        raise AssessmentError([f"找不到这一户（{household_uuid}）"])
    return household


def assess(session: Session, household_uuid: str, year: int) -> Assessment:
    """The assessment of one household for ``year``: the stored record (if any) plus the
    income accounting, the line and what the data suggests for each item."""
    household = _household(session, household_uuid)
    record = next((a for a in household.exit_assessments if a.year == year), None)
    income = next((r for r in household.incomes if r.year == year), None)
    result = Assessment(
        household_uuid=household.uuid, household_number=household.household_number,
        head_name=household.head.name if household.head else None,
        village=household.village.name if household.village else None, year=year,
        current_status=household.exit_status, current_exit_year=household.exit_year,
        line=povertylines.line_for(session, year),
    )
    if income is not None:
        summary = summarise(income)
        result.population, result.gross, result.net, result.per_capita = (
            summary.population, summary.gross, summary.net, summary.per_capita)
    hints = suggestions(household, year, check_settings.load(session))
    for ok_key, evidence_key, label in ITEMS:
        suggested, basis = hints[ok_key]
        result.items.append(Item(ok_key, evidence_key, label,
                                 ok=getattr(record, ok_key) if record else None,
                                 evidence=(getattr(record, evidence_key) or "") if record else "",
                                 suggested=suggested, basis=basis))
    result.steps = [Step(key, label, getattr(record, key) if record else None) for key, label in STEPS]
    if record is not None:
        result.record_uuid = record.uuid
        result.democratic_review_result = record.democratic_review_result or ""
        result.head_confirmed = record.head_confirmed
        result.decision = record.decision
        result.resulting_status = record.resulting_status
        result.resulting_exit_year = record.resulting_exit_year
        result.note = record.note or ""
    return result


def blocking_reasons(a: Assessment, settings: Any = None) -> list[str]:
    """Why the decision 通过 cannot be recorded (empty: it can)."""
    settings = settings or check_settings.load(None)
    reasons = []
    if a.line is None:
        reasons.append(f"贫困标准表中没有 {a.year} 年度的标准，请先在贫困标准中填写")
    if a.per_capita is None:
        reasons.append(f"没有 {a.year} 年度的收入核算（或核算人口为0），无法核定人均纯收入")
    elif a.line is not None and not a.per_capita > a.line:
        reasons.append(f"{a.year} 年度人均纯收入 {a.per_capita} 元，未超过当年标准 {a.line} 元")
    for item in a.items:
        if item.ok is not True:
            reasons.append(f"“{item.label}”{'评为否' if item.ok is False else '尚未评定'}")
        elif not item.evidence.strip():
            reasons.append(f"“{item.label}”没有填写依据")
    missing = [s.label for s in a.steps if s.on is None]
    if missing:
        reasons.append(f"程序日期未填：{'、'.join(missing)}")
    dated = [s for s in a.steps if s.on is not None]
    for earlier, later in zip(dated, dated[1:], strict=False):
        if later.on < earlier.on:
            reasons.append(f"{later.label}（{later.on:%Y-%m-%d}）早于{earlier.label}（{earlier.on:%Y-%m-%d}）")
    start, end = a.step("publicity_start").on, a.step("publicity_end").on
    if start and end and end >= start and (end - start).days < settings.publicity_min_days:
        reasons.append(f"村内公示仅 {(end - start).days} 天，应不少于 {settings.publicity_min_days} 天")
    if a.head_confirmed is not True:
        reasons.append("户主尚未签字认可")
    if not a.democratic_review_result.strip():
        reasons.append("民主评议结果未填")
    return reasons


def save(session: Session, a: Assessment, operator: str | None = None) -> ExitAssessment:
    """Store the assessment; a decision moves the household's status (see module doc).

    Raises :class:`AssessmentError` (nothing changed) when the decision is 通过 but
    :func:`blocking_reasons` finds reasons, or the decision is not a known one.
    """
    settings = check_settings.load(session)
    if a.decision not in (None, "", *DECISIONS):
        raise AssessmentError([f"评估结论“{a.decision}”无效（可选：{'、'.join(DECISIONS)}）"])
    if a.decision == PASSED:
        reasons = blocking_reasons(a, settings)
        if reasons:
            raise AssessmentError(reasons)
    household = _household(session, a.household_uuid)
    if operator:
        session.info["operator"] = operator  # the audit log names who decided
    record = next((r for r in household.exit_assessments if r.year == a.year), None)
    if record is None:
        record = ExitAssessment(year=a.year)
        household.exit_assessments.append(record)
    record.per_capita_income = a.per_capita
    record.threshold = a.line
    for item in a.items:
        setattr(record, item.key, item.ok)
        setattr(record, item.evidence_key, item.evidence.strip() or None)
    for step in a.steps:
        setattr(record, step.key, step.on)
    record.democratic_review_result = a.democratic_review_result.strip() or None
    record.head_confirmed = a.head_confirmed
    record.decision = a.decision or None
    record.note = a.note.strip() or None
    old_status, old_year = household.exit_status, household.exit_year
    if a.decision == PASSED:
        record.resulting_status = a.resulting_status or EXITED_DEFAULT
        record.resulting_exit_year = a.resulting_exit_year or a.year
        household.exit_status = record.resulting_status
        household.exit_year = record.resulting_exit_year
    elif a.decision == FAILED:
        record.resulting_status = household.exit_status if household.exit_status not in (
            "预脱贫", *settings.exit_statuses) else "未脱贫"
        record.resulting_exit_year = None
        if household.exit_status == "预脱贫":
            household.exit_status = "未脱贫"
    else:
        record.resulting_status = record.resulting_exit_year = None
    session.flush()
    if a.decision in (PASSED, FAILED):
        session.add(AuditLog(
            operator=operator or None, action="评估决定", entity="exit_assessment", entity_uuid=record.uuid,
            household_uuid=household.uuid, field_name="decision",
            old_value=f"{old_status}" + (f"（{old_year}年）" if old_year else ""),
            new_value=f"{a.decision}：{household.exit_status}" + (
                f"（{household.exit_year}年）" if household.exit_year else ""),
            note=f"{a.year}年度脱贫评估" + (f"，人均纯收入 {a.per_capita} 元，标准 {a.line} 元"
                                        if a.per_capita is not None and a.line is not None else "")))
    return record


def with_suggestions_applied(a: Assessment) -> Assessment:
    """A copy where every item not yet rated takes the data's suggestion (and its basis as evidence)."""
    items = [replace(i, ok=i.suggested, evidence=i.evidence or i.basis) if i.ok is None and i.suggested is not None
             else i for i in a.items]
    return replace(a, items=items)


# --------------------------------------------------------------------------- villages


@dataclass
class Indicator:
    key: str
    label: str
    value: bool | None
    required: bool


@dataclass
class VillageExit:
    uuid: str
    code: str
    name: str
    township: str
    kind: str | None
    total_population: int | None
    households: int
    registered: int  # current members of all registered households
    remaining_households: int
    remaining: int  # current members of households not exited
    threshold: float
    indicators: list[Indicator]
    planned_exit_year: int | None
    exit_year: int | None

    @property
    def incidence(self) -> float | None:
        """贫困发生率 = remaining poor population ÷ total village population."""
        if not self.total_population:
            return None
        return self.remaining / self.total_population

    @property
    def incidence_ok(self) -> bool | None:
        value = self.incidence
        return None if value is None else value < self.threshold

    @property
    def missing_indicators(self) -> list[str]:
        return [i.label for i in self.indicators if i.required and i.value is not True]

    @property
    def can_exit(self) -> bool:
        return bool(self.incidence_ok) and not self.missing_indicators

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.incidence is None:
            out.append("村总人口未填，无法计算贫困发生率")
        elif not self.incidence_ok:
            out.append(f"贫困发生率 {self.incidence:.2%}，未低于 {self.threshold:.0%}")
        if self.missing_indicators:
            out.append(f"未达标：{'、'.join(self.missing_indicators)}")
        return out


def village_overview(session: Session, township_code: str | None = None) -> list[VillageExit]:
    """Every village (or the villages of one township) with its exit figures."""
    settings = check_settings.load(session)
    exited = tuple(settings.exit_statuses)
    current = Member.status != MEMBER_STATUS_REMOVED
    is_poor = Household.exit_status.not_in(exited)
    members = (select(Household.village_id, func.count(Member.id),
                      func.sum(case((is_poor, 1), else_=0)))
               .join(Member, Member.household_id == Household.id).where(current).group_by(Household.village_id))
    households = (select(Household.village_id, func.count(Household.id), func.sum(case((is_poor, 1), else_=0)))
                  .group_by(Household.village_id))
    people = {vid: (n or 0, poor or 0) for vid, n, poor in session.execute(members)}
    homes = {vid: (n or 0, poor or 0) for vid, n, poor in session.execute(households)}
    stmt = select(Village, Township.name).join(Township, Township.id == Village.township_id).order_by(Village.code)
    if township_code:
        stmt = stmt.where(Township.code == township_code)
    out = []
    for village, township_name in session.execute(stmt):
        indicators = [Indicator(k, VILLAGE_INDICATOR_LABELS.get(k, k), getattr(village, k), True)
                      for k in settings.village_indicators]
        indicators += [Indicator(k, VILLAGE_INDICATOR_LABELS.get(k, k), getattr(village, k), False)
                       for k in settings.village_optional_indicators]
        registered, remaining = people.get(village.id, (0, 0))
        n_households, poor_households = homes.get(village.id, (0, 0))
        out.append(VillageExit(
            uuid=village.uuid, code=village.code, name=village.name, township=township_name,
            kind=village.poverty_village_type, total_population=village.total_population,
            households=n_households, registered=registered, remaining_households=poor_households,
            remaining=remaining, threshold=settings.village_max_incidence, indicators=indicators,
            planned_exit_year=village.planned_exit_year, exit_year=village.exit_year))
    return out


EDITABLE_VILLAGE_FIELDS = ("total_population", "total_households", "planned_exit_year", "exit_year",
                           *VILLAGE_INDICATOR_LABELS)


def update_village(session: Session, village_uuid: str, values: dict[str, Any], operator: str | None = None) -> None:
    """Edit a village's population, exit years and indicators (logged like every edit)."""
    village = session.scalar(select(Village).where(Village.uuid == village_uuid))
    if village is None:
        raise AssessmentError([f"找不到这个村（{village_uuid}）"])
    reasons = []
    for key, value in values.items():
        if key not in EDITABLE_VILLAGE_FIELDS:
            raise AssessmentError([f"不能在这里修改“{key}”"])
        label = Village.__table__.c[key].info.get("label", key)
        if key in ("total_population", "total_households") and value is not None and (
                not isinstance(value, int) or value < 0):
            reasons.append(f"{label}应为不小于0的整数（实为“{value}”）")
        if key in ("planned_exit_year", "exit_year") and value is not None and not (
                isinstance(value, int) and 2000 <= value <= 2100):
            reasons.append(f"{label}应为年份（实为“{value}”）")
    if reasons:
        raise AssessmentError(reasons)
    if operator:
        session.info["operator"] = operator
    for key, value in values.items():
        setattr(village, key, value)
    session.flush()
