"""Import: round trip, idempotence, updates with field-level differences, audit, refusals."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from db.models import AuditLog, ExchangeLog, Household, IncomeRecord, Member, Setting, Township
from desktop.core.exchange.errors import EditedFileError, ImportRejected
from desktop.core.exchange.export import DATABASE_KIND_KEY, ExportOptions, export_database
from desktop.core.exchange.importer import apply_plan, import_workbook, plan_import

NO_CHECKS = ExportOptions(run_checks=False)


def test_round_trip_into_empty_database_gives_the_same_digest(database, tiny_db, tiny_workbook: Path,
                                                              tmp_path: Path, table_dump) -> None:
    original = export_database(tiny_db, tmp_path / "a.xlsx", NO_CHECKS)
    plan = import_workbook(database, tmp_path / "a.xlsx", operator="县扶贫办")
    assert plan.computed_digest == original.digest and not plan.edited
    again = export_database(database, tmp_path / "b.xlsx", NO_CHECKS)
    assert again.digest == original.digest
    assert again.row_counts == original.row_counts
    # search keys were filled for Core-inserted households and helpers
    with database.session() as s:
        hh = s.scalar(select(Household).order_by(Household.id))
        assert hh.search_key and hh.household_number in hh.search_key
        assert s.scalar(select(func.count()).select_from(Household).where(Household.search_key.is_(None))) == 0
        summary = s.scalars(select(AuditLog).where(AuditLog.action == "import")).one()
        assert summary.operator == "县扶贫办" and "新增" in summary.note
        log = s.scalars(select(ExchangeLog).where(ExchangeLog.direction == "import")).one()
        assert log.digest == original.digest and log.township_code == "411726100000"


def test_second_import_changes_nothing(database, tiny_workbook: Path, table_dump) -> None:
    import_workbook(database, tiny_workbook)
    before = table_dump(database)
    plan = import_workbook(database, tiny_workbook)
    totals = plan.totals()
    assert totals["新增"] == 0 and totals["修改"] == 0 and totals["不变"] > 30
    after = table_dump(database)
    # only the exchange log grew
    assert {k: v for k, v in after.items() if k != "exchange_log"} == \
        {k: v for k, v in before.items() if k != "exchange_log"}


def test_own_export_imports_as_unchanged(tiny_db, tiny_workbook: Path) -> None:
    plan = import_workbook(tiny_db, tiny_workbook, dry_run=True)
    assert plan.totals()["新增"] == 0 and plan.totals()["修改"] == 0 and not plan.problems


def _edit_workbook(src: Path, dst: Path, edits: dict[str, list[tuple[int, str, object]]]) -> Path:
    wb = load_workbook(src)
    for title, changes in edits.items():
        ws = wb[title]
        header = [c.value for c in ws[1]]
        for row, column, value in changes:
            cell = ws.cell(row=row, column=header.index(column) + 1)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    wb.save(dst)
    return dst


def test_changes_are_found_field_by_field_and_audited(tiny_db, tiny_workbook: Path, tmp_path: Path) -> None:
    edited = _edit_workbook(tiny_workbook, tmp_path / "e.xlsx", {
        "家庭成员": [(2, "姓名", "王更正"), (2, "健康状况", "长期慢性病")],
        "收入情况": [(3, "工资性收入", 12345.6)],
    })
    with tiny_db.session() as s:
        plan = plan_import(s, edited)
    assert plan.edited  # digest no longer matches
    counts = plan.counts()
    assert counts["家庭成员"]["修改"] == 1 and counts["收入情况"]["修改"] == 1
    diffs = {(d.sheet, d.column): (d.old, d.new) for d in plan.diffs}
    assert diffs[("家庭成员", "姓名")][1] == "王更正"
    assert diffs[("收入情况", "工资性收入")][1] == Decimal("12345.60")
    assert "→ 王更正" in next(d.text() for d in plan.diffs if d.column == "姓名")
    with pytest.raises(EditedFileError):
        import_workbook(tiny_db, edited)
    plan = import_workbook(tiny_db, edited, accept_edited=True, operator="张文书")
    with tiny_db.session() as s:
        member_uuid = next(d.uuid for d in plan.diffs if d.column == "姓名")
        m = s.scalar(select(Member).where(Member.uuid == member_uuid))
        assert m.name == "王更正" and m.health == "长期慢性病"
        logs = s.scalars(select(AuditLog).where(AuditLog.entity_uuid == member_uuid,
                                                 AuditLog.action == "update")).all()
        assert {(a.field_name, a.new_value, a.operator) for a in logs} >= {("name", "王更正", "张文书"),
                                                                          ("health", "长期慢性病", "张文书")}
        assert "王更正" in m.household.search_key or "wang" in m.household.search_key
        inc_uuid = next(d.uuid for d in plan.diffs if d.column == "工资性收入")
        assert s.scalar(select(IncomeRecord.wage).where(IncomeRecord.uuid == inc_uuid)) == Decimal("12345.60")
    again = import_workbook(tiny_db, edited, accept_edited=True)
    assert again.totals()["修改"] == 0


def test_members_missing_from_the_file_are_left_alone(tiny_db, tiny_workbook: Path, tmp_path: Path) -> None:
    wb = load_workbook(tiny_workbook)
    ws = wb["家庭成员"]
    gone = ws.cell(row=2, column=1).value
    ws.delete_rows(2)
    wb.save(tmp_path / "fewer.xlsx")
    plan = import_workbook(tiny_db, tmp_path / "fewer.xlsx", accept_edited=True)
    assert plan.totals()["修改"] == 0
    with tiny_db.session() as s:
        assert s.scalar(select(Member).where(Member.uuid == gone)) is not None


def test_new_rows_in_an_existing_household(tiny_db, tiny_workbook: Path, tmp_path: Path) -> None:
    wb = load_workbook(tiny_workbook)
    ws = wb["家庭成员"]
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    row[header.index("UUID")] = "00000000-0000-4000-8000-000000000001"
    row[header.index("姓名")] = "新生儿"
    row[header.index("证件号码")] = None
    row[header.index("与户主关系")] = "之孙子"
    row[header.index("出生日期")] = date(2017, 6, 1)
    row[header.index("成员状态")] = "自然增加"
    ws.append(row)
    wb.save(tmp_path / "born.xlsx")
    plan = import_workbook(tiny_db, tmp_path / "born.xlsx", accept_edited=True)
    assert plan.counts()["家庭成员"]["新增"] == 1
    with tiny_db.session() as s:
        baby = s.scalar(select(Member).where(Member.uuid == "00000000-0000-4000-8000-000000000001"))
        assert baby.household.uuid == row[header.index("户UUID")]
        assert "xinshenger" in baby.household.search_key.replace(" ", "") or "新生儿" in baby.household.search_key


def test_a_row_added_to_an_existing_household_moves_its_version_on(tiny_db, tiny_workbook: Path,
                                                                   tmp_path: Path) -> None:
    """A card open elsewhere while an import adds a visit to it must meet a save conflict."""
    from desktop.core import households

    wb = load_workbook(tiny_workbook)
    ws = wb["走访记录"]
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    row[header.index("UUID")] = "00000000-0000-4000-8000-00000000000a"
    ws.append(row)
    wb.save(tmp_path / "visit.xlsx")
    target = row[header.index("户UUID")]
    with tiny_db.session() as s:
        others = {h.uuid: h.version for h in s.scalars(select(Household))}
    reader = tiny_db.reader()
    card = households.load_card(reader, target)
    reader.close()
    import_workbook(tiny_db, tmp_path / "visit.xlsx", accept_edited=True)
    with tiny_db.session() as s:
        now = {h.uuid: h.version for h in s.scalars(select(Household))}
    assert now[target] == others[target] + 1
    assert {u: v for u, v in now.items() if u != target} == {u: v for u, v in others.items() if u != target}
    card.household["phone"] = "13800000000"
    with pytest.raises(StaleDataError):
        with tiny_db.session() as s:
            households.save_card(s, card)


def test_invalid_id_number_is_a_warning_not_an_error(database, tiny_workbook: Path, tmp_path: Path) -> None:
    bad = _edit_workbook(tiny_workbook, tmp_path / "w.xlsx", {"家庭成员": [(2, "证件号码", "411726199001011235")]})
    plan = import_workbook(database, bad, accept_edited=True)
    (w,) = plan.warnings
    assert w.level == "警告" and "校验位" in w.message and w.row == 2


def test_township_checks(database, new_database, tiny_db, tiny_workbook: Path) -> None:
    """Empty and county databases take any township's workbook."""
    assert import_workbook(database, tiny_workbook).totals()["新增"] > 0
    from desktop.core.demo import DemoOptions, generate

    county = new_database(name="county")
    with county.session() as s:
        generate(s, DemoOptions(households=2, seed=9, township_code="411726101000", township_name="羊册镇"))
        s.add(Setting(key=DATABASE_KIND_KEY, value="county"))
    plan = import_workbook(county, tiny_workbook)
    assert plan.counts()["乡镇"]["新增"] == 1
    with county.session() as s:
        assert s.scalar(select(func.count()).select_from(Township)) == 2


def test_apply_refuses_a_plan_with_errors(database, tiny_workbook: Path, tmp_path: Path) -> None:
    bad = _edit_workbook(tiny_workbook, tmp_path / "b.xlsx", {"家庭成员": [(2, "性别", "不详X")]})
    with database.session() as s:
        plan = plan_import(s, bad)
        assert plan.has_errors
        with pytest.raises(ImportRejected):
            apply_plan(s, plan)


def test_counts_are_reported_per_sheet(tiny_workbook: Path, database) -> None:
    plan = import_workbook(database, tiny_workbook, dry_run=True)
    counts = plan.counts()
    assert set(counts["家庭成员"]) == {"新增", "修改", "不变", "错误"}
    assert plan.summary_text().startswith("新增 ")
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0  # dry run wrote nothing
    note = json.dumps(counts, ensure_ascii=False)
    assert "贫困户" in note


def test_awkward_text_round_trips(database, tiny_db, tmp_path: Path) -> None:
    with tiny_db.session() as s:
        m = s.scalar(select(Member).order_by(Member.id))
        # written with Core: the ORM's input validation would refuse the control character
        s.execute(update(Member.__table__).where(Member.__table__.c.id == m.id)
                  .values(note="  第一行\r\n第二行\x01  "))
        m.name = "=1+1"
        m.id_number = "11010519491231002X"
        s.scalar(select(Household).order_by(Household.id)).address = "-3号院"
    a = export_database(tiny_db, tmp_path / "a.xlsx", NO_CHECKS)
    plan = import_workbook(database, tmp_path / "a.xlsx")
    assert not plan.edited
    with database.session() as s:
        copy = s.scalar(select(Member).where(Member.uuid == m.uuid))
        assert (copy.name, copy.note, copy.id_number) == ("=1+1", "第一行\n第二行", "11010519491231002X")
    assert export_database(database, tmp_path / "b.xlsx", NO_CHECKS).digest == a.digest
    # the source database is "unchanged" against its own export, although its text was untidy
    assert import_workbook(tiny_db, tmp_path / "a.xlsx", dry_run=True).totals()["修改"] == 0


@pytest.mark.sqlite_only  # the backup is a copy of the SQLite file; a server is backed up by its administrator
def test_an_import_that_writes_makes_a_verified_backup_first(database, tiny_workbook: Path) -> None:
    from db.backup import list_backups

    assert list_backups(database.path) == []
    import_workbook(database, tiny_workbook, dry_run=True)
    assert list_backups(database.path) == []  # a dry run writes nothing, needs no backup
    import_workbook(database, tiny_workbook)
    backups = list_backups(database.path)
    assert [b.reason for b in backups] == ["import"]
    import_workbook(database, tiny_workbook)  # nothing to change: no second backup
    assert len(list_backups(database.path)) == 1
