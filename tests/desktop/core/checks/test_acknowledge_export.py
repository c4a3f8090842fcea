"""Acknowledging warnings (kept and shown in history) and the problems workbook."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from db.models import AuditLog, CheckAcknowledgement
from desktop.core.checks import demo_faults as faults
from desktop.core.checks import run_checks
from desktop.core.checks.acknowledge import AcknowledgeError, acknowledge, history, revoke
from desktop.core.checks.export import ExportError, write_workbook
from desktop.core.households import history as household_history


@pytest.fixture
def db(demo_db):
    with demo_db.session() as session:
        faults.plant_all(session, 2017, rules=["PLA10", "ID04", "HLP04"])
    return demo_db


def _problems(db) -> dict:
    with db.session() as s:
        return {p.rule_id: p for p in run_checks(s)}


def test_acknowledge_a_warning_then_revoke(db) -> None:
    warning = _problems(db)["PLA10"]
    with db.session() as s:
        acknowledge(s, warning, "  该户使用座机号码，已电话核实  ", operator="clerk1")
    again = _problems(db)["PLA10"]
    assert again.acknowledged
    with db.session() as s:
        records = history(s, household_uuid=warning.household_uuid)
        assert [(r.rule_id, r.note, r.operator, r.revoked) for r in records] == [
            ("PLA10", "该户使用座机号码，已电话核实", "clerk1", False)]
        # it shows in the household's history too
        entries = household_history(s, warning.household_uuid)
        assert any(e.action == "核实" and e.note == "该户使用座机号码，已电话核实" and "PLA10" in e.field
                   for e in entries)
        with pytest.raises(AcknowledgeError, match="已经标记"):
            acknowledge(s, again, "再次核实")
    with db.session() as s:
        assert revoke(s, "PLA10", warning.entity_uuid, operator="clerk2", note="号码已更正") == 1
    assert not _problems(db)["PLA10"].acknowledged
    with db.session() as s:
        records = history(s, rule_id="PLA10")
        assert len(records) == 1 and records[0].revoked
        actions = [a for (a,) in s.query(AuditLog.action).filter(AuditLog.household_uuid == warning.household_uuid)]
        assert {"核实", "撤销核实"} <= set(actions)


def test_errors_and_empty_notes_are_refused(db) -> None:
    problems = _problems(db)
    with db.session() as s:
        with pytest.raises(AcknowledgeError, match="是错误"):
            acknowledge(s, problems["ID04"], "看过了")
        with pytest.raises(AcknowledgeError, match="核实说明"):
            acknowledge(s, problems["PLA10"], "   ")
    with db.session() as s:
        assert s.query(CheckAcknowledgement).count() == 0


def test_helper_warning_can_be_acknowledged(db) -> None:
    helper = _problems(db)["HLP04"]
    assert helper.household_uuid is None
    with db.session() as s:
        acknowledge(s, helper, "分机号，已核实")
    assert _problems(db)["HLP04"].acknowledged


def test_workbook_round_trip(db, tmp_path: Path) -> None:
    problems = list(_problems(db).values())
    out = write_workbook(problems, tmp_path / "问题清单.xlsx", year=2017, source="demo")
    book = CalamineWorkbook.from_path(str(out))
    rows = book.get_sheet_by_name("问题清单").to_python()
    assert len(rows) == 4
    by_rule = {r[2]: r for r in rows[1:]}
    p = next(x for x in problems if x.rule_id == "ID04")
    row = by_rule["ID04"]
    assert row[1] == "错误" and row[6] == p.household_number and row[8] == p.member_name and row[9] == "证件号码"
    assert row[13] == p.value and len(row[13]) == 18  # the ID number stays text, all 18 characters
    assert not list(tmp_path.glob(".问题清单-*"))  # no temp file left behind


def test_workbook_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="不存在"):
        write_workbook([], tmp_path / "nope" / "a.xlsx")
    with pytest.raises(ExportError, match=".xlsx"):
        write_workbook([], tmp_path / "a.csv")
