"""Which township each row of an exchange sheet belongs to, in the database.

A county database holds many townships; every entity row belongs to exactly one of them: townships
themselves, villages and helpers by ``township_id``, groups through their village, households
through their village, and every child of a household through the household. The consolidation
uses it to find a township's rows (to compare and to replace them) and the owner of a UUID (to
find conflicts); the reconciliation counts rows per township with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from db.models import Household, Member, Township, Village, VillageGroup
from desktop.core.exchange import format as fmt

ROSTER_KEY = "roster"  # the 花名册 sheet: one row per member (counted like 家庭成员)


def _joined(sheet_key: str, *columns: Any) -> Select:
    """``select(*columns)`` from the sheet's table joined up to its township."""
    if sheet_key == ROSTER_KEY:
        sheet_key = "members"
    sheet = fmt.sheet_by_key()[sheet_key]
    model = sheet.model
    q = select(*columns).select_from(model)
    if sheet_key == "townships":
        return q
    if sheet_key in ("villages", "helpers"):
        return q.join(Township, Township.id == model.township_id)
    if sheet_key == "groups":
        return q.join(Village, Village.id == VillageGroup.village_id).join(Township, Township.id == Village.township_id)
    if sheet_key == "households":
        return q.join(Village, Village.id == Household.village_id).join(Township, Township.id == Village.township_id)
    return (q.join(Household, Household.id == model.household_id)
            .join(Village, Village.id == Household.village_id)
            .join(Township, Township.id == Village.township_id))


def owners_query(sheet_key: str, uuids: list[str]) -> Select:
    """(uuid, township code) of the sheet's rows with these UUIDs."""
    model = fmt.sheet_by_key()[sheet_key].model
    return _joined(sheet_key, model.uuid, Township.code).where(model.uuid.in_(uuids))


def township_rows_query(sheet_key: str, township_code: str) -> Select:
    """(uuid, id) of every row of the sheet that belongs to the township."""
    model = fmt.sheet_by_key()[sheet_key].model
    return _joined(sheet_key, model.uuid, model.id).where(Township.code == township_code)


def counts_by_township(session: Any, sheet_key: str) -> dict[str, int]:
    """Township code -> number of rows of the sheet (花名册: members) in the database."""
    model = Member if sheet_key == ROSTER_KEY else fmt.sheet_by_key()[sheet_key].model
    q = _joined(sheet_key, Township.code, func.count(model.id)).group_by(Township.code)
    return {code: n for code, n in session.execute(q)}


def table_total(session: Any, sheet_key: str) -> int:
    """Rows of the sheet's table, counted without any join (catches rows of no township)."""
    model = Member if sheet_key == ROSTER_KEY else fmt.sheet_by_key()[sheet_key].model
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def township_ids(session: Any, code: str) -> list[int]:
    return list(session.scalars(select(Township.id).where(Township.code == code)))
