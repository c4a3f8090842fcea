"""The engine around the rules: scope, settings, acknowledgements, progress,
the fast ID-number and income arithmetic (checked against the reference code)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.models import CheckAcknowledgement, Household, Member, Setting
from desktop.core import idnumber
from desktop.core.checks import RULES, CheckError, Problem, check_household, has_errors, run_checks
from desktop.core.checks import demo_faults as faults
from desktop.core.checks import settings as check_settings
from desktop.core.checks.data import Dataset, classify_id
from desktop.core.checks.settings import SettingsError
from desktop.core.demo import DemoOptions, generate
from desktop.core.income import summarise
from desktop.core.progress import Cancelled, Progress

TODAY = date.today()


@pytest.fixture
def planted_db(demo_db):
    with demo_db.session() as session:
        faults.plant_all(session, 2017, rules=["ID04", "STR05", "PLA10", "MEM07", "HLP03"])
    return demo_db


def test_has_errors() -> None:
    def p(severity: str) -> Problem:
        return Problem("X", severity, "m", None, None, None, "household")

    assert has_errors([p("警告"), p("错误")])
    assert not has_errors([p("警告")])
    assert not has_errors([])


def test_problems_come_sorted_errors_first(planted_db) -> None:
    with planted_db.session() as s:
        problems = run_checks(s)
    assert {p.rule_id for p in problems} == {"ID04", "STR05", "PLA10", "MEM07", "HLP03"}
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda x: x != "错误")
    data = problems[0].to_dict()
    assert data["rule_id"] == "ID04" and data["field_label"] == "证件号码" and isinstance(data["helpers"], list)


def test_disabled_rules_and_severity_overrides(planted_db) -> None:
    with planted_db.session() as s:
        custom = check_settings.load(s, {"disabled": ["ID04"], "severity": {"PLA10": "错误"}})
        problems = {p.rule_id: p for p in run_checks(s, settings=custom)}
    assert "ID04" not in problems
    assert problems["PLA10"].severity == "错误"


def test_settings_stored_in_the_database_apply(planted_db) -> None:
    with planted_db.session() as s:
        check_settings.save_overrides(s, {"disabled": ["STR05"], "thresholds": {"phone_length": 10}})
    with planted_db.session() as s:
        loaded = check_settings.load(s)
        assert loaded.phone_length == 10 and "STR05" in loaded.disabled
        assert loaded.working_age == (16, 65)  # untouched defaults stay
        problems = run_checks(s)
        planted_phone = s.query(Household.uuid).filter(Household.phone == "1380000000").scalar()
    rules = {p.rule_id for p in problems}
    assert "STR05" not in rules
    phone_problems = {p.household_uuid for p in problems if p.rule_id == "PLA10"}
    assert len(phone_problems) > 100  # the 11-digit numbers are now the wrong ones
    assert planted_phone not in phone_problems


@pytest.mark.parametrize("override, words", [
    ({"ages": {"working": [65, 16]}}, "下限大于上限"),
    ({"ages": {"working": "16-65"}}, "ages.working"),
    ({"severity": {"ID01": "严重"}}, "severity.ID01"),
    ({"thresholds": {"phone_length": "十一"}}, "thresholds.phone_length"),
    ({"year": "2017年"}, "year"),
])
def test_bad_settings_are_refused_with_a_chinese_message(database, override, words) -> None:
    with database.session() as s:
        with pytest.raises(SettingsError, match=words):
            check_settings.save_overrides(s, override)
        assert s.get(Setting, check_settings.SETTING_KEY) is None


def test_broken_stored_settings_are_reported(database) -> None:
    with database.session() as s:
        s.add(Setting(key=check_settings.SETTING_KEY, value="ages: [unclosed"))
    with database.session() as s, pytest.raises(SettingsError, match="YAML"):
        check_settings.load(s)


def test_check_year(database) -> None:
    with database.session() as s:
        defaults = check_settings.load(s)
        assert check_settings.check_year(s, defaults) == TODAY.year  # nothing in the database
        generate(s, DemoOptions(households=3, seed=1, year=2016))
        assert check_settings.check_year(s, defaults) == 2016  # latest income year
        s.add(Setting(key=check_settings.WORK_YEAR_KEY, value="2015"))
        s.flush()
        assert check_settings.check_year(s, defaults) == 2015
        assert check_settings.check_year(s, defaults.with_overrides({"year": 2014})) == 2014


def test_acknowledged_warnings_are_marked(planted_db) -> None:
    with planted_db.session() as s:
        problems = {p.rule_id: p for p in run_checks(s)}
        warning, error = problems["PLA10"], problems["ID04"]
        for p in (warning, error):
            s.add(CheckAcknowledgement(rule_id=p.rule_id, entity_uuid=p.entity_uuid, household_uuid=p.household_uuid,
                                       note="已核实"))
    with planted_db.session() as s:
        again = {p.rule_id: p for p in run_checks(s)}
    assert again["PLA10"].acknowledged is True
    assert again["ID04"].acknowledged is False  # errors cannot be waved through here
    with planted_db.session() as s:
        s.query(CheckAcknowledgement).update({"revoked": True})
    with planted_db.session() as s:
        assert not any(p.acknowledged for p in run_checks(s))


def test_one_township_only(new_database) -> None:
    db = new_database(name="county")
    with db.session() as s:
        generate(s, DemoOptions(households=30, seed=1, township_code="411726100000", township_name="泌水镇"))
        generate(s, DemoOptions(households=30, seed=2, township_code="411726101000", township_name="羊册镇"))
    with db.session() as s:
        for code in ("411726100000", "411726101000"):
            h = s.query(Household).join(Household.village).filter(
                Household.village.has(code=code[:9] + "200")).order_by(Household.id).first()
            h.phone = "123"
        s.flush()
        everything = run_checks(s)
        one = run_checks(s, township_code="411726101000")
        with pytest.raises(CheckError, match="411726999000"):
            run_checks(s, township_code="411726999000")
    db.dispose()
    assert [p.rule_id for p in everything] == ["PLA10", "PLA10"]
    assert [p.rule_id for p in one] == ["PLA10"]
    assert one[0].village is not None


def test_duplicate_across_townships_is_seen_from_either(new_database) -> None:
    db = new_database(name="county")
    with db.session() as s:
        generate(s, DemoOptions(households=10, seed=1, township_code="411726100000", township_name="泌水镇"))
        generate(s, DemoOptions(households=10, seed=2, township_code="411726101000", township_name="羊册镇"))
    with db.session() as s:
        a, b = (s.query(Household).order_by(Household.id).first(), s.query(Household).order_by(Household.id.desc()).first())
        b.head.id_number, b.head.birth_date, b.head.sex = a.head.id_number, a.head.birth_date, a.head.sex
        b.head.disability_cert_no = None
        s.flush()
        whole = run_checks(s, only=["DUP01"])
        second = run_checks(s, township_code="411726101000", only=["DUP01"])
        first = run_checks(s, township_code="411726100000", only=["DUP01"])
    db.dispose()
    assert [p.household_uuid for p in whole] == [b.uuid]
    assert [p.household_uuid for p in second] == [b.uuid]
    assert first == []  # the first registration is not the duplicate


def test_progress_reports_and_cancel_stops(demo_db) -> None:
    seen = []
    with demo_db.session() as s:
        run_checks(s, progress=lambda done, total, text: seen.append((done, total, text)))
    assert seen[-1][0] == seen[-1][1] == 5 + len(RULES)
    assert any("ID01" in text for _d, _t, text in seen)
    progress = Progress(on_update=lambda d, t, s: progress.cancel() if d >= 3 else None)
    with demo_db.session() as s, pytest.raises(Cancelled):
        run_checks(s, progress=progress)


def test_check_household_sees_unsaved_edits(demo_db) -> None:
    with demo_db.session() as s:
        h = next(h for h in s.query(Household).order_by(Household.id)
                 if h.head.labour_skill == "普通劳动力" and h.head.work_location)
        h.head.work_months = 15
        head_uuid = h.head.uuid
        problems = check_household(s, h)
        s.rollback()
    assert [p.rule_id for p in problems] == ["WRK01"]
    assert problems[0].field == "work_months" and problems[0].member_uuid == head_uuid


def test_check_household_of_a_new_unsaved_household(demo_db) -> None:
    with demo_db.session() as s:
        village_id = s.query(Household.village_id).first()[0]
        h = Household(village_id=village_id, household_number="NEW-1", household_size=1)
        h.members.append(Member(name="新户主", relation="户主", sex="男", id_number="11010519491231002X",
                                birth_date=date(1949, 12, 31)))
        s.add(h)
        problems = check_household(s, h)
        s.rollback()
    rules = {p.rule_id for p in problems}
    assert {"REQ11", "REQ01", "HLP01", "INC02"} <= rules
    assert "ID04" not in rules and "STR01" not in rules


# --------------------------------------------------------------------------- fast paths vs reference code

ID_TEXT = st.one_of(
    st.text(alphabet="0123456789Xx -", min_size=0, max_size=24),
    st.builds(lambda body, last: body + last, st.text(alphabet="0123456789", min_size=17, max_size=17),
              st.sampled_from("0123456789X")),
)


@settings(max_examples=400, deadline=None)
@given(ID_TEXT)
def test_classify_agrees_with_idnumber_parse(raw: str) -> None:
    r = classify_id(raw, None, TODAY)
    s = idnumber.normalise(raw)
    if len(s) in (15, 18):
        try:
            info = idnumber.parse(raw, ref_date=TODAY)
        except idnumber.IdNumberError as exc:
            assert r.kind not in ("ok", "upgrade15"), (raw, r)
            if exc.code == "checksum":
                assert r.kind == "checksum"
        else:
            assert r.kind == ("upgrade15" if info.upgraded_from_15 else "ok"), (raw, r)
            assert (r.birth, r.sex) == (info.birth_date, info.sex)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2016, 12, 31)), st.integers(0, 999))
def test_fast_scan_agrees_with_classify(born: date, seq: int) -> None:
    body = f"411726{born:%Y%m%d}{seq:03d}"
    good = body + idnumber.check_char(body)
    bad = body + ("1" if good[-1] != "1" else "2")
    for number in (good, bad):
        member = type("M", (), {"id_number": number, "id_type": None, "birth_date": born, "sex": "男", "uuid": "u",
                                "name": "x", "household_id": 1})()
        hv = type("HV", (), {"current": [member]})()
        ds = Dataset(None, check_settings.load(None), 2017)
        ds.households = [hv]
        ds.by_id = {1: hv}
        groups = ds.id_scan()
        expected = classify_id(number, None, TODAY)
        kinds = {k for k, v in groups.items() if v}
        if expected.kind == "ok":
            assert kinds <= {"sex", "region"}
            assert ("sex" in kinds) == (expected.sex != "男")
        else:
            assert kinds == {expected.kind}


MONEY = st.one_of(st.none(), st.decimals(min_value=-10_000, max_value=1_000_000, places=2))


@settings(max_examples=300, deadline=None)
@given(MONEY, MONEY, MONEY, MONEY, MONEY, st.integers(0, 12))
def test_per_capita_matches_income_summarise(wage, production, prop, transfer, expense, population) -> None:
    record = type("R", (), dict(wage=wage, production=production, property_income=prop, transfer=transfer,
                                production_expense=expense, population=population))()
    as_float = type("R", (), dict(wage=None if wage is None else float(wage),
                                  production=None if production is None else float(production),
                                  property_income=None if prop is None else float(prop),
                                  transfer=None if transfer is None else float(transfer),
                                  production_expense=None if expense is None else float(expense),
                                  population=population))()
    ds = Dataset(None, check_settings.load(None), 2017)
    expected = summarise(record).per_capita
    assert ds.per_capita(record) == expected
    assert ds.per_capita(as_float) == expected  # bulk rows carry floats
    if expected is not None:
        assert ds.per_capita_cents(record) == int(expected * 100)
        assert isinstance(ds.per_capita(record), Decimal)


def test_bulk_rows_decode_code_lists_and_keep_other_values(demo_db) -> None:
    from sqlalchemy import select

    from desktop.core.checks.data import _cols, _records

    with demo_db.session() as s:
        members = s.query(Member).order_by(Member.id).limit(3).all()
        members[0].health, members[0].ethnicity = "残疾,长期慢性病", "~火星族"
        members[1].health, members[1].ethnicity = None, "1"
        s.flush()
        rows = _records(s, select(*_cols(Member, {"id", "health", "ethnicity", "education", "birth_date"}))
                        .order_by(Member.id).limit(3))
        assert [(r.health, r.ethnicity) for r in rows[:2]] == [("残疾,长期慢性病", "~火星族"), (None, "1")]
        assert rows[2].health == members[2].health and rows[2].education == members[2].education
        assert rows[2].birth_date == members[2].birth_date
        s.rollback()
