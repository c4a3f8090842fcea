"""The numbers behind every dashboard chart, checked against independent counts.

The independent side reads the SQLite file with the bare ``sqlite3`` module (or walks ORM
rows in Python with ``desktop.core.income.summarise``), never through
``desktop.core.dashboard``. Every bar's filters must also select exactly the households
the bar counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from db.models import CheckAcknowledgement, Household, IncomeRecord, Member, Village, Visit
from desktop.core import dashboard as d
from desktop.core.income import summarise
from desktop.core.povertylines import line_for
from desktop.core.progress import Cancelled, Progress
from tests.backends import raw_rows


def raw(db, sql: str, *args) -> list[tuple]:
    """``sql`` (``?`` placeholders) on the bare DBAPI driver: sqlite3 on the file, psycopg on a server."""
    return raw_rows(db, sql, *args)


def assert_filters_select_what_bars_count(session, chart: d.ChartData) -> int:
    """For every bar (and every category), the filters count the same households."""
    checked = 0
    for c in range(len(chart.categories)):
        for s, series in enumerate(chart.series):
            if series.values[c] or series.kind == "line":
                assert d.count_households(session, chart.filters_for(c, s)) == series.values[c], \
                    (chart.key, chart.categories[c], series.name)
                checked += 1
        if all(s.point_filters is None for s in chart.series):
            assert d.count_households(session, chart.filters_for(c)) == chart.category_total(c), \
                (chart.key, chart.categories[c])
    return checked


# --------------------------------------------------------------------------------------------
def test_totals_by_status_and_attribute_match_sql(demo_db) -> None:
    expected_status = dict(raw(demo_db, "SELECT exit_status, COUNT(*) FROM household GROUP BY exit_status"))
    expected_people = dict(raw(demo_db, """SELECT h.exit_status, COUNT(m.id) FROM member m
        JOIN household h ON h.id = m.household_id WHERE m.status <> '自然减少' GROUP BY h.exit_status"""))
    expected_attr = dict(raw(demo_db, "SELECT attribute, COUNT(*) FROM household GROUP BY attribute"))
    with demo_db.session() as s:
        t = d.totals(s)
        assert t.households == 300
        assert t.people == raw(demo_db, "SELECT COUNT(*) FROM member WHERE status <> '自然减少'")[0][0]
        assert {k: v[0] for k, v in t.by_status.items()} == expected_status
        assert {k: v[1] for k, v in t.by_status.items()} == expected_people
        assert {k: v[0] for k, v in t.by_attribute.items()} == expected_attr
        # code-list order, not alphabetical
        assert list(t.by_status) == [x for x in ["未脱贫", "已脱贫（享受政策）", "预脱贫"] if x in expected_status]
        assert t.poor[0] == sum(v for k, v in expected_status.items() if k in ("未脱贫", "预脱贫", "返贫"))
        for chart in (d.status_chart(t), d.attribute_chart(t)):
            assert sum(chart.series[0].values) == 300
            assert_filters_select_what_bars_count(s, chart)


def test_removed_members_and_empty_attribute_are_counted_right(demo_db) -> None:
    with demo_db.session() as s:
        member = s.scalars(select(Member).where(Member.relation != "户主").limit(1)).one()
        member.status = "自然减少"
        member.change_reason = "死亡"
        hh = s.scalars(select(Household).order_by(Household.id).limit(1)).one()
        hh.attribute = None
        hh.main_cause = None
    with demo_db.session() as s:
        t = d.totals(s)
        assert t.people == raw(demo_db, "SELECT COUNT(*) FROM member")[0][0] - 1
        assert t.by_attribute["未填"][0] == 1
        chart = d.attribute_chart(t)
        assert chart.categories[-1] == "未填"
        assert chart.filters_for(len(chart.categories) - 1) == {"attribute": None}
        assert_filters_select_what_bars_count(s, chart)
        causes = d.causes_chart(s)
        assert causes.categories[-1] == "未填"
        assert causes.category_total(len(causes.categories) - 1) == 1
        assert_filters_select_what_bars_count(s, causes)


def test_area_chart_per_village_and_per_group(demo_db) -> None:
    rows = raw(demo_db, """SELECT v.uuid, h.exit_status, COUNT(*) FROM household h JOIN village v
        ON v.id = h.village_id GROUP BY v.uuid, h.exit_status""")
    expected: dict[str, Counter] = defaultdict(Counter)
    for uuid, status, n in rows:
        expected[uuid][status] = n
    with demo_db.session() as s:
        chart = d.area_chart(s)
        assert len(chart.categories) == raw(demo_db, "SELECT COUNT(*) FROM village")[0][0]
        got = {chart.category_filters[i]["village_uuid"]: Counter(
            {se.name: int(se.values[i]) for se in chart.series if se.values[i]}) for i in range(len(chart.categories))}
        assert got == expected
        poor = [sum(got[f["village_uuid"]][k] for k in d.POOR_STATUSES) for f in chart.category_filters]
        assert poor == sorted(poor, reverse=True)  # most households still poor first
        assert_filters_select_what_bars_count(s, chart)
        village = chart.category_filters[0]["village_uuid"]
        groups = d.area_chart(s, d.Scope(village_uuid=village))
        by_group = dict(raw(demo_db, """SELECT g.uuid, COUNT(*) FROM household h JOIN village_group g
            ON g.id = h.group_id JOIN village v ON v.id = h.village_id WHERE v.uuid = ? GROUP BY g.uuid""", village))
        got_groups = {f["group_uuid"]: groups.category_total(i) for i, f in enumerate(groups.category_filters)}
        assert {k: v for k, v in got_groups.items() if v} == by_group
        assert_filters_select_what_bars_count(s, groups)


def test_exits_by_year_against_plan(demo_db) -> None:
    planned = dict(raw(demo_db, "SELECT planned_exit_year, COUNT(*) FROM household WHERE planned_exit_year "
                                "IS NOT NULL GROUP BY 1"))
    actual = dict(raw(demo_db, "SELECT exit_year, COUNT(*) FROM household WHERE exit_year IS NOT NULL GROUP BY 1"))
    with demo_db.session() as s:
        chart = d.exits_chart(s)
        years = [int(c) for c in chart.categories]
        assert years == sorted(set(planned) | set(actual))
        assert chart.as_dict()["计划脱贫"] == {str(y): planned.get(y, 0) for y in years}
        assert chart.as_dict()["实际脱贫"] == {str(y): actual.get(y, 0) for y in years}
        assert chart.series[1].kind == "line"
        assert chart.filters_for(0, 0) == {"exit_year": years[0]}
        assert_filters_select_what_bars_count(s, chart)


def test_causes_match_sql(demo_db) -> None:
    rows = raw(demo_db, "SELECT main_cause, exit_status, COUNT(*) FROM household GROUP BY 1, 2")
    with demo_db.session() as s:
        chart = d.causes_chart(s)
        for cause, status, n in rows:
            assert chart.value(cause, status) == n
        totals = [chart.category_total(i) for i in range(len(chart.categories))]
        assert totals == sorted(totals, reverse=True)
        assert sum(totals) == 300
        assert_filters_select_what_bars_count(s, chart)


def test_measures_and_funds_by_category(demo_db) -> None:
    rows = raw(demo_db, "SELECT category, amount, household_id FROM measure WHERE year = 2017")
    funds: dict[str, Decimal] = defaultdict(Decimal)
    count: Counter = Counter()
    households: dict[str, set] = defaultdict(set)
    for category, amount, hid in rows:
        funds[category] += Decimal(str(amount or 0)).quantize(Decimal("0.01"))
        count[category] += 1
        households[category].add(hid)
    with demo_db.session() as s:
        chart, totals = d.measures_chart(s, d.Scope(), 2017)
        assert {c: Decimal(str(v)).quantize(Decimal("0.01")) for c, v in chart.as_dict()["资金"].items()} == funds
        assert totals.measures == len(rows) == sum(count.values())
        assert totals.amount == sum(funds.values())
        assert totals.households == len({r[2] for r in rows})
        for i, category in enumerate(chart.categories):
            assert chart.details[i] == f"{count[category]:,}项 · {len(households[category]):,}户"
            # the click lists the households having such a measure that year
            assert d.count_households(s, chart.filters_for(i)) == len(households[category])
        assert list(chart.series[0].values) == sorted(chart.series[0].values, reverse=True)
        empty, none = d.measures_chart(s, d.Scope(), 1999)
        assert empty.empty and none.measures == 0 and none.amount == 0


def _python_bands(session, year: int, edges: list[Decimal]) -> Counter:
    """Per household: the band index by desktop.core.income rules, -1 no population, -2 no record."""
    records = {r.household_id: r for r in session.scalars(select(IncomeRecord).where(IncomeRecord.year == year))}
    result: Counter = Counter()
    for hid, status in session.execute(select(Household.id, Household.exit_status)):
        record = records.get(hid)
        if record is None:
            result[(-2, status)] += 1
            continue
        pc = summarise(record).per_capita
        if pc is None:
            result[(-1, status)] += 1
            continue
        result[(sum(1 for e in edges if pc >= e), status)] += 1
    return result


def test_income_bands_follow_the_income_rules_exactly(demo_db) -> None:
    with demo_db.session() as s:
        line = line_for(s, 2017)
        assert line == Decimal("3335")
        # Boundary cases: 10004.99 / 3 = 3334.9967 rounds to 3335.00 (not below the line);
        # 10004.98 / 3 = 3334.9933 rounds to 3334.99 (below); population 0; no record at all.
        recs = s.scalars(select(IncomeRecord).where(IncomeRecord.year == 2017).order_by(IncomeRecord.id).limit(3)).all()
        for rec, wage in zip(recs[:2], ("10004.99", "10004.98"), strict=True):
            rec.population, rec.wage, rec.production, rec.property_income = 3, Decimal(wage), 0, 0
            rec.transfer, rec.production_expense = 0, 0
        recs[2].population = 0
        missing = s.scalars(select(IncomeRecord).where(IncomeRecord.year == 2017)
                            .order_by(IncomeRecord.id.desc()).limit(1)).one()
        s.delete(missing)
    with demo_db.session() as s:
        assert summarise(recs[0]).per_capita == Decimal("3335.00")
        assert summarise(recs[1]).per_capita == Decimal("3334.99")
        chart, info = d.income_chart(s, d.Scope(), 2017)
        edges = d.income_edges(line)
        assert edges == [Decimal("1667.50"), Decimal("3335.00"), Decimal("4002.00"), Decimal("6670.00")]
        expected = _python_bands(s, 2017, edges)
        keys = list(range(len(edges) + 1)) + [-1, -2]
        got: Counter = Counter()
        for i, _cat in enumerate(chart.categories):
            for series in chart.series:
                if series.values[i]:
                    got[(keys[i], series.name)] = int(series.values[i])
        assert chart.categories[-2:] == ["未填人口", "无收入记录"]
        assert got == +expected
        assert info.below_line == sum(n for (b, _s), n in expected.items() if b in (0, 1))
        assert d.count_households(s, {"income_year": 2017, "per_capita_max": f"{line:.2f}"}) == info.below_line
        assert info.with_record == 298  # one record deleted, one without population
        assert_filters_select_what_bars_count(s, chart)
        # the boundary households land where income.summarise puts them
        h0 = s.scalar(select(Household.uuid).where(Household.id == recs[0].household_id))
        h1 = s.scalar(select(Household.uuid).where(Household.id == recs[1].household_id))
        below = {"income_year": 2017, "per_capita_max": "3335.00"}
        assert d.count_households(s, {**below, "household_uuids": [h0]}) == 0
        assert d.count_households(s, {**below, "household_uuids": [h1]}) == 1


def test_income_without_a_line_uses_fixed_bands(demo_db) -> None:
    with demo_db.session() as s:
        chart, info = d.income_chart(s, d.Scope(), 2016)
        assert info.line == line_for(s, 2016) == Decimal("2952")  # national line: no 脱贫标准 for 2016
        assert chart.categories[:2] == ["<1476", "1476～2952"]
        assert_filters_select_what_bars_count(s, chart)
        chart, info = d.income_chart(s, d.Scope(), 2031)
        assert info.line is None and info.below_line == 0
        assert "未设置2031年贫困标准" in chart.note
        assert chart.categories == ["<2000", "2000～3000", "3000～4000", "4000～6000", "≥6000", "无收入记录"]
        assert [chart.category_total(i) for i in range(6)] == [0, 0, 0, 0, 0, 300]


def test_per_capita_at_least_matches_decimal_rounding_on_negative_and_zero_edges() -> None:
    from sqlalchemy import create_engine, literal

    engine = create_engine("sqlite://")
    with engine.connect() as con:
        for net, pop in ((-1, 2), (-2, 4), (1, 2), (0, 3), (-3, 2), (5, 2), (-5, 2), (7, 3)):
            for edge in (-2, -1, 0, 1, 2, 3):
                expr = d.per_capita_at_least(edge, literal(net), literal(pop))
                got = bool(con.execute(select(expr)).scalar())
                pc = summarise({"wage": Decimal(net) / 100}, population=pop).per_capita
                assert got == (pc * 100 >= edge), (net, pop, edge, pc)
    engine.dispose()


def _python_visit_bands(session, as_of: date, days: int) -> Counter:
    last: dict[int, date] = {}
    for hid, on in session.execute(select(Visit.household_id, Visit.visited_on)):
        if on <= as_of and (hid not in last or on > last[hid]):
            last[hid] = on
    bands = d.visit_bands(days)
    result: Counter = Counter()
    for hid, status in session.execute(select(Household.id, Household.exit_status)):
        if hid not in last:
            result[("never", status)] += 1
            continue
        gap = (as_of - last[hid]).days
        index = next(i for i, (lo, hi) in enumerate(bands) if gap >= lo and (hi is None or gap <= hi))
        result[(index, status)] += 1
    return result


@pytest.mark.parametrize("days", [30, 90])
def test_visit_gaps_against_python(demo_db, days: int) -> None:
    with demo_db.session() as s:
        # a household with no visits at all, and one visited after the reference date only
        hh = s.scalars(select(Household).order_by(Household.id).limit(2)).all()
        for visit in list(hh[0].visits):
            s.delete(visit)
    latest = raw(demo_db, "SELECT MAX(visited_on) FROM visit")[0][0]
    with demo_db.session() as s:
        chart, info = d.visits_chart(s, d.Scope(), days)
        assert info.as_of == date.fromisoformat(latest)  # default: the latest visit in the database
        expected = _python_visit_bands(s, info.as_of, days)
        keys = list(range(4)) + ["never"]
        got = Counter({(keys[i], se.name): int(se.values[i]) for i in range(5) for se in chart.series
                       if se.values[i]})
        assert got == +expected
        assert info.never_visited == 1
        assert info.not_visited == 300 - sum(n for (b, _s), n in expected.items() if b == 0)
        assert_filters_select_what_bars_count(s, chart)
        kpi = {"visit_as_of": info.as_of.isoformat(), "not_visited_days": days}
        assert d.count_households(s, kpi) == info.not_visited
        # an earlier reference date ignores later visits
        early = info.as_of - timedelta(days=200)
        chart2, info2 = d.visits_chart(s, d.Scope(), days, early)
        assert info2.as_of == early
        assert Counter({(keys[i], se.name): int(se.values[i]) for i in range(5) for se in chart2.series
                        if se.values[i]}) == +_python_visit_bands(s, early, days)
        assert_filters_select_what_bars_count(s, chart2)


def test_reference_date_is_today_without_visits(database) -> None:
    with database.session() as s:
        assert d.reference_date(s) == date.today()
        assert d.reference_date(s, date(2020, 1, 1)) == date(2020, 1, 1)
        overview = d.compute(s)
        assert overview.totals.households == 0
        assert overview.area.empty and overview.income.empty


def test_scope_village_and_township(demo_db) -> None:
    village_uuid, village_id = raw(demo_db, "SELECT uuid, id FROM village ORDER BY code LIMIT 1")[0]
    n = raw(demo_db, "SELECT COUNT(*) FROM household WHERE village_id = ?", village_id)[0][0]
    township = raw(demo_db, "SELECT code FROM township")[0][0]
    with demo_db.session() as s:
        scope = d.Scope(village_uuid=village_uuid)
        overview = d.compute(s, scope, year=2017)
        assert overview.totals.households == n
        for chart in (overview.status, overview.area, overview.exits, overview.causes, overview.income,
                      overview.visits):
            assert chart.base_filters == {"village_uuid": village_uuid}
            assert_filters_select_what_bars_count(s, chart)
        funds = raw(demo_db, "SELECT SUM(amount) FROM measure m JOIN household h ON h.id = m.household_id "
                             "WHERE h.village_id = ? AND m.year = 2017", village_id)[0][0]
        assert float(overview.measure_totals.amount) == pytest.approx(funds)
        whole = d.totals(s, d.Scope(township_code=township))
        assert whole.households == 300
        assert d.totals(s, d.Scope(township_code="999999999999")).households == 0


def test_list_and_describe_households(demo_db) -> None:
    with demo_db.session() as s:
        filters = {"main_cause": "因病", "exit_status": "未脱贫"}
        rows = d.list_households(s, filters)
        expected = raw(demo_db, "SELECT COUNT(*) FROM household WHERE main_cause='因病' AND exit_status='未脱贫'")
        assert len(rows) == expected[0][0] == d.count_households(s, filters)
        heads = dict(raw(demo_db, "SELECT h.uuid, m.name FROM household h JOIN member m ON m.household_id = h.id "
                                  "AND m.relation = '户主'"))
        assert all(r[3] == heads[r[0]] for r in rows)
        assert all(r[7] == "未脱贫" and r[6] == "因病" for r in rows)
        text = d.describe_filters({**filters, "village_uuid": s.scalar(select(Village.uuid).limit(1))}, s)
        assert "主要致贫原因：因病" in text and "脱贫状态：未脱贫" in text and "行政村：" in text
        assert d.describe_filters({}) == "全部贫困户"
        assert d.describe_filters({"measure_year": 2017, "measure_category": "产业扶持"}) == "2017年度帮扶措施：产业扶持"
        assert d.describe_filters({"measure_year": 2017}) == "2017年度帮扶措施：任意"
        assert "低于" not in d.describe_filters({"income_year": 2017, "per_capita_max": "3335.00"})
        with pytest.raises(ValueError, match="unknown"):
            d.household_conditions({"bogus": 1})
        with pytest.raises(ValueError, match="income_year"):
            d.household_conditions({"per_capita_min": "1"})
        assert d.count_households(s, {"exit_status": ["未脱贫", None]}) == \
            raw(demo_db, "SELECT COUNT(*) FROM household WHERE exit_status = '未脱贫'")[0][0]
        assert d.count_households(s, {"household_uuids": []}) == 0


def test_compute_reports_progress_and_can_be_cancelled(demo_db) -> None:
    seen = []
    progress = Progress(on_update=lambda done, total, text: seen.append((done, total, text)))
    with demo_db.session() as s:
        overview = d.compute(s, progress=progress)
        assert overview.year == 2017
        assert set(overview.timings) == {"totals", "area", "exits", "causes", "measures", "income", "visits"}
        assert seen[-1][0] == seen[-1][1] == 7
        cancelled = Progress()
        cancelled.cancel()
        with pytest.raises(Cancelled):
            d.compute(s, progress=cancelled)


def test_options_offer_villages_years_and_latest_visit(demo_db) -> None:
    with demo_db.session() as s:
        opts = d.options(s)
        assert opts.years == [2017, 2016] and opts.default_year == 2017
        assert len(opts.villages) == raw(demo_db, "SELECT COUNT(*) FROM village")[0][0]
        assert opts.latest_visit == date.fromisoformat(raw(demo_db, "SELECT MAX(visited_on) FROM visit")[0][0])
        assert len(opts.townships) == 1


@dataclass
class FakeProblem:
    rule_id: str
    severity: str
    household_uuid: str | None
    member_uuid: str | None = None
    entity_uuid: str | None = None
    title: str = ""
    acknowledged: bool = False


def test_open_problems_by_rule(demo_db, monkeypatch) -> None:
    with demo_db.session() as s:
        uuids = list(s.scalars(select(Household.uuid).order_by(Household.id).limit(5)))
        village_of_first = s.scalar(select(Village.uuid).join(Household, Household.village_id == Village.id)
                                    .where(Household.uuid == uuids[0]))
        s.add(CheckAcknowledgement(rule_id="W1", entity_uuid=uuids[3], household_uuid=uuids[3], note="已核实"))
        s.execute(update(Household).where(Household.uuid == uuids[4]).values(note="x"))
    problems = [
        FakeProblem("E1", "错误", uuids[0], entity_uuid=uuids[0], title="身份证号校验位错误"),
        FakeProblem("E1", "错误", uuids[1], entity_uuid=uuids[1], title="身份证号校验位错误"),
        FakeProblem("W1", "警告", uuids[2], entity_uuid=uuids[2], title="收入偏低"),
        FakeProblem("W1", "警告", uuids[3], entity_uuid=uuids[3], title="收入偏低"),  # acknowledged in the table
        FakeProblem("W2", "警告", uuids[4], acknowledged=True),  # acknowledged by the checks module
    ]
    fake = SimpleNamespace(run_checks=lambda session, township_code=None, progress=None: problems, RULES={})
    monkeypatch.setattr(d, "checks_module", lambda: fake)
    with demo_db.session() as s:
        info = d.run_open_checks(s)
        assert info.available and info.ran
        assert (info.errors, info.warnings, info.households) == (2, 1, 3)
        assert info.chart is not None
        assert info.chart.categories == ["E1 身份证号校验位错误", "W1 收入偏低"]
        assert info.chart.as_dict() == {"错误": {"E1 身份证号校验位错误": 2, "W1 收入偏低": 0},
                                        "警告": {"E1 身份证号校验位错误": 0, "W1 收入偏低": 1}}
        assert info.chart.filters_for(0, 0) == {"household_uuids": sorted(uuids[:2])}
        assert d.count_households(s, info.chart.filters_for(1)) == 1
        scoped = d.problems_chart(s, d.Scope(village_uuid=village_of_first), problems)
        assert scoped.households == sum(1 for u in uuids[:3] if s.scalar(
            select(Village.uuid).join(Household, Household.village_id == Village.id).where(Household.uuid == u))
            == village_of_first)


def test_checks_unavailable_says_so(demo_db, monkeypatch) -> None:
    monkeypatch.setattr(d, "checks_module", lambda: None)
    with demo_db.session() as s:
        info = d.run_open_checks(s)
    assert not info.available and not info.ran and "未运行检查" in info.message


def test_many_rules_fold_into_other(demo_db) -> None:
    with demo_db.session() as s:
        uuids = list(s.scalars(select(Household.uuid).limit(20)))
        problems = [FakeProblem(f"R{i:02d}", "警告", uuids[i], entity_uuid=uuids[i]) for i in range(15)]
        info = d.problems_chart(s, d.Scope(), problems)
    assert len(info.chart.categories) == d.CHECKS_TOP_RULES + 1
    assert info.chart.categories[-1] == "其他规则"
    assert info.chart.category_total(d.CHECKS_TOP_RULES) == 5


def test_format_yuan() -> None:
    assert d.format_yuan(Decimal("2100454300")) == "21.00亿元"
    assert d.format_yuan(Decimal("6331800")) == "633.18万元"
    assert d.format_yuan(8520) == "8,520元"


def test_county_database_with_two_townships(demo_db) -> None:
    from desktop.core.demo import DemoOptions, generate

    with demo_db.session() as s:
        generate(s, DemoOptions(households=40, seed=3, township_code="411726101000", township_name="花园乡"))
    with demo_db.session() as s:
        opts = d.options(s)
        assert [c for c, _n in opts.townships] == ["411726100000", "411726101000"]
        whole = d.area_chart(s)
        assert len(whole.categories) == 2 and all("·" in c for c in whole.categories)  # 乡镇·村
        assert d.totals(s).households == 340
        second = d.Scope(township_code="411726101000")
        assert d.totals(s, second).households == 40
        chart = d.area_chart(s, second)
        assert len(chart.categories) == 1 and "·" not in chart.categories[0]
        assert chart.base_filters == {"township_code": "411726101000"}
        assert_filters_select_what_bars_count(s, chart)
        assert_filters_select_what_bars_count(s, d.causes_chart(s, second))
        assert "乡镇：花园乡" in d.describe_filters(second.filters(), s)
