"""What two clerks did to the same household card: a Qt-free description of a save conflict.

When a save is refused because the household changed since the card was loaded
(``StaleDataError`` from :func:`desktop.core.households.save_card`), three versions of the
card exist:

* ``original`` — the card as the clerk loaded it (原来的内容);
* ``mine`` — the card the clerk was editing (您的内容);
* ``theirs`` — the card now in the database, saved by someone else (数据库中的内容).

:func:`describe` lists, field by field, everything that differs between ``mine`` and
``theirs`` and who changed it (the clerk, the other saver, or both — a *clash*).
:func:`reapply` puts the clerk's own changes (``mine`` vs ``original``) onto ``theirs``, so
the clerk can review and save again without losing either edit. :func:`last_saver` reads
the audit log for who saved the household last and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import to_text
from db.models import AuditLog, Helper, Household, Village, VillageGroup
from desktop.core.households import (
    HOUSEHOLD_FIELDS,
    SECTION_LABELS,
    SECTIONS,
    Card,
    canonical,
    editable_fields,
    is_blank_member,
    label,
)

EMPTY = "（空）"
NONE_ROW = "（无此行）"
DELETED = "（已删除）"
#: Fields never shown as differences: positions and values that follow other fields.
_IGNORED = {"seq", "household_size"}
#: Section order in the list (the card editor's tab order).
#: Audit rows of one save are written within this time of each other.
SAVE_WINDOW = timedelta(seconds=10)
ORDER = ["household", "members", "incomes", "assignments", "plans", "measures", "visits", "exits"]


@dataclass
class Names:
    """Display names of the ids a card holds (village, group, helper)."""

    villages: dict[int, str] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    helpers: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, cards: Iterable[Card]) -> Names:
        cards = list(cards)
        villages = {c.household.get("village_id") for c in cards} - {None}
        groups = {c.household.get("group_id") for c in cards} - {None}
        helpers = {r.get("helper_id") for c in cards for s in ("assignments", "visits") for r in c.section(s)} - {None}
        names = cls()
        if villages:
            names.villages = dict(session.execute(select(Village.id, Village.name).where(Village.id.in_(villages))).all())
        if groups:
            names.groups = dict(session.execute(
                select(VillageGroup.id, VillageGroup.name).where(VillageGroup.id.in_(groups))).all())
        if helpers:
            names.helpers = dict(session.execute(select(Helper.id, Helper.name).where(Helper.id.in_(helpers))).all())
        return names


@dataclass(frozen=True)
class Difference:
    """One field (or one whole row) that is not the same in the clerk's card and the database."""

    section: str  # "household" or a key of households.SECTIONS
    row_uuid: str | None  # None: the household row, or a row the clerk added
    row_label: str  # e.g. "张三", "2024年度", "" for the household
    field: str | None  # None: the whole row (added / deleted)
    field_label: str
    mine: str  # 您的内容
    theirs: str  # 数据库中的内容
    original: str  # 原来的内容
    mine_changed: bool
    theirs_changed: bool

    @property
    def section_label(self) -> str:
        return SECTION_LABELS.get(self.section, self.section)

    @property
    def clash(self) -> bool:
        """Both clerks changed this, to different values."""
        return self.mine_changed and self.theirs_changed

    @property
    def item(self) -> str:
        """项目: "家庭成员 张三 · 联系电话"."""
        where = self.section_label + (f" {self.row_label}" if self.row_label else "")
        return f"{where} · {self.field_label}"


# --------------------------------------------------------------------------- values


class _Display:
    def __init__(self, names: Names | None, cards: Iterable[Card]) -> None:
        self.names = names or Names()
        self.member_names: dict[str, str] = {}
        for card in cards:
            for m in card.members:
                if m.get("uuid") and m.get("name"):
                    self.member_names.setdefault(m["uuid"], m["name"])

    def value(self, section: str, key: str, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if section == "household" and key == "village_id":
            return self.names.villages.get(value, str(value))
        if section == "household" and key == "group_id":
            return self.names.groups.get(value, str(value))
        if key == "helper_id":
            return self.names.helpers.get(value, str(value))
        if key == "beneficiary_uuid":
            return self.member_names.get(value, value)
        return to_text(value) or EMPTY  # the audit log's wording of a value

    def row_label(self, section: str, row: dict[str, Any]) -> str:
        if section == "members":
            return (row.get("name") or "").strip() or "（未填姓名）"
        if section == "assignments":
            return row.get("_name") or self.names.helpers.get(row.get("helper_id"), "") or "（未选责任人）"
        if section in ("plans", "incomes", "exits"):
            return f"{row.get('year')}年度" if row.get("year") is not None else "（未填年度）"
        if section == "measures":
            parts = [f"{row.get('year')}年" if row.get("year") is not None else "", row.get("category") or "",
                     (row.get("content") or "")[:12]]
            return " ".join(p for p in parts if p) or "（未填）"
        if section == "visits":
            on = row.get("visited_on")
            return " ".join(p for p in (on.isoformat() if on else "", row.get("visitor") or "") if p) or "（未填日期）"
        return ""

    def summary(self, section: str, row: dict[str, Any]) -> str:
        """A whole row in a few words, for rows added or deleted."""
        text = self.row_label(section, row)
        if section == "members":
            extra = [row.get("relation"), row.get("sex")]
            text += "".join(f"，{e}" for e in extra if e)
        elif section == "incomes" and row.get("population") is not None:
            text += f"，核算人口 {row['population']}"
        return text


def _fields(section: str) -> list[str]:
    if section == "household":
        return [k for k in HOUSEHOLD_FIELDS if k not in _IGNORED]
    return [k for k in editable_fields(SECTIONS[section]) if k not in _IGNORED]


def _rows(card: Card, section: str) -> list[dict[str, Any]]:
    rows = card.section(section)
    if section == "members":
        rows = [r for r in rows if not is_blank_member(r)]
    return rows


def _changed(a: dict[str, Any], b: dict[str, Any], keys: list[str]) -> bool:
    return any(canonical(a.get(k)) != canonical(b.get(k)) for k in keys)


# --------------------------------------------------------------------------- describe


def describe(mine: Card, original: Card, theirs: Card, names: Names | None = None) -> list[Difference]:
    """Every field that differs between ``mine`` and ``theirs``, in card order.

    Fields changed identically by both are not listed (nothing to decide). Rows are matched
    by ``uuid``; a row only one side has appears once, with ``field`` None.
    """
    show = _Display(names, (mine, theirs, original))
    out: list[Difference] = []

    def fields_of(section: str, model: type, row_label: str, uuid: str | None,
                  m: dict[str, Any], o: dict[str, Any], t: dict[str, Any]) -> None:
        for key in _fields(section):
            mv, ov, tv = canonical(m.get(key)), canonical(o.get(key)), canonical(t.get(key))
            if mv == tv:
                continue
            out.append(Difference(section, uuid, row_label, key, label(model, key),
                                  show.value(section, key, m.get(key)), show.value(section, key, t.get(key)),
                                  show.value(section, key, o.get(key)), mv != ov, tv != ov))

    for section in ORDER:
        if section == "household":
            fields_of("household", Household, "", None, mine.household, original.household, theirs.household)
            continue
        model = SECTIONS[section]
        keys = _fields(section)
        mine_rows = {r["uuid"]: r for r in _rows(mine, section) if r.get("uuid")}
        orig_rows = {r["uuid"]: r for r in _rows(original, section) if r.get("uuid")}
        their_rows = {r["uuid"]: r for r in _rows(theirs, section) if r.get("uuid")}
        removed_by_me = set(mine.removed.get(section, ()))
        for uuid, t in their_rows.items():
            o = orig_rows.get(uuid)
            if uuid in mine_rows:
                m = mine_rows[uuid]
                fields_of(section, model, show.row_label(section, t), uuid, m, o or m, t)
            elif uuid in removed_by_me:
                out.append(Difference(section, uuid, show.row_label(section, t), None, "整行",
                                      DELETED, show.summary(section, t), show.summary(section, o or t),
                                      True, o is None or _changed(t, o, keys)))
            elif o is None:  # added by the other clerk
                out.append(Difference(section, uuid, show.row_label(section, t), None, "整行",
                                      NONE_ROW, show.summary(section, t), NONE_ROW, False, True))
        for uuid, m in mine_rows.items():
            if uuid in their_rows:
                continue
            o = orig_rows.get(uuid, m)  # deleted (or merged away) by the other clerk
            out.append(Difference(section, uuid, show.row_label(section, m), None, "整行",
                                  show.summary(section, m), DELETED, show.summary(section, o),
                                  _changed(m, o, keys), True))
        for m in _rows(mine, section):
            if not m.get("uuid"):
                out.append(Difference(section, None, show.row_label(section, m), None, "整行（新增）",
                                      show.summary(section, m), NONE_ROW, NONE_ROW, True, False))
    return out


# --------------------------------------------------------------------------- re-apply


def reapply(mine: Card, original: Card, theirs: Card) -> tuple[Card, list[Difference]]:
    """``theirs`` with the clerk's own changes (``mine`` against ``original``) put back on.

    Returns the new card (at ``theirs.version``, so it saves unless the household changes
    again) and the changes that could not be applied (a row the other clerk deleted).
    Where both clerks changed the same field, the clerk's value wins — the caller shows
    the clashes (:func:`describe`) so the clerk can review before saving.
    """
    result = theirs.copy()
    result.removed = {}
    skipped: list[Difference] = []
    show = _Display(None, (mine, theirs, original))
    for key in _fields("household"):
        if canonical(mine.household.get(key)) != canonical(original.household.get(key)):
            result.household[key] = mine.household.get(key)
    for section in SECTIONS:
        keys = _fields(section)
        orig_rows = {r["uuid"]: r for r in _rows(original, section) if r.get("uuid")}
        target_rows = {r["uuid"]: r for r in result.section(section) if r.get("uuid")}
        for m in _rows(mine, section):
            uuid = m.get("uuid")
            if not uuid:
                result.section(section).append(dict(m))
                continue
            o = orig_rows.get(uuid, {})
            changed = [k for k in keys if canonical(m.get(k)) != canonical(o.get(k))]
            if not changed:
                continue
            target = target_rows.get(uuid)
            if target is None:
                skipped.append(Difference(section, uuid, show.row_label(section, m), None, "整行",
                                          show.summary(section, m), DELETED, show.summary(section, o or m),
                                          True, True))
                continue
            for k in changed:
                target[k] = m.get(k)
            if "helper_id" in changed:  # display names of the newly chosen helper
                target.update({k: v for k, v in m.items() if k.startswith("_")})
        for uuid in mine.removed.get(section, ()):
            row = target_rows.get(uuid)
            if row is not None:
                result.section(section).remove(row)
                result.removed.setdefault(section, []).append(uuid)
    result.household["household_size"] = len(result.current_members)
    return result, skipped


# --------------------------------------------------------------------------- who saved


@dataclass(frozen=True)
class Saver:
    operator: str  # "" when the audit log does not say
    at: str  # local time "YYYY-MM-DD HH:MM:SS"
    changes: int  # audit rows (changed fields) of that save


def last_saver(session: Session, household_uuid: str, since: datetime | None = None) -> Saver | None:
    """Who last changed the household (from the audit log), if recorded after ``since`` (UTC)."""
    q = select(AuditLog).where(AuditLog.household_uuid == household_uuid)
    if since is not None:
        q = q.where(AuditLog.at >= since)
    newest = session.scalars(q.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(1)).first()
    if newest is None:
        return None
    same = q.where(AuditLog.at >= newest.at - SAVE_WINDOW)  # one save's rows carry nearly the same time
    if newest.operator is None:
        same = same.where(AuditLog.operator.is_(None))
    else:
        same = same.where(AuditLog.operator == newest.operator)
    count = len(session.scalars(same.limit(1000)).all())
    at = newest.at.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return Saver(newest.operator or "", at, count)
