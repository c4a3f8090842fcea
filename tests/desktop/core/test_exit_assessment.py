"""The exit assessment of a household (income vs the year's line, 两不愁三保障 with
evidence, procedure dates, the decision moving the status, history) and the
village view (贫困发生率, exit indicators)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.models import AuditLog, ExitAssessment, Household, PovertyLine, Village
from desktop.core import exit_assessment as ea
from desktop.core.checks import check_household
from desktop.core.households import history
from desktop.core.income import summarise

YEAR = 2017


def _household(s, status: str, *, above_line: bool) -> Household:
    line = Decimal(3335)
    for h in s.scalars(select(Household).where(Household.exit_status == status).order_by(Household.id)):
        r = next((r for r in h.incomes if r.year == YEAR), None)
        pc = summarise(r).per_capita if r else None
        if pc is not None and (pc > line) == above_line and h.dangerous_house_grade in ("A级", "B级") \
                and not h.drinking_water_difficult and h.drinking_water_safe:
            return h
    raise LookupError(status)


def _complete(a: ea.Assessment) -> ea.Assessment:
    """Fill everything an assessor records for a household that qualifies."""
    a = ea.with_suggestions_applied(a)
    items = [replace(i, ok=True, evidence=i.evidence or "入户核实：口粮充足，四季衣被齐全") for i in a.items]
    start = date(YEAR, 10, 8)
    steps = [replace(s, on=start + timedelta(days=n)) for n, s in zip((0, 2, 3, 4, 12, 15, 25), a.steps, strict=True)]
    return replace(a, items=items, steps=steps, head_confirmed=True, democratic_review_result="同意退出",
                   decision=ea.PASSED)


def test_assess_an_exited_demo_household(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, "已脱贫（享受政策）", above_line=True)
        year = h.exit_year
        a = ea.assess(s, h.uuid, year)
        r = next(r for r in h.incomes if r.year == year) if any(r.year == year for r in h.incomes) else None
    assert a.household_number == h.household_number and a.head_name and a.village
    assert a.record_uuid is not None and a.decision == "通过"
    assert [i.label for i in a.items] == ["不愁吃", "不愁穿", "义务教育有保障", "基本医疗有保障", "住房安全有保障",
                                          "饮水安全有保障"]
    assert all(i.ok is True for i in a.items)
    assert a.item("food_ok").evidence == "口粮充足"
    housing = a.item("housing_ok")
    assert housing.suggested is True and ("A级" in housing.basis or "B级" in housing.basis)
    assert a.item("food_ok").suggested is None  # only a visit can tell
    assert all(st.on is not None for st in a.steps)
    if r is not None:
        assert a.per_capita == summarise(r).per_capita and a.income_ok is True
    assert a.line == Decimal(3335) if year == 2017 else a.line is not None


def test_a_passed_assessment_moves_the_household_and_is_in_its_history(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, "未脱贫", above_line=True)
        uuid = h.uuid
        a = _complete(ea.assess(s, uuid, YEAR))
        assert ea.blocking_reasons(a) == []
        record = ea.save(s, a, operator="乡镇审核员")
        record_uuid = record.uuid
    with demo_db.session() as s:
        h = s.scalar(select(Household).where(Household.uuid == uuid))
        assert (h.exit_status, h.exit_year) == ("已脱贫（享受政策）", YEAR)
        stored = s.scalar(select(ExitAssessment).where(ExitAssessment.uuid == record_uuid))
        assert stored.decision == "通过" and stored.resulting_exit_year == YEAR
        assert stored.per_capita_income == a.per_capita and stored.threshold == Decimal(3335)
        assert stored.food_evidence and stored.county_approved_on == date(YEAR, 11, 2)
        decided = s.scalars(select(AuditLog).where(AuditLog.household_uuid == uuid,
                                                   AuditLog.action == "评估决定")).all()
        assert len(decided) == 1 and decided[0].operator == "乡镇审核员"
        assert "未脱贫" in decided[0].old_value and "已脱贫（享受政策）（2017年）" in decided[0].new_value
        entries = history(s, uuid)
        assert any(e.field == "脱贫状态" and e.new == "已脱贫（享受政策）" for e in entries)
        # The household now passes the exited-household checks.
        assert not [p.rule_id for p in check_household(s, h) if p.rule_id.startswith("EXT")]


def test_a_household_that_does_not_qualify_cannot_be_passed(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, "未脱贫", above_line=False)
        uuid = h.uuid
        a = _complete(ea.assess(s, uuid, YEAR))
        a.item("water_ok").ok = False
        a.item("clothing_ok").evidence = " "
        a.step("publicity_end").on = a.step("publicity_start").on + timedelta(days=3)
        a.step("county_approved_on").on = a.step("democratic_review_on").on - timedelta(days=1)
        a.head_confirmed = None
        with pytest.raises(ea.AssessmentError) as caught:
            ea.save(s, a)
        reasons = " / ".join(caught.value.reasons)
    for words in ("未超过当年标准 3335", "“饮水安全有保障”评为否", "“不愁穿”没有填写依据", "公示仅 3 天",
                  "县审定", "户主尚未签字认可"):
        assert words in reasons, words
    with demo_db.session() as s:
        h = s.scalar(select(Household).where(Household.uuid == uuid))
        assert h.exit_status == "未脱贫" and not any(r.year == YEAR for r in h.exit_assessments)


def test_pending_and_failed_decisions(demo_db) -> None:
    with demo_db.session() as s:
        h = s.scalar(select(Household).where(Household.exit_status == "预脱贫").order_by(Household.id))
        uuid = h.uuid
        a = ea.assess(s, uuid, YEAR)
        ea.save(s, replace(a, decision=ea.PENDING, note="等待收入核实"))
        assert h.exit_status == "预脱贫"
        ea.save(s, replace(ea.assess(s, uuid, YEAR), decision=ea.FAILED))
    with demo_db.session() as s:
        h = s.scalar(select(Household).where(Household.uuid == uuid))
        assert h.exit_status == "未脱贫"
        records = [r for r in h.exit_assessments if r.year == YEAR]
        assert len(records) == 1 and records[0].decision == "不通过" and records[0].note == "等待收入核实"
        with pytest.raises(ea.AssessmentError, match="无效"):
            ea.save(s, replace(ea.assess(s, uuid, YEAR), decision="同意"))


def test_the_line_comes_from_the_editable_table(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, "未脱贫", above_line=True)
        a = ea.assess(s, h.uuid, YEAR)
        assert a.income_ok is True
        line = s.scalar(select(PovertyLine).where(PovertyLine.year == YEAR, PovertyLine.scope == "脱贫标准"))
        line.amount = a.per_capita + 1
        s.flush()
        again = ea.assess(s, h.uuid, YEAR)
        assert again.line == a.per_capita + 1 and again.income_ok is False
        assert any("未超过当年标准" in r for r in ea.blocking_reasons(_complete(again)))
        s.delete(line)
        for other in s.scalars(select(PovertyLine).where(PovertyLine.year == YEAR)):
            s.delete(other)
        s.flush()
        assert ea.assess(s, h.uuid, YEAR).line is None
        assert any("没有 2017 年度的标准" in r for r in ea.blocking_reasons(_complete(ea.assess(s, h.uuid, YEAR))))


def test_suggestions_follow_the_data(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, "未脱贫", above_line=False)
        h.is_dangerous_house, h.dangerous_house_grade = True, "D级"
        h.drinking_water_difficult = True
        h.head.in_rural_medical = False
        h.head.in_employee_medical = False
        hints = ea.suggestions(h, YEAR)
        s.rollback()
    assert hints["housing_ok"] == (False, "危房（D级）")
    assert hints["water_ok"] == (False, "饮水困难")
    assert hints["medical_ok"][0] is False and "未参加基本医疗保险" in hints["medical_ok"][1]


def test_village_overview_and_editing(demo_db) -> None:
    with demo_db.session() as s:
        [v] = ea.village_overview(s)
        households = s.scalars(select(Household)).all()
        members = sum(len(h.current_members) for h in households)
        poor = sum(len(h.current_members) for h in households if not h.exit_status.startswith("已脱贫"))
        assert (v.households, v.registered, v.remaining) == (len(households), members, poor)
        assert v.remaining_households == sum(1 for h in households if not h.exit_status.startswith("已脱贫"))
        assert v.total_population is None and v.incidence is None and not v.can_exit
        assert "村总人口未填" in v.reasons[0]
        assert [i.label for i in v.indicators if i.required][:2] == ["通村公路硬化", "安全饮水达标"]
        ea.update_village(s, v.uuid, {"total_population": poor * 40}, operator="clerk")
        [v] = ea.village_overview(s)
        assert v.incidence == pytest.approx(1 / 40) and v.incidence_ok is False  # 2.5 % is not below 2 %
        ea.update_village(s, v.uuid, {"total_population": poor * 100, "culture_center": True, "broadband": True})
        [v] = ea.village_overview(s)
        assert v.incidence == pytest.approx(0.01) and v.incidence_ok and v.can_exit and v.reasons == []
        ea.update_village(s, v.uuid, {"clinic_with_doctor": False})
        [v] = ea.village_overview(s)
        assert not v.can_exit and "标准化卫生室及合格村医" in v.reasons[0]
        with pytest.raises(ea.AssessmentError, match="村总人口"):
            ea.update_village(s, v.uuid, {"total_population": -5})
        with pytest.raises(ea.AssessmentError, match="不能在这里修改"):
            ea.update_village(s, v.uuid, {"name": "改名村"})
        village = s.scalar(select(Village))
        assert village.total_population == poor * 100
        assert s.scalars(select(AuditLog).where(AuditLog.entity == "village",
                                                AuditLog.field_name == "total_population")).all()
        assert ea.village_overview(s, township_code="999999999999") == []
