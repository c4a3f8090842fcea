"""Conflict description and re-applying a clerk's changes onto the newer card (Qt-free)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db.models import Household, IncomeRecord, Member, Village, Visit
from desktop.core import conflicts, households
from desktop.core.conflicts import DELETED, EMPTY, NONE_ROW, Names


def _uuid(db) -> str:
    """A household with two or more members, an income record and a visit."""
    with db.session() as s:
        ids = set(s.scalars(select(IncomeRecord.household_id))) & set(s.scalars(select(Visit.household_id)))
        for hid in sorted(ids):
            if len(s.scalars(select(Member.id).where(Member.household_id == hid)).all()) >= 2:
                return s.get(Household, hid).uuid
    raise AssertionError("no such household in the demo")


def _load(db, uuid):
    with db.session() as s:
        return households.load_card(s, uuid)


def _by_item(diffs):
    return {(d.section, d.row_uuid, d.field): d for d in diffs}


def test_describe_lists_mine_theirs_original_per_field(demo_db) -> None:
    uuid = _uuid(demo_db)
    original = _load(demo_db, uuid)
    mine, theirs = original.copy(), original.copy()
    m0, m1 = original.members[0], original.members[1]
    # the other clerk changed only a member's phone and the address; I changed a member and the address
    theirs.members[1]["phone"] = "13900000001"
    theirs.household["address"] = "东街1号"
    mine.household["address"] = "西街2号"
    mine.members[0]["note"] = "外出务工"
    diffs = conflicts.describe(mine, original, theirs)
    items = _by_item(diffs)

    address = items[("household", None, "address")]
    assert (address.field_label, address.mine, address.theirs) == ("家庭住址", "西街2号", "东街1号")
    assert address.original == (original.household["address"] or EMPTY)
    assert address.clash and address.item == "基本情况 · 家庭住址"

    phone = items[("members", m1["uuid"], "phone")]
    assert phone.row_label == m1["name"] and phone.field_label == "成员联系电话"
    assert phone.theirs == "13900000001" and phone.theirs_changed and not phone.mine_changed
    assert phone.item == f"家庭成员 {m1['name']} · 成员联系电话"

    note = items[("members", m0["uuid"], "note")]
    assert note.mine == "外出务工" and note.mine_changed and not note.theirs_changed and not note.clash
    assert len(diffs) == 3


def test_same_change_on_both_sides_is_not_listed(demo_db) -> None:
    original = _load(demo_db, _uuid(demo_db))
    mine, theirs = original.copy(), original.copy()
    mine.household["phone"] = theirs.household["phone"] = "13800000000"
    assert conflicts.describe(mine, original, theirs) == []


def test_rows_added_deleted_and_names(demo_db) -> None:
    uuid = _uuid(demo_db)
    original = _load(demo_db, uuid)
    mine, theirs = original.copy(), original.copy()
    visit = original.visits[0]
    mine.visits.remove(next(v for v in mine.visits if v["uuid"] == visit["uuid"]))
    mine.removed["visits"] = [visit["uuid"]]
    mine.members.append(households.new_row("members", name="李新生", relation="孙子", sex="男"))
    theirs.incomes.append(households.new_row("incomes", year=2031, population=3, uuid="theirs-income"))
    with demo_db.session() as s:
        names = Names.load(s, [mine, original, theirs])
    diffs = conflicts.describe(mine, original, theirs, names)
    items = _by_item(diffs)
    gone = items[("visits", visit["uuid"], None)]
    assert gone.mine == DELETED and gone.mine_changed and not gone.theirs_changed
    added = items[("members", None, None)]
    assert added.mine.startswith("李新生，孙子") and added.theirs == NONE_ROW
    income = items[("incomes", "theirs-income", None)]
    assert income.row_label == "2031年度" and income.mine == NONE_ROW and income.theirs_changed
    assert names.villages[original.household["village_id"]]


def test_village_shown_by_name(demo_db) -> None:
    original = _load(demo_db, _uuid(demo_db))
    mine, theirs = original.copy(), original.copy()
    with demo_db.session() as s:
        mine_village = s.get(Village, original.household["village_id"])
        added = Village(township_id=mine_village.township_id, code="999999999998", name="冲突测试村")
        s.add(added)
        s.flush()
        other = added.id
    theirs.household["village_id"] = other
    with demo_db.session() as s:
        names = Names.load(s, [mine, original, theirs])
    d = conflicts.describe(mine, original, theirs, names)[0]
    assert d.field_label == "行政村" and d.theirs == names.villages[other] and not d.theirs.isdigit()


def test_reapply_puts_only_my_changes_onto_theirs_and_saves(demo_db) -> None:
    uuid = _uuid(demo_db)
    original = _load(demo_db, uuid)
    theirs_edit = original.copy()
    theirs_edit.members[1]["phone"] = "13900000001"
    theirs_edit.household["bank_name"] = "农村信用社"
    with demo_db.session() as s:
        households.save_card(s, theirs_edit, operator="甲")
    theirs = _load(demo_db, uuid)
    assert theirs.version != original.version

    mine = original.copy()
    mine.members[0]["note"] = "外出务工"
    mine.incomes[0]["wage"] = None if mine.incomes[0]["wage"] else 100
    merged, skipped = conflicts.reapply(mine, original, theirs)
    assert skipped == []
    assert merged.version == theirs.version
    assert merged.members[1]["phone"] == "13900000001"  # theirs kept
    assert merged.household["bank_name"] == "农村信用社"
    assert merged.members[0]["note"] == "外出务工"  # mine applied
    assert merged.incomes[0]["wage"] == mine.incomes[0]["wage"]
    with demo_db.session() as s:
        households.save_card(s, merged, operator="乙")
    final = _load(demo_db, uuid)
    assert final.members[0]["note"] == "外出务工" and final.members[1]["phone"] == "13900000001"
    assert final.household["bank_name"] == "农村信用社"


def test_reapply_of_a_row_the_other_deleted_is_reported(demo_db) -> None:
    uuid = _uuid(demo_db)
    original = _load(demo_db, uuid)
    mine, theirs = original.copy(), original.copy()
    gone = theirs.visits.pop(0)
    mine.visits[0]["content"] = "我补充的内容"
    mine.visits.append(households.new_row("visits", visited_on=date(2030, 1, 2), content="新的走访"))
    merged, skipped = conflicts.reapply(mine, original, theirs)
    assert [s.row_uuid for s in skipped] == [gone["uuid"]] and skipped[0].theirs == DELETED
    assert gone["uuid"] not in {v["uuid"] for v in merged.visits}
    assert merged.visits[-1]["content"] == "新的走访"


def test_last_saver_from_the_audit_log(demo_db) -> None:
    uuid = _uuid(demo_db)
    card = _load(demo_db, uuid)
    with demo_db.session() as s:
        since = s.scalar(select(Household.updated_at).where(Household.uuid == uuid))
    card.household["phone"] = "13700000000"
    card.members[0]["note"] = "备注"
    with demo_db.session() as s:
        households.save_card(s, card, operator="王会计")
    with demo_db.session() as s:
        saver = conflicts.last_saver(s, uuid, since)
        assert saver is not None and saver.operator == "王会计" and saver.changes == 2
        assert len(saver.at) == 19
        assert conflicts.last_saver(s, "no-such-household") is None
