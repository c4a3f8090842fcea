"""Reconciliation (对账): prove that no row was lost or counted twice.

Per township and sheet (the 12 entity sheets and the 花名册):

    rows in the file (its 说明) = rows read from the file = rows accepted
        = rows of the township in the county database = rows of the township in the county workbook

The county workbook is read back with python-calamine (independently of how it was written) and each
row is given its township by following the references (行政村 → 乡镇UUID, 贫困户 → 行政村UUID, child
sheets → 户UUID, 花名册 → 户UUID). Then the county totals: for every sheet, the sum of the townships'
rows = the rows of the whole table (counted without joins, so a row of no township shows) = the county
workbook's 说明 = the rows read back; and key figures (villages, households, current people, funds of
help measures) per township against the same figures computed for the whole county in one query.

A township whose file was not taken this time (older, identical, held back, or no file) keeps its rows
from the previous round: for it the check is county database = county workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import python_calamine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import MEMBER_STATUS_REMOVED, Household, Measure, Member, Township, Village
from desktop.core.county import scope
from desktop.core.county.scope import ROSTER_KEY
from desktop.core.exchange import format as fmt
from desktop.core.exchange.importer import read_manifest

# (key, title) in workbook order, the roster last
SHEETS: tuple[tuple[str, str], ...] = tuple((s.key, s.title) for s in fmt.sheets()) + ((ROSTER_KEY, fmt.ROSTER_SHEET),)
FIGURES = ("行政村数", "贫困户数", "在册人数", "帮扶措施资金(元)")


@dataclass
class Snapshot:
    """What the county database holds, counted inside the consolidation's transaction."""

    counts: dict[tuple[str, str], int]  # (township code, sheet key) -> rows
    totals: dict[str, int]  # sheet key -> rows of the whole table
    names: dict[str, str]  # township code -> name
    figures: dict[str, dict[str, Any]]  # township code -> figure -> value
    county_figures: dict[str, Any]  # figure -> value for the whole county (one query each)


@dataclass
class Written:
    """The county workbook as read back."""

    path: Path
    counts: dict[tuple[str, str], int]  # (township code, sheet key) -> rows
    totals: dict[str, int]  # sheet key -> rows read
    manifest_rows: dict[str, int]  # sheet title -> rows per its 说明
    unassigned: dict[str, int]  # sheet key -> rows whose township could not be found


@dataclass
class ReconRow:
    township_code: str
    township_name: str
    sheet: str  # title
    file_rows: int | None  # per the file's 说明
    read_rows: int | None  # read from the file
    accepted: int | None  # rows of the file the county database now holds
    db_rows: int
    workbook_rows: int | None
    basis: str  # 本次采用 / 与上次相同 / 沿用县库数据
    ok: bool
    note: str = ""


@dataclass
class TotalRow:
    sheet: str
    townships_sum: int
    county_db: int
    workbook_manifest: int | None
    workbook_read: int | None
    unassigned: int = 0
    ok: bool = True


@dataclass
class FigureRow:
    township_code: str  # "合计" for the county row
    township_name: str
    values: dict[str, Any]


@dataclass
class Reconciliation:
    rows: list[ReconRow] = field(default_factory=list)
    totals: list[TotalRow] = field(default_factory=list)
    figures: list[FigureRow] = field(default_factory=list)
    figures_ok: dict[str, bool] = field(default_factory=dict)
    workbook: Path | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows) and all(t.ok for t in self.totals) and all(self.figures_ok.values())

    def failures(self) -> list[str]:
        out = [f"{r.township_name} {r.sheet}：{r.note or '行数不一致'}" for r in self.rows if not r.ok]
        out += [f"县合计 {t.sheet}：各乡镇之和 {t.townships_sum}，县库 {t.county_db}，县汇总表说明 {t.workbook_manifest}，"
                f"读回 {t.workbook_read}" for t in self.totals if not t.ok]
        out += [f"县合计 {k} 不等于各乡镇之和" for k, ok in self.figures_ok.items() if not ok]
        return out


# ----------------------------------------------------------------------------- the database

def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def snapshot(session: Session) -> Snapshot:
    counts: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    for key, _title in SHEETS:
        for code, n in scope.counts_by_township(session, key).items():
            counts[(code, key)] = n
        totals[key] = scope.table_total(session, key)
    names = dict(session.execute(select(Township.code, Township.name)).all())
    figures: dict[str, dict[str, Any]] = {code: dict.fromkeys(FIGURES, 0) for code in names}
    figures_q = {
        "行政村数": select(Township.code, func.count(Village.id)).join(Village, Village.township_id == Township.id)
        .group_by(Township.code),
        "贫困户数": select(Township.code, func.count(Household.id)).join(Village, Village.township_id == Township.id)
        .join(Household, Household.village_id == Village.id).group_by(Township.code),
        "在册人数": select(Township.code, func.count(Member.id)).join(Village, Village.township_id == Township.id)
        .join(Household, Household.village_id == Village.id).join(Member, Member.household_id == Household.id)
        .where(Member.status != MEMBER_STATUS_REMOVED).group_by(Township.code),
        "帮扶措施资金(元)": select(Township.code, func.sum(Measure.amount)).join(Village, Village.township_id == Township.id)
        .join(Household, Household.village_id == Village.id).join(Measure, Measure.household_id == Household.id)
        .group_by(Township.code),
    }
    for name, q in figures_q.items():
        for code, value in session.execute(q):
            figures[code][name] = _money(value) if name.endswith("(元)") else int(value or 0)
    for values in figures.values():
        values["帮扶措施资金(元)"] = _money(values["帮扶措施资金(元)"])
    county = {
        "行政村数": int(session.scalar(select(func.count()).select_from(Village)) or 0),
        "贫困户数": int(session.scalar(select(func.count()).select_from(Household)) or 0),
        "在册人数": int(session.scalar(select(func.count()).select_from(Member)
                                    .where(Member.status != MEMBER_STATUS_REMOVED)) or 0),
        "帮扶措施资金(元)": _money(session.scalar(select(func.sum(Measure.amount)))),
    }
    return Snapshot(counts, totals, names, figures, county)


# ----------------------------------------------------------------------------- the county workbook

def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def read_workbook(path: str | Path) -> Written:
    """Count the county workbook's rows per township and sheet, following its references."""
    path = Path(path)
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        manifest = read_manifest(wb, path)
        counts: dict[tuple[str, str], int] = {}
        totals: dict[str, int] = {}
        unassigned: dict[str, int] = {}
        town_code: dict[str, str] = {}  # township uuid -> code
        village_town: dict[str, str] = {}  # village uuid -> code
        household_town: dict[str, str] = {}  # household uuid -> code

        def rows(title: str, *headers: str) -> Any:
            it = wb.get_sheet_by_name(title).iter_rows()
            try:
                header = [str(h).strip() for h in next(it)]
            except StopIteration:
                return
            idx = [header.index(h) for h in headers]
            for row in it:
                if not any(v not in ("", None) for v in row):
                    continue
                yield [_cell(row[i]) if i < len(row) else "" for i in idx]

        def count(key: str, code: str | None) -> None:
            totals[key] = totals.get(key, 0) + 1
            if code is None:
                unassigned[key] = unassigned.get(key, 0) + 1
            else:
                counts[(code, key)] = counts.get((code, key), 0) + 1

        for key, title in SHEETS:
            totals.setdefault(key, 0)
            if key == "townships":
                for uid, code in rows(title, "UUID", "乡镇代码"):
                    town_code[uid] = code
                    count(key, code)
            elif key in ("villages", "helpers"):
                for uid, town in rows(title, "UUID", "乡镇UUID"):
                    code = town_code.get(town)
                    if key == "villages":
                        village_town[uid] = code
                    count(key, code)
            elif key == "groups":
                for _uid, village in rows(title, "UUID", "行政村UUID"):
                    count(key, village_town.get(village))
            elif key == "households":
                for uid, village in rows(title, "UUID", "行政村UUID"):
                    code = village_town.get(village)
                    household_town[uid] = code
                    count(key, code)
            else:
                for (hh,) in rows(title, "户UUID"):
                    count(key, household_town.get(hh))
        return Written(path, counts, totals, dict(manifest.row_counts), unassigned)
    finally:
        wb.close()


# ----------------------------------------------------------------------------- the table

def _deciding(verdicts: list[Any]) -> dict[str, Any]:
    """Per township the file that decides its rows: the taken one, else identical, else any."""
    rank = {"first": 0, "newer": 0, "identical": 1}
    best: dict[str, Any] = {}
    for v in verdicts:
        code = v.township_code
        if not code:
            continue
        if code not in best or rank.get(v.status, 9) < rank.get(best[code].status, 9):
            best[code] = v
    return best


def build(verdicts: list[Any], snap: Snapshot, written: Written | None) -> Reconciliation:
    rec = Reconciliation(workbook=written.path if written else None)
    deciding = _deciding(verdicts)
    codes = sorted(set(snap.names) | {c for c, v in deciding.items() if v.taken or v.status == "identical"})
    for code in codes:
        v = deciding.get(code)
        name = snap.names.get(code) or (v.township_name if v else code)
        for key, title in SHEETS:
            db_rows = snap.counts.get((code, key), 0)
            wb_rows = written.counts.get((code, key), 0) if written else None
            file_rows = v.manifest_rows.get(title) if v else None
            read_rows = v.read_rows.get(title) if v and v.read_rows else None
            accepted = None
            notes = []
            if v is not None and v.taken:
                basis = "本次采用"
                if key != ROSTER_KEY:
                    c = v.counts.get(title, {})
                    accepted = c.get("新增", 0) + c.get("修改", 0) + c.get("不变", 0)
                    expected = [file_rows, read_rows, accepted, db_rows]
                else:
                    expected = [file_rows, db_rows]
                kept = sum(1 for k in v.kept if k.startswith(f"{title} "))
                if kept:
                    notes.append(f"其中 {kept} 条文件中已没有、仍被引用而未删除的记录")
            elif v is not None and v.status == "identical":
                basis = "与上次相同"
                expected = [file_rows, db_rows]
            else:
                basis = "沿用县库数据"
                expected = [db_rows]
                if v is not None:
                    notes.append(f"文件未采用：{v.label}")
            if wb_rows is not None:
                expected.append(wb_rows)
            values = [x for x in expected if x is not None]
            ok = len(set(values)) <= 1 and (v is None or not v.taken or None not in expected)
            if not ok and not notes:
                notes.append("行数不一致")
            rec.rows.append(ReconRow(code, name, title, file_rows, read_rows, accepted, db_rows, wb_rows, basis, ok,
                                     "；".join(notes)))
    for key, title in SHEETS:
        townships_sum = sum(n for (c, k), n in snap.counts.items() if k == key)
        county_db = snap.totals.get(key, 0)
        wm = written.manifest_rows.get(title) if written else None
        wr = written.totals.get(key) if written else None
        un = written.unassigned.get(key, 0) if written else 0
        values = [townships_sum, county_db] + [x for x in (wm, wr) if x is not None]
        rec.totals.append(TotalRow(title, townships_sum, county_db, wm, wr, un, len(set(values)) == 1 and un == 0))
    total_values: dict[str, Any] = {}
    for code in sorted(snap.names):
        values = snap.figures.get(code, {})
        rec.figures.append(FigureRow(code, snap.names[code], dict(values)))
        for k in FIGURES:
            total_values[k] = total_values.get(k, 0) + values.get(k, 0)
    rec.figures.append(FigureRow("合计", "各乡镇之和", total_values))
    rec.figures.append(FigureRow("县", "全县（直接统计）", dict(snap.county_figures)))
    rec.figures_ok = {k: total_values.get(k, 0) == snap.county_figures.get(k, 0) for k in FIGURES}
    return rec
