"""Finding households: search-as-you-type over ``Household.search_key`` plus filters.

The household list asks for the *ids* of every matching household in display
order (one query: a ``LIKE '%term%' ESCAPE '\\'`` per typed word over the one
search-key column, the filters, ``ORDER BY`` in SQL), then fetches the displayed
columns only for the rows on screen (:func:`fetch_rows`, a page at a time).
Holding 100,000 integers costs less than a megabyte, gives the view an exact row
count and scroll bar, and the database does all filtering and sorting.

The search key (names, pinyin in full and initials with every reading of
heteronyms and surnames, ID numbers, phones, 户编号; all lower case) is computed
when a record is saved (:mod:`desktop.core.searchindex`), never at query time.

Only portable SQL: LIKE with an explicit ESCAPE, IN subqueries, scalar subqueries,
``ORDER BY`` and ``LIMIT`` — nothing SQLite-specific. What differs is the index behind the
LIKE (migration 0004, ``db/dialects``): on PostgreSQL ``ix_household_search_key`` is a GIN
trigram index that seeks for terms of three or more characters (shorter ones scan the
table, about as fast as SQLite's index scan); on SQLite a B-tree and the covering
``ix_household_list_search`` make the scan read an index instead of the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from db.models import MEMBER_STATUS_REMOVED, Assignment, Helper, Household, Member, Village, VillageGroup
from desktop.core import pinyin, searchkey

ESCAPE = "\\"
# Sentinel for "households without a 村民小组" in Filters.group_id.
NO_GROUP = -1

# List columns: key → Chinese header. Order is the display order.
COLUMNS: dict[str, str] = {
    "household_number": "户编号",
    "head_name": "户主",
    "village": "行政村",
    "group": "村民小组",
    "size": "人口",
    "attribute": "贫困户属性",
    "main_cause": "主要致贫原因",
    "exit_status": "脱贫状态",
    "phone": "联系电话",
    "helpers": "帮扶责任人",
}
UNSORTABLE = frozenset({"helpers"})
DEFAULT_SORT = "village"


@dataclass(frozen=True)
class Filters:
    """What the clerk typed and picked. Empty / None means "any"."""

    text: str = ""
    exit_status: str | None = None
    attribute: str | None = None
    main_cause: str | None = None
    helper_id: int | None = None
    township_id: int | None = None
    village_id: int | None = None
    group_id: int | None = None  # NO_GROUP: households with no group

    def replace(self, **changes: Any) -> Filters:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return Filters(**values)


@dataclass
class ListRow:
    """One household as shown in the list."""

    id: int
    uuid: str
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


def like_patterns(text: str) -> list[str]:
    """One escaped ``%term%`` LIKE pattern per whitespace-separated word of ``text``.

    Each word is normalised like the stored key (NFKC, lower case, apostrophes
    dropped, ü → v) and ``%``, ``_`` and ``\\`` are escaped, so they match literally.
    """
    patterns = []
    for word in (text or "").split():
        q = searchkey.normalise_query(pinyin.normalise_query(word))
        if q:
            patterns.append(f"%{q}%")
    return list(dict.fromkeys(patterns))


_SEARCH_ALIAS = aliased(Household, name="household_search")

# A trigram index (PostgreSQL's ix_household_search_key) can seek for terms of this many characters.
TRIGRAM = 3


def term_of(pattern: str) -> str:
    """The literal text a ``like_patterns`` pattern looks for (wildcards and escapes removed)."""
    body, out, i = pattern[1:-1], [], 0
    while i < len(body):
        if body[i] == ESCAPE and i + 1 < len(body):
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


def key_like(column: ColumnElement, pattern: str) -> ColumnElement:
    """``column LIKE pattern``; for one- or two-character terms ``coalesce(column, '') LIKE …``.

    A trigram index cannot narrow a search for fewer than three characters: asked anyway (as
    a prepared statement's generic plan does, not knowing the pattern) it reads the whole
    index and rechecks every row — several times slower than a plain scan. The expression
    (which copies nothing, unlike ``|| ''``) keeps such terms away from it; on SQLite it
    changes nothing (the scan still reads the covering index).
    """
    if len(term_of(pattern)) < TRIGRAM:
        column = func.coalesce(column, literal_column("''"))
    return column.like(pattern, escape=ESCAPE)


def _head_name() -> ColumnElement:
    """The current 户主's name of the outer household (scalar subquery)."""
    return (
        select(Member.name)
        .where(
            Member.household_id == Household.id,
            Member.relation == "户主",
            Member.status != MEMBER_STATUS_REMOVED,
        )
        .order_by(Member.seq, Member.id)
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )


def current_assignment(today: date | None = None) -> ColumnElement:
    day = today or date.today()
    return or_(Assignment.end_date.is_(None), Assignment.end_date >= day)


def narrows(old: str, new: str) -> bool:
    """True if every household matching ``new`` also matches ``old`` (the clerk typed on):
    each word of the old text is contained in some word of the new one."""
    old_terms = [p.strip("%") for p in like_patterns(old)]
    new_terms = [p.strip("%") for p in like_patterns(new)]
    return bool(old_terms) and all(any(o in n for n in new_terms) for o in old_terms)


def conditions(filters: Filters, today: date | None = None, *, scan_in_order: bool = False,
               within: Sequence[int] | None = None) -> list[ColumnElement]:
    """WHERE conditions on ``household`` for ``filters``.

    ``scan_in_order``: test the search key on the household rows themselves (no subquery), for
    the default order: SQLite then scans ``ix_household_list_search`` — (village, 户编号, id,
    search key) — in display order, with no sort and no table rows; PostgreSQL looks the
    matches up in the trigram index and sorts them (see :func:`ids_query`).
    """
    where: list[ColumnElement] = []
    patterns = like_patterns(filters.text)
    if patterns and (within is not None or scan_in_order):
        if within is not None:
            # Typing on: only the previous matches can still match; test just those rows.
            where.append(Household.id.in_(list(within)))
        where.extend(key_like(Household.search_key, p) for p in patterns)
    elif patterns:
        # As a subquery on its own, the LIKE scan reads only the narrow search-key index
        # (ix_household_search_key) whatever the outer query joins and sorts by.
        inner = _SEARCH_ALIAS
        matched = select(inner.id).where(*[key_like(inner.search_key, p) for p in patterns])
        where.append(Household.id.in_(matched))
    if filters.exit_status:
        where.append(Household.exit_status == filters.exit_status)
    if filters.attribute:
        where.append(Household.attribute == filters.attribute)
    if filters.main_cause:
        where.append(Household.main_cause == filters.main_cause)
    if filters.group_id is not None:
        if filters.group_id == NO_GROUP:
            where.append(Household.group_id.is_(None))
            if filters.village_id is not None:
                where.append(Household.village_id == filters.village_id)
        else:
            where.append(Household.group_id == filters.group_id)
    elif filters.village_id is not None:
        where.append(Household.village_id == filters.village_id)
    elif filters.township_id is not None:
        where.append(Household.village_id.in_(select(Village.id).where(Village.township_id == filters.township_id)))
    if filters.helper_id is not None:
        where.append(Household.id.in_(
            select(Assignment.household_id).where(
                Assignment.helper_id == filters.helper_id, current_assignment(today))))
    return where


def _order(sort: str, ascending: bool) -> tuple[list[ColumnElement], bool]:
    """ORDER BY expressions for a list column, and whether the village table is joined."""
    if sort not in COLUMNS or sort in UNSORTABLE:
        sort = DEFAULT_SORT

    def d(expr: ColumnElement) -> ColumnElement:
        return expr.asc() if ascending else expr.desc()

    def blanks_last(expr: ColumnElement) -> ColumnElement:
        # Both kinds put blanks at the end either way (SQLite would put NULL first when
        # ascending, PostgreSQL last): clerks look for the filled-in values first.
        return d(expr).nulls_last()

    if sort == "village":
        return [d(Village.code), d(Household.household_number), d(Household.id)], True
    if sort == "group":
        group_name = select(VillageGroup.name).where(VillageGroup.id == Household.group_id).correlate(
            Household).scalar_subquery()
        return [d(Village.code), blanks_last(group_name), d(Household.household_number), d(Household.id)], True
    expr = {
        "household_number": Household.household_number,
        "head_name": _head_name(),
        "size": Household.household_size,
        "attribute": Household.attribute,
        "main_cause": Household.main_cause,
        "exit_status": Household.exit_status,
        "phone": Household.phone,
    }[sort]
    return [blanks_last(expr), d(Household.household_number), d(Household.id)], False


def ids_query(filters: Filters, sort: str = DEFAULT_SORT, ascending: bool = True,
              today: date | None = None, *, village_ids_in_code_order: bool = False,
              within: Sequence[int] | None = None) -> Select:
    """The ids of matching households in display order.

    The default order (village, 户编号) is the order of the ``ix_household_village_number``
    and ``ix_household_list_search`` indexes when village ids follow village codes (as they
    do when villages are entered or imported in code order): then, unless a filter needs the
    household rows, SQLite walks the covering ``ix_household_list_search`` and tests each
    search key as it goes — no sort, no row look-ups, about the same time for 50 matches as
    for 50,000; PostgreSQL takes the matches from the trigram index and sorts them.
    """
    if (sort == DEFAULT_SORT and village_ids_in_code_order and within is None and not any(
            (filters.exit_status, filters.attribute, filters.main_cause, filters.helper_id is not None))):
        d = (lambda e: e.asc()) if ascending else (lambda e: e.desc())
        return (select(Household.id)
                .where(*conditions(filters, today, scan_in_order=True))
                .order_by(d(Household.village_id), d(Household.household_number), d(Household.id)))
    order, join_village = _order(sort, ascending)
    stmt = select(Household.id)
    if join_village:
        stmt = stmt.join(Village, Village.id == Household.village_id)
    return stmt.where(*conditions(filters, today, within=within)).order_by(*order)


def village_ids_in_code_order(session: Session) -> bool:
    ids = list(session.scalars(select(Village.id).order_by(Village.code)))
    return ids == sorted(ids)


# Up to this many previous matches are re-tested directly when the clerk types on.
NARROW_LIMIT = 2000


def match_ids(session: Session, filters: Filters, sort: str = DEFAULT_SORT, ascending: bool = True,
              *, limit: int | None = None, within: Sequence[int] | None = None) -> list[int]:
    """Ids of the matching households in display order (all of them unless ``limit``).

    ``within``: the ids that matched a broader text a moment ago (see :func:`narrows`); when
    there are few of them only those rows are tested instead of the whole search-key index.
    """
    if within is not None and (len(within) > NARROW_LIMIT or not like_patterns(filters.text)):
        within = None
    stmt = ids_query(filters, sort, ascending, within=within,
                     village_ids_in_code_order=sort == DEFAULT_SORT and village_ids_in_code_order(session))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def count(session: Session, filters: Filters) -> int:
    stmt = select(func.count()).select_from(Household).where(*conditions(filters))
    return int(session.scalar(stmt) or 0)


def page(session: Session, filters: Filters, sort: str = DEFAULT_SORT, ascending: bool = True, *,
         offset: int = 0, limit: int = 100) -> list[ListRow]:
    """One page of rows by LIMIT/OFFSET (for callers that do not keep the id list)."""
    ids = list(session.scalars(ids_query(filters, sort, ascending).offset(offset).limit(limit)))
    rows = fetch_rows(session, ids)
    return [rows[i] for i in ids if i in rows]


def fetch_rows(session: Session, ids: Sequence[int], today: date | None = None) -> dict[int, ListRow]:
    """The list columns of the households ``ids`` (a page: tens to hundreds of ids)."""
    if not ids:
        return {}
    stmt = (
        select(
            Household.id,
            Household.uuid,
            Household.household_number,
            _head_name().label("head_name"),
            Village.name.label("village"),
            VillageGroup.name.label("group"),
            Household.household_size,
            Household.attribute,
            Household.main_cause,
            Household.exit_status,
            Household.phone,
        )
        .join(Village, Village.id == Household.village_id)
        .outerjoin(VillageGroup, VillageGroup.id == Household.group_id)
        .where(Household.id.in_(list(ids)))
    )
    rows: dict[int, ListRow] = {}
    for r in session.execute(stmt):
        rows[r.id] = ListRow(
            id=r.id,
            uuid=r.uuid,
            values={
                "household_number": r.household_number,
                "head_name": r.head_name,
                "village": r.village,
                "group": r.group,
                "size": r.household_size,
                "attribute": r.attribute,
                "main_cause": r.main_cause,
                "exit_status": r.exit_status,
                "phone": r.phone,
                "helpers": "",
            },
        )
    helper_rows = session.execute(
        select(Assignment.household_id, Helper.name)
        .join(Helper, Helper.id == Assignment.helper_id)
        .where(Assignment.household_id.in_(list(ids)), current_assignment(today))
        .order_by(Assignment.household_id, Assignment.id)
    )
    names: dict[int, list[str]] = {}
    for household_id, name in helper_rows:
        names.setdefault(household_id, []).append(name)
    for household_id, found in names.items():
        if household_id in rows:
            rows[household_id].values["helpers"] = "、".join(dict.fromkeys(found))
    return rows


def uuids_of(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if not ids:
        return {}
    return dict(session.execute(select(Household.id, Household.uuid).where(Household.id.in_(ids))).all())


def id_of(session: Session, uuid: str) -> int | None:
    return session.scalar(select(Household.id).where(Household.uuid == uuid))


# --------------------------------------------------------------------------- tree


@dataclass
class TreeGroup:
    id: int | None  # None: households without a group
    name: str
    count: int = 0


@dataclass
class TreeVillage:
    id: int
    code: str
    name: str
    count: int = 0
    groups: list[TreeGroup] = field(default_factory=list)


@dataclass
class TreeTownship:
    id: int
    code: str
    name: str
    count: int = 0
    villages: list[TreeVillage] = field(default_factory=list)


def region_tree(session: Session) -> list[TreeTownship]:
    """Township → villages → groups with household counts.

    Three GROUP BY queries, each answered from a one-column index (per group, per
    village, and the few households without a group) — a two-column GROUP BY would
    have to read every household row.
    """
    from db.models import Township

    per_group = dict(session.execute(
        select(Household.group_id, func.count()).where(Household.group_id.is_not(None)).group_by(
            Household.group_id)).all())
    per_village = dict(session.execute(
        select(Household.village_id, func.count()).group_by(Household.village_id)).all())
    ungrouped = dict(session.execute(
        select(Household.village_id, func.count()).where(Household.group_id.is_(None)).group_by(
            Household.village_id)).all())
    townships = {
        t.id: TreeTownship(t.id, t.code, t.name)
        for t in session.scalars(select(Township).order_by(Township.code))
    }
    villages: dict[int, TreeVillage] = {}
    for v in session.execute(select(Village.id, Village.code, Village.name, Village.township_id).order_by(
            Village.code)):
        tv = TreeVillage(v.id, v.code, v.name)
        villages[v.id] = tv
        if v.township_id in townships:
            townships[v.township_id].villages.append(tv)
    for g in session.execute(select(VillageGroup.id, VillageGroup.name, VillageGroup.village_id).order_by(
            VillageGroup.village_id, VillageGroup.code, VillageGroup.id)):
        if g.village_id in villages:
            villages[g.village_id].groups.append(TreeGroup(g.id, g.name, per_group.get(g.id, 0)))
    for village_id, village in villages.items():
        village.count = per_village.get(village_id, 0)
        if ungrouped.get(village_id):
            village.groups.append(TreeGroup(None, "未分组", ungrouped[village_id]))
    for t in townships.values():
        t.count = sum(v.count for v in t.villages)
    return list(townships.values())

