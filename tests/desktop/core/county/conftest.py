"""Three township databases made with the demo generator, with planted duplicates, exported once.

``townships`` (session scope) gives the township databases (copy before writing), their round-1
workbooks and ``planted``: the UUIDs of every planted problem, so a test can check that the
consolidation finds exactly these and nothing else. Round 2 (``round2``) is township B re-exported
after a known list of edits.
"""

from __future__ import annotations

import shutil
import uuid as uuid_mod
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Helper, Household, IncomeRecord, Measure, Member, Township, Village, Visit
from db.session import open_database

HOUSEHOLDS = 40
TOWNS = (
    ("A", "411726100000", "泌水镇", 21),
    ("B", "411726101000", "羊册镇", 22),
    ("C", "411726200000", "花园乡", 23),
)


@dataclass
class Towns:
    folder: Path
    dbs: dict[str, Path]  # letter -> township database (read only: copy it)
    files: dict[str, Path]  # letter -> round-1 workbook
    codes: dict[str, str]
    planted: dict[str, object] = field(default_factory=dict)


def _members(session, *, heads: bool = False, exclude: set[str] | None = None) -> list[Member]:
    q = select(Member).join(Household).order_by(Household.household_number, Member.seq)
    rows = [m for m in session.scalars(q) if m.status != "自然减少" and (m.relation == "户主") == heads]
    taken_households = set()
    out = []
    for m in rows:  # one per household, so plants never share a household
        if m.household_id in taken_households or (exclude and m.household.uuid in exclude):
            continue
        taken_households.add(m.household_id)
        out.append(m)
    return out


def export(db_path: Path, out: Path) -> Path:
    from desktop.core.exchange.export import ExportOptions, export_database

    db = open_database(db_path)
    try:
        export_database(db, out, ExportOptions(run_checks=False))
    finally:
        db.dispose()
    return out


def _new_uuid() -> str:
    return str(uuid_mod.uuid4())


@pytest.fixture(scope="session")
def townships(tmp_path_factory: pytest.TempPathFactory) -> Towns:
    from desktop.core.demo import DemoOptions, generate

    folder = tmp_path_factory.mktemp("county")
    towns = Towns(folder, {}, {}, {letter: code for letter, code, _n, _s in TOWNS})
    for letter, code, name, seed in TOWNS:
        path = folder / f"{letter}.sqlite3"
        db = open_database(path)
        with db.session() as s:
            generate(s, DemoOptions(households=HOUSEHOLDS, seed=seed, township_code=code, township_name=name))
        db.dispose()
        towns.dbs[letter] = path
    dbs = {letter: open_database(p) for letter, p in towns.dbs.items()}
    p = towns.planted
    with dbs["A"].session() as sa, dbs["B"].session() as sb, dbs["C"].session() as sc:
        a, b, c = _members(sa), _members(sb), _members(sc)
        c_heads = _members(sc, heads=True)
        # CTY01 across townships: B's member gets A's member's ID number
        b[0].id_number = a[0].id_number
        p["cty01_cross"] = {a[0].uuid, b[0].uuid}
        # CTY01 within township A
        a[1].id_number = a[2].id_number
        p["cty01_within"] = {a[1].uuid, a[2].uuid}
        # CTY02: a household of A entered again in C (new UUIDs, same people)
        src = next(h for h in sa.scalars(select(Household).order_by(Household.household_number))
                   if len(h.current_members) >= 2 and h.id not in {m.household_id for m in a[:12]})
        village = sc.scalars(select(Village).order_by(Village.code)).first()
        copy = Household(uuid=_new_uuid(), village_id=village.id, household_number=f"{village.code[6:12]}9999",
                         address=src.address, household_size=src.household_size, attribute=src.attribute,
                         main_cause=src.main_cause, exit_status=src.exit_status, identification_year=src.identification_year)
        for m in src.members:
            copy.members.append(Member(uuid=_new_uuid(), seq=m.seq, name=m.name, sex=m.sex, id_type=m.id_type,
                                       id_number=m.id_number, birth_date=m.birth_date, relation=m.relation,
                                       status=m.status))
        sc.add(copy)
        sc.flush()
        p["cty02"] = {src.uuid, copy.uuid}
        # CTY03: a helper of B has the ID number of a head of household in C
        helper = sb.scalars(select(Helper).order_by(Helper.id)).first()
        helper.id_number = c_heads[0].id_number
        p["cty03"] = (helper.uuid, c_heads[0].uuid)
        # CTY04 likely duplicates (same birth date, name alike by pinyin, different ID numbers)
        born = [date(1971, 3, 9), date(1966, 11, 20), date(1980, 5, 1), date(1958, 8, 8)]
        a[3].name, c[1].name = "刘玮", "刘伟"  # 同音
        a[3].birth_date = c[1].birth_date = born[0]
        b[1].name, c[2].name = "赵敏", "赵敏"  # 同名
        b[1].birth_date = c[2].birth_date = born[1]
        a[4].name, b[2].name = "陈晓玲", "程小林"  # 近音 (chen/cheng, ling/lin)
        a[4].birth_date = b[2].birth_date = born[2]
        a[5].name, b[3].name = "王丽", "汪莉"  # 同音; the pair the reviewer marks "not a duplicate"
        a[5].birth_date = b[3].birth_date = born[3]
        p["cty04"] = {
            frozenset({a[3].uuid, c[1].uuid}): "姓名同音",
            frozenset({b[1].uuid, c[2].uuid}): "姓名相同",
            frozenset({a[4].uuid, b[2].uuid}): "姓名近音",
            frozenset({a[5].uuid, b[3].uuid}): "姓名同音",
        }
        p["dismiss"] = (a[5].uuid, b[3].uuid)
        # members of B kept free for the round-2 edits
        p["b_free"] = [m.uuid for m in b[6:16]]
        p["a_household"] = a[6].household.uuid  # used by the conflict tests
        p["b_member"] = b[16].uuid
    for db in dbs.values():
        db.dispose()
    for letter in towns.dbs:
        towns.files[letter] = export(towns.dbs[letter], folder / f"{letter}-1.xlsx")
    return towns


@dataclass
class Round2:
    file: Path  # B re-exported (sequence 2)
    db: Path  # B's database after the edits
    expected: set[tuple]  # (sheet, kind, uuid, column, old, new)


@pytest.fixture(scope="session")
def round2(townships: Towns) -> Round2:
    """Township B after known edits, re-exported with sequence 2."""
    from desktop.core.exchange import format as fmt

    folder = townships.folder / "round2"
    folder.mkdir()
    path = folder / "B.sqlite3"
    shutil.copyfile(townships.dbs["B"], path)
    db = open_database(path)
    expected: set[tuple] = set()
    free = townships.planted["b_free"]
    with db.session() as s:
        s.info["operator"] = "羊册镇"
        m1 = s.scalar(select(Member).where(Member.uuid == free[0]))
        expected.add(("家庭成员", "修改", m1.uuid, "姓名", m1.name, "郑国强"))
        m1.name = "郑国强"
        hh = s.scalar(select(Household).where(Household.uuid == s.scalar(
            select(Household.uuid).join(Member).where(Member.uuid == free[1]))))
        expected.add(("贫困户", "修改", hh.uuid, "联系电话", hh.phone, "13900000000"))
        hh.phone = "13900000000"
        m2 = s.scalar(select(Member).where(Member.uuid == free[2]))
        for header, attr, new in (("成员状态", "status", "自然减少"), ("变动原因", "change_reason", "死亡"),
                                  ("变动日期", "change_date", date(2017, 6, 1))):
            expected.add(("家庭成员", "修改", m2.uuid, header, getattr(m2, attr), new))
            setattr(m2, attr, new)
        income = s.scalars(select(IncomeRecord).join(Household).join(Member)
                           .where(Member.uuid == free[3]).order_by(IncomeRecord.year)).first()
        new_wage = fmt.to_decimal((income.wage or Decimal(0)) + Decimal("100.50"))
        expected.add(("收入情况", "修改", income.uuid, "工资性收入", fmt.to_decimal(income.wage) if income.wage is not None
                      else None, new_wage))
        income.wage = new_wage
        hh4 = s.scalar(select(Household).join(Member).where(Member.uuid == free[4]))
        visit = Visit(uuid=_new_uuid(), household_id=hh4.id, visited_on=date(2017, 12, 1), visitor="县扶贫办",
                      content="复核走访")
        s.add(visit)
        expected.add(("走访记录", "新增", visit.uuid, None, None, None))
        measure = s.scalars(select(Measure).join(Household).join(Member).where(Member.uuid.in_(free[5:]))
                            .order_by(Measure.id)).first()
        expected.add(("帮扶措施", "删除", measure.uuid, None, None, None))
        s.delete(measure)
    db.dispose()
    out = export(path, folder / "B-2.xlsx")
    return Round2(out, path, expected)


@pytest.fixture
def county_db(new_database):
    """An empty county database on this test's backend (the township inputs are workbooks)."""
    return new_database(name="county")


def township_code_of_household(session, household_uuid: str) -> str:
    return session.scalar(select(Township.code).join(Village, Village.township_id == Township.id)
                          .join(Household, Household.village_id == Village.id).where(Household.uuid == household_uuid))
