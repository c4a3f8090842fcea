"""Rosters: working year, helpers and their households, villages, poverty lines, township."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import Assignment, AuditLog, Helper, Household, Member, PovertyLine, Village
from desktop.core import rosters


def test_working_year_defaults_to_newest_income_then_setting(demo_db, database) -> None:
    with demo_db.session() as s:
        assert rosters.working_year(s) == 2017  # the demo's newest income year
        rosters.set_working_year(s, 2018)
    with demo_db.session() as s:
        assert rosters.working_year(s) == 2018
        with pytest.raises(ValueError, match="不合理"):
            rosters.set_working_year(s, 1800)
    with database.session() as s:
        assert rosters.working_year(s) == date.today().year


def test_helpers_search_and_counts(demo_db) -> None:
    with demo_db.session() as s:
        helper = s.scalars(select(Helper).order_by(Helper.id)).first()
        served = s.scalar(select(func.count(func.distinct(Assignment.household_id))).where(
            Assignment.helper_id == helper.id))
        everyone = rosters.helpers(s)
        assert len(everyone) == s.scalar(select(func.count()).select_from(Helper))
        row = next(r for r in everyone if r.id == helper.id)
        assert row.households == served > 0
        found = rosters.helpers(s, helper.name)
        assert helper.id in {r.id for r in found}
        from desktop.core.pinyin import search_key

        initials = search_key(helper.name).split()[-1]
        assert helper.id in {r.id for r in rosters.helpers(s, initials)}
        assert rosters.helpers(s, "不存在的名字zzzqqq") == []


def test_helper_households(demo_db) -> None:
    with demo_db.session() as s:
        a = s.scalars(select(Assignment).order_by(Assignment.id)).first()
        rows = rosters.helper_households(s, a.helper_id)
        uuids = {r.uuid for r in rows}
        assert a.household.uuid in uuids
        assert all(r.current for r in rows)
        a.end_date = date(2001, 1, 1)
        s.flush()
        rows = rosters.helper_households(s, a.helper_id)
        assert [r.current for r in rows] == sorted((r.current for r in rows), reverse=True)
        assert not next(r for r in rows if r.uuid == a.household.uuid).current


def test_save_helper_creates_updates_and_is_audited(demo_db) -> None:
    with demo_db.session() as s:
        s.info["operator"] = "管理员"
        h = rosters.save_helper(s, {"name": " 欧阳修 ", "unit": "县文化馆", "phone": "13300000000", "sex": "男"})
        hid = h.id
        assert "oyx" in h.search_key.split() or "oyx" in h.search_key
    with demo_db.session() as s:
        s.info["operator"] = "管理员"
        rosters.save_helper(s, {"post": "馆长", "active": False}, hid)
    with demo_db.session() as s:
        values = rosters.helper_values(s, hid)
        assert (values["name"], values["post"], values["active"]) == ("欧阳修", "馆长", False)
        logged = s.scalars(select(AuditLog).where(AuditLog.entity == "helper")).all()
        assert any(r.field_name == "post" and r.new_value == "馆长" and r.operator == "管理员" for r in logged)
        assert hid not in {r.id for r in rosters.helpers(s, only_active=True)}
        with pytest.raises(ValueError, match="姓名不能为空"):
            rosters.save_helper(s, {"name": "  "})


def test_village_rows_and_incidence(demo_db) -> None:
    with demo_db.session() as s:
        rows = rosters.village_rows(s)
        v = rows[0]
        households = s.scalar(select(func.count()).select_from(Household).where(Household.village_id == v.id))
        poor = s.scalar(select(func.count(Member.id)).join(Household).where(
            Household.village_id == v.id, Member.status != "自然减少",
            Household.exit_status.not_in(rosters.EXITED_STATUSES)))
        assert (v.households, v.poor_people) == (households, poor)
        if v.total_population:
            assert v.incidence == (Decimal(poor) * 100 / v.total_population).quantize(Decimal("0.01"))
        assert v.exit_indicators_total == 11
        rosters.save_village(s, v.id, {"first_secretary": "黄文秀", "road_hardened": True, "broadband": True})
        again = next(r for r in rosters.village_rows(s) if r.id == v.id)
        assert again.first_secretary == "黄文秀" and again.exit_indicators_met >= 2
        with pytest.raises(ValueError):
            rosters.save_village(s, v.id, {"name": ""})
        assert s.get(Village, v.id).name


def test_poverty_lines_crud(demo_db) -> None:
    with demo_db.session() as s:
        lines = rosters.poverty_lines(s)
        assert lines and lines[0].year >= lines[-1].year
        line = rosters.save_poverty_line(s, rosters.LineRow(None, 2030, "省", Decimal("5000"), "测试"))
        with pytest.raises(ValueError, match="已存在"):
            rosters.save_poverty_line(s, rosters.LineRow(None, 2030, "省", Decimal("5100")))
        with pytest.raises(ValueError):
            rosters.save_poverty_line(s, rosters.LineRow(None, 2030, "市", Decimal("0")))
        rosters.save_poverty_line(s, rosters.LineRow(line.id, 2030, "省", Decimal("5200")))
        assert s.get(PovertyLine, line.id).amount == Decimal("5200")
        rosters.delete_poverty_line(s, line.id)
        s.flush()
        assert s.get(PovertyLine, line.id) is None


def test_townships(demo_db) -> None:
    with demo_db.session() as s:
        (t,) = rosters.townships(s)
        assert (t.code, t.county_code) == ("411726100000", "411726")
        rosters.rename_township(s, t.id, "泌水街道")
        assert rosters.townships(s)[0].name == "泌水街道"
        with pytest.raises(ValueError):
            rosters.rename_township(s, t.id, " ")
