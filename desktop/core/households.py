"""One household card (明白卡) as plain data: load it, check it, save it in one transaction.

The card editor works on a :class:`Card` — plain dicts of column values, one for
the household and a list per section (members, helpers, plans, measures, incomes,
visits, exit assessments) — never on live ORM objects, so an edit can be
abandoned at any time, a failed save loses nothing, and "unsaved changes" is a
comparison of two snapshots.

:func:`save_card` applies a card to the database in the caller's transaction:
only changed attributes are set (so the audit log holds real changes), members
are never deleted (a departure is status 自然减少 with a reason and date), the
household's ``version`` is always bumped so a second clerk saving a stale copy of
any part of the card gets ``StaleDataError``, and 家庭人口数 follows the current
members.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from db.audit import to_text
from db.base import new_uuid, utcnow
from db.models import (
    MEMBER_STATUS_ADDED,
    MEMBER_STATUS_NORMAL,
    MEMBER_STATUS_REMOVED,
    Assignment,
    AuditLog,
    ExitAssessment,
    Helper,
    HelpPlan,
    Household,
    IncomeRecord,
    Measure,
    Member,
    Village,
    VillageGroup,
    Visit,
)
from desktop.core import codelists, idnumber
from desktop.core.income import IncomeError, summarise, to_money

SEVERITY_ERROR = "错误"
SEVERITY_WARNING = "警告"

# Sections of a card: name → model. Members are never deleted.
SECTIONS: dict[str, type] = {
    "members": Member,
    "assignments": Assignment,
    "plans": HelpPlan,
    "measures": Measure,
    "incomes": IncomeRecord,
    "visits": Visit,
    "exits": ExitAssessment,
}
SECTION_LABELS = {
    "household": "基本情况",
    "members": "家庭成员",
    "assignments": "帮扶责任人",
    "plans": "帮扶计划",
    "measures": "帮扶措施",
    "incomes": "收入情况",
    "visits": "走访记录",
    "exits": "脱贫评估",
}
DELETABLE = frozenset(SECTIONS) - {"members"}
_RELATIONSHIP = {
    "members": "members",
    "assignments": "assignments",
    "plans": "plans",
    "measures": "measures",
    "incomes": "incomes",
    "visits": "visits",
    "exits": "exit_assessments",
}
_NOT_EDITABLE = {"id", "uuid", "household_id", "created_at", "updated_at", "version", "search_key"}
# Foreign keys edited on the card although their columns carry no label.
_EXTRA_FIELDS = {Assignment: ("helper_id",), Visit: ("helper_id",)}


def editable_fields(model: type) -> list[str]:
    """Column keys a clerk edits on the card, in declaration order."""
    keys = []
    for column in model.__table__.columns:
        if column.key in _NOT_EDITABLE or column.info.get("internal"):
            continue
        if "label" in column.info or column.key in _EXTRA_FIELDS.get(model, ()):
            keys.append(column.key)
    if model is Measure:
        keys = [k for k in keys if k != "beneficiary_id"] + ["beneficiary_uuid"]
    return keys


def label(model: type, key: str) -> str:
    """The Chinese label of a column (``info["label"]``), or the key."""
    if model is Measure and key == "beneficiary_uuid":
        key = "beneficiary_id"
    column = model.__table__.columns.get(key)
    return column.info.get("label", key) if column is not None else key


def codelist_of(model: type, key: str) -> str | None:
    column = model.__table__.columns.get(key)
    return column.info.get("codelist") if column is not None else None


HOUSEHOLD_FIELDS = editable_fields(Household)


# --------------------------------------------------------------------------- the card


@dataclass
class Card:
    """A household card as plain data. Row dicts hold ``uuid`` (None = new) and
    column values; keys starting with ``_`` are for display only and never saved."""

    uuid: str | None = None
    version: int | None = None
    household: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    incomes: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    exits: list[dict[str, Any]] = field(default_factory=list)
    removed: dict[str, list[str]] = field(default_factory=dict)

    def section(self, name: str) -> list[dict[str, Any]]:
        return getattr(self, name)

    def copy(self) -> Card:
        return copy.deepcopy(self)

    @property
    def current_members(self) -> list[dict[str, Any]]:
        return [m for m in self.members if m.get("status") != MEMBER_STATUS_REMOVED and not is_blank_member(m)]

    @property
    def head_name(self) -> str:
        head = next((m for m in self.current_members if m.get("relation") == "户主"), None)
        return (head or {}).get("name") or ""

    def snapshot(self) -> tuple:
        """A comparable value of everything that would be saved."""

        def row(d: dict[str, Any]) -> tuple:
            return tuple(sorted((k, canonical(v)) for k, v in d.items() if not k.startswith("_")))

        household = {k: v for k, v in self.household.items() if k != "household_size"}  # follows the members
        parts: list[Any] = [self.uuid, row(household)]
        for name in SECTIONS:
            rows = self.section(name)
            if name == "members":
                rows = [r for r in rows if not is_blank_member(r)]
            parts.append(tuple(row(r) for r in rows))
        parts.append(tuple(sorted((k, tuple(sorted(v))) for k, v in self.removed.items() if v)))
        return tuple(parts)


def canonical(value: Any) -> Any:
    """A field value in the form two cards are compared in (blank text is None, 1.50 == 1.5)."""
    if value == "":
        return None
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def new_row(section: str, **values: Any) -> dict[str, Any]:
    """An empty row of a section with every field present."""
    row: dict[str, Any] = dict.fromkeys(editable_fields(SECTIONS[section]))
    row["uuid"] = None
    if section == "members":
        row.update(status=MEMBER_STATUS_NORMAL, id_type="居民身份证")
    row.update(values)
    return row


@dataclass(frozen=True)
class CarryForward:
    """What the next new card starts with: the village, group and helpers of the last one."""

    village_id: int | None = None
    group_id: int | None = None
    helper_ids: tuple[int, ...] = ()

    @classmethod
    def from_card(cls, card: Card) -> CarryForward:
        helpers = tuple(
            a["helper_id"] for a in card.assignments if a.get("helper_id") and not a.get("end_date")
        )
        return cls(card.household.get("village_id"), card.household.get("group_id"), helpers)


def new_card(carry: CarryForward | None = None, *, village_id: int | None = None, group_id: int | None = None,
             session: Session | None = None) -> Card:
    """A blank card: carried-forward village/group/helpers, else the given village/group."""
    household: dict[str, Any] = dict.fromkeys(HOUSEHOLD_FIELDS)
    household["exit_status"] = "未脱贫"
    carry = carry or CarryForward()
    household["village_id"] = carry.village_id if carry.village_id is not None else village_id
    household["group_id"] = carry.group_id if carry.village_id is not None else group_id
    card = Card(household=household)
    for helper_id in carry.helper_ids:
        row = new_row("assignments", helper_id=helper_id)
        if session is not None:
            row.update(helper_display(session, helper_id))
        card.assignments.append(row)
    return card


def helper_display(session: Session, helper_id: int) -> dict[str, Any]:
    helper = session.get(Helper, helper_id)
    if helper is None:
        return {}
    return {"_name": helper.name, "_unit": helper.unit, "_post": helper.post, "_phone": helper.phone}


# --------------------------------------------------------------------------- load


def _row_of(obj: Any, keys: Iterable[str]) -> dict[str, Any]:
    row = {k: getattr(obj, k) for k in keys if k != "beneficiary_uuid"}
    row["uuid"] = obj.uuid
    return row


def load_card(session: Session, uuid: str) -> Card:
    """The card of household ``uuid``; raises ``LookupError`` if there is none."""
    household = session.scalars(
        select(Household)
        .where(Household.uuid == uuid)
        .options(
            selectinload(Household.members),
            selectinload(Household.assignments).selectinload(Assignment.helper),
            selectinload(Household.plans),
            selectinload(Household.measures),
            selectinload(Household.incomes),
            selectinload(Household.visits),
            selectinload(Household.exit_assessments),
        )
    ).one_or_none()
    if household is None:
        raise LookupError(f"找不到该户（{uuid}），可能已被删除或合并。")
    return card_of(household)


def card_of(household: Household) -> Card:
    card = Card(uuid=household.uuid, version=household.version,
                household={k: getattr(household, k) for k in HOUSEHOLD_FIELDS})
    member_uuid = {m.id: m.uuid for m in household.members}
    card.members = [_row_of(m, editable_fields(Member)) for m in sorted(household.members, key=lambda m: (m.seq, m.id))]
    for a in sorted(household.assignments, key=lambda a: a.id):
        row = _row_of(a, editable_fields(Assignment))
        row.update({"_name": a.helper.name, "_unit": a.helper.unit, "_post": a.helper.post,
                    "_phone": a.helper.phone})
        card.assignments.append(row)
    card.plans = [_row_of(p, editable_fields(HelpPlan)) for p in sorted(household.plans, key=lambda p: p.year)]
    for m in sorted(household.measures, key=lambda m: (m.year, m.id)):
        row = _row_of(m, editable_fields(Measure))
        row["beneficiary_uuid"] = member_uuid.get(m.beneficiary_id) if m.beneficiary_id else None
        card.measures.append(row)
    card.incomes = [_row_of(r, editable_fields(IncomeRecord)) for r in sorted(household.incomes, key=lambda r: r.year)]
    card.visits = [_row_of(v, editable_fields(Visit)) for v in sorted(
        household.visits, key=lambda v: (v.visited_on or date.min, v.id))]
    card.exits = [_row_of(e, editable_fields(ExitAssessment)) for e in sorted(
        household.exit_assessments, key=lambda e: e.year)]
    return card


# --------------------------------------------------------------------------- check


@dataclass(frozen=True)
class Issue:
    """A problem found on the card while it is edited."""

    section: str  # "household" or a SECTIONS key
    row: int | None  # index in the section list
    field: str | None
    message: str
    severity: str = SEVERITY_ERROR
    blocking: bool = False  # the card cannot be saved until it is fixed

    def where(self) -> str:
        text = SECTION_LABELS.get(self.section, self.section)
        if self.row is not None:
            text += f"第{self.row + 1}行"
        return text


@dataclass(frozen=True)
class IdFacts:
    """What an ID (or 残疾人证) number says about its holder."""

    birth_date: date | None = None
    sex: str | None = None
    age: int | None = None
    error: str | None = None
    disability_type: str | None = None
    disability_grade: str | None = None


def id_facts(id_number: str | None, working_year: int, id_type: str | None = None) -> IdFacts:
    """Birth date, sex and age (at 31 December of ``working_year``) from an ID number,
    or the Chinese reason it is not valid. A 20/22-digit number is read as a 残疾人证号."""
    text = idnumber.normalise(id_number or "")
    if not text:
        return IdFacts()
    try:
        if len(text) in (20, 22):
            cert = idnumber.parse_disability_cert(text)
            info = cert.id_info
            return IdFacts(info.birth_date, info.sex, idnumber.age_at_year_end(info.birth_date, working_year),
                           disability_type=cert.type_label, disability_grade=cert.grade_label)
        info = idnumber.parse(text)
    except idnumber.IdNumberError as exc:
        return IdFacts(error=idnumber.looks_excel_corrupted(text) or exc.reason)
    return IdFacts(info.birth_date, info.sex, idnumber.age_at_year_end(info.birth_date, working_year))


def age_of(birth: date | None, working_year: int) -> int | None:
    return idnumber.age_at_year_end(birth, working_year) if birth else None


def is_blank_member(row: dict[str, Any]) -> bool:
    """A new grid row nothing was typed into (ignored by checks and never saved)."""
    return not row.get("uuid") and not (row.get("name") or "").strip() and not row.get("id_number")


def member_issues(row: dict[str, Any], index: int, working_year: int) -> list[Issue]:
    """Problems of one member row, shown on the spot in the grid."""
    issues: list[Issue] = []

    def add(field_name: str | None, message: str, severity: str = SEVERITY_ERROR, blocking: bool = False) -> None:
        issues.append(Issue("members", index, field_name, message, severity, blocking))

    if not (row.get("name") or "").strip():
        add("name", "姓名不能为空", blocking=True)
    facts = id_facts(row.get("id_number"), working_year, row.get("id_type"))
    if facts.error:
        add("id_number", f"证件号码有误：{facts.error}")
    elif facts.birth_date is not None:
        if row.get("birth_date") and row["birth_date"] != facts.birth_date:
            add("birth_date", f"出生日期与证件号码不符（号码为 {facts.birth_date.isoformat()}）")
        if row.get("sex") in ("男", "女") and row["sex"] != facts.sex:
            add("sex", f"性别与证件号码不符（号码为{facts.sex}）")
    birth = row.get("birth_date")
    if birth and birth > date.today():
        add("birth_date", "出生日期晚于今天")
    relation, sex = row.get("relation"), row.get("sex")
    if relation and sex in ("男", "女"):
        try:
            implied = codelists.relation_sex(relation)
        except codelists.CodeListError:
            implied = None
        if implied and implied != sex:
            add("relation", f"与户主关系“{relation}”应为{implied}性，但性别为{sex}", SEVERITY_WARNING)
    months = row.get("work_months")
    if months is not None and not 0 <= int(months) <= 12:
        add("work_months", "务工时间应在 0–12 个月之间")
    if row.get("status") == MEMBER_STATUS_REMOVED:
        if not row.get("change_reason"):
            add("change_reason", "减少的成员须填写变动原因", blocking=True)
        if not row.get("change_date"):
            add("change_date", "减少的成员须填写变动日期", blocking=True)
    return issues


def _duplicate_years(card: Card, section: str, label_text: str) -> list[Issue]:
    issues = []
    seen: dict[int, int] = {}
    for i, row in enumerate(card.section(section)):
        year = row.get("year")
        if year is None:
            issues.append(Issue(section, i, "year", f"{label_text}须填写年度", blocking=True))
        elif year in seen:
            issues.append(Issue(section, i, "year", f"{label_text}的年度 {year} 重复（第{seen[year] + 1}行已有）",
                                blocking=True))
        else:
            seen[year] = i
    return issues


def validate(card: Card, working_year: int) -> list[Issue]:
    """Every problem the editor shows; ``blocking`` ones prevent saving."""
    h = card.household
    issues: list[Issue] = []
    if not h.get("village_id"):
        issues.append(Issue("household", None, "village_id", "须选择行政村", blocking=True))
    main = h.get("main_cause")
    if not main:
        issues.append(Issue("household", None, "main_cause", "主要致贫原因必填"))
    others = [h.get("other_cause_1"), h.get("other_cause_2")]
    for i, other in enumerate(others):
        key = f"other_cause_{i + 1}"
        if other and other == main:
            issues.append(Issue("household", None, key, f"其他致贫原因不能与主要致贫原因（{main}）相同", blocking=True))
    if others[0] and others[0] == others[1]:
        issues.append(Issue("household", None, "other_cause_2", "两个其他致贫原因重复", blocking=True))
    for i, row in enumerate(card.members):
        if not is_blank_member(row):
            issues.extend(member_issues(row, i, working_year))
    current = card.current_members
    if not current:
        issues.append(Issue("members", None, None, "该户没有在册家庭成员"))
    heads = [m for m in current if m.get("relation") == "户主"]
    if current and len(heads) != 1:
        issues.append(Issue("members", None, "relation",
                            "须有且只有一名户主" if heads else "没有户主（与户主关系须有一人为“户主”）"))
    spouses = [m for m in current if m.get("relation") == "配偶"]
    if len(spouses) > 1:
        issues.append(Issue("members", None, "relation", "配偶不能多于一人"))
    if len(heads) == 1 and len(spouses) == 1 and heads[0].get("sex") and heads[0].get("sex") == spouses[0].get("sex"):
        issues.append(Issue("members", None, "sex", "户主与配偶性别相同"))
    for i, row in enumerate(card.assignments):
        if not row.get("helper_id"):
            issues.append(Issue("assignments", i, "helper_id", "须选择帮扶责任人", blocking=True))
    issues += _duplicate_years(card, "plans", "帮扶计划")
    issues += _duplicate_years(card, "incomes", "收入记录")
    issues += _duplicate_years(card, "exits", "脱贫评估")
    for i, row in enumerate(card.measures):
        if row.get("year") is None:
            issues.append(Issue("measures", i, "year", "帮扶措施须填写年度", blocking=True))
        if not row.get("category"):
            issues.append(Issue("measures", i, "category", "帮扶措施须选择措施大类", blocking=True))
    for i, row in enumerate(card.visits):
        if row.get("visited_on") is None:
            issues.append(Issue("visits", i, "visited_on", "走访记录须填写走访日期", blocking=True))
    for i, row in enumerate(card.incomes):
        try:
            summary = summarise(row)
        except IncomeError as exc:
            issues.append(Issue("incomes", i, None, str(exc), blocking=True))
            continue
        if summary.transfer_items_exceed:
            issues.append(Issue("incomes", i, "transfer", "转移性收入的“其中”各项之和超过了转移性收入",
                                SEVERITY_WARNING))
    return issues


# --------------------------------------------------------------------------- members


def depart(row: dict[str, Any], reason: str, on: date) -> dict[str, Any]:
    """Mark a member as having left (自然减少) with reason and date; never deletes."""
    row.update(status=MEMBER_STATUS_REMOVED, change_reason=reason, change_date=on)
    return row


def reinstate(row: dict[str, Any]) -> dict[str, Any]:
    """Undo a departure entered by mistake."""
    row.update(status=MEMBER_STATUS_NORMAL, change_reason=None, change_date=None)
    return row


def arrive(row: dict[str, Any], reason: str, on: date) -> dict[str, Any]:
    """A member who joined the household (自然增加: 新生儿, 嫁入…)."""
    row.update(status=MEMBER_STATUS_ADDED, change_reason=reason, change_date=on)
    return row


# --------------------------------------------------------------------------- save


class CardGone(LookupError):
    """The household was deleted (or merged away) since the card was opened."""


def _set(obj: Any, values: dict[str, Any], keys: Iterable[str]) -> None:
    for key in keys:
        if key == "beneficiary_uuid":
            continue
        new = values.get(key)
        if new == "":
            new = None
        if getattr(obj, key) != new or (getattr(obj, key) is None) != (new is None):
            setattr(obj, key, new)


def save_card(session: Session, card: Card, *, operator: str | None = None) -> Household:
    """Write ``card`` in the caller's transaction; returns the household.

    Raises ``StaleDataError`` when the household changed since the card was loaded
    (compare ``version``) and :class:`CardGone` when it no longer exists. Blocking
    problems (:func:`validate`) must have been dealt with by the caller.
    """
    if operator is not None:
        session.info["operator"] = operator
    if card.uuid is None:
        household = Household(uuid=new_uuid())
        session.add(household)
        existing: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    else:
        household = session.scalars(
            select(Household).where(Household.uuid == card.uuid).options(
                *[selectinload(getattr(Household, rel)) for rel in _RELATIONSHIP.values()])
        ).one_or_none()
        if household is None:
            raise CardGone(f"该户已不存在（{card.uuid}），可能已被删除或合并。")
        if card.version is not None and household.version != card.version:
            raise StaleDataError(
                f"household {card.uuid} is at version {household.version}, the card was loaded at {card.version}")
        existing = {name: {o.uuid: o for o in getattr(household, _RELATIONSHIP[name])} for name in SECTIONS}

    _set(household, card.household, HOUSEHOLD_FIELDS)

    member_by_uuid: dict[str, Member] = dict(existing["members"])
    card.members = [m for m in card.members if not is_blank_member(m)]
    for seq, row in enumerate(card.members, start=1):
        member = member_by_uuid.get(row.get("uuid") or "")
        if member is None:
            member = Member(uuid=row.get("uuid") or new_uuid())
            household.members.append(member)
            member_by_uuid[member.uuid] = member
            row["uuid"] = member.uuid
        _set(member, row, editable_fields(Member))
        if member.seq != seq:
            member.seq = seq

    for name in SECTIONS:
        if name == "members":
            continue
        model = SECTIONS[name]
        collection = getattr(household, _RELATIONSHIP[name])
        for uuid in card.removed.get(name, ()):
            obj = existing[name].get(uuid)
            if obj is not None and obj in collection:
                collection.remove(obj)
                session.delete(obj)  # explicit, so the audit listener sees it before the flush
        for row in card.section(name):
            obj = existing[name].get(row.get("uuid") or "")
            if obj is None:
                obj = model(uuid=row.get("uuid") or new_uuid())
                collection.append(obj)
                row["uuid"] = obj.uuid
            _set(obj, row, editable_fields(model))
            if model is Measure:
                target = member_by_uuid.get(row.get("beneficiary_uuid") or "")
                if obj.beneficiary is not target:
                    obj.beneficiary = target

    size = sum(1 for m in household.members if m.status != MEMBER_STATUS_REMOVED)
    if household.household_size != size:
        household.household_size = size
    household.updated_at = utcnow()  # always bumps `version`: any change of the card is a change of the household
    session.flush()
    card.uuid, card.version = household.uuid, household.version
    card.household["household_size"] = household.household_size
    card.removed = {}
    return household


# --------------------------------------------------------------------------- history

ENTITY_LABELS = {
    "household": "户信息",
    "member": "家庭成员",
    "assignment": "帮扶责任人",
    "help_plan": "帮扶计划",
    "measure": "帮扶措施",
    "income_record": "收入情况",
    "visit": "走访记录",
    "exit_assessment": "脱贫评估",
}
ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除", "import": "导入"}
_ENTITY_MODELS = {m.__tablename__: m for m in (Household, *SECTIONS.values())}


@dataclass(frozen=True)
class HistoryEntry:
    at: str  # local time, YYYY-MM-DD HH:MM:SS
    operator: str
    action: str
    entity: str  # e.g. "家庭成员 张三"
    field: str
    old: str
    new: str
    note: str = ""


def _local(at: datetime) -> str:
    return at.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def history(session: Session, household_uuid: str, *, limit: int = 2000) -> list[HistoryEntry]:
    """The card's audit trail, newest first: who changed which field from what to what."""
    rows = list(session.scalars(
        select(AuditLog).where(AuditLog.household_uuid == household_uuid)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))
    member_names = dict(session.execute(
        select(Member.uuid, Member.name).join(Household).where(Household.uuid == household_uuid)).all())
    helper_names = dict(session.execute(
        select(Assignment.uuid, Helper.name).join(Helper).join(Household).where(
            Household.uuid == household_uuid)).all())
    created_names: dict[str, str] = {}
    for r in rows:
        if r.entity == "member" and r.field_name == "name" and r.new_value:
            created_names.setdefault(r.entity_uuid, r.new_value)
    entries = []
    for r in rows:
        entity = ENTITY_LABELS.get(r.entity, r.entity)
        if r.entity == "member":
            name = member_names.get(r.entity_uuid) or created_names.get(r.entity_uuid)
            if name:
                entity += f" {name}"
        elif r.entity == "assignment" and r.entity_uuid in helper_names:
            entity += f" {helper_names[r.entity_uuid]}"
        model = _ENTITY_MODELS.get(r.entity)
        field_label = label(model, r.field_name) if (model is not None and r.field_name) else (r.field_name or "")
        entries.append(HistoryEntry(
            at=_local(r.at), operator=r.operator or "", action=ACTION_LABELS.get(r.action, r.action),
            entity=entity, field=field_label, old=r.old_value or "", new=r.new_value or "", note=r.note or ""))
    return entries


# --------------------------------------------------------------------------- look-ups for the editor


def villages(session: Session) -> list[tuple[int, str, str]]:
    """(id, code, name) of every village, by code."""
    return [tuple(r) for r in session.execute(select(Village.id, Village.code, Village.name).order_by(Village.code))]


def groups(session: Session, village_id: int | None) -> list[tuple[int, str]]:
    if village_id is None:
        return []
    return [tuple(r) for r in session.execute(
        select(VillageGroup.id, VillageGroup.name).where(VillageGroup.village_id == village_id).order_by(
            VillageGroup.code, VillageGroup.id))]


def money(value: Any) -> Decimal | None:
    """Parse typed money ('1,234.5') to Decimal, '' → None; raises IncomeError."""
    if value is None or str(value).strip() == "":
        return None
    return to_money(value)


def audit_text(value: Any) -> str:
    return to_text(value) or ""
