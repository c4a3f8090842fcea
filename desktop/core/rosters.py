"""Rosters kept beside the cards: helpers (帮扶责任人) and the households each serves,
villages with their support and exit indicators, poverty lines, township settings.

Qt-free; the roster tabs in ``desktop/ui/rosters/`` call these. Writes go through
the ORM so the audit log records them (the caller sets ``session.info["operator"]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    MEMBER_STATUS_REMOVED,
    Assignment,
    County,
    Helper,
    Household,
    IncomeRecord,
    Member,
    PovertyLine,
    Setting,
    Township,
    Village,
)
from desktop.core import pinyin, searchkey
from desktop.core.search import ESCAPE, current_assignment

WORKING_YEAR_KEY = "work_year"  # shared with printing (desktop.core.card) and the checks
EXITED_STATUSES = ("已脱贫（享受政策）", "已脱贫（不再享受政策）")


# --------------------------------------------------------------------------- settings


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str | None) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def working_year(session: Session) -> int:
    """The 年度 the office is working on: the setting, else the newest income year, else this year.

    Ages are counted at 31 December of it; new income records and measures default to it.
    """
    text = get_setting(session, WORKING_YEAR_KEY)
    if text and text.strip().isdigit():
        return int(text)
    newest = session.scalar(select(func.max(IncomeRecord.year)))
    return int(newest) if newest else date.today().year


def set_working_year(session: Session, year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValueError(f"工作年度“{year}”不合理（应在 2000–2100 之间）")
    set_setting(session, WORKING_YEAR_KEY, str(year))


@dataclass
class TownshipInfo:
    id: int
    code: str
    name: str
    county_code: str
    county_name: str
    province: str | None
    prefecture: str | None


def townships(session: Session) -> list[TownshipInfo]:
    rows = session.execute(select(Township, County).join(County).order_by(Township.code))
    return [TownshipInfo(t.id, t.code, t.name, c.code, c.name, c.province, c.prefecture) for t, c in rows]


def rename_township(session: Session, township_id: int, name: str) -> None:
    name = name.strip()
    if not name:
        raise ValueError("乡镇名称不能为空")
    township = session.get(Township, township_id)
    if township is None:
        raise LookupError("找不到该乡镇")
    township.name = name


# --------------------------------------------------------------------------- helpers


@dataclass
class HelperRow:
    id: int
    uuid: str
    name: str
    sex: str | None
    unit: str | None
    post: str | None
    phone: str | None
    political_status: str | None
    unit_affiliation: str | None
    active: bool
    households: int  # households currently assigned


HELPER_FIELDS = ("name", "sex", "id_number", "unit", "post", "phone", "political_status", "unit_affiliation",
                 "active", "note")


def helpers(session: Session, text: str = "", *, township_id: int | None = None,
            only_active: bool = False, today: date | None = None) -> list[HelperRow]:
    """Helpers matching ``text`` (name, pinyin, unit, phone), with their current household counts."""
    served = (
        select(Assignment.helper_id, func.count(func.distinct(Assignment.household_id)).label("n"))
        .where(current_assignment(today))
        .group_by(Assignment.helper_id)
        .subquery()
    )
    stmt = select(Helper, func.coalesce(served.c.n, 0)).outerjoin(served, served.c.helper_id == Helper.id)
    for word in (text or "").split():
        q = searchkey.normalise_query(pinyin.normalise_query(word))
        if q:
            stmt = stmt.where(Helper.search_key.like(f"%{q}%", escape=ESCAPE))
    if township_id is not None:
        stmt = stmt.where(Helper.township_id == township_id)
    if only_active:
        stmt = stmt.where(Helper.active.is_(True))
    stmt = stmt.order_by(Helper.unit, Helper.name, Helper.id)
    return [
        HelperRow(h.id, h.uuid, h.name, h.sex, h.unit, h.post, h.phone, h.political_status, h.unit_affiliation,
                  bool(h.active), int(n))
        for h, n in session.execute(stmt)
    ]


@dataclass
class ServedHousehold:
    uuid: str
    household_number: str | None
    head_name: str | None
    village: str
    exit_status: str | None
    start_date: date | None
    end_date: date | None
    current: bool


def helper_households(session: Session, helper_id: int, today: date | None = None) -> list[ServedHousehold]:
    """Every household the helper serves or served (current ones first)."""
    day = today or date.today()
    head = (
        select(Member.name)
        .where(Member.household_id == Household.id, Member.relation == "户主", Member.status != MEMBER_STATUS_REMOVED)
        .order_by(Member.seq)
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    stmt = (
        select(Household.uuid, Household.household_number, head.label("head"), Village.name, Household.exit_status,
               Assignment.start_date, Assignment.end_date)
        .join(Assignment, Assignment.household_id == Household.id)
        .join(Village, Village.id == Household.village_id)
        .where(Assignment.helper_id == helper_id)
        .order_by(Village.code, Household.household_number)
    )
    rows = [
        ServedHousehold(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[6] is None or r[6] >= day)
        for r in session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: not r.current)


def helper_values(session: Session, helper_id: int) -> dict[str, Any]:
    helper = session.get(Helper, helper_id)
    if helper is None:
        raise LookupError("找不到该帮扶责任人")
    return {k: getattr(helper, k) for k in HELPER_FIELDS} | {"id": helper.id, "township_id": helper.township_id}


def save_helper(session: Session, values: dict[str, Any], helper_id: int | None = None) -> Helper:
    """Create (``helper_id`` None) or update a helper; raises ValueError for bad input."""
    name = (values.get("name") or "").strip()
    if not name and (helper_id is None or "name" in values):
        raise ValueError("帮扶责任人姓名不能为空")
    if helper_id is None:
        township_id = values.get("township_id") or session.scalar(select(Township.id).order_by(Township.id))
        if township_id is None:
            raise ValueError("数据库中还没有乡镇，无法新增帮扶责任人")
        helper = Helper(township_id=township_id, name=name, active=True)
        session.add(helper)
    else:
        helper = session.get(Helper, helper_id)
        if helper is None:
            raise LookupError("找不到该帮扶责任人")
    for key in HELPER_FIELDS:
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, str):
            value = value.strip() or None
        if key == "name":
            value = name
        if key == "active":
            value = bool(value) if value is not None else True
        if getattr(helper, key) != value:
            setattr(helper, key, value)
    session.flush()
    return helper


def helper_choices(session: Session, township_id: int | None = None) -> list[tuple[int, str, str]]:
    """(id, name, "name（unit·post）") of active helpers for pickers with completion."""
    stmt = select(Helper.id, Helper.name, Helper.unit, Helper.post).where(Helper.active.is_(True))
    if township_id is not None:
        stmt = stmt.where(Helper.township_id == township_id)
    out = []
    for hid, name, unit, post in session.execute(stmt.order_by(Helper.name, Helper.id)):
        extra = "·".join(x for x in (unit, post) if x)
        out.append((hid, name, f"{name}（{extra}）" if extra else name))
    return out


# --------------------------------------------------------------------------- villages

VILLAGE_SUPPORT_FIELDS = ("poverty_village_type", "total_population", "total_households", "first_secretary",
                          "first_secretary_unit", "first_secretary_phone", "work_team_unit", "work_team_leader",
                          "work_team_members", "work_team_start", "work_team_end", "paired_enterprise",
                          "paired_enterprise_credit_code")
VILLAGE_EXIT_FIELDS = ("road_hardened", "bus_service", "safe_drinking_water", "electricity", "broadcast_tv",
                       "culture_center", "clinic_with_doctor", "broadband", "environment_beautified",
                       "dangerous_houses_renovated", "village_office_built", "collective_income",
                       "planned_exit_year", "exit_year", "note")
VILLAGE_FIELDS = ("name",) + VILLAGE_SUPPORT_FIELDS + VILLAGE_EXIT_FIELDS


@dataclass
class VillageRow:
    id: int
    code: str
    name: str
    poverty_village_type: str | None
    first_secretary: str | None
    work_team_unit: str | None
    paired_enterprise: str | None
    households: int  # 建档立卡 households in the database
    poor_people: int  # current members of households not yet exited
    total_population: int | None
    exit_indicators_met: int
    exit_indicators_total: int
    exit_year: int | None

    @property
    def incidence(self) -> Decimal | None:
        """贫困发生率 in percent: remaining poor people ÷ village population."""
        if not self.total_population:
            return None
        return (Decimal(self.poor_people) * 100 / Decimal(self.total_population)).quantize(Decimal("0.01"))


EXIT_INDICATORS = VILLAGE_EXIT_FIELDS[:11]


def village_rows(session: Session) -> list[VillageRow]:
    households = dict(session.execute(select(Household.village_id, func.count()).group_by(Household.village_id)).all())
    poor = dict(session.execute(
        select(Household.village_id, func.count(Member.id))
        .join(Member, Member.household_id == Household.id)
        .where(Member.status != MEMBER_STATUS_REMOVED, Household.exit_status.not_in(EXITED_STATUSES))
        .group_by(Household.village_id)).all())
    rows = []
    for v in session.scalars(select(Village).order_by(Village.code)):
        met = sum(1 for k in EXIT_INDICATORS if getattr(v, k) is True)
        rows.append(VillageRow(v.id, v.code, v.name, v.poverty_village_type, v.first_secretary, v.work_team_unit,
                               v.paired_enterprise, households.get(v.id, 0), poor.get(v.id, 0), v.total_population,
                               met, len(EXIT_INDICATORS), v.exit_year))
    return rows


def village_values(session: Session, village_id: int) -> dict[str, Any]:
    village = session.get(Village, village_id)
    if village is None:
        raise LookupError("找不到该行政村")
    return {k: getattr(village, k) for k in VILLAGE_FIELDS} | {"id": village.id, "code": village.code}


def save_village(session: Session, village_id: int, values: dict[str, Any]) -> Village:
    village = session.get(Village, village_id)
    if village is None:
        raise LookupError("找不到该行政村")
    if "name" in values and not (values["name"] or "").strip():
        raise ValueError("村名称不能为空")
    for key in VILLAGE_FIELDS:
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, str):
            value = value.strip() or None
        if getattr(village, key) != value:
            setattr(village, key, value)
    session.flush()
    return village


# --------------------------------------------------------------------------- poverty lines


@dataclass
class LineRow:
    id: int | None
    year: int
    scope: str
    amount: Decimal
    source: str | None = None
    note: str | None = None


def poverty_lines(session: Session) -> list[LineRow]:
    return [
        LineRow(p.id, p.year, p.scope, p.amount, p.source, p.note)
        for p in session.scalars(select(PovertyLine).order_by(PovertyLine.year.desc(), PovertyLine.scope))
    ]


def save_poverty_line(session: Session, row: LineRow) -> PovertyLine:
    """Create or update one line; a (year, scope) pair may exist only once."""
    from desktop.core import codelists

    if not 1980 <= int(row.year) <= 2100:
        raise ValueError(f"年度“{row.year}”不合理")
    scope = codelists.normalise("poverty_line_scope", row.scope)
    amount = Decimal(str(row.amount))
    if amount <= 0:
        raise ValueError("标准金额须大于 0")
    clash = session.scalar(select(PovertyLine).where(PovertyLine.year == row.year, PovertyLine.scope == scope))
    if clash is not None and clash.id != row.id:
        raise ValueError(f"{row.year} 年的“{scope}”标准已存在")
    if row.id is None:
        line = PovertyLine(year=int(row.year), scope=scope, amount=amount)
        session.add(line)
    else:
        line = session.get(PovertyLine, row.id)
        if line is None:
            raise LookupError("找不到该标准")
    for key, value in (("year", int(row.year)), ("scope", scope), ("amount", amount),
                       ("source", (row.source or "").strip() or None), ("note", (row.note or "").strip() or None)):
        if getattr(line, key) != value:
            setattr(line, key, value)
    session.flush()
    return line


def delete_poverty_line(session: Session, line_id: int) -> None:
    line = session.get(PovertyLine, line_id)
    if line is not None:
        session.delete(line)
