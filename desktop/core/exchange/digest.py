"""SHA-256 of the exchange data in a canonical form.

Canonical form (docs/exchange-format.md, "Digest"):

* only the entity sheets count (not the manifest, the roster or the code sheet), and in each only
  the data columns (not the reference columns marked INFO);
* each cell becomes text: empty → ``""``, 是/否 for booleans, numbers with two decimals for
  decimal columns, ``YYYY-MM-DD`` for dates, integers in decimal, text as is (line ends ``\\n``);
* a row is its cells joined by U+001F, UTF-8 encoded; its hash is SHA-256 of that;
* a sheet's hash is SHA-256 of: the sheet title, U+001E, the headers joined by U+001F, U+001E, then
  the row hashes *sorted*, so row order does not matter;
* the digest is SHA-256 over the sheet hashes in the format's sheet order, written as 64 lower-case
  hex digits.

Volatile things (export time, sequence number, program version) are not part of it, so an
export → import → export round trip gives the same digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from desktop.core.exchange.format import Sheet, canonical_text, sheets

UNIT, RECORD = "\x1f", "\x1e"


def row_hash(values: Sequence[Any]) -> bytes:
    """Hash of one row given its canonical values for the sheet's data columns, in order."""
    return hashlib.sha256(UNIT.join(map(canonical_text, values)).encode("utf-8")).digest()


class SheetDigest:
    """Collects row hashes of one sheet."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.hashes: list[bytes] = []

    def add(self, values: Sequence[Any]) -> bytes:
        h = row_hash(values)
        self.hashes.append(h)
        return h

    def add_hash(self, h: bytes) -> None:
        self.hashes.append(h)

    @property
    def rows(self) -> int:
        return len(self.hashes)

    def hexdigest(self) -> str:
        h = hashlib.sha256()
        h.update(self.sheet.title.encode("utf-8"))
        h.update(RECORD.encode())
        h.update(UNIT.join(c.header for c in self.sheet.data_columns).encode("utf-8"))
        h.update(RECORD.encode())
        for row in sorted(self.hashes):
            h.update(row)
        return h.hexdigest()


def combine(sheet_digests: Iterable[SheetDigest]) -> str:
    """The workbook digest from the sheets' digests (missing sheets count as empty)."""
    by_key = {d.sheet.key: d for d in sheet_digests}
    h = hashlib.sha256()
    for sheet in sheets():
        d = by_key.get(sheet.key) or SheetDigest(sheet)
        h.update(d.hexdigest().encode("ascii"))
    return h.hexdigest()
