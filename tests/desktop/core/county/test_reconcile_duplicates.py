"""The reconciliation catches a county workbook that lost or gained a row; names by pinyin."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop.core.county import reconcile
from desktop.core.county.consolidate import consolidate
from desktop.core.county.duplicates import SAME_NAME, SAME_SOUND, SIMILAR_SOUND, name_keys, similarity


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("刘伟", "刘伟", SAME_NAME),
    ("刘伟", "刘 伟", SAME_NAME),
    ("刘伟", "刘玮", SAME_SOUND),
    ("王丽", "汪莉", SAME_SOUND),
    ("陈晓玲", "程小林", SIMILAR_SOUND),  # chen/cheng, ling/lin
    ("张三", "章山", SIMILAR_SOUND),  # zhang/zhang, san/shan
    ("李娜", "李拉", SIMILAR_SOUND),  # na/la
    ("张三", "李四", None),
    ("刘伟", "刘伟华", None),
    ("", "刘伟", None),
])
def test_similarity_by_pinyin(a: str, b: str, expected: str | None) -> None:
    assert similarity(a, b) == expected
    assert similarity(b, a) == expected


def test_surname_reading() -> None:
    assert name_keys("曾国藩")[0] == "zeng-guo-fan"  # the surname reading, not ceng
    assert name_keys("单田芳")[0].startswith("shan-")


def test_reconciliation_detects_a_lost_and_an_orphan_row(townships, county_db, tmp_path: Path) -> None:
    out = tmp_path / "county.xlsx"
    result = consolidate(county_db, [townships.files["A"], townships.files["B"]], out=out)
    assert result.reconciliation.ok
    with county_db.session() as s:
        snap = reconcile.snapshot(s)
    wb = load_workbook(out)
    ws = wb["家庭成员"]
    hh_col = [c.value for c in ws[1]].index("户UUID") + 1
    lost_household = ws.cell(row=2, column=hh_col).value
    ws.delete_rows(2)  # one member lost
    ws.cell(row=3, column=hh_col).value = "00000000-0000-4000-8000-000000000000"  # one member of no township
    tampered = tmp_path / "tampered.xlsx"
    wb.save(tampered)
    written = reconcile.read_workbook(tampered)
    rec = reconcile.build(result.verdicts, snap, written)
    assert not rec.ok
    bad = [r for r in rec.rows if not r.ok]
    assert {r.sheet for r in bad} == {"家庭成员"}
    assert all(r.db_rows == r.accepted == r.read_rows and r.workbook_rows < r.db_rows for r in bad)
    total = next(t for t in rec.totals if t.sheet == "家庭成员")
    assert not total.ok and total.unassigned == 1 and total.workbook_read == total.county_db - 1
    assert any("家庭成员" in line for line in rec.failures())
    assert lost_household
