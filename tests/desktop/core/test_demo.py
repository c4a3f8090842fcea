"""The demo generator: deterministic and internally consistent."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from db.models import Assignment, Helper, Household, IncomeRecord, Measure, Member, Township, Visit
from desktop.core import codelists, idnumber
from desktop.core.demo import DemoError, DemoOptions, generate
from desktop.core.income import summarise
from desktop.core.povertylines import line_for


def _snapshot(db) -> list[tuple]:  # noqa: ANN001
    with db.session() as s:
        rows = s.execute(select(Member.uuid, Member.name, Member.id_number).order_by(Member.id)).all()
    return [tuple(r) for r in rows]


def test_same_seed_same_data_different_seed_different_data(new_database) -> None:
    snaps = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        db = new_database(name=name)
        with db.session() as s:
            generate(s, DemoOptions(households=40, seed=seed))
        snaps.append(_snapshot(db))
    assert snaps[0] == snaps[1]
    assert snaps[0] != snaps[2]


def test_members_are_consistent(demo_db) -> None:
    with demo_db.session() as s:
        households = s.scalars(select(Household)).all()
        assert len(households) == 300
        seen_ids = set()
        for hh in households:
            members = hh.current_members
            relations = Counter(m.relation for m in members)
            assert relations["户主"] == 1
            assert relations["配偶"] <= 1
            assert hh.household_size == len(members)
            head = hh.head
            spouse = next((m for m in members if m.relation == "配偶"), None)
            if spouse:
                assert spouse.sex != head.sex
            for m in members:
                info = idnumber.parse(m.id_number, ref_date=hh.created_at.date())
                assert info.birth_date == m.birth_date
                assert info.sex == m.sex
                implied = codelists.relation_sex(m.relation)
                assert implied is None or implied == m.sex, (m.relation, m.sex)
                for col in ("education", "student_status", "health", "labour_skill", "ethnicity"):
                    value = getattr(m, col)
                    assert value in codelists.get(Member.__table__.c[col].info["codelist"]), (col, value)
                assert m.id_number not in seen_ids
                seen_ids.add(m.id_number)
            assert hh.main_cause in codelists.get("poverty_cause")
            others = [c for c in (hh.other_cause_1, hh.other_cause_2) if c]
            assert hh.main_cause not in others and len(set(others)) == len(others)


def test_every_household_has_helper_measures_incomes_visits(demo_db) -> None:
    with demo_db.session() as s:
        n = s.query(Household).count()
        assert s.query(Assignment.household_id).distinct().count() == n
        assert s.query(Measure.household_id).distinct().count() == n
        assert s.query(IncomeRecord).count() == 2 * n
        assert s.query(Visit.household_id).distinct().count() == n
        assert s.query(Helper).count() == n // 5


def test_exited_households_are_above_the_line_and_others_mostly_below(demo_db) -> None:
    with demo_db.session() as s:
        line = line_for(s, 2017)
        above = below = 0
        for hh in s.scalars(select(Household)):
            record = next(r for r in hh.incomes if r.year == 2017)
            per_capita = summarise(record).per_capita
            if hh.exit_status.startswith("已脱贫"):
                assert per_capita > line
                assert hh.dangerous_house_grade in ("A级", "B级")
            elif per_capita < line:
                below += 1
            else:
                above += 1
        assert below > 0 and above >= 0


def test_rare_characters_appear(new_database) -> None:
    """Rare characters, one outside the Basic Multilingual Plane (𠇔), are stored and read back on every backend."""
    db = new_database(name="rare")
    with db.session() as s:
        generate(s, DemoOptions(households=3000, seed=1))
    with db.session() as s:
        names = "".join(s.scalars(select(Member.name)))
    assert all(ch in names for ch in "䶮喆堃珺𠇔")


def test_several_townships_in_one_county(new_database) -> None:
    db = new_database(name="county")
    with db.session() as s:
        generate(s, DemoOptions(households=20, seed=1, township_code="411726100000", township_name="泌水镇"))
        generate(s, DemoOptions(households=20, seed=1, township_code="411726101000", township_name="羊册镇"))
    with db.session() as s:
        assert s.query(Township).count() == 2
        assert s.query(Household).count() == 40
        numbers = [h.household_number for h in s.scalars(select(Household))]
        assert len(set(numbers)) == 40
    with pytest.raises(DemoError):
        with db.session() as s:
            generate(s, DemoOptions(households=5, township_code="411726100000"))
    with db.session() as s:  # a record keyed in after the bulk insert gets a fresh id (PostgreSQL sequences)
        household = s.scalars(select(Household).order_by(Household.id)).first()
        household.members.append(Member(name="新成员", sex="女", relation="之女", seq=99))
        s.add(Visit(household=household, visited_on=household.created_at.date(), content="入户核实"))
        s.flush()
        assert s.scalar(select(Member.id).where(Member.name == "新成员")) > 0


@pytest.mark.parametrize("code", ["41172610000", "41172610000x", "411725100000"])
def test_bad_township_codes_are_rejected(database, code: str) -> None:
    with pytest.raises(DemoError):
        with database.session() as s:
            generate(s, DemoOptions(households=5, township_code=code))
