"""Legacy 花名册 import by column mapping."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from db.models import AuditLog, Household, Member, Setting, Village
from desktop.core.exchange.errors import ImportRejected
from desktop.core.exchange.legacy import (
    MAPPINGS_KEY,
    apply_legacy,
    plan_legacy,
    read_table,
    remember_mapping,
    suggest_mapping,
)
from desktop.core.idnumber import check_char


def ident(body17: str) -> str:
    return body17 + check_char(body17)


def roster(path: Path, village: str, rows: list[list]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["泌水镇贫困人口花名册"])  # a title row above the headers, as clerks do
    ws.append(["序号", "村", "组", "户号", "姓名", "性别", "身份证号", "家庭关系", "出生年月", "健康情况", "贫困户类型",
               "微信"])
    for r in rows:
        ws.append([r[0], village, *r[1:]])
    for row in ws.iter_rows(min_row=3):
        row[6].data_type = "s"
    wb.save(path)
    return path


def people(n_households: int) -> list[list]:
    rows = []
    seq = 1
    for h in range(n_households):
        number = f"LEG{h:04d}"
        rows.append([seq, "一组", number, f"赵{h}甲", "男", ident(f"41172619600101{h:03d}"[:17]), "户主",
                     date(1960, 1, 1), "健康", "一般贫困户", "wx"])
        seq += 1
        rows.append([seq, "一组", number, f"钱{h}乙", "女", None, "配偶", date(1962, 5, 1), "长期慢性病", None, None])
        seq += 1
    return rows


def test_headers_found_and_mapped(tiny_db, tmp_path: Path) -> None:
    with tiny_db.session() as s:
        village = s.scalar(select(Village.name))
    t = read_table(roster(tmp_path / "r.xlsx", village, people(2)))
    assert t.header_row == 2 and t.sheet == "花名册" and len(t.rows) == 4
    mapping = suggest_mapping(None, t)
    named = {t.headers[i]: k for i, k in mapping.items()}
    assert named["身份证号"] == "m.id_number" and named["家庭关系"] == "m.relation"
    assert named["村"] == "village" and named["组"] == "group" and named["户号"] == "hh.household_number"
    assert named["贫困户类型"] == "hh.attribute" and named["微信"] == ""


def test_import_new_households_then_again_unchanged(tiny_db, tmp_path: Path) -> None:
    with tiny_db.session() as s:
        village = s.scalar(select(Village.name))
        before = s.scalar(select(func.count()).select_from(Household))
    t = read_table(roster(tmp_path / "r.xlsx", village, people(3)))
    with tiny_db.session() as s:
        plan = plan_legacy(s, t, suggest_mapping(s, t))
        assert not plan.has_errors, [p.text() for p in plan.problems]
        assert (plan.new_households, plan.new_members) == (3, 6)
        apply_legacy(s, plan, operator="录入员")
    with tiny_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == before + 3
        hh = s.scalar(select(Household).where(Household.household_number == "LEG0001"))
        assert hh.attribute == "一般贫困户" and len(hh.members) == 2 and hh.head.name == "赵1甲"
        assert hh.group is not None and hh.group.name == "一组"
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "create",
                                                                         AuditLog.operator == "录入员")) >= 9
        assert s.get(Setting, MAPPINGS_KEY) is not None
    with tiny_db.session() as s:
        plan = plan_legacy(s, t, suggest_mapping(s, t))
        assert plan.new_households == 0 and plan.matched_households == 3
        assert plan.unchanged_members == 3 and plan.new_members == 3  # spouses have no ID number


def test_remembered_mapping_wins(tiny_db, tmp_path: Path) -> None:
    with tiny_db.session() as s:
        village = s.scalar(select(Village.name))
    t = read_table(roster(tmp_path / "r.xlsx", village, people(1)))
    with tiny_db.session() as s:
        mapping = suggest_mapping(s, t)
        wechat = t.headers.index("微信")
        mapping[wechat] = "m.phone"
        remember_mapping(s, t, mapping)
    with tiny_db.session() as s:
        assert suggest_mapping(s, t)[wechat] == "m.phone"


def test_bad_cells_are_reported_and_nothing_written(tiny_db, tmp_path: Path, table_dump) -> None:
    rows = people(2)
    rows[0][5] = "411726196001010000"  # damaged by Excel
    rows[1][4] = "不详的性别"
    rows[2][1] = "九十九组"
    t = read_table(roster(tmp_path / "r.xlsx", "不存在村", rows))
    before = table_dump(tiny_db)
    with tiny_db.session() as s:
        plan = plan_legacy(s, t, suggest_mapping(s, t))
        codes = {p.code for p in plan.errors}
        assert {"excel_corrupted", "unknown_label", "village"} <= codes
        with pytest.raises(ImportRejected):
            apply_legacy(s, plan)
    assert table_dump(tiny_db) == before
    p = next(p for p in plan.errors if p.code == "excel_corrupted")
    assert (p.row, p.column) == (3, "身份证号")


def test_name_column_must_be_mapped(tiny_db, tmp_path: Path) -> None:
    with tiny_db.session() as s:
        village = s.scalar(select(Village.name))
    t = read_table(roster(tmp_path / "r.xlsx", village, people(1)))
    with tiny_db.session() as s:
        mapping = {i: ("" if k == "m.name" else k) for i, k in suggest_mapping(s, t).items()}
        plan = plan_legacy(s, t, mapping)
    assert plan.has_errors and "姓名" in plan.errors[0].message


def test_our_own_roster_sheet_maps_itself(tiny_db, tiny_workbook: Path) -> None:
    t = read_table(tiny_workbook)  # picks the 花名册 sheet
    assert t.sheet == "花名册" and t.header_row == 1
    with tiny_db.session() as s:
        mapping = suggest_mapping(s, t)
        plan = plan_legacy(s, t, mapping)
        assert not plan.has_errors, [p.text() for p in plan.errors[:5]]
        with_ids = s.scalar(select(func.count()).select_from(Member).where(Member.id_number.is_not(None)))
        assert plan.new_households == 0 and plan.unchanged_members == with_ids
