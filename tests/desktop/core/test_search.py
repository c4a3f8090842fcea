"""SQL search over the household search key, filters, sorting, paging and the region tree."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text, update

from db.dialects import for_dialect
from db.models import Assignment, Household, Member, Village, VillageGroup
from desktop.core import households, search
from desktop.core.search import NO_GROUP, Filters


def _add(db, village_id: int, names: list[tuple[str, str, str, str | None]], *, number: str, phone: str | None = None,
         **fields) -> str:
    """A household with members (name, relation, sex, id_number) saved through the card layer."""
    card = households.new_card(village_id=village_id)
    card.household.update(household_number=number, phone=phone, main_cause="因病", **fields)
    for name, relation, sex, id_number in names:
        card.members.append(households.new_row("members", name=name, relation=relation, sex=sex, id_number=id_number))
    with db.session() as s:
        households.save_card(s, card, operator="测试")
    return card.uuid


@pytest.fixture
def small(database):
    """An empty database with one township, two villages and a few households."""
    from desktop.core.demo import DemoOptions, generate

    with database.session() as s:
        generate(s, DemoOptions(households=6, seed=3))
        village_ids = list(s.scalars(select(Village.id).order_by(Village.code)))
    v = village_ids[0]
    uuids = {
        "zhangsan": _add(database, v, [("张三", "户主", "男", "11010519491231002X"), ("王芳", "配偶", "女", None)],
                         number="9990000001", phone="13912345678"),
        "lisi": _add(database, v, [("李四", "户主", "男", None)], number="9990000002"),
        "shan": _add(database, v, [("单田芳", "户主", "男", None)], number="9990000003"),
        "percent": _add(database, v, [("赵_六", "户主", "男", None)], number="99%00004"),
    }
    return database, uuids


def _found(db, **filters) -> set[str]:
    with db.session() as s:
        ids = search.match_ids(s, Filters(**filters))
        return set(search.uuids_of(s, ids).values())


def test_like_patterns_normalise_and_escape() -> None:
    assert search.like_patterns(" ZS ") == ["%zs%"]
    assert search.like_patterns("ｚｓ") == ["%zs%"]  # full-width letters
    assert search.like_patterns("xi'an") == ["%xian%"]
    assert search.like_patterns("lü") == ["%lv%"]
    assert search.like_patterns("100%_x") == ["%100\\%\\_x%"]
    assert search.like_patterns("张 13912") == ["%张%", "%13912%"]
    assert search.like_patterns("   ") == []


def test_finds_by_name_pinyin_initials_id_phone_and_number(small) -> None:
    db, u = small
    assert u["zhangsan"] in _found(db, text="zs")
    assert u["lisi"] not in _found(db, text="zs")
    assert _found(db, text="张三") == {u["zhangsan"]}
    assert u["zhangsan"] in _found(db, text="zhangsan")
    assert u["zhangsan"] in _found(db, text="ZhangSan")
    assert _found(db, text="002x") == {u["zhangsan"]}  # last digits of the ID, lower-case x
    assert _found(db, text="11010519491231002X") == {u["zhangsan"]}
    assert _found(db, text="13912345678") == {u["zhangsan"]}
    assert _found(db, text="9990000002") == {u["lisi"]}
    assert u["zhangsan"] in _found(db, text="王芳")  # any member, not only the head


def test_surname_reading_is_indexed(small) -> None:
    db, u = small
    assert u["shan"] in _found(db, text="shantianfang")
    assert u["shan"] in _found(db, text="stf")


def test_several_words_must_all_match(small) -> None:
    db, u = small
    assert _found(db, text="zs 13912") == {u["zhangsan"]}
    assert _found(db, text="zs 9990000002") == set()


def test_wildcards_are_literal(small) -> None:
    db, u = small
    assert _found(db, text="%") == {u["percent"]}
    assert _found(db, text="_") == {u["percent"]}
    assert _found(db, text="99%0") == {u["percent"]}


def test_filters_match_a_python_recount(demo_db) -> None:
    with demo_db.session() as s:
        rows = s.execute(select(Household.id, Household.exit_status, Household.attribute, Household.main_cause,
                                Household.village_id, Household.group_id)).all()
        village = rows[0].village_id
        group = next(r.group_id for r in rows if r.group_id is not None)
        helper_id, household_id = s.execute(select(Assignment.helper_id, Assignment.household_id)).first()
        served = set(s.scalars(select(Assignment.household_id).where(Assignment.helper_id == helper_id)))
        township = s.scalar(select(Village.township_id).where(Village.id == village))

        def ids(**f) -> set[int]:
            return set(search.match_ids(s, Filters(**f)))

        assert ids() == {r.id for r in rows}
        assert ids(exit_status="未脱贫") == {r.id for r in rows if r.exit_status == "未脱贫"}
        assert ids(attribute="低保贫困户") == {r.id for r in rows if r.attribute == "低保贫困户"}
        assert ids(main_cause="因病") == {r.id for r in rows if r.main_cause == "因病"}
        assert ids(village_id=village) == {r.id for r in rows if r.village_id == village}
        assert ids(group_id=group) == {r.id for r in rows if r.group_id == group}
        assert ids(township_id=township) == {r.id for r in rows}
        assert ids(helper_id=helper_id) == served and household_id in served
        both = ids(exit_status="未脱贫", main_cause="因病")
        assert both == {r.id for r in rows if r.exit_status == "未脱贫" and r.main_cause == "因病"}
        assert 0 < len(both) < len(rows)
        assert search.count(s, Filters(exit_status="未脱贫")) == len(ids(exit_status="未脱贫"))


def test_ended_assignment_does_not_count_for_the_helper_filter(demo_db) -> None:
    with demo_db.session() as s:
        a = s.scalars(select(Assignment)).first()
        helper_id, hid = a.helper_id, a.household_id
        a.end_date = date(2000, 1, 1)
    with demo_db.session() as s:
        assert hid not in search.match_ids(s, Filters(helper_id=helper_id))


def test_households_without_group(small) -> None:
    db, u = small
    with db.session() as s:
        village = s.scalar(select(Household.village_id).where(Household.uuid == u["lisi"]))
    assert {u["lisi"], u["zhangsan"]} <= _found(db, village_id=village, group_id=NO_GROUP)
    with db.session() as s:
        grouped = s.scalar(select(VillageGroup.id).where(VillageGroup.village_id == village))
    assert u["lisi"] not in _found(db, village_id=village, group_id=grouped)


def test_sorting_happens_in_sql_and_matches_python(demo_db) -> None:
    with demo_db.session() as s:
        heads = dict(s.execute(select(Member.household_id, Member.name).where(Member.relation == "户主")).all())
        by_head = search.match_ids(s, Filters(), "head_name", True)
        assert [heads[i] for i in by_head] == sorted(heads[i] for i in by_head)
        desc = search.match_ids(s, Filters(), "head_name", False)
        assert [heads[i] for i in desc] == sorted((heads[i] for i in desc), reverse=True)
        rows = s.execute(select(Household.id, Village.code, Household.household_number).join(Village)).all()
        expected = [r.id for r in sorted(rows, key=lambda r: (r.code, r.household_number or "", r.id))]
        assert search.match_ids(s, Filters()) == expected
        status = search.match_ids(s, Filters(), "exit_status")
        values = dict(s.execute(select(Household.id, Household.exit_status)).all())
        assert [values[i] for i in status] == sorted(values[i] for i in status)
        assert search.match_ids(s, Filters(), "helpers") == expected  # not sortable: default order


def test_blank_values_sort_last_both_ways_on_both_backends(demo_db) -> None:
    with demo_db.session() as s:
        blank = list(s.scalars(select(Household.id).order_by(Household.id).limit(5)))
        s.execute(update(Household).where(Household.id.in_(blank)).values(phone=None))
    with demo_db.session() as s:
        phones = dict(s.execute(select(Household.id, Household.phone)).all())
        blanks = {i for i, p in phones.items() if p is None}
        assert set(blank) <= blanks and len(blanks) < len(phones)
        for ascending in (True, False):
            ids = search.match_ids(s, Filters(), "phone", ascending)
            assert set(ids[-len(blanks):]) == blanks, ascending
            filled = [phones[i] for i in ids[:-len(blanks)]]
            assert filled == sorted(filled, reverse=not ascending)


def test_paging_agrees_with_the_id_list(demo_db) -> None:
    with demo_db.session() as s:
        ids = search.match_ids(s, Filters(main_cause="因病"), "phone")
        page = search.page(s, Filters(main_cause="因病"), "phone", offset=20, limit=15)
        assert [r.id for r in page] == ids[20:35]
        assert search.match_ids(s, Filters(), limit=7) == search.match_ids(s, Filters())[:7]


def test_fetch_rows_gives_the_list_columns(small) -> None:
    db, u = small
    with db.session() as s:
        hid = search.id_of(s, u["zhangsan"])
        row = search.fetch_rows(s, [hid])[hid]
    assert row.uuid == u["zhangsan"]
    assert row["head_name"] == "张三" and row["size"] == 2 and row["household_number"] == "9990000001"
    assert row["village"] and set(row.values) == set(search.COLUMNS)


def test_fetch_rows_lists_current_helpers(demo_db) -> None:
    with demo_db.session() as s:
        a = s.scalars(select(Assignment)).first()
        row = search.fetch_rows(s, [a.household_id])[a.household_id]
        assert a.helper.name in row["helpers"]


def test_region_tree_counts(demo_db) -> None:
    with demo_db.session() as s:
        tree = search.region_tree(s)
        total = s.query(Household).count()
        per_village = dict(s.execute(select(Household.village_id, text("count(*)")).group_by(
            Household.village_id)).all())
    assert sum(t.count for t in tree) == total == 300
    for t in tree:
        for v in t.villages:
            assert v.count == per_village.get(v.id, 0)
            assert sum(g.count for g in v.groups) == v.count


def _plan(s, stmt) -> str:
    return for_dialect(s).query_plan(s, stmt)


def test_text_search_reads_the_search_key_index(demo_db, backend) -> None:
    """SQLite: the LIKE scan runs over a narrow covering index, not the table.
    PostgreSQL: the LIKE is answered by the GIN trigram index (a bitmap index scan). On 300
    households a sequential (or primary-key) scan is cheaper, so the planner is told to avoid
    those, as it does on its own at county size (benchmarks/cases/backends.py)."""
    with demo_db.session() as s:
        if backend == "postgresql":
            s.execute(text("ANALYZE household"))
            s.execute(text("SET LOCAL enable_seqscan = off"))
            s.execute(text("SET LOCAL enable_indexscan = off"))
        for sort in ("village", "head_name"):
            for typed in ("zhang", "zs 1391"):
                plan = _plan(s, search.ids_query(Filters(text=typed), sort,
                                                 village_ids_in_code_order=search.village_ids_in_code_order(s)))
                if backend == "postgresql":
                    assert "Bitmap Index Scan on ix_household_search_key" in plan, plan
                else:
                    scans = [line for line in plan.splitlines() if line.startswith("SCAN household")]
                    assert scans and all("COVERING INDEX" in line for line in scans), plan
                    assert ("ix_household_search_key" if sort == "head_name" else "ix_household_list_search") in plan
        # One or two characters: no trigram to seek with, so the trigram index is kept out of it
        # (a generic plan would otherwise read all of it); SQLite still scans a covering index.
        for sort in ("village", "head_name"):
            plan = _plan(s, search.ids_query(Filters(text="zs"), sort,
                                             village_ids_in_code_order=search.village_ids_in_code_order(s)))
            if backend == "postgresql":
                assert "ix_household_search_key" not in plan, plan
            else:
                assert all("COVERING INDEX" in line for line in plan.splitlines() if line.startswith("SCAN household"))


def test_term_of_undoes_the_pattern() -> None:
    assert [search.term_of(p) for p in search.like_patterns("zs 100%_x \\ 张三")] == ["zs", "100%_x", "\\", "张三"]


def test_short_terms_stay_off_the_trigram_index() -> None:
    """Fewer than three characters: written so that no index on the bare column matches."""
    short = str(search.key_like(Household.search_key, "%zs%").compile())
    long = str(search.key_like(Household.search_key, "%zsf%").compile())
    assert "coalesce" in short and "coalesce" not in long


def test_search_index_is_trigram_on_postgresql(database, backend) -> None:
    with database.session() as s:
        kind = for_dialect(s).search_index_kind(s)
    assert kind == ("trigram" if backend == "postgresql" else "btree")


def test_short_and_odd_queries_match_a_python_scan(demo_db) -> None:
    """One and two characters (no trigram to seek with), a Chinese surname, digits, wildcards:
    the same households as a substring test over the stored keys, in display order, and a
    first page by LIMIT is the head of the full list."""
    with demo_db.session() as s:
        keys = dict(s.execute(select(Household.id, Household.search_key)).all())
        surname = s.scalar(select(Member.name).where(Member.relation == "户主").order_by(Member.id))[0]
        order = search.match_ids(s, Filters())
        for typed in ("z", "zs", "x", surname, "1", "13", "0x", "%", "ü", "zh 3"):
            terms = [search.term_of(p) for p in search.like_patterns(typed)]
            expected = [i for i in order if all(t in (keys[i] or "") for t in terms)]
            got = search.match_ids(s, Filters(text=typed))
            assert got == expected, typed
            assert search.match_ids(s, Filters(text=typed), limit=20) == expected[:20]
        assert search.match_ids(s, Filters(text="zs"))  # broad queries do find something


def test_narrows() -> None:
    assert search.narrows("zs", "zsf")
    assert search.narrows("zs", "xzs")
    assert search.narrows("zs 139", "zsf 1391")
    assert not search.narrows("zsf", "zs")
    assert not search.narrows("", "zs")
    assert not search.narrows("zs 139", "zsf")


def test_typing_on_within_previous_matches_gives_the_same_result(demo_db) -> None:
    with demo_db.session() as s:
        for old, new in (("wa", "wan"), ("z", "zh"), ("41", "4117"), ("l", "li 1")):
            broad = search.match_ids(s, Filters(text=old))
            assert len(broad) <= search.NARROW_LIMIT
            full = search.match_ids(s, Filters(text=new))
            assert search.match_ids(s, Filters(text=new), within=broad) == full
            assert search.match_ids(s, Filters(text=new), "head_name", within=broad) == search.match_ids(
                s, Filters(text=new), "head_name")
        # "within" really restricts the search (it is trusted, not re-checked against everything)
        some = search.match_ids(s, Filters(text="z"))[:3]
        assert set(search.match_ids(s, Filters(text="z"), within=some)) == set(some)


@pytest.mark.sqlite_only  # PostgreSQL sorts the (few) matches after the trigram lookup instead
def test_default_order_walks_the_village_index(demo_db) -> None:
    """With village ids in code order the default order needs no sort (SQLite plan)."""
    with demo_db.session() as s:
        assert search.village_ids_in_code_order(s)
        plan = _plan(s, search.ids_query(Filters(text="zs"), village_ids_in_code_order=True))
        assert "COVERING INDEX ix_household_list_search" in plan and "TEMP B-TREE" not in plan, plan
        plan = _plan(s, search.ids_query(Filters(text="zs", village_id=1), village_ids_in_code_order=True))
        assert "COVERING INDEX ix_household_list_search (village_id=?)" in plan and "TEMP B-TREE" not in plan, plan


def test_default_order_with_text_matches_python(demo_db) -> None:
    with demo_db.session() as s:
        assert search.village_ids_in_code_order(s)
        rows = s.execute(select(Household.id, Village.code, Household.household_number).join(Village)).all()
        hits = set(search.match_ids(s, Filters(text="zs"), "head_name"))
        expected = [r.id for r in sorted(rows, key=lambda r: (r.code, r.household_number or "", r.id)) if r.id in hits]
        assert search.match_ids(s, Filters(text="zs")) == expected


def test_village_order_falls_back_when_ids_do_not_follow_codes(demo_db) -> None:
    with demo_db.session() as s:
        first = s.scalars(select(Village).order_by(Village.code)).first()
        later = Village(township_id=first.township_id, code="000000000001", name="新村")  # a higher id, a lower code
        s.add(later)
        s.flush()
        for h in s.scalars(select(Household).order_by(Household.id.desc()).limit(20)):
            h.village_id = later.id
        s.flush()
        assert not search.village_ids_in_code_order(s)
        rows = s.execute(select(Household.id, Village.code, Household.household_number).join(Village)).all()
        expected = [r.id for r in sorted(rows, key=lambda r: (r.code, r.household_number or "", r.id))]
        got = search.match_ids(s, Filters())
        assert got == expected and got[0] in {r.id for r in rows if r.code == "000000000001"}
