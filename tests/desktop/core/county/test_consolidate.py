"""Consolidation: three demo townships with planted problems, found exactly; a second round with one
township re-exported after edits reports exactly those edits; older, identical, edited, conflicting
and unusable files change nothing and say so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.models import AuditLog, DuplicateDismissal, ExchangeLog, Household, Member, Setting, Township
from db.session import open_database
from desktop.core.county import duplicates
from desktop.core.county.consolidate import ConsolidationError, consolidate
from desktop.core.exchange import format as fmt
from desktop.core.progress import Cancelled, Progress
from tests.desktop.core.county.conftest import export


def found_pairs(problems, rule: str) -> set[frozenset]:
    out = set()
    for p in problems:
        if p.rule_id != rule:
            continue
        if rule == "CTY02":
            out.add(frozenset({p.household_uuid, p.other_household_uuid}))
        elif rule == "CTY03":
            out.add(p.member_uuid)
        else:
            out.add(frozenset({p.member_uuid, p.other_member_uuid}))
    return out


def files(t, *letters: str) -> list[Path]:
    return [t.files[x] for x in letters]


def dump(database) -> dict:
    from tests.desktop.core.exchange.conftest import dump as table_dump

    return table_dump(database)


def test_round_one_finds_exactly_the_planted_problems(townships, county_db, tmp_path: Path) -> None:
    t = townships
    result = consolidate(county_db, files(t, "C", "A", "B"), out=tmp_path / "county.xlsx",
                         problems_out=tmp_path / "problems.xlsx", report_out=tmp_path / "report.xlsx", operator="县扶贫办")
    assert [v.status for v in result.verdicts] == ["first", "first", "first"]
    assert not result.held_back and not result.conflicts and result.passes == 1
    planted = t.planted
    assert found_pairs(result.problems, "CTY01") == {frozenset(planted["cty01_cross"]), frozenset(planted["cty01_within"])}
    assert found_pairs(result.problems, "CTY02") == {frozenset(planted["cty02"])}
    assert found_pairs(result.problems, "CTY03") == {planted["cty03"][1]}
    cty04 = {frozenset({p.member_uuid, p.other_member_uuid}): p.similarity for p in result.problems if p.rule_id == "CTY04"}
    assert cty04 == planted["cty04"]
    assert {p.rule_id for p in result.problems} == {"CTY01", "CTY02", "CTY03", "CTY04"}
    assert len(result.problems) == 2 + 1 + 1 + 4
    # the cross-township duplicate names both townships
    cross = next(p for p in result.problems if p.rule_id == "CTY01" and p.member_uuid in planted["cty01_cross"]
                 and p.other_member_uuid in planted["cty01_cross"])
    assert "泌水镇" in cross.message and "羊册镇" in cross.message and cross.severity == "错误"
    # reconciliation: every township and sheet balances, county totals = sum of townships
    rec = result.reconciliation
    assert rec.ok, rec.failures()
    assert {r.township_code for r in rec.rows} == set(t.codes.values())
    members = next(r for r in rec.rows if r.township_code == t.codes["A"] and r.sheet == "家庭成员")
    assert members.file_rows == members.read_rows == members.accepted == members.db_rows == members.workbook_rows > 0
    hh_total = next(x for x in rec.totals if x.sheet == "贫困户")
    assert hh_total.townships_sum == hh_total.county_db == hh_total.workbook_read == 3 * 40 + 1
    assert result.ok
    with county_db.session() as s:
        assert s.get(Setting, "database.kind").value == "county"
        assert s.scalar(select(func.count()).select_from(Township)) == 3
        logs = s.scalars(select(ExchangeLog).where(ExchangeLog.direction == "consolidate")).all()
        assert sorted(log.township_code for log in logs) == sorted(t.codes.values())
        assert all('"taken": true' in log.summary for log in logs)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 3


def test_problems_workbook_and_report_read_back(townships, county_db, tmp_path: Path) -> None:
    import python_calamine

    t = townships
    result = consolidate(county_db, files(t, "A", "B", "C"), out=tmp_path / "county.xlsx",
                         problems_out=tmp_path / "problems.xlsx", report_out=tmp_path / "report.xlsx")
    wb = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "problems.xlsx"))
    assert wb.sheet_names == ["说明", "文件核验", "对账", "变更明细", "问题清单", "文件问题"]
    verdicts = wb.get_sheet_by_name("文件核验").to_python()
    assert [r[6] for r in verdicts[1:]] == ["首次汇总"] * 3
    problems = wb.get_sheet_by_name("问题清单").to_python()
    header = problems[0]
    rows = [r for r in problems[1:] if r[0] in ("错误", "警告")]
    assert len(rows) == len(result.problems) == 8
    id_col = header.index("证件号码")
    # ID numbers are text: all 18 characters survive
    ids = [r[id_col] for r in rows if r[id_col]]
    assert ids and all(isinstance(x, str) and len(x) == 18 for x in ids)
    recon = wb.get_sheet_by_name("对账").to_python()
    assert recon[0][:3] == ["乡镇代码", "乡镇名称", "工作表"]
    assert sum(1 for r in recon[1:] if r[9] == "一致") == 3 * 13
    assert not any(r[9] == "不一致" for r in recon[1:])
    report = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "report.xlsx"))
    assert "按乡镇汇总" in report.sheet_names and "按村汇总" in report.sheet_names
    by_town = report.get_sheet_by_name("按乡镇汇总").to_python()
    assert [r[1] for r in by_town[1:4]] == ["泌水镇", "羊册镇", "花园乡"]
    total = next(r for r in by_town if r[0] == "合计")
    assert int(total[3]) == 121
    assert next(r for r in by_town if r[0] == "核对")[1] == "合计 = 全县"
    # the county workbook is an exchange workbook of all three townships, kind 县
    county = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "county.xlsx"))
    manifest = dict((r[0], r[1]) for r in county.get_sheet_by_name("说明").to_python() if r and r[0])
    assert manifest["数据库类型"] == "县" and manifest["乡镇代码"].count("、") == 2
    roster = county.get_sheet_by_name(fmt.ROSTER_SHEET).to_python()
    assert {r[1] for r in roster[1:]} == {"泌水镇", "羊册镇", "花园乡"}


def test_not_a_duplicate_is_remembered_in_the_next_round(townships, county_db) -> None:
    t = townships
    first = consolidate(county_db, files(t, "A", "B", "C"))
    pair = frozenset(t.planted["dismiss"])
    problem = next(p for p in first.problems if p.rule_id == "CTY04" and frozenset(p.pair) == pair)
    assert problem.dismissible and problem.severity == "警告"
    with county_db.session() as s:
        assert duplicates.dismiss(s, problem.member_uuid, problem.other_member_uuid, note="两人，户籍已核", operator="李")
        assert not duplicates.dismiss(s, problem.other_member_uuid, problem.member_uuid)  # already remembered
    again = consolidate(county_db, files(t, "A", "B", "C"))
    assert [v.status for v in again.verdicts] == ["identical"] * 3
    assert frozenset(t.planted["dismiss"]) not in {frozenset(p.pair) for p in again.problems if p.rule_id == "CTY04"}
    assert len([p for p in again.problems if p.rule_id == "CTY04"]) == 3
    with county_db.session() as s:
        row = s.scalars(select(DuplicateDismissal)).one()
        assert (row.uuid_a, row.uuid_b) == tuple(sorted(pair)) and row.operator == "李"
        assert s.scalar(select(AuditLog).where(AuditLog.action == duplicates.AUDIT_ACTION)).note == "两人，户籍已核"
        assert duplicates.undismiss(s, *t.planted["dismiss"])
    third = consolidate(county_db, files(t, "A", "B", "C"))
    assert len([p for p in third.problems if p.rule_id == "CTY04"]) == 4


def test_second_round_reports_exactly_the_edits(townships, round2, county_db, tmp_path: Path) -> None:
    t = townships
    consolidate(county_db, files(t, "A", "B", "C"))
    result = consolidate(county_db, [t.files["A"], round2.file, t.files["C"]], out=tmp_path / "county.xlsx",
                         operator="县扶贫办")
    assert [v.status for v in result.verdicts] == ["identical", "newer", "identical"]
    b = result.verdicts[1]
    assert b.previous_sequence == 1 and b.sequence == 2 and "序号 1 → 2" in b.label
    got = {(c.sheet, c.kind, c.uuid, c.column, fmt.canonical_text(c.old) if c.old is not None else None,
            fmt.canonical_text(c.new) if c.new is not None else None) for c in result.changes}
    expected = {(sheet, kind, uid, col, fmt.canonical_text(old) if old is not None else None,
                 fmt.canonical_text(new) if new is not None else None)
                for sheet, kind, uid, col, old, new in round2.expected}
    assert got == expected
    assert all(c.township_name == "羊册镇" for c in result.changes)
    assert b.totals() == {"新增": 1, "修改": 4, "删除": 1, "不变": b.totals()["不变"]}
    assert result.reconciliation.ok, result.reconciliation.failures()
    with county_db.session() as s:
        # changed fields went through the ORM: the audit log names the operator and old/new values
        renamed = next(c for c in result.changes if c.column == "姓名")
        log = s.scalars(select(AuditLog).where(AuditLog.entity_uuid == renamed.uuid, AuditLog.field_name == "name")).one()
        assert log.operator == "县扶贫办" and log.new_value == "郑国强"
        deleted = next(c for c in result.changes if c.kind == "删除")
        assert s.scalar(select(AuditLog).where(AuditLog.entity_uuid == deleted.uuid, AuditLog.action == "delete"))
    # the B database's own export of the same data gives the same digest as the county's B rows
    again = consolidate(county_db, [round2.file])
    assert again.verdicts[0].status == "identical" and not again.changes
    # the older file of B changes nothing and says so
    before = dump(county_db)
    older = consolidate(county_db, [t.files["B"]])
    v = older.verdicts[0]
    assert v.status == "older" and not v.taken and not v.held_back and "较旧" in v.message
    assert {k: x for k, x in dump(county_db).items() if k != "exchange_log"} == \
        {k: x for k, x in before.items() if k != "exchange_log"}


def test_edited_file_is_held_back_unless_accepted(townships, round2, county_db, tmp_path: Path) -> None:
    t = townships
    consolidate(county_db, files(t, "A", "B", "C"))
    edited = tmp_path / "B-edited.xlsx"
    wb = load_workbook(round2.file)
    ws = wb["贫困户"]
    col = [c.value for c in ws[1]].index("联系电话") + 1
    old = ws.cell(row=2, column=col).value
    ws.cell(row=2, column=col).value = "13800000001"
    hh_uuid = ws.cell(row=2, column=1).value
    wb.save(edited)
    before = dump(county_db)
    held = consolidate(county_db, [edited])
    v = held.verdicts[0]
    assert v.status == "edited" and v.held_back and v.edited and "数据摘要" in "".join(v.edited_reasons)
    assert "B-edited.xlsx" in v.message and not held.ok
    assert {k: x for k, x in dump(county_db).items() if k != "exchange_log"} == \
        {k: x for k, x in before.items() if k != "exchange_log"}
    taken = consolidate(county_db, [edited], accept_edited=[edited])
    v = taken.verdicts[0]
    assert v.taken and v.accepted_edited and "已确认采用" in v.label
    phone = [c for c in taken.changes if c.uuid == hh_uuid and c.column == "联系电话"]
    assert len(phone) == 1 and phone[0].new == "13800000001" and phone[0].old == old
    with county_db.session() as s:
        assert s.scalar(select(Household.phone).where(Household.uuid == hh_uuid)) == "13800000001"
        log = s.scalars(select(ExchangeLog).where(ExchangeLog.direction == "consolidate")
                        .order_by(ExchangeLog.id.desc())).first()
        assert '"accepted_edited": true' in log.summary
    # the same edited file again: the data taken last time, so identical (its stale 说明 no longer matters)
    again = consolidate(county_db, [edited])
    assert again.verdicts[0].status == "identical" and not again.changes


def _conflicting_copy_of_c(townships, tmp_path: Path) -> Path:
    """C's database with a household UUID of A and a member UUID of B, exported (sequence 2)."""
    path = tmp_path / "C2.sqlite3"
    shutil.copyfile(townships.dbs["C"], path)
    db = open_database(path)
    with db.session() as s:
        hh = s.scalars(select(Household).order_by(Household.household_number.desc())).all()[3]
        hh.uuid = townships.planted["a_household"]
        m = s.scalars(select(Member).order_by(Member.id.desc())).all()[10]
        m.uuid = townships.planted["b_member"]
    db.dispose()
    return export(path, tmp_path / "C-2.xlsx")


def test_uuid_conflict_with_the_previous_round_is_held_back(townships, county_db, tmp_path: Path) -> None:
    t = townships
    consolidate(county_db, files(t, "A", "B", "C"))
    c2 = _conflicting_copy_of_c(t, tmp_path)
    before = dump(county_db)
    result = consolidate(county_db, [c2], problems_out=tmp_path / "p.xlsx")
    v = result.verdicts[0]
    assert v.status == "conflict" and v.held_back and v.conflict_count == 2
    assert {(c.uuid, c.other_township_code) for c in result.conflicts} == {
        (t.planted["a_household"], t.codes["A"]), (t.planted["b_member"], t.codes["B"])}
    assert "泌水镇" in v.message and "羊册镇" in v.message
    cty00 = [p for p in result.problems if p.rule_id == "CTY00"]
    assert len(cty00) == 2 and all(p.household_uuid for p in cty00)  # the county's copy can be opened
    assert {k: x for k, x in dump(county_db).items() if k != "exchange_log"} == \
        {k: x for k, x in before.items() if k != "exchange_log"}
    with county_db.session() as s:
        log = s.scalars(select(ExchangeLog).order_by(ExchangeLog.id.desc())).first()
        assert '"taken": false' in log.summary and '"conflict"' in log.summary


def test_conflict_between_files_of_one_run_holds_both_back(townships, county_db, tmp_path: Path) -> None:
    t = townships
    c2 = _conflicting_copy_of_c(t, tmp_path)
    result = consolidate(county_db, [t.files["A"], c2, t.files["B"]])
    statuses = {v.path.name: v.status for v in result.verdicts}
    # C-2's household UUID is A's and its member UUID is B's: neither copy wins silently
    assert statuses == {"A-1.xlsx": "conflict", "C-2.xlsx": "conflict", "B-1.xlsx": "conflict"}
    assert result.passes >= 2
    with county_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0
    only_a_and_c = consolidate(county_db, [t.files["A"], t.files["C"]])
    assert [v.status for v in only_a_and_c.verdicts] == ["first", "first"]


def test_a_household_moving_between_townships_in_one_run_is_not_a_conflict(townships, county_db,
                                                                            tmp_path: Path) -> None:
    """C hands a household to A: A's new file (earlier in code order) waits for C's."""
    t = townships
    consolidate(county_db, files(t, "A", "B", "C"))
    a_path, c_path = tmp_path / "A2.sqlite3", tmp_path / "C2.sqlite3"
    shutil.copyfile(t.dbs["A"], a_path)
    shutil.copyfile(t.dbs["C"], c_path)
    cdb, adb = open_database(c_path), open_database(a_path)
    with cdb.session() as s:
        moved = s.scalars(select(Household).order_by(Household.household_number)).all()[-2]
        moved_uuid = moved.uuid
        s.delete(moved)
    with adb.session() as s:
        from db.models import Village

        village = s.scalars(select(Village).order_by(Village.code)).first()
        s.add(Household(uuid=moved_uuid, village_id=village.id, household_number=f"{village.code[6:12]}8888",
                        exit_status="未脱贫"))
    cdb.dispose()
    adb.dispose()
    c2, a2 = export(c_path, tmp_path / "C-2.xlsx"), export(a_path, tmp_path / "A-2.xlsx")
    result = consolidate(county_db, [a2, c2])
    assert [v.status for v in result.verdicts] == ["newer", "newer"], [v.message for v in result.verdicts]
    assert not result.conflicts
    kinds = {(c.township_code, c.sheet, c.kind) for c in result.changes if c.uuid == moved_uuid}
    assert kinds == {(t.codes["A"], "贫困户", "新增"), (t.codes["C"], "贫困户", "删除")}
    with county_db.session() as s:
        assert s.scalar(select(Household.household_number).where(Household.uuid == moved_uuid)).endswith("8888")
    assert result.reconciliation.ok, result.reconciliation.failures()


def test_unusable_files_are_named_and_change_nothing(townships, county_db, tmp_path: Path) -> None:
    t = townships
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a workbook at all")
    no_seq = tmp_path / "no-seq.xlsx"
    wb = load_workbook(t.files["A"])
    for row in wb["说明"].iter_rows():
        if row[0].value == "导出序号":
            row[1].value = None
    wb.save(no_seq)
    county_file = tmp_path / "county.xlsx"
    consolidate(county_db, files(t, "A", "B"), out=county_file)
    before = dump(county_db)
    result = consolidate(county_db, [garbage, no_seq, county_file])
    by_name = {v.path.name: v for v in result.verdicts}
    assert by_name["garbage.xlsx"].status == "refused" and "garbage.xlsx" in by_name["garbage.xlsx"].message
    assert by_name["no-seq.xlsx"].status == "no_sequence"
    assert by_name["county.xlsx"].status == "not_township" and "2 个乡镇" in by_name["county.xlsx"].message
    assert all(v.held_back for v in result.verdicts) and not result.ok
    assert {k: x for k, x in dump(county_db).items() if k != "exchange_log"} == \
        {k: x for k, x in before.items() if k != "exchange_log"}


def test_file_of_another_county_and_superseded_file(townships, county_db, tmp_path: Path) -> None:
    from desktop.core.demo import DemoOptions, generate

    t = townships
    other = tmp_path / "other.sqlite3"
    db = open_database(other)
    with db.session() as s:
        generate(s, DemoOptions(households=3, seed=5, township_code="411721100000", township_name="西平镇",
                                county_code="411721", county_name="西平县"))
    db.dispose()
    other_file = export(other, tmp_path / "西平.xlsx")
    a_copy = tmp_path / "A.sqlite3"
    shutil.copyfile(t.dbs["A"], a_copy)
    second = export(a_copy, tmp_path / "A-again.xlsx")  # sequence 2, same data
    result = consolidate(county_db, [t.files["A"], other_file, second])
    by_name = {v.path.name: v for v in result.verdicts}
    assert by_name["西平.xlsx"].status == "other_county"
    assert by_name["A-1.xlsx"].status == "superseded" and "A-again.xlsx" in by_name["A-1.xlsx"].message
    assert by_name["A-again.xlsx"].status == "first"


def test_file_with_errors_is_held_back(townships, county_db, tmp_path: Path) -> None:
    bad = tmp_path / "B-bad.xlsx"
    wb = load_workbook(townships.files["B"])
    ws = wb["家庭成员"]
    col = [c.value for c in ws[1]].index("出生日期") + 1
    ws.cell(row=3, column=col).value = "去年"
    wb.save(bad)
    result = consolidate(county_db, [bad, townships.files["A"]])
    v = result.verdicts[0]
    assert v.status == "errors" and v.error_count == 1 and v.problems[0].row == 3
    assert result.verdicts[1].status == "first"


def test_township_database_is_refused_and_dry_run_and_cancel_change_nothing(townships, county_db, tmp_path: Path) -> None:
    town = tmp_path / "town.sqlite3"
    shutil.copyfile(townships.dbs["A"], town)
    db = open_database(town)
    with pytest.raises(ConsolidationError, match="乡镇“泌水镇”"):
        consolidate(db, [townships.files["B"]])
    db.dispose()
    before = dump(county_db)
    dry = consolidate(county_db, files(townships, "A", "B", "C"), dry_run=True, out=tmp_path / "x.xlsx")
    assert dry.dry_run and [v.status for v in dry.verdicts] == ["first"] * 3 and len(dry.problems) == 8
    assert not (tmp_path / "x.xlsx").exists()
    assert dump(county_db) == before
    seen = []

    def cancel_midway(done: int, total: int, text: str) -> None:
        seen.append(text)
        if "羊册镇" in text:
            progress.cancel()

    progress = Progress(on_update=cancel_midway)
    with pytest.raises(Cancelled):
        consolidate(county_db, files(townships, "A", "B", "C"), progress=progress)
    assert dump(county_db) == before
    with pytest.raises(ConsolidationError, match=r"\.xlsx"):
        consolidate(county_db, [townships.files["A"]], out=tmp_path / "x.csv")

