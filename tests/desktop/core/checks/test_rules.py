"""Every rule fires on data that breaks it and not on a near miss, in both the
whole-database run and the one-household check; the clean demo data raises
nothing; a demo database with one planted fault of each kind reports each
fault exactly once."""

from __future__ import annotations

from collections import Counter

import pytest

from desktop.core.checks import RULES, check_household, run_checks
from desktop.core.checks import demo_faults as faults
from desktop.core.checks.engine import CATEGORIES

YEAR = 2017
ORM_RULES = sorted(r for r, c in faults.CASES.items() if not c.needs_commit)


@pytest.fixture(scope="module")
def scratch_db(module_new_database):
    """One private copy of the demo database (per backend); every test rolls back its changes."""
    return module_new_database(name="scratch", demo=True)


@pytest.fixture(scope="module")
def planted(module_new_database):
    """A demo database with one planted fault per rule (committed) and what was planted."""
    db = module_new_database(name="planted", demo=True)
    with db.session() as session:
        items = faults.plant_all(session, YEAR)
    items.append(faults.plant_orphan(db.engine.url.render_as_string(hide_password=False)))
    return db, items


def _session(db):
    return db.session_factory()


def test_registry_is_complete_and_well_formed() -> None:
    assert len(RULES) >= 45
    assert set(faults.CASES) == set(RULES), "every rule needs a planted fault"
    categories = Counter(r.category for r in RULES.values())
    assert set(categories) == set(CATEGORIES)
    for r in RULES.values():
        assert r.severity in ("错误", "警告")
        assert r.title and r.description, r.id


def test_clean_demo_data_raises_nothing(demo_db) -> None:
    with demo_db.session() as session:
        problems = run_checks(session)
    assert problems == [], [p.message for p in problems[:10]]


def test_each_planted_fault_is_reported_exactly_once(planted) -> None:
    db, items = planted
    with db.session() as session:
        problems = run_checks(session)
    found = Counter((p.rule_id, p.entity_uuid) for p in problems)
    wanted = {(i.rule, i.entity_uuid) for i in items}
    assert len(wanted) == len(RULES)
    assert set(found) == wanted
    assert all(n == 1 for n in found.values())
    by_rule = {p.rule_id: p for p in problems}
    for i in items:
        p = by_rule[i.rule]
        assert p.household_uuid == i.household_uuid or i.household_uuid is None or p.entity == "helper"
        assert p.severity == RULES[i.rule].severity
        assert p.message and p.title == RULES[i.rule].title


def test_messages_name_household_member_and_field(planted) -> None:
    db, _items = planted
    with db.session() as session:
        problems = {p.rule_id: p for p in run_checks(session)}
    p = problems["ID04"]
    assert p.household_number and p.head_name and p.member_name
    assert p.message.startswith(f"户 {p.household_number}（户主 {p.head_name}）")
    assert f"成员 {p.member_name}" in p.message and "证件号码" in p.message
    assert p.field == "id_number" and p.field_label == "证件号码" and p.entity == "member"
    h = problems["PLA03"]
    assert h.member_uuid is None and "与村主干路距离" in h.message and h.entity == "household"
    helper = problems["HLP03"]
    assert helper.household_uuid is None and "帮扶责任人" in helper.message and helper.entity == "helper"
    income = problems["INC08"]
    assert income.entity == "income" and "2017年度" in income.message


@pytest.mark.parametrize("rule", ORM_RULES)
def test_rule_fires_on_its_fault_in_one_household(scratch_db, rule: str) -> None:
    session = _session(scratch_db)
    try:
        ctx = faults.context(session, YEAR)
        case = faults.CASES[rule]
        h = ctx.pick(case.pick)
        assert check_household(session, h, only=[rule]) == []
        expected = case.plant(ctx, h)
        session.flush()
        problems = check_household(session, h, only=[rule])
        assert [p.entity_uuid for p in problems] == [expected], [p.message for p in problems]
        assert problems[0].rule_id == rule
    finally:
        session.rollback()
        session.close()


@pytest.mark.parametrize("rule", ORM_RULES)
def test_rule_does_not_fire_on_a_near_miss(scratch_db, rule: str) -> None:
    session = _session(scratch_db)
    try:
        ctx = faults.context(session, YEAR)
        case = faults.CASES[rule]
        h = ctx.pick(case.pick)
        if case.near is not None:
            case.near(ctx, h)
        session.flush()
        problems = check_household(session, h, only=[rule])
        assert problems == [], [p.message for p in problems]
    finally:
        session.rollback()
        session.close()


def test_orphan_member_is_found_only_by_the_whole_database_run(planted) -> None:
    db, items = planted
    orphan = next(i for i in items if i.rule == "STR08")
    with db.session() as session:
        problems = run_checks(session, only=["STR08"])
    assert [p.entity_uuid for p in problems] == [orphan.entity_uuid]
    assert "所属的户（内部编号 999999999）不存在" in problems[0].message


def test_each_rule_alone_loads_the_data_it_needs(planted) -> None:
    """A rule run on its own (only its declared ``needs`` loaded) still finds its fault."""
    db, items = planted
    wanted = {i.rule: i.entity_uuid for i in items}
    with db.session() as session:
        for rule in sorted(RULES):
            problems = run_checks(session, only=[rule])
            assert [p.entity_uuid for p in problems] == [wanted[rule]], rule


def test_one_household_check_agrees_with_the_whole_run(planted) -> None:
    db, items = planted
    with db.session() as session:
        whole = run_checks(session)
        from db.models import Household

        by_household: dict[str, set[str]] = {}
        for p in whole:
            if p.household_uuid:
                by_household.setdefault(p.household_uuid, set()).add(p.rule_id)
        for uuid, rules in by_household.items():
            h = session.query(Household).filter_by(uuid=uuid).one()
            single = {p.rule_id for p in check_household(session, h) if p.household_uuid == uuid}
            assert single == rules, (uuid, single, rules)


def test_duplicates_show_on_both_households_in_the_editor(scratch_db) -> None:
    session = _session(scratch_db)
    try:
        ctx = faults.context(session, YEAR)
        case = faults.CASES["DUP03"]
        b = ctx.pick(case.pick)
        case.plant(ctx, b)
        session.flush()
        from db.models import Household

        a = session.query(Household).filter(Household.household_number == b.household_number,
                                            Household.id != b.id).one()
        assert [p.rule_id for p in check_household(session, a, only=["DUP03"])] == ["DUP03"]
        assert [p.rule_id for p in check_household(session, b, only=["DUP03"])] == ["DUP03"]
        whole = run_checks(session, only=["DUP03"])
        assert [p.household_uuid for p in whole] == [b.uuid]  # the later one, naming the earlier
        assert a.household_number in whole[0].message
    finally:
        session.rollback()
        session.close()


def test_clean_households_pass_the_one_household_check(scratch_db) -> None:
    from db.models import Household

    session = _session(scratch_db)
    try:
        households = session.query(Household).order_by(Household.id).all()[::7]
        assert len(households) > 40
        for h in households:
            assert check_household(session, h) == [], h.household_number
    finally:
        session.rollback()
        session.close()
