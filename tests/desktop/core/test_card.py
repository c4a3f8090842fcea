"""desktop.core.card: what a printed card says, which cards a batch prints, in
which order, and which changed since their last print."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import Helper, Household, Measure, Member, PrintLog, Setting, Township, Village, VillageGroup
from desktop.core import card as C
from desktop.core.demo import DemoOptions, generate
from desktop.core.idnumber import age_at_year_end
from desktop.core.income import summarise


def _household(session, offset=0) -> Household:
    return session.scalars(select(Household).order_by(Household.id).offset(offset).limit(1)).one()


def test_card_carries_the_household_facts(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, 3)
        card = C.build_card(s, h)
        head = h.head
        assert card.year == 2017  # demo working year: latest measures/incomes
        assert card.head_name == head.name
        assert card.head_id == head.id_number[:6] + "********" + head.id_number[-4:]
        assert card.household_number == h.household_number
        assert (card.county, card.township) == ("泌阳县", "泌水镇")
        assert card.village == h.village.name and card.village_code == h.village.code
        assert card.group == h.group.name
        assert card.size == len(h.current_members) == len(card.members)
        # members: masked IDs, age at 31 Dec of the card year
        for cm, m in zip(card.members, sorted(h.current_members, key=lambda m: m.seq), strict=True):
            assert cm.name == m.name
            assert cm.id_number == m.id_number[:6] + "*" * 8 + m.id_number[-4:]
            assert m.id_number not in repr(card)
            assert cm.age == age_at_year_end(m.birth_date, 2017)
        # helpers with unit, post, phone (phones in full)
        helper = h.assignments[0].helper
        assert [(x.name, x.unit, x.post, x.phone) for x in card.helpers] == [
            (helper.name, helper.unit, helper.post, helper.phone)]
        # this year's measures only, with plan
        expected = sorted(m.content for m in h.measures if m.year == 2017)
        assert sorted(m.content for m in card.measures) == expected
        assert card.measures_total == sum(m.amount for m in h.measures if m.year == 2017)
        assert card.plan_text == next(p.plan_text for p in h.plans if p.year == 2017)
        # income summary against that year's line
        record = next(r for r in h.incomes if r.year == 2017)
        assert card.income.per_capita == summarise(record).per_capita
        assert card.income.line == Decimal("3335")
        assert card.income.above_line == (summarise(record).per_capita > Decimal("3335"))


def test_full_ids_only_when_asked(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s)
        masked = C.build_card(s, h)
        full = C.build_card(s, h, full_id=True)
    assert "*" in masked.head_id and "*" not in full.head_id
    assert full.head_id == h.head.id_number
    assert all("*" not in m.id_number for m in full.members)


def test_check_boxes_cover_the_whole_option_list(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s)
        h.main_cause, h.other_cause_1, h.other_cause_2 = "因病", "缺资金", "因婚"
        h.attribute = "低保贫困户"
        card = C.build_card(s, h)
    assert [b.label for b in card.attribute_boxes] == ["一般贫困户", "低保贫困户", "特困供养贫困户"]
    assert [b.label for b in card.attribute_boxes if b.checked] == ["低保贫困户"]
    labels = [b.label for b in card.main_cause_boxes]
    assert labels[:12] == ["因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金",
                           "交通条件落后", "自身发展动力不足", "其他"]
    assert [b.label for b in card.main_cause_boxes if b.checked] == ["因病"]
    # a later-era cause prints only when chosen, ticked
    assert "因婚" not in labels
    assert {b.label for b in card.other_cause_boxes if b.checked} == {"缺资金", "因婚"}
    assert [b.label for b in card.standard_boxes if b.checked] == ["国家标准"]


def test_year_parameter_setting_and_default(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s)
        assert C.build_card(s, h).year == 2017
        card_2016 = C.build_card(s, h, year=2016)
        assert card_2016.year == 2016 and card_2016.measures == ()  # demo measures are all 2017
        assert card_2016.income is not None and card_2016.income.line == Decimal("2952")
        s.add(Setting(key="work_year", value="2016"))
        s.flush()
        assert C.card_year(s, h) == 2016
        [card] = C.load_cards(s, [h.uuid])
        assert card.year == 2016
        assert C.load_cards(s, [h.uuid], year=2017)[0].year == 2017


def test_assessment_items_and_blank_boxes(demo_db) -> None:
    with demo_db.session() as s:
        assessed = s.scalars(select(Household).where(Household.exit_assessments.any())).first()
        card = C.build_card(s, assessed)
        assert card.assessment.year is not None
        assert [label for label, _ in card.assessment.items] == [
            "不愁吃", "不愁穿", "义务教育有保障", "基本医疗有保障", "住房安全有保障", "饮水安全有保障"]
        assert all(ok is True for _, ok in card.assessment.items)
        fresh = s.scalars(select(Household).where(~Household.exit_assessments.any())).first()
        blank = C.build_card(s, fresh).assessment
        assert blank.year is None and all(ok is None for _, ok in blank.items)


def test_departed_members_and_ended_helpers_are_left_out(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s, 10)
        gone = h.members[-1]
        gone.status, gone.change_reason, gone.change_date = "自然减少", "死亡", date(2017, 5, 1)
        assignment = h.assignments[0]
        old_helper = assignment.helper
        assignment.end_date = date.today() - timedelta(days=30)
        new = Helper(township_id=h.village.township_id, name="新帮扶人", unit="县民政局", post="科员",
                     phone="13900000000")
        s.add(new)
        h.assignments.append(type(assignment)(helper=new, start_date=date.today() - timedelta(days=29)))
        s.flush()
        card = C.build_card(s, h)
    assert gone not in h.current_members
    assert [m.seq for m in card.members] == [m.seq for m in h.current_members]
    assert gone.seq not in [m.seq for m in card.members]
    assert card.size == len(h.members) - 1
    assert [x.name for x in card.helpers] == ["新帮扶人"]
    assert old_helper.name not in [x.name for x in card.helpers]


def test_print_text_normalises_what_the_font_lacks() -> None:
    # Kangxi radical 人 (U+2F08), compatibility ideograph 豈 (U+F900), full-width digits
    assert C.print_text("\u2f08口\uf900１２３ＡＢ") == "人口\u8c48123AB"
    # Chinese punctuation stays; invisible characters go; None is empty
    assert C.print_text("已脱贫（享受政策）：\u200b是") == "已脱贫（享受政策）：是"
    assert C.print_text(None) == ""
    assert C.print_text("𠇔") == "𠇔"


def test_names_are_normalised_on_the_card(demo_db) -> None:
    with demo_db.session() as s:
        h = _household(s)
        h.head.name = "王\u2f08"  # typed with a Kangxi radical lookalike
        card = C.build_card(s, h)
    assert card.head_name == "王人" and card.members[0].name == "王人"


@pytest.mark.parametrize(("text", "number"), [
    ("一组", 1), ("二组", 2), ("十组", 10), ("十二组", 12), ("二十组", 20), ("第三组", 3), ("3组", 3),
    ("12组", 12), ("东组", None), ("", None)])
def test_chinese_number(text, number) -> None:
    assert C.chinese_number(text) == number


def test_batch_order_is_village_group_household_number(demo_db) -> None:
    with demo_db.session() as s:
        # a second township with one village, later in code order
        generate(s, DemoOptions(households=12, seed=3, township_code="411726101000"))
        s.flush()
        # groups named so that text order differs from number order, without codes
        village = s.scalars(select(Village).order_by(Village.code)).first()
        groups = sorted(village.groups, key=lambda g: g.code)
        for g, name in zip(groups, ("十组", "二组", "一组", "三组", "十一组", "五组", "四组"), strict=False):
            g.name, g.code = name, None
        s.flush()
        order = C.select_households(s, C.Selection("all"))
        rows = {h.uuid: h for h in s.scalars(select(Household))}
        keys = [(rows[u].village.code, C.chinese_number(rows[u].group.name), rows[u].household_number)
                for u in order]
        assert len(order) == 312
        assert keys == sorted(keys)
        assert keys[0][1] == 1 and keys[-1][0] > keys[0][0]
        # village / group / township / households selections
        code = village.code
        in_village = C.select_households(s, C.Selection("village", code))
        assert len(in_village) == 300 and in_village == [u for u in order if rows[u].village.code == code]
        ten = next(g for g in groups if g.name == "十组")
        by_name = C.select_households(s, C.Selection("group", f"{code}/十组"))
        assert by_name == C.select_households(s, C.Selection("group", ten.uuid))
        assert by_name and all(rows[u].group_id == ten.id for u in by_name)
        township = s.scalars(select(Township).where(Township.code == "411726101000")).one()
        assert len(C.select_households(s, C.Selection("township", township.code))) == 12
        picked = [order[5], order[0], order[300]]
        assert C.select_households(s, C.Selection("households", picked)) == [order[0], order[5], order[300]]


def test_bad_selections_say_what_is_wrong(demo_db) -> None:
    with demo_db.session() as s:
        with pytest.raises(C.CardError, match="找不到村代码“999999999999”"):
            C.select_households(s, C.Selection("village", "999999999999"))
        code = s.scalar(select(Village.code))
        with pytest.raises(C.CardError, match="没有村民小组“十九组”（现有：一组、"):
            C.select_households(s, C.Selection("group", f"{code}/十九组"))
        with pytest.raises(C.CardError, match="村代码/组名"):
            C.select_households(s, C.Selection("group", "三组"))
        with pytest.raises(C.CardError, match="找不到户"):
            C.select_households(s, C.Selection("households", ["no-such-uuid"]))
        with pytest.raises(C.CardError, match="找不到户"):
            C.load_cards(s, ["no-such-uuid"])


def test_villages_for_pickers(demo_db) -> None:
    with demo_db.session() as s:
        [(code, name, groups)] = C.villages(s)
        assert code == "411726100200" and name
        assert [g for _u, g in groups] == ["一组", "二组", "三组", "四组", "五组", "六组", "七组"]
        assert s.scalar(select(func.count()).select_from(VillageGroup)) == len(groups)


@pytest.mark.parametrize("bulk", [3000, 2], ids=["chunked", "whole-table"])
def test_changed_since_last_print(demo_db, monkeypatch, bulk) -> None:
    monkeypatch.setattr(C, "BULK", bulk)
    with demo_db.session() as s:
        order = C.select_households(s, C.Selection("all"))
        assert C.changed_since_last_print(s, order) == order  # never printed: all
        first = order[:4]
        assert C.log_prints(s, first, target="/tmp/x.pdf", operator="clerk") == 4
        s.flush()
        assert C.changed_since_last_print(s, first) == []
        rows = s.scalars(select(PrintLog).where(PrintLog.household_uuid.in_(first))).all()
        assert {r.household_uuid for r in rows} == set(first)
        assert {(r.target, r.operator, r.full_id) for r in rows} == {("/tmp/x.pdf", "clerk", False)}
        households = {h.uuid: h for h in s.scalars(select(Household).where(Household.uuid.in_(first)))}
        # a member renamed, a helper's phone changed, a measure deleted
        households[first[0]].members[0].name = "改名"
        households[first[1]].assignments[0].helper.phone = "13700000000"
        victim = s.scalars(select(Measure).where(Measure.household_id == households[first[2]].id)).first()
        s.delete(victim)
        s.flush()
        changed = C.changed_since_last_print(s, first)
        helper_id = households[first[1]].assignments[0].helper_id
        shares_helper = any(a.helper_id == helper_id for a in households[first[3]].assignments)
        # the helper's phone is on every card of that helper: those cards changed too
        assert changed == [u for u in first if u != first[3] or shares_helper]


def test_reprint_clears_the_change(demo_db) -> None:
    with demo_db.session() as s:
        uuid = C.select_households(s, C.Selection("all"))[0]
        C.log_prints(s, [uuid], target="a.pdf")
        s.flush()
        h = s.scalars(select(Household).where(Household.uuid == uuid)).one()
        h.phone = "13811112222"
        s.flush()
        assert C.changed_since_last_print(s, [uuid]) == [uuid]
        C.log_prints(s, [uuid], target="b.pdf", at=utcnow() + timedelta(seconds=1))
        s.flush()
        assert C.changed_since_last_print(s, [uuid]) == []
        assert len(C.last_printed(s, [uuid])) == 1


def test_iter_cards_reports_progress_and_stops_on_cancel(demo_db) -> None:
    from desktop.core.progress import Cancelled, Progress

    seen = []
    progress = Progress(lambda d, t, _s: seen.append((d, t)))
    with demo_db.session() as s:
        uuids = C.select_households(s, C.Selection("all"))[:30]
        cards = C.load_cards(s, uuids, progress=progress)
        assert [c.uuid for c in cards] == uuids
        assert seen[-1] == (30, 30)
        stopper = Progress(lambda d, _t, _s: stopper.cancel() if d == 5 else None)
        got = []
        with pytest.raises(Cancelled):
            for card in C.iter_cards(s, uuids, progress=stopper):
                got.append(card)
        assert len(got) == 5


def test_large_household_sample(demo_db) -> None:
    from desktop.core import card_samples

    with demo_db.session() as s:
        h = card_samples.make_large(s, card_samples.pick(s, 3))
        card = C.build_card(s, h)
        assert len(card.members) == 10 and len(card.measures) == 15
        h2 = card_samples.make_rare(s, card_samples.pick(s, 5))
        rare = C.build_card(s, h2)
        assert [m.name for m in rare.members][:5] == list(card_samples.RARE_NAMES)
        assert rare.helpers[0].name == card_samples.RARE_HELPER
        # the rare names went through the ORM (audit log written)
        assert s.scalar(select(func.count()).select_from(Member).where(Member.name == "刘𠇔")) == 1
