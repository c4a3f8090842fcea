"""Overview dashboard (概况仪表盘): the numbers behind every chart, computed in SQL.

Qt-free and dialect-neutral (SQLAlchemy Core: GROUP BY, CASE, EXISTS, integer
arithmetic; no SQLite functions). Each aggregate returns a :class:`ChartData`:
categories × series of numbers plus, for every bar or slice, the *filters* that
select the households behind it. The same filters drive :func:`household_conditions`,
so "click a bar, open the household list" always lists exactly the households the
bar counts (the tests check that for every bar of every chart).

Filter keys (a ``dict``; all keys optional, combined with AND; see docs/dashboard.md):

========================  ==================================================================
``township_code``         str — households of that township (12-digit code)
``village_uuid``          str — households of that village
``group_uuid``            str or None — of that 村民小组 (None: no group recorded)
``exit_status``           str, None or list — 脱贫状态 (None: not filled; list: any of)
``attribute``             str, None or list — 贫困户属性
``main_cause``            str, None or list — 主要致贫原因
``exit_year``             int or None — 脱贫年度
``planned_exit_year``     int or None — 计划脱贫年度
``measure_year``          int — has a 帮扶措施 of that year (with ``measure_category``: of that category)
``measure_category``      str — has a 帮扶措施 of that 大类 (with ``measure_year``: in that year)
``income_year``           int — the income record of that year is meant by the income keys below
``per_capita_min``        str (yuan, e.g. "1667.50") — 年人均纯收入 ≥ this (rounded as desktop.core.income)
``per_capita_max``        str — 年人均纯收入 < this
``income_missing``        True — no income record for ``income_year``
``income_population_missing``  True — a record exists but 核算人口 is empty or 0
``visit_as_of``           str (ISO date) — reference date of the visit keys (visits after it are ignored)
``visit_gap_min``         int — days from the latest visit (on or before ``visit_as_of``) ≥ this
``visit_gap_max``         int — … ≤ this (both: only households with at least one visit)
``never_visited``         True — no visit on or before ``visit_as_of``
``not_visited_days``      int N — no visit in the N days up to ``visit_as_of`` (never visited included)
``household_uuids``       list[str] — exactly these households (e.g. those with open check problems)
========================  ==================================================================
"""

from __future__ import annotations

import importlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import (
    MEMBER_STATUS_REMOVED,
    CheckAcknowledgement,
    Household,
    IncomeRecord,
    Measure,
    Member,
    Township,
    Village,
    VillageGroup,
    Visit,
)
from desktop.core import codelists, povertylines
from desktop.core.progress import NULL_PROGRESS, Progress

# 脱贫状态 groups. 预脱贫 is a planning mark: the household has not exited yet.
EXITED_STATUSES = ("已脱贫（享受政策）", "已脱贫（不再享受政策）")
POOR_STATUSES = ("未脱贫", "预脱贫", "返贫")
UNFILLED = "未填"

DEFAULT_VISIT_DAYS = 90
# Income bands as multiples of the year's poverty line (脱贫标准, else 国家).
INCOME_BAND_FACTORS = (Decimal("0.5"), Decimal("1"), Decimal("1.2"), Decimal("2"))
# Without a line for the year: fixed bands in yuan.
INCOME_FALLBACK_EDGES = (Decimal("2000"), Decimal("3000"), Decimal("4000"), Decimal("6000"))
# Checks panel: the rules with most problems, the rest summed as 其他规则.
CHECKS_TOP_RULES = 10

CENT = Decimal("0.01")


# --------------------------------------------------------------------------------------------
# Chart data
# --------------------------------------------------------------------------------------------
@dataclass
class Series:
    """One series of a chart: a value per category.

    ``filters`` apply to every point of the series; ``point_filters`` (one dict per
    category) replace the category filters for series whose points mean something
    different per category (planned vs actual exit year).
    """

    name: str
    values: list[float]
    filters: dict[str, Any] = field(default_factory=dict)
    kind: str = "bar"  # "bar" or "line"
    point_filters: list[dict[str, Any]] | None = None


@dataclass
class ChartData:
    key: str
    title: str
    categories: list[str]
    category_filters: list[dict[str, Any]]
    series: list[Series]
    base_filters: dict[str, Any] = field(default_factory=dict)
    stacked: bool = False
    unit: str = "户"
    note: str = ""
    details: list[str] = field(default_factory=list)  # extra text per category (labels, tooltips)
    counts_households: bool = True  # values are household counts (so the filters must count the same)

    def filters_for(self, category: int, series: int | None = None) -> dict[str, Any]:
        """The household filters behind one bar (or the whole category when ``series`` is None)."""
        result = dict(self.base_filters)
        if series is not None and self.series[series].point_filters is not None:
            result.update(self.series[series].point_filters[category])
            return result
        result.update(self.category_filters[category])
        if series is not None:
            result.update(self.series[series].filters)
        return result

    def value(self, category: str, series: str | None = None) -> float:
        i = self.categories.index(category)
        if series is None:
            return sum(s.values[i] for s in self.series if s.kind == "bar") if self.series else 0
        return next(s for s in self.series if s.name == series).values[i]

    def category_total(self, i: int) -> float:
        return sum(s.values[i] for s in self.series if s.kind == "bar")

    def as_dict(self) -> dict[str, dict[str, float]]:
        """{series name: {category: value}} — handy for tests and exports."""
        return {s.name: dict(zip(self.categories, s.values, strict=True)) for s in self.series}

    @property
    def empty(self) -> bool:
        return not self.categories or not any(v for s in self.series for v in s.values)


@dataclass(frozen=True)
class Scope:
    """What the dashboard covers: the whole database, one township, or one village."""

    township_code: str | None = None
    village_uuid: str | None = None

    def filters(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.township_code:
            result["township_code"] = self.township_code
        if self.village_uuid:
            result["village_uuid"] = self.village_uuid
        return result


@dataclass
class Totals:
    households: int
    people: int
    by_status: dict[str, tuple[int, int]]  # 脱贫状态 -> (households, people)
    by_attribute: dict[str, tuple[int, int]]  # 贫困户属性 -> (households, people)

    def _sum(self, statuses: Iterable[str]) -> tuple[int, int]:
        rows = [self.by_status.get(s, (0, 0)) for s in statuses]
        return sum(r[0] for r in rows), sum(r[1] for r in rows)

    @property
    def poor(self) -> tuple[int, int]:
        """Households and people not yet exited (未脱贫 + 预脱贫 + 返贫)."""
        return self._sum(POOR_STATUSES)

    @property
    def exited(self) -> tuple[int, int]:
        return self._sum(EXITED_STATUSES)


@dataclass
class MeasureTotals:
    year: int
    measures: int
    households: int
    amount: Decimal


@dataclass
class IncomeInfo:
    year: int
    line: Decimal | None  # the threshold used (None: no line for the year)
    below_line: int  # households with a record whose per-capita income is below the line
    with_record: int


@dataclass
class VisitInfo:
    as_of: date
    days: int
    not_visited: int  # no visit in the last ``days`` days (never visited included)
    never_visited: int


@dataclass
class ChecksInfo:
    """Open problems from desktop.core.checks (``available`` False: module not installed)."""

    available: bool
    ran: bool = False
    errors: int = 0
    warnings: int = 0
    households: int = 0
    chart: ChartData | None = None
    message: str = ""


@dataclass
class Overview:
    scope: Scope
    year: int
    totals: Totals
    status: ChartData
    attribute: ChartData
    area: ChartData
    exits: ChartData
    causes: ChartData
    measures: ChartData
    measure_totals: MeasureTotals
    income: ChartData
    income_info: IncomeInfo
    visits: ChartData
    visit_info: VisitInfo
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class VillageOption:
    uuid: str
    code: str
    name: str
    township_code: str
    township_name: str


@dataclass
class Options:
    """What the filter bar offers."""

    townships: list[tuple[str, str]]  # (code, name)
    villages: list[VillageOption]
    years: list[int]
    default_year: int
    latest_visit: date | None


# --------------------------------------------------------------------------------------------
# Filters → SQL conditions on the household table
# --------------------------------------------------------------------------------------------
FILTER_KEYS = frozenset({
    "township_code", "village_uuid", "group_uuid", "exit_status", "attribute", "main_cause", "exit_year",
    "planned_exit_year", "measure_year", "measure_category", "income_year", "per_capita_min",
    "per_capita_max", "income_missing", "income_population_missing", "visit_as_of", "visit_gap_min",
    "visit_gap_max", "never_visited", "not_visited_days", "household_uuids",
})


def _match(column: Any, value: Any) -> ColumnElement[bool]:
    if value is None:
        return column.is_(None)
    if isinstance(value, list | tuple | set | frozenset):
        values = list(value)
        conds = [column.in_([v for v in values if v is not None])] if any(v is not None for v in values) else []
        if None in values:
            conds.append(column.is_(None))
        return or_(*conds) if conds else false()
    return column == value


def _cents(column: Any) -> ColumnElement[int]:
    """An amount of yuan as whole cents (None → 0), rounded like desktop.core.income.to_money."""
    return func.coalesce(cast(func.round(column * 100), BigInteger), 0)


def net_income_cents() -> ColumnElement[int]:
    """年纯收入 in cents: wage + production + property + transfer − production expense."""
    r = IncomeRecord
    return (_cents(r.wage) + _cents(r.production) + _cents(r.property_income) + _cents(r.transfer)
            - _cents(r.production_expense))


def _to_cents(yuan: Any) -> int:
    return int((Decimal(str(yuan)).quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def per_capita_at_least(edge_cents: int, net: Any = None, population: Any = None) -> ColumnElement[bool]:
    """年人均纯收入 (net / population, rounded half-up to the cent) ≥ ``edge_cents``, in exact
    integer arithmetic: round(x) ≥ E ⇔ x ≥ E − ½ for E ≥ 1 cent, and x > E − ½ for E ≤ 0
    (half-up rounds −½ away from zero)."""
    net = net_income_cents() if net is None else net
    population = IncomeRecord.population if population is None else population
    left, right = net * 2, population * (2 * edge_cents - 1)
    return left >= right if edge_cents >= 1 else left > right


def _has_population() -> ColumnElement[bool]:
    return and_(IncomeRecord.population.is_not(None), IncomeRecord.population > 0)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def household_conditions(filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``household`` for a filter dict (see the module docstring)."""
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise ValueError(f"unknown household filter keys: {sorted(unknown)}")
    h = Household
    conds: list[ColumnElement[bool]] = []
    f = filters
    if f.get("township_code"):
        conds.append(h.village_id.in_(
            select(Village.id).join(Township, Village.township_id == Township.id)
            .where(Township.code == f["township_code"])))
    if f.get("village_uuid"):
        conds.append(h.village_id.in_(select(Village.id).where(Village.uuid == f["village_uuid"])))
    if "group_uuid" in f:
        if f["group_uuid"] is None:
            conds.append(h.group_id.is_(None))
        else:
            conds.append(h.group_id.in_(select(VillageGroup.id).where(VillageGroup.uuid == f["group_uuid"])))
    for key, column in (("exit_status", h.exit_status), ("attribute", h.attribute),
                        ("main_cause", h.main_cause), ("exit_year", h.exit_year),
                        ("planned_exit_year", h.planned_exit_year)):
        if key in f:
            conds.append(_match(column, f[key]))
    if "measure_year" in f or "measure_category" in f:
        m_conds = [Measure.household_id == h.id]
        if f.get("measure_year") is not None:
            m_conds.append(Measure.year == int(f["measure_year"]))
        if "measure_category" in f:
            m_conds.append(_match(Measure.category, f["measure_category"]))
        conds.append(exists().where(*m_conds))
    income_keys = {"per_capita_min", "per_capita_max", "income_missing", "income_population_missing"}
    if income_keys & set(f):
        if f.get("income_year") is None:
            raise ValueError("income filters need income_year")
        year = int(f["income_year"])
        record = [IncomeRecord.household_id == h.id, IncomeRecord.year == year]
        if f.get("income_missing"):
            conds.append(not_(exists().where(*record)))
        if f.get("income_population_missing"):
            conds.append(exists().where(*record, not_(_has_population())))
        bounds = []
        if f.get("per_capita_min") is not None:
            bounds.append(per_capita_at_least(_to_cents(f["per_capita_min"])))
        if f.get("per_capita_max") is not None:
            bounds.append(not_(per_capita_at_least(_to_cents(f["per_capita_max"]))))
        if bounds:
            conds.append(exists().where(*record, _has_population(), *bounds))
    visit_keys = {"visit_gap_min", "visit_gap_max", "never_visited", "not_visited_days"}
    if visit_keys & set(f):
        as_of = _as_date(f.get("visit_as_of") or date.today())
        upto = [Visit.household_id == h.id, Visit.visited_on <= as_of]
        if f.get("never_visited"):
            conds.append(not_(exists().where(*upto)))
        if f.get("not_visited_days") is not None:
            since = as_of - timedelta(days=int(f["not_visited_days"]))
            conds.append(not_(exists().where(*upto, Visit.visited_on >= since)))
        if f.get("visit_gap_min") is not None or f.get("visit_gap_max") is not None:
            last = select(func.max(Visit.visited_on)).where(*upto).scalar_subquery()
            conds.append(last.is_not(None))
            if f.get("visit_gap_min") is not None:
                conds.append(last <= as_of - timedelta(days=int(f["visit_gap_min"])))
            if f.get("visit_gap_max") is not None:
                conds.append(last >= as_of - timedelta(days=int(f["visit_gap_max"])))
    if "household_uuids" in f:
        uuids = list(f["household_uuids"] or [])
        conds.append(h.uuid.in_(uuids) if uuids else false())
    return conds


def count_households(session: Session, filters: Mapping[str, Any]) -> int:
    return session.scalar(select(func.count()).select_from(Household).where(*household_conditions(filters))) or 0


HOUSEHOLD_LIST_COLUMNS = ("户编号", "行政村", "户主", "人口", "贫困户属性", "主要致贫原因", "脱贫状态", "计划脱贫年度",
                          "脱贫年度")


def list_households(session: Session, filters: Mapping[str, Any], limit: int | None = None) -> list[tuple]:
    """(uuid, 户编号, 行政村, 户主, 人口, 属性, 主要致贫原因, 脱贫状态, 计划脱贫年度, 脱贫年度) of the
    households matching ``filters``, ordered by village code and 户编号."""
    h = Household
    head = (select(Member.name).where(Member.household_id == h.id, Member.relation == "户主",
                                      Member.status != MEMBER_STATUS_REMOVED)
            .order_by(Member.seq).limit(1).scalar_subquery())
    people = (select(func.count(Member.id)).where(Member.household_id == h.id,
                                                  Member.status != MEMBER_STATUS_REMOVED).scalar_subquery())
    stmt = (select(h.uuid, h.household_number, Village.name, head, people, h.attribute, h.main_cause,
                   h.exit_status, h.planned_exit_year, h.exit_year)
            .join(Village, h.village_id == Village.id)
            .where(*household_conditions(filters))
            .order_by(Village.code, h.household_number, h.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [tuple(r) for r in session.execute(stmt)]


def describe_filters(filters: Mapping[str, Any], session: Session | None = None) -> str:
    """A short Chinese description of a filter dict, e.g. "致贫原因：因病；脱贫状态：未脱贫"."""
    f = filters
    parts: list[str] = []

    def label(value: Any) -> str:
        if value is None:
            return UNFILLED
        if isinstance(value, list | tuple | set | frozenset):
            return "、".join(label(v) for v in value)
        return str(value)

    if f.get("township_code"):
        name = None
        if session is not None:
            name = session.scalar(select(Township.name).where(Township.code == f["township_code"]))
        parts.append(f"乡镇：{name or f['township_code']}")
    if f.get("village_uuid"):
        name = None
        if session is not None:
            name = session.scalar(select(Village.name).where(Village.uuid == f["village_uuid"]))
        parts.append(f"行政村：{name or f['village_uuid'][:8]}")
    if "group_uuid" in f:
        name = None
        if session is not None and f["group_uuid"]:
            name = session.scalar(select(VillageGroup.name).where(VillageGroup.uuid == f["group_uuid"]))
        parts.append(f"村民小组：{name or ('未分组' if f['group_uuid'] is None else f['group_uuid'][:8])}")
    for key, title in (("exit_status", "脱贫状态"), ("attribute", "贫困户属性"), ("main_cause", "主要致贫原因"),
                       ("exit_year", "脱贫年度"), ("planned_exit_year", "计划脱贫年度")):
        if key in f:
            parts.append(f"{title}：{label(f[key])}")
    if "measure_year" in f or "measure_category" in f:
        year = f"{f['measure_year']}年度" if f.get("measure_year") is not None else ""
        parts.append(f"{year}帮扶措施：{label(f['measure_category']) if 'measure_category' in f else '任意'}")
    if f.get("income_year") is not None:
        year = f["income_year"]
        if f.get("income_missing"):
            parts.append(f"{year}年无收入记录")
        elif f.get("income_population_missing"):
            parts.append(f"{year}年收入记录未填核算人口")
        elif "per_capita_min" in f or "per_capita_max" in f:
            lo, hi = f.get("per_capita_min"), f.get("per_capita_max")
            if lo is not None and hi is not None:
                parts.append(f"{year}年人均纯收入 {_yuan(lo)}～{_yuan(hi)} 元（不含）")
            elif lo is not None:
                parts.append(f"{year}年人均纯收入 ≥ {_yuan(lo)} 元")
            else:
                parts.append(f"{year}年人均纯收入 < {_yuan(hi)} 元")
    if f.get("never_visited"):
        parts.append(f"截至{f.get('visit_as_of', '今天')}从未走访")
    if f.get("not_visited_days") is not None:
        parts.append(f"截至{f.get('visit_as_of', '今天')}已{f['not_visited_days']}天以上未走访")
    if f.get("visit_gap_min") is not None or f.get("visit_gap_max") is not None:
        lo, hi = f.get("visit_gap_min"), f.get("visit_gap_max")
        span = f"{lo}～{hi}天" if lo is not None and hi is not None else (f"{lo}天以上" if lo is not None else f"{hi}天内")
        parts.append(f"截至{f.get('visit_as_of', '今天')}距最近一次走访 {span}")
    if "household_uuids" in f:
        parts.append(f"指定的 {len(f['household_uuids'] or [])} 户")
    return "；".join(parts) if parts else "全部贫困户"


def _yuan(value: Any) -> str:
    amount = Decimal(str(value))
    return f"{amount:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------
# Filter-bar options
# --------------------------------------------------------------------------------------------
def options(session: Session) -> Options:
    townships = [(c, n) for c, n in session.execute(select(Township.code, Township.name).order_by(Township.code))]
    villages = [
        VillageOption(uuid=u, code=c, name=n, township_code=tc, township_name=tn)
        for u, c, n, tc, tn in session.execute(
            select(Village.uuid, Village.code, Village.name, Township.code, Township.name)
            .join(Township, Village.township_id == Township.id).order_by(Township.code, Village.code))
    ]
    years: set[int] = set()
    for column in (IncomeRecord.year, Measure.year):
        years.update(y for (y,) in session.execute(select(column).distinct()) if y is not None)
    default_year = max(years) if years else date.today().year
    years.add(default_year)
    latest_visit = session.scalar(select(func.max(Visit.visited_on)))
    return Options(townships=townships, villages=villages, years=sorted(years, reverse=True),
                   default_year=default_year, latest_visit=latest_visit)


def latest_visit_date(session: Session) -> date | None:
    return session.scalar(select(func.max(Visit.visited_on)))


def reference_date(session: Session, configured: date | None = None) -> date:
    """The date visits are measured against: ``configured``, else the latest visit in the
    database, else today."""
    return configured or latest_visit_date(session) or date.today()


# --------------------------------------------------------------------------------------------
# Aggregates
# --------------------------------------------------------------------------------------------
def _status_order() -> list[str]:
    return codelists.labels("exit_status")


def _ordered(found: Iterable[str | None], listname: str | None) -> list[str | None]:
    """Code-list order first, then unknown labels, then None (未填)."""
    found = set(found)
    order: list[str | None] = [x for x in (codelists.labels(listname) if listname else []) if x in found]
    order += sorted(x for x in found if x is not None and x not in order)
    if None in found:
        order.append(None)
    return order


def _label(value: Any) -> str:
    return UNFILLED if value is None else str(value)


def _status_series(statuses: Iterable[str | None], values: Mapping[tuple[Any, str | None], int],
                   keys: list[Any]) -> list[Series]:
    """One series per 脱贫状态 that occurs, in code-list order."""
    series = []
    for status in _ordered(statuses, "exit_status"):
        nums = [float(values.get((k, status), 0)) for k in keys]
        if any(nums):
            series.append(Series(name=_label(status), values=nums, filters={"exit_status": status}))
    return series


def totals(session: Session, scope: Scope = Scope()) -> Totals:
    where = household_conditions(scope.filters())
    h, m = Household, Member
    acc_s: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    acc_a: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    households = session.execute(select(h.exit_status, h.attribute, func.count(h.id))
                                 .where(*where).group_by(h.exit_status, h.attribute)).all()
    people = session.execute(select(h.exit_status, h.attribute, func.count(m.id))
                             .join(h, m.household_id == h.id)
                             .where(m.status != MEMBER_STATUS_REMOVED, *where)
                             .group_by(h.exit_status, h.attribute)).all()
    for column, rows in ((0, households), (1, people)):
        for status, attribute, n in rows:
            acc_s[status][column] += n
            acc_a[attribute][column] += n
    by_status = {_label(k): (acc_s[k][0], acc_s[k][1]) for k in _ordered(acc_s, "exit_status")}
    by_attribute = {_label(k): (acc_a[k][0], acc_a[k][1]) for k in _ordered(acc_a, "household_attribute")}
    return Totals(households=sum(v[0] for v in by_status.values()), people=sum(v[1] for v in by_status.values()),
                  by_status=by_status, by_attribute=by_attribute)


def _share_chart(key: str, title: str, filter_key: str, listname: str,
                 counts: Mapping[str, tuple[int, int]], base: dict[str, Any]) -> ChartData:
    cats = [c for c, v in counts.items() if v[0]]
    return ChartData(
        key=key, title=title, categories=cats,
        category_filters=[{filter_key: None if c == UNFILLED else c} for c in cats],
        series=[Series(name="户数", values=[float(counts[c][0]) for c in cats])],
        details=[f"{counts[c][0]:,}户 {counts[c][1]:,}人" for c in cats],
        base_filters=base,
    )


def status_chart(total: Totals, scope: Scope = Scope()) -> ChartData:
    return _share_chart("status", "脱贫状态", "exit_status", "exit_status", total.by_status, scope.filters())


def attribute_chart(total: Totals, scope: Scope = Scope()) -> ChartData:
    return _share_chart("attribute", "贫困户属性", "attribute", "household_attribute", total.by_attribute,
                        scope.filters())


def area_chart(session: Session, scope: Scope = Scope()) -> ChartData:
    """Households per village (or, within one village, per 村民小组), stacked by 脱贫状态,
    villages with most households still poor first."""
    h = Household
    where = household_conditions(scope.filters())
    counts: dict[tuple[Any, str | None], int] = {}
    statuses: set[str | None] = set()
    if scope.village_uuid:
        groups = session.execute(
            select(VillageGroup.id, VillageGroup.uuid, VillageGroup.name)
            .join(Village, VillageGroup.village_id == Village.id)
            .where(Village.uuid == scope.village_uuid).order_by(VillageGroup.code, VillageGroup.name)).all()
        units: list[tuple[Any, str, dict[str, Any]]] = [(gid, name, {"group_uuid": guuid}) for gid, guuid, name in groups]
        rows = session.execute(select(h.group_id, h.exit_status, func.count(h.id))
                               .where(*where).group_by(h.group_id, h.exit_status)).all()
        if any(gid is None for gid, _s, _n in rows):
            units.append((None, "未分组", {"group_uuid": None}))
        title = "各村民小组户数"
    else:
        vq = (select(Village.id, Village.uuid, Village.name, Township.name)
              .join(Township, Village.township_id == Township.id).order_by(Township.code, Village.code))
        if scope.township_code:
            vq = vq.where(Township.code == scope.township_code)
        villages = session.execute(vq).all()
        several = len({t for _i, _u, _n, t in villages}) > 1
        units = [(vid, f"{tname}·{name}" if several else name, {"village_uuid": vuuid})
                 for vid, vuuid, name, tname in villages]
        rows = session.execute(select(h.village_id, h.exit_status, func.count(h.id))
                               .where(*where).group_by(h.village_id, h.exit_status)).all()
        title = "各村户数"
    for unit, status, n in rows:
        counts[(unit, status)] = n
        statuses.add(status)

    def poor(unit: Any) -> int:
        return sum(counts.get((unit, s), 0) for s in POOR_STATUSES)

    def total(unit: Any) -> int:
        return sum(counts.get((unit, s), 0) for s in statuses)

    order = sorted(range(len(units)), key=lambda i: (-poor(units[i][0]), -total(units[i][0]), i))
    units = [units[i] for i in order]
    keys = [u[0] for u in units]
    return ChartData(
        key="area", title=title, categories=[u[1] for u in units], category_filters=[u[2] for u in units],
        series=_status_series(statuses, counts, keys), stacked=True, base_filters=scope.filters(),
        details=[f"未脱贫 {poor(k):,} / 共 {total(k):,} 户" for k in keys],
    )


def exits_chart(session: Session, scope: Scope = Scope()) -> ChartData:
    """Households per 计划脱贫年度 (line) against households per 脱贫年度 (bars)."""
    h = Household
    where = household_conditions(scope.filters())
    planned = dict(session.execute(select(h.planned_exit_year, func.count(h.id))
                                   .where(*where, h.planned_exit_year.is_not(None))
                                   .group_by(h.planned_exit_year)).all())
    actual = dict(session.execute(select(h.exit_year, func.count(h.id))
                                  .where(*where, h.exit_year.is_not(None)).group_by(h.exit_year)).all())
    years = sorted(set(planned) | set(actual))
    cats = [str(y) for y in years]
    cum_a = cum_p = 0
    details = []
    for y in years:
        cum_a += actual.get(y, 0)
        cum_p += planned.get(y, 0)
        details.append(f"累计：计划 {cum_p:,} 户，实际 {cum_a:,} 户")
    return ChartData(
        key="exits", title="脱贫进度（计划与实际）", categories=cats, category_filters=[{} for _ in years],
        series=[
            Series(name="实际脱贫", values=[float(actual.get(y, 0)) for y in years],
                   point_filters=[{"exit_year": y} for y in years]),
            Series(name="计划脱贫", values=[float(planned.get(y, 0)) for y in years], kind="line",
                   point_filters=[{"planned_exit_year": y} for y in years]),
        ],
        base_filters=scope.filters(), details=details,
    )


def causes_chart(session: Session, scope: Scope = Scope()) -> ChartData:
    """Households by 主要致贫原因 (most first), stacked by 脱贫状态."""
    h = Household
    rows = session.execute(select(h.main_cause, h.exit_status, func.count(h.id))
                           .where(*household_conditions(scope.filters()))
                           .group_by(h.main_cause, h.exit_status)).all()
    counts = {(c, s): n for c, s, n in rows}
    causes = _ordered({c for c, _s, _n in rows}, "poverty_cause")
    totals_by = {c: sum(n for (cc, _s), n in counts.items() if cc == c) for c in causes}
    causes.sort(key=lambda c: (c is None, -totals_by[c]))
    return ChartData(
        key="causes", title="主要致贫原因", categories=[_label(c) for c in causes],
        category_filters=[{"main_cause": c} for c in causes],
        series=_status_series({s for _c, s, _n in rows}, counts, causes), stacked=True,
        base_filters=scope.filters(), details=[f"共 {totals_by[c]:,} 户" for c in causes],
    )


def measures_chart(session: Session, scope: Scope, year: int) -> tuple[ChartData, MeasureTotals]:
    """帮扶措施 of ``year`` by 大类: funds (bars), number of measures and households (details)."""
    m = Measure
    in_scope = select(Household.id).where(*household_conditions(scope.filters()))
    conds = [m.year == year]
    if scope.filters():
        conds.append(m.household_id.in_(in_scope))
    rows = session.execute(
        select(m.category, func.count(m.id), func.count(func.distinct(m.household_id)),
               func.sum(_cents(m.amount)))
        .where(*conds).group_by(m.category)).all()
    rows.sort(key=lambda r: (-(r[3] or 0), -r[1]))
    total_households = session.scalar(select(func.count(func.distinct(m.household_id))).where(*conds)) or 0
    cats = [_label(r[0]) for r in rows]
    amount = Decimal(sum(int(r[3] or 0) for r in rows)) / 100
    chart = ChartData(
        key="measures", title=f"{year}年帮扶措施资金（按大类）", categories=cats,
        category_filters=[{"measure_year": year, "measure_category": r[0]} for r in rows],
        series=[Series(name="资金", values=[int(r[3] or 0) / 100 for r in rows])],
        base_filters=scope.filters(), unit="元", counts_households=False,
        details=[f"{r[1]:,}项 · {r[2]:,}户" for r in rows],
        note=f"共 {sum(r[1] for r in rows):,} 项措施，{total_households:,} 户，资金 {format_yuan(amount)}",
    )
    return chart, MeasureTotals(year=year, measures=sum(r[1] for r in rows), households=total_households,
                                amount=amount)


def income_edges(line: Decimal | None) -> list[Decimal]:
    """Band edges in yuan (ascending): multiples of the line, or fixed amounts without one."""
    if line is None:
        return list(INCOME_FALLBACK_EDGES)
    return [(line * f).quantize(CENT, rounding=ROUND_HALF_UP) for f in INCOME_BAND_FACTORS]


def income_chart(session: Session, scope: Scope, year: int) -> tuple[ChartData, IncomeInfo]:
    """Households by 年人均纯收入 band for ``year`` (against that year's line), stacked by 脱贫状态;
    plus households without a record or without 核算人口."""
    line = povertylines.line_for(session, year)
    edges = income_edges(line)
    h, r = Household, IncomeRecord
    net = net_income_cents()
    whens = [(not_(_has_population()), literal(-1))]
    for i in range(len(edges), 0, -1):
        whens.append((per_capita_at_least(_to_cents(edges[i - 1]), net), literal(i)))
    band = case(*whens, else_=literal(0))
    band_expr = case((r.id.is_(None), literal(-2)), else_=band)
    rows = session.execute(
        select(band_expr.label("band"), h.exit_status, func.count(h.id))
        .select_from(h).outerjoin(r, and_(r.household_id == h.id, r.year == year))
        .where(*household_conditions(scope.filters()))
        .group_by(band_expr, h.exit_status)).all()
    counts = {(int(b), s): n for b, s, n in rows}
    bands: list[int] = list(range(len(edges) + 1))
    labels, filters = [], []
    fmt = _yuan
    for i in bands:
        lo = edges[i - 1] if i > 0 else None
        hi = edges[i] if i < len(edges) else None
        if lo is None:
            labels.append(f"<{fmt(hi)}")
        elif hi is None:
            labels.append(f"≥{fmt(lo)}")
        else:
            labels.append(f"{fmt(lo)}～{fmt(hi)}")
        flt: dict[str, Any] = {"income_year": year}
        if lo is not None:
            flt["per_capita_min"] = f"{lo:.2f}"
        if hi is not None:
            flt["per_capita_max"] = f"{hi:.2f}"
        filters.append(flt)
    for code, text, flt in ((-1, "未填人口", {"income_population_missing": True}),
                            (-2, "无收入记录", {"income_missing": True})):
        if any(b == code for b, _s in counts):
            bands.append(code)
            labels.append(text)
            filters.append({"income_year": year, **flt})
    # band i holds per-capita incomes ≥ edges[i-1]: the bands below the line end where the line is an edge
    below_bands = edges.index(line.quantize(CENT)) + 1 if line is not None else 0
    below = sum(n for (b, _s), n in counts.items() if 0 <= b < below_bands)
    with_record = sum(n for (b, _s), n in counts.items() if b >= 0)
    if line is not None:
        note = f"贫困标准 {_yuan(line)} 元/人·年，低于标准 {below:,} 户"
    else:
        note = f"未设置{year}年贫困标准，按固定金额分段"
    chart = ChartData(
        key="income", title=f"{year}年人均纯收入分布（元）", categories=labels, category_filters=filters,
        series=_status_series({s for _b, s in counts}, counts, bands), stacked=True,
        base_filters=scope.filters(), note=note,
        details=[f"共 {sum(n for (b, _s), n in counts.items() if b == k):,} 户" for k in bands],
    )
    return chart, IncomeInfo(year=year, line=line, below_line=below, with_record=with_record)


def visit_bands(days: int) -> list[tuple[int, int | None]]:
    """Gap bands (days since the latest visit, inclusive) relative to the threshold N."""
    return [(0, days), (days + 1, 2 * days), (2 * days + 1, 4 * days), (4 * days + 1, None)]


def visits_chart(session: Session, scope: Scope, days: int = DEFAULT_VISIT_DAYS,
                 as_of: date | None = None) -> tuple[ChartData, VisitInfo]:
    """Households by days since their latest visit (on or before ``as_of``), stacked by 脱贫状态."""
    if days < 1:
        raise ValueError("days must be at least 1")
    as_of = reference_date(session, as_of)
    h, v = Household, Visit
    last_q = select(v.household_id, func.max(v.visited_on).label("last")).where(v.visited_on <= as_of)
    if scope.filters():  # only the visits of households in scope
        last_q = last_q.where(v.household_id.in_(select(h.id).where(*household_conditions(scope.filters()))))
    last_sq = last_q.group_by(v.household_id).subquery()
    bands = visit_bands(days)
    # Band i holds gaps up to hi_i days: walk from the newest band, last >= as_of - hi_i.
    whens = [(last_sq.c.last.is_(None), literal(-1))]
    for i, (_lo, hi) in enumerate(bands):
        if hi is not None:
            whens.append((last_sq.c.last >= as_of - timedelta(days=hi), literal(i)))
    band = case(*whens, else_=literal(len(bands) - 1))
    rows = session.execute(
        select(band.label("band"), h.exit_status, func.count(h.id))
        .select_from(h).outerjoin(last_sq, last_sq.c.household_id == h.id)
        .where(*household_conditions(scope.filters()))
        .group_by(band, h.exit_status)).all()
    counts = {(int(b), s): n for b, s, n in rows}
    keys = list(range(len(bands))) + [-1]
    labels, filters = [], []
    base = {"visit_as_of": as_of.isoformat()}
    for lo, hi in bands:
        labels.append(f"{lo}～{hi}" if hi is not None and lo > 0 else (f"≤{hi}" if hi is not None else f">{lo - 1}"))
        flt = {**base, "visit_gap_min": lo}
        if hi is not None:
            flt["visit_gap_max"] = hi
        filters.append(flt)
    labels.append("从未走访")
    filters.append({**base, "never_visited": True})
    never = sum(n for (b, _s), n in counts.items() if b == -1)
    not_visited = sum(n for (b, _s), n in counts.items() if b != 0)
    chart = ChartData(
        key="visits", title=f"距最近一次走访天数（截至{as_of:%Y-%m-%d}）", categories=labels,
        category_filters=filters, series=_status_series({s for _b, s in counts}, counts, keys), stacked=True,
        base_filters=scope.filters(),
        note=f"近{days}天未走访 {not_visited:,} 户（其中从未走访 {never:,} 户）",
        details=[f"共 {sum(n for (b, _s), n in counts.items() if b == k):,} 户" for k in keys],
    )
    return chart, VisitInfo(as_of=as_of, days=days, not_visited=not_visited, never_visited=never)


# --------------------------------------------------------------------------------------------
# Checks (desktop.core.checks, written by another issue; optional)
# --------------------------------------------------------------------------------------------
def checks_module() -> Any | None:
    """``desktop.core.checks`` if it is installed and provides ``run_checks``, else None."""
    try:
        module = importlib.import_module("desktop.core.checks")
    except ImportError:
        return None
    return module if hasattr(module, "run_checks") else None


def _is_error(severity: Any) -> bool:
    return str(severity or "").strip().lower() in ("错误", "error", "e")


def _rule_title(module: Any, rule_id: str) -> str:
    registry = getattr(module, "RULES", None)
    rule = None
    try:
        if isinstance(registry, Mapping):
            rule = registry.get(rule_id)
        elif registry is not None:
            rule = next((r for r in registry if getattr(r, "id", getattr(r, "rule_id", None)) == rule_id), None)
    except Exception:  # noqa: BLE001 - a foreign registry must not break the dashboard
        rule = None
    for attr in ("title", "name", "label", "description"):
        text = getattr(rule, attr, None) if rule is not None else None
        if isinstance(text, str) and text:
            return f"{rule_id} {text}"
    return str(rule_id)


def problems_chart(session: Session, scope: Scope, problems: list[Any], module: Any = None) -> ChecksInfo:
    """Open problems (not acknowledged) of households in ``scope``, by rule, split by severity."""
    acknowledged = {
        (rule, entity)
        for rule, entity in session.execute(select(CheckAcknowledgement.rule_id, CheckAcknowledgement.entity_uuid)
                                            .where(CheckAcknowledgement.revoked.is_not(True)))
    }
    in_scope: set[str] | None = None
    if scope.filters():
        in_scope = set(session.scalars(select(Household.uuid).where(*household_conditions(scope.filters()))))
    open_problems = []
    titles: dict[str, str] = {}
    for p in problems:
        if getattr(p, "acknowledged", False):
            continue
        rule = str(getattr(p, "rule_id", "") or "")
        entity = (getattr(p, "entity_uuid", None) or getattr(p, "member_uuid", None)
                  or getattr(p, "household_uuid", None))
        if (rule, entity) in acknowledged:
            continue
        title = getattr(p, "title", None)
        if isinstance(title, str) and title:
            titles.setdefault(rule, f"{rule} {title}")
        hh = getattr(p, "household_uuid", None)
        if in_scope is not None and hh not in in_scope:
            continue
        open_problems.append((rule, _is_error(getattr(p, "severity", None)), hh))
    by_rule: dict[str, list[tuple[bool, str | None]]] = defaultdict(list)
    for rule, error, hh in open_problems:
        by_rule[rule].append((error, hh))
    ranked = sorted(by_rule, key=lambda r: (-len(by_rule[r]), r))
    groups: list[tuple[str, list[str]]] = [(r, [r]) for r in ranked[:CHECKS_TOP_RULES]]
    if len(ranked) > CHECKS_TOP_RULES:
        groups.append(("其他规则", ranked[CHECKS_TOP_RULES:]))
    cats, filters, err_vals, warn_vals, err_f, warn_f, details = [], [], [], [], [], [], []
    for name, rules in groups:
        items = [x for r in rules for x in by_rule[r]]
        cats.append(titles.get(name) or _rule_title(module, name) if name != "其他规则" else name)
        uuids = sorted({hh for _e, hh in items if hh})
        filters.append({"household_uuids": uuids})
        errs = [hh for e, hh in items if e]
        warns = [hh for e, hh in items if not e]
        err_vals.append(float(len(errs)))
        warn_vals.append(float(len(warns)))
        err_f.append({"household_uuids": sorted({x for x in errs if x})})
        warn_f.append({"household_uuids": sorted({x for x in warns if x})})
        details.append(f"{len(items):,}条 · {len(uuids):,}户")
    series = []
    if any(err_vals):
        series.append(Series(name="错误", values=err_vals, point_filters=err_f))
    if any(warn_vals):
        series.append(Series(name="警告", values=warn_vals, point_filters=warn_f))
    errors = sum(1 for _r, e, _h in open_problems if e)
    households = len({hh for _r, _e, hh in open_problems if hh})
    chart = ChartData(
        key="checks", title="检查发现的问题（未处理）", categories=cats, category_filters=filters,
        series=series, stacked=True, unit="条", counts_households=False, base_filters={},
        details=details, note=f"错误 {errors:,} 条，警告 {len(open_problems) - errors:,} 条，涉及 {households:,} 户",
    )
    return ChecksInfo(available=True, ran=True, errors=errors, warnings=len(open_problems) - errors,
                      households=households, chart=chart)


def run_open_checks(session: Session, scope: Scope = Scope(), progress: Progress | None = None) -> ChecksInfo:
    """Run desktop.core.checks (if installed) and summarise the open problems in ``scope``."""
    module = checks_module()
    if module is None:
        return ChecksInfo(available=False, message="未运行检查（检查功能尚未安装）")
    problems = module.run_checks(session, township_code=scope.township_code, progress=progress)
    return problems_chart(session, scope, list(problems), module)


# --------------------------------------------------------------------------------------------
# Everything at once (what the dashboard tab runs off the GUI thread)
# --------------------------------------------------------------------------------------------
def compute(session: Session, scope: Scope = Scope(), *, year: int | None = None,
            visit_days: int = DEFAULT_VISIT_DAYS, as_of: date | None = None,
            progress: Progress | None = None) -> Overview:
    progress = progress or NULL_PROGRESS
    timings: dict[str, float] = {}
    if year is None:
        year = options(session).default_year
    steps: list[tuple[str, str, Callable[[], Any]]] = []
    results: dict[str, Any] = {}

    def step(name: str, text: str, fn: Callable[[], Any]) -> None:
        steps.append((name, text, fn))

    step("totals", "统计户数与人数", lambda: totals(session, scope))
    step("area", "按村统计", lambda: area_chart(session, scope))
    step("exits", "统计脱贫进度", lambda: exits_chart(session, scope))
    step("causes", "统计致贫原因", lambda: causes_chart(session, scope))
    step("measures", "统计帮扶措施与资金", lambda: measures_chart(session, scope, year))
    step("income", "统计人均纯收入", lambda: income_chart(session, scope, year))
    step("visits", "统计走访情况", lambda: visits_chart(session, scope, visit_days, as_of))
    for i, (name, text, fn) in enumerate(steps):
        progress.update(i, len(steps), text)
        start = time.perf_counter()
        results[name] = fn()
        timings[name] = time.perf_counter() - start
    progress.update(len(steps), len(steps), "")
    total = results["totals"]
    measures, measure_totals = results["measures"]
    income, income_info = results["income"]
    visits, visit_info = results["visits"]
    return Overview(
        scope=scope, year=year, totals=total, status=status_chart(total, scope),
        attribute=attribute_chart(total, scope), area=results["area"], exits=results["exits"],
        causes=results["causes"], measures=measures, measure_totals=measure_totals, income=income,
        income_info=income_info, visits=visits, visit_info=visit_info, timings=timings,
    )


def format_yuan(amount: Decimal | float | int) -> str:
    """2100454300 → "21.00亿元"; 12345678 → "1234.57万元"; below 10,000 → "8,520元"."""
    value = Decimal(str(amount))
    if abs(value) >= 100_000_000:
        return f"{(value / 100_000_000).quantize(CENT, rounding=ROUND_HALF_UP)}亿元"
    if abs(value) >= 10000:
        return f"{(value / 10000).quantize(CENT, rounding=ROUND_HALF_UP)}万元"
    return f"{value.quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}元"


__all__ = [
    "DEFAULT_VISIT_DAYS", "EXITED_STATUSES", "FILTER_KEYS", "POOR_STATUSES", "ChartData", "ChecksInfo", "Options",
    "Overview", "Scope", "Series", "Totals", "area_chart", "attribute_chart", "causes_chart", "checks_module",
    "compute", "count_households", "describe_filters", "exits_chart", "format_yuan", "household_conditions",
    "income_chart", "list_households", "measures_chart", "options", "problems_chart", "reference_date",
    "run_open_checks", "status_chart", "totals", "visits_chart",
]
