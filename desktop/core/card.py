"""Everything one printed household card (明白卡) needs, gathered from the
database into plain, immutable data; and which cards to print, in what order.

Qt-free. The UI (``desktop.ui.printing``) only lays this data out; every
decision about *what* a card says is made here:

* names of county / township / village / group, 户编号, household facts;
* current members with ID numbers masked (``411726********123X``) unless the
  caller explicitly asks for full numbers; age at 31 December of the card year;
* current helpers with unit, post and phone (phones are printed in full);
* the year's plan and measures, the income summary against that year's line,
  and the latest exit assessment's 两不愁三保障 items;
* check-box rows (□/√) over the whole option list for 识别标准, 贫困户属性 and
  the causes, as on an official form.

The card year is, in this order: the ``year`` argument, the ``work_year``
setting, else the latest year with measures or incomes of that household.

Text is cleaned for printing by :func:`print_text`: compatibility ideographs
and Kangxi radicals (removed from the bundled font) and full-width ASCII
letters/digits are NFKC-normalised; Chinese punctuation such as （） is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.base import utcnow
from db.models import (
    Assignment,
    AuditLog,
    ExitAssessment,
    Helper,
    HelpPlan,
    Household,
    IncomeRecord,
    Measure,
    Member,
    PrintLog,
    Setting,
    Township,
    Village,
    VillageGroup,
)
from desktop.core import codelists
from desktop.core.idnumber import age_at_year_end, mask
from desktop.core.idnumber import normalise as normalise_id
from desktop.core.idnumber import parse as parse_id
from desktop.core.income import summarise
from desktop.core.povertylines import line_for
from desktop.core.progress import NULL_PROGRESS, Progress

WORK_YEAR_SETTING = "work_year"
CHUNK = 400  # households loaded per query batch

# --------------------------------------------------------------------------- text


def _needs_nfkc(cp: int) -> bool:
    return (
        0x2E80 <= cp <= 0x2FDF  # CJK Radicals Supplement, Kangxi Radicals
        or 0xF900 <= cp <= 0xFAFF  # CJK Compatibility Ideographs
        or 0x2F800 <= cp <= 0x2FA1F  # ... Supplement
        or 0xFF10 <= cp <= 0xFF19  # full-width digits
        or 0xFF21 <= cp <= 0xFF3A  # full-width A-Z
        or 0xFF41 <= cp <= 0xFF5A  # full-width a-z
    )


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def print_text(value: object) -> str:
    """``value`` as text for a printed card ("" for None).

    Characters the bundled font deliberately lacks (radicals, compatibility
    ideographs) become their unified ideograph by NFKC; so do full-width ASCII
    letters and digits. Invisible characters are dropped, line breaks kept.
    """
    if value is None:
        return ""
    text = str(value).translate(_INVISIBLE)
    if any(_needs_nfkc(ord(c)) for c in text):
        text = "".join(unicodedata.normalize("NFKC", c) if _needs_nfkc(ord(c)) else c for c in text)
    return text


def money(value: Decimal | None) -> str:
    """12345.5 -> '12345.50'; None -> ''."""
    if value is None:
        return ""
    return f"{Decimal(value):.2f}"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class CheckBox:
    label: str
    checked: bool


@dataclass(frozen=True)
class CardMember:
    seq: int
    name: str
    relation: str
    sex: str
    age: int | None
    id_number: str  # masked unless the card was built with full_id=True
    ethnicity: str
    education: str
    student_status: str
    health: str  # 健康状况 with illness / disability detail
    labour_skill: str
    work: str  # 务工所在地 and months
    rural_medical: bool | None
    rural_pension: bool | None
    dibao: bool | None
    tekun: bool | None


@dataclass(frozen=True)
class CardHelper:
    name: str
    unit: str
    post: str
    phone: str


@dataclass(frozen=True)
class CardMeasure:
    category: str
    subcategory: str
    helping_unit: str
    content: str
    amount: Decimal | None
    fund_source: str
    implemented_on: date | None
    status: str
    beneficiary: str
    head_signed: bool | None


@dataclass(frozen=True)
class CardIncome:
    year: int
    population: int
    wage: Decimal
    production: Decimal
    property_income: Decimal
    transfer: Decimal
    production_expense: Decimal
    gross: Decimal
    net: Decimal
    per_capita: Decimal | None
    line: Decimal | None  # the year's exit threshold (povertylines.line_for)

    @property
    def above_line(self) -> bool | None:
        if self.per_capita is None or self.line is None:
            return None
        return self.per_capita > self.line


# 两不愁三保障 items of an exit assessment, in print order: (label, ok attribute).
ASSURANCE_ITEMS = (
    ("不愁吃", "food_ok"),
    ("不愁穿", "clothing_ok"),
    ("义务教育有保障", "education_ok"),
    ("基本医疗有保障", "medical_ok"),
    ("住房安全有保障", "housing_ok"),
    ("饮水安全有保障", "water_ok"),
)


@dataclass(frozen=True)
class CardAssessment:
    year: int | None  # None: no assessment yet (the items print as blank boxes)
    items: tuple[tuple[str, bool | None], ...]
    decision: str = ""
    resulting_status: str = ""


@dataclass(frozen=True)
class HouseholdCard:
    uuid: str
    year: int
    full_id: bool
    # where
    province: str
    prefecture: str
    county: str
    township: str
    village: str
    village_code: str
    group: str
    household_number: str
    address: str
    # the household
    head_name: str
    head_sex: str
    head_id: str
    head_ethnicity: str
    phone: str
    size: int
    identification_standard: str
    attribute: str
    main_cause: str
    other_causes: tuple[str, ...]
    exit_status: str
    identification_year: int | None
    planned_exit_year: int | None
    exit_year: int | None
    bank_name: str
    housing: str  # one line: 住房面积 / 结构 / 危房等级
    land: str  # one line: 耕地 / 林地 / 有效灌溉
    standard_boxes: tuple[CheckBox, ...]
    attribute_boxes: tuple[CheckBox, ...]
    main_cause_boxes: tuple[CheckBox, ...]
    other_cause_boxes: tuple[CheckBox, ...]
    # people and help
    members: tuple[CardMember, ...]
    helpers: tuple[CardHelper, ...]
    plan_text: str
    target_exit_year: int | None
    measures: tuple[CardMeasure, ...]
    income: CardIncome | None
    assessment: CardAssessment

    @property
    def place(self) -> str:
        """县 乡镇 村 组 on one line."""
        return "".join(p for p in (self.county, self.township, self.village, self.group) if p)

    @property
    def measures_total(self) -> Decimal:
        return sum((m.amount for m in self.measures if m.amount is not None), Decimal("0"))


# --------------------------------------------------------------------------- option lists

# Causes printed as check boxes: the 2016-2019 national list (codes 01-12); the
# later additions (因婚, 因丧; 产业扶贫失败 is a 返贫原因) appear only when chosen.
def _cause_options() -> list[str]:
    items = codelists.get("poverty_cause").items
    return [i.label for i in items if i.code is not None and i.code.isdigit() and int(i.code) <= 12]


def _boxes(options: Sequence[str], chosen: Iterable[str | None]) -> tuple[CheckBox, ...]:
    chosen_set = {c for c in chosen if c}
    labels = list(options) + [c for c in chosen_set if c not in options]
    return tuple(CheckBox(print_text(label), label in chosen_set) for label in labels)


# --------------------------------------------------------------------------- year


def work_year_setting(session: Session) -> int | None:
    """The township's ``work_year`` setting, if set to a year."""
    value = session.scalar(select(Setting.value).where(Setting.key == WORK_YEAR_SETTING))
    if value is None:
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() and 1990 <= int(text) <= 2100 else None


def latest_year(household: Household) -> int | None:
    """The latest year with measures or incomes (or a plan) of ``household``."""
    years = [m.year for m in household.measures] + [r.year for r in household.incomes]
    if not years:
        years = [p.year for p in household.plans]
    return max(years) if years else None


def card_year(session: Session, household: Household, year: int | None = None) -> int:
    if year is not None:
        return year
    return work_year_setting(session) or latest_year(household) or date.today().year


# --------------------------------------------------------------------------- building


def _yes(value: bool | None) -> bool | None:
    return None if value is None else bool(value)


def _member_age(member: Member, year: int) -> int | None:
    birth = member.birth_date
    if birth is None and member.id_number:
        try:
            birth = parse_id(member.id_number).birth_date
        except Exception:  # noqa: BLE001 - a card prints what it can
            birth = None
    if birth is None:
        return None
    age = age_at_year_end(birth, year)
    return age if age >= 0 else None


def _display_id(number: str | None, full: bool) -> str:
    if not number:
        return ""
    if full:
        try:
            return normalise_id(number)
        except Exception:  # noqa: BLE001
            return print_text(number)
    return mask(number)


def _health(m: Member) -> str:
    text = m.health or ""
    detail = []
    if m.illness_name:
        detail.append(m.illness_name)
    if m.disability_type or m.disability_grade:
        detail.append(f"{m.disability_type or ''}{m.disability_grade or ''}")
    if detail:
        text = f"{text}（{'，'.join(detail)}）" if text else "，".join(detail)
    return print_text(text)


def _work(m: Member) -> str:
    """务工所在地 without the trailing 务工 (the column says it), with the months."""
    if not m.work_location:
        return ""
    place = m.work_location.removesuffix("务工") or m.work_location
    if m.work_months:
        return print_text(f"{place}{m.work_months}个月")
    return print_text(place)


def _card_member(m: Member, year: int, full_id: bool) -> CardMember:
    return CardMember(
        seq=m.seq,
        name=print_text(m.name),
        relation=print_text(m.relation),
        sex=print_text(m.sex),
        age=_member_age(m, year),
        id_number=_display_id(m.id_number, full_id),
        ethnicity=print_text(m.ethnicity),
        education=print_text(m.education),
        student_status=print_text(m.student_status),
        health=_health(m),
        labour_skill=print_text(m.labour_skill),
        work=_work(m),
        rural_medical=_yes(m.in_rural_medical),
        rural_pension=_yes(m.in_rural_pension),
        dibao=_yes(m.on_dibao),
        tekun=_yes(m.on_tekun),
    )


def _current_helpers(household: Household, year: int) -> list[Helper]:
    """Helpers currently assigned (no end date, or one not yet passed); if there
    are none, those whose assignment covered part of the card year."""
    ordered = sorted(household.assignments, key=lambda a: (a.start_date or date.min, a.id or 0))
    chosen = [a for a in ordered if a.is_current]
    if not chosen:
        chosen = [a for a in ordered
                  if (a.start_date is None or a.start_date.year <= year)
                  and (a.end_date is None or a.end_date.year >= year)]
    found: list[Helper] = []
    for a in chosen:
        if a.helper not in found:
            found.append(a.helper)
    return found


def _measure_content(m: Measure) -> str:
    text = m.content or m.subcategory or ""
    if m.quantity is not None:
        qty = f"{Decimal(m.quantity).normalize():f}{m.quantity_unit or ''}"
        text = f"{text}（{qty}）" if text else qty
    return print_text(text)


def _card_measure(m: Measure) -> CardMeasure:
    return CardMeasure(
        category=print_text(m.category),
        subcategory=print_text(m.subcategory),
        helping_unit=print_text(m.helping_unit),
        content=_measure_content(m),
        amount=None if m.amount is None else Decimal(m.amount),
        fund_source=print_text(m.fund_source),
        implemented_on=m.implemented_on,
        status=print_text(m.status),
        beneficiary=print_text(m.beneficiary.name) if m.beneficiary is not None else "",
        head_signed=_yes(m.head_signed),
    )


def _card_income(record: IncomeRecord | None, year: int, line: Decimal | None, size: int) -> CardIncome | None:
    if record is None:
        return None
    s = summarise(record, record.population if record.population else size)

    def d(name: str) -> Decimal:
        value = getattr(record, name)
        return Decimal("0") if value is None else Decimal(value).quantize(Decimal("0.01"))

    return CardIncome(
        year=year,
        population=s.population,
        wage=d("wage"),
        production=d("production"),
        property_income=d("property_income"),
        transfer=d("transfer"),
        production_expense=d("production_expense"),
        gross=s.gross,
        net=s.net,
        per_capita=s.per_capita,
        line=line,
    )


def _assessment(household: Household, year: int) -> CardAssessment:
    done = [a for a in household.exit_assessments if a.year <= year]
    if not done:
        return CardAssessment(year=None, items=tuple((label, None) for label, _ in ASSURANCE_ITEMS))
    latest = max(done, key=lambda a: a.year)
    return CardAssessment(
        year=latest.year,
        items=tuple((label, _yes(getattr(latest, attr))) for label, attr in ASSURANCE_ITEMS),
        decision=print_text(latest.decision),
        resulting_status=print_text(latest.resulting_status),
    )


def _area(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


def _housing(h: Household) -> str:
    parts = []
    if h.housing_area is not None:
        parts.append(f"住房面积 {_area(h.housing_area)} 平方米")
    if h.house_structure:
        parts.append(f"结构 {h.house_structure}")
    if h.dangerous_house_grade:
        parts.append(f"房屋等级 {h.dangerous_house_grade}")
    if h.is_dangerous_house:
        parts.append("危房户")
    return print_text("；".join(parts))


def _land(h: Household) -> str:
    parts = []
    for label, value in (("耕地", h.cultivated_land), ("其中有效灌溉", h.irrigated_land),
                         ("林地", h.forest_land), ("林果", h.fruit_forest), ("水面", h.water_surface)):
        if value is not None and (Decimal(value) != 0 or label == "耕地"):
            parts.append(f"{label} {_area(value)} 亩")
    return print_text("；".join(parts))


def build_card(
    session: Session,
    household: Household,
    *,
    year: int | None = None,
    full_id: bool = False,
    line_cache: dict[int, Decimal | None] | None = None,
    work_year: int | None = None,
) -> HouseholdCard:
    """The card of ``household`` (an ORM row, relationships loaded or lazily loadable)."""
    y = year if year is not None else (work_year or card_year(session, household))
    if line_cache is None:
        line_cache = {}
    if y not in line_cache:
        line_cache[y] = line_for(session, y)
    village = household.village
    township = village.township
    county = township.county
    group = household.group
    current = household.current_members
    head = household.head
    members = tuple(_card_member(m, y, full_id) for m in sorted(current, key=lambda m: (m.seq, m.id or 0)))
    plan = next((p for p in household.plans if p.year == y), None)
    measures = sorted((m for m in household.measures if m.year == y),
                      key=lambda m: (m.implemented_on or date.max, m.category, m.id or 0))
    income = next((r for r in household.incomes if r.year == y), None)
    helpers = _current_helpers(household, y)
    others = [c for c in (household.other_cause_1, household.other_cause_2) if c]
    causes = _cause_options()
    return HouseholdCard(
        uuid=household.uuid,
        year=y,
        full_id=full_id,
        province=print_text(county.province),
        prefecture=print_text(county.prefecture),
        county=print_text(county.name),
        township=print_text(township.name),
        village=print_text(village.name),
        village_code=village.code,
        group=print_text(group.name) if group is not None else "",
        household_number=print_text(household.household_number),
        address=print_text(household.address),
        head_name=print_text(head.name) if head is not None else "",
        head_sex=print_text(head.sex) if head is not None else "",
        head_id=_display_id(head.id_number, full_id) if head is not None else "",
        head_ethnicity=print_text(head.ethnicity) if head is not None else "",
        phone=print_text(household.phone),
        size=len(current),
        identification_standard=print_text(household.identification_standard),
        attribute=print_text(household.attribute),
        main_cause=print_text(household.main_cause),
        other_causes=tuple(print_text(c) for c in others),
        exit_status=print_text(household.exit_status),
        identification_year=household.identification_year,
        planned_exit_year=household.planned_exit_year,
        exit_year=household.exit_year,
        bank_name=print_text(household.bank_name),
        housing=_housing(household),
        land=_land(household),
        standard_boxes=_boxes(codelists.labels("identification_standard"), [household.identification_standard]),
        attribute_boxes=_boxes(codelists.labels("household_attribute"), [household.attribute]),
        main_cause_boxes=_boxes(causes, [household.main_cause]),
        other_cause_boxes=_boxes(causes, others),
        members=members,
        helpers=tuple(
            CardHelper(print_text(h.name), print_text(h.unit), print_text(h.post), print_text(h.phone))
            for h in helpers
        ),
        plan_text=print_text(plan.plan_text) if plan is not None else "",
        target_exit_year=plan.target_exit_year if plan is not None else None,
        measures=tuple(_card_measure(m) for m in measures),
        income=_card_income(income, y, line_cache[y], len(current)),
        assessment=_assessment(household, y),
    )


def _load_options() -> list:
    return [
        selectinload(Household.village).selectinload(Village.township).selectinload(Township.county),
        selectinload(Household.group),
        selectinload(Household.members),
        selectinload(Household.assignments).selectinload(Assignment.helper),
        selectinload(Household.plans),
        selectinload(Household.measures).selectinload(Measure.beneficiary),
        selectinload(Household.incomes),
        selectinload(Household.exit_assessments),
    ]


class CardError(ValueError):
    """A card cannot be built (e.g. a household UUID that does not exist)."""


def iter_cards(
    session: Session,
    uuids: Sequence[str],
    *,
    year: int | None = None,
    full_id: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> Iterator[HouseholdCard]:
    """Cards for ``uuids`` in the given order, loaded in batches of ``CHUNK``."""
    work_year = None if year is not None else work_year_setting(session)
    lines: dict[int, Decimal | None] = {}
    total = len(uuids)
    for start in range(0, total, CHUNK):
        chunk = list(uuids[start:start + CHUNK])
        rows = session.scalars(select(Household).where(Household.uuid.in_(chunk)).options(*_load_options())).all()
        by_uuid = {h.uuid: h for h in rows}
        missing = [u for u in chunk if u not in by_uuid]
        if missing:
            raise CardError(f"找不到户（UUID {missing[0]}），可能已被删除")
        for i, uuid in enumerate(chunk):
            progress.check()
            yield build_card(session, by_uuid[uuid], year=year, full_id=full_id, line_cache=lines,
                             work_year=work_year)
            progress.update(start + i + 1, total, f"已准备 {start + i + 1}/{total} 户")
        session.expunge_all()


def load_cards(session: Session, uuids: Sequence[str], **kwargs) -> list[HouseholdCard]:
    return list(iter_cards(session, uuids, **kwargs))


# --------------------------------------------------------------------------- selection

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}


def chinese_number(text: str) -> int | None:
    """The leading number of a group name: '3组' -> 3, '十二组' -> 12, '第二十组' -> 20."""
    text = text.strip().removeprefix("第")
    m = re.match(r"\d+", text)
    if m:
        return int(m.group())
    value, current, seen = 0, 0, False
    for ch in text:
        if ch in _CN_DIGITS:
            current, seen = _CN_DIGITS[ch], True
        elif ch == "十":
            value += (current or 1) * 10
            current, seen = 0, True
        elif ch == "百":
            value += (current or 1) * 100
            current, seen = 0, True
        else:
            break
    return value + current if seen else None


def _natural(text: str | None) -> tuple:
    if not text:
        return ((1, ""),)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


def _group_key(code: str | None, name: str | None) -> tuple:
    if name is None and code is None:
        return (1,)  # households without a group come after the groups
    number = chinese_number(name or "")
    if code and code.strip().isdigit():
        return (0, 0, int(code), number or 0, name or "")
    return (0, 1 if number is None else 0, number or 0, name or "")


@dataclass(frozen=True)
class Selection:
    """Which households to print.

    ``kind``: ``households`` (``value`` = UUIDs), ``village`` (village code),
    ``group`` (group UUID, or ``村代码/组名``), ``township`` (township code) or
    ``all`` (every household in the database: the township, or the county).
    """

    kind: str
    value: object = None

    def describe(self) -> str:
        if self.kind == "households":
            return f"选定的 {len(self.value or ())} 户"
        if self.kind == "village":
            return f"村 {self.value}"
        if self.kind == "group":
            return f"组 {self.value}"
        if self.kind == "township":
            return f"乡镇 {self.value}"
        return "全部户"


def _resolve_group(session: Session, value: str) -> VillageGroup:
    text = str(value).strip()
    group = session.scalar(select(VillageGroup).where(VillageGroup.uuid == text))
    if group is not None:
        return group
    if "/" in text:
        vcode, gname = (p.strip() for p in text.split("/", 1))
        village = session.scalar(select(Village).where(Village.code == vcode))
        if village is None:
            raise CardError(f"找不到村代码“{vcode}”")
        groups = session.scalars(select(VillageGroup).where(VillageGroup.village_id == village.id)).all()
        for g in groups:
            if g.name == gname or (g.code and g.code == gname):
                return g
        names = "、".join(g.name for g in groups) or "（无）"
        raise CardError(f"村“{village.name}”（{vcode}）没有村民小组“{gname}”（现有：{names}）")
    raise CardError(f"找不到村民小组“{text}”（请写成 村代码/组名，如 411726100200/三组）")


def select_households(session: Session, selection: Selection) -> list[str]:
    """UUIDs of the selected households in print order: village code, group, 户编号."""
    stmt = (
        select(Household.uuid, Village.code, VillageGroup.code, VillageGroup.name, Household.household_number,
               Household.id)
        .join(Village, Household.village_id == Village.id)
        .outerjoin(VillageGroup, Household.group_id == VillageGroup.id)
    )
    kind = selection.kind
    if kind == "households":
        wanted = list(dict.fromkeys(selection.value or ()))
        if not wanted:
            return []
        rows = []
        for start in range(0, len(wanted), 900):
            rows += session.execute(stmt.where(Household.uuid.in_(wanted[start:start + 900]))).all()
        found = {r[0] for r in rows}
        missing = [u for u in wanted if u not in found]
        if missing:
            raise CardError(f"找不到户（UUID {missing[0]}）")
    elif kind == "village":
        code = str(selection.value).strip()
        if session.scalar(select(Village.id).where(Village.code == code)) is None:
            raise CardError(f"找不到村代码“{code}”（应为12位统计用区划代码）")
        rows = session.execute(stmt.where(Village.code == code)).all()
    elif kind == "group":
        group = _resolve_group(session, str(selection.value))
        rows = session.execute(stmt.where(Household.group_id == group.id)).all()
    elif kind == "township":
        code = str(selection.value).strip()
        township = session.scalar(select(Township).where(Township.code == code))
        if township is None:
            raise CardError(f"找不到乡镇代码“{code}”")
        rows = session.execute(stmt.where(Village.township_id == township.id)).all()
    elif kind == "all":
        rows = session.execute(stmt).all()
    else:
        raise CardError(f"unknown selection kind {kind!r}")
    rows.sort(key=lambda r: (r[1], _group_key(r[2], r[3]), _natural(r[4]), r[5]))
    return [r[0] for r in rows]


def villages(session: Session) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(village code, village name, [(group uuid, group name)…]) in code order, for pickers."""
    result = []
    for village in session.scalars(select(Village).order_by(Village.code).options(selectinload(Village.groups))):
        groups = sorted(village.groups, key=lambda g: _group_key(g.code, g.name))
        result.append((village.code, village.name, [(g.uuid, g.name) for g in groups]))
    return result


# --------------------------------------------------------------------------- print log


# Above this many households, the print-log and change queries scan whole tables
# once (GROUP BY) instead of asking in chunks of 900 UUIDs.
BULK = 3000


def last_printed(session: Session, uuids: Sequence[str] | None = None) -> dict[str, datetime]:
    """When each household's card was last printed (only printed ones are present)."""
    stmt = select(PrintLog.household_uuid, func.max(PrintLog.printed_at)).group_by(PrintLog.household_uuid)
    if uuids is None or len(uuids) > BULK:
        every = dict(session.execute(stmt).all())
        return every if uuids is None else {u: every[u] for u in uuids if u in every}
    result: dict[str, datetime] = {}
    for start in range(0, len(uuids), 900):
        result.update(session.execute(stmt.where(PrintLog.household_uuid.in_(uuids[start:start + 900]))).all())
    return result


def _max_into(target: dict[int, datetime], rows: Iterable[tuple[int, datetime | None]]) -> None:
    for key, at in rows:
        if at is not None and (key not in target or at > target[key]):
            target[key] = at


def _changes(session: Session, ids: Sequence[int] | None, uuids: Sequence[str] | None) -> dict[int, datetime]:
    """Newest change per household id; ``ids``/``uuids`` None means every household."""

    def where(stmt, column):  # noqa: ANN001, ANN202
        return stmt if ids is None else stmt.where(column.in_(ids))

    per_id: dict[int, datetime] = {}
    _max_into(per_id, session.execute(where(select(Household.id, Household.updated_at), Household.id)).all())
    for model in (Member, Assignment, HelpPlan, Measure, IncomeRecord, ExitAssessment):
        _max_into(per_id, session.execute(where(
            select(model.household_id, func.max(model.updated_at)), model.household_id)
            .group_by(model.household_id)).all())
    _max_into(per_id, session.execute(where(
        select(Assignment.household_id, func.max(Helper.updated_at)).join(Helper, Assignment.helper_id == Helper.id),
        Assignment.household_id).group_by(Assignment.household_id)).all())
    audit = select(AuditLog.household_uuid, func.max(AuditLog.at)).where(AuditLog.household_uuid.is_not(None))
    if uuids is not None:
        audit = audit.where(AuditLog.household_uuid.in_(uuids))
    rows = session.execute(audit.group_by(AuditLog.household_uuid)).all()
    if rows:
        id_of = dict(session.execute(where(select(Household.uuid, Household.id), Household.id)).all())
        _max_into(per_id, ((id_of[u], at) for u, at in rows if u in id_of))
    return per_id


def last_changed(session: Session, uuids: Sequence[str]) -> dict[str, datetime]:
    """The latest change of anything a card shows, per household.

    Takes the newest of: the household row, its members, assignments, plans,
    measures, incomes and exit assessments (``updated_at``), its assigned
    helpers, and the audit log (which also records deletions).
    """
    if len(uuids) > BULK:
        uuid_of = dict(session.execute(select(Household.id, Household.uuid)).all())
        wanted = set(uuids)
        return {uuid_of[i]: at for i, at in _changes(session, None, None).items()
                if i in uuid_of and uuid_of[i] in wanted}
    result: dict[str, datetime] = {}
    for start in range(0, len(uuids), 900):
        chunk = list(uuids[start:start + 900])
        uuid_of = dict(session.execute(select(Household.id, Household.uuid).where(Household.uuid.in_(chunk))).all())
        if uuid_of:
            result.update({uuid_of[i]: at for i, at in _changes(session, list(uuid_of), chunk).items()})
    return result


def changed_since_last_print(session: Session, uuids: Sequence[str]) -> list[str]:
    """Those of ``uuids`` (order kept) never printed, or changed after their last print."""
    printed = last_printed(session, uuids)
    changed = last_changed(session, [u for u in uuids if u in printed])
    return [u for u in uuids if u not in printed or (u in changed and changed[u] > printed[u])]


def log_prints(
    session: Session,
    uuids: Iterable[str],
    *,
    target: str,
    operator: str | None = None,
    full_id: bool = False,
    at: datetime | None = None,
) -> int:
    """One print-log row per printed card (in the caller's transaction)."""
    when = at or utcnow()
    rows = [{"household_uuid": u, "printed_at": when, "operator": operator or None,
             "target": (target or "")[:300], "full_id": bool(full_id)} for u in uuids]
    if rows:
        session.execute(PrintLog.__table__.insert(), rows)
    return len(rows)


def resolve(
    session: Session,
    selection: Selection,
    *,
    changed_only: bool = False,
) -> list[str]:
    """The selection's UUIDs in print order, optionally only those changed since their last print."""
    uuids = select_households(session, selection)
    if changed_only:
        uuids = changed_since_last_print(session, uuids)
    return uuids


__all__ = [
    "ASSURANCE_ITEMS",
    "CardAssessment",
    "CardError",
    "CardHelper",
    "CardIncome",
    "CardMeasure",
    "CardMember",
    "CheckBox",
    "HouseholdCard",
    "Selection",
    "build_card",
    "card_year",
    "changed_since_last_print",
    "chinese_number",
    "iter_cards",
    "last_changed",
    "last_printed",
    "latest_year",
    "load_cards",
    "log_prints",
    "money",
    "print_text",
    "resolve",
    "select_households",
    "villages",
    "work_year_setting",
]
