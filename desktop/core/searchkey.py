"""The text a household or helper is found by.

Computed when a record is saved and stored in ``search_key``; a search is then a
single ``LIKE '%term%'`` over one column. It holds member names with their
pinyin (full and initials, every reading of heteronyms and surnames), ID numbers,
phones and the 户编号.
"""

from __future__ import annotations

from collections.abc import Iterable

from desktop.core.pinyin import search_key as name_key


def household_search_key(
    household_number: str | None,
    phone: str | None,
    names: Iterable[str],
    id_numbers: Iterable[str | None] = (),
    phones: Iterable[str | None] = (),
) -> str:
    parts = [name_key(*[n for n in names if n])]
    parts.extend(x for x in (household_number, phone) if x)
    parts.extend(x for x in id_numbers if x)
    parts.extend(x for x in phones if x)
    return " ".join(p for p in parts if p).lower()


def helper_search_key(name: str, unit: str | None = None, phone: str | None = None) -> str:
    parts = [name_key(name)]
    parts.extend(x for x in (unit, phone) if x)
    return " ".join(parts).lower()


def normalise_query(text: str) -> str:
    """Lower-case, strip, and make LIKE wildcards literal-safe (escape char '\\')."""
    q = text.strip().lower()
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
