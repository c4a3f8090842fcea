"""County consolidation (县级汇总): take in township exchange workbooks, find duplicates, prove the totals.

* :mod:`desktop.core.county.consolidate` — :func:`consolidate` verifies every file's manifest and digest,
  replaces a township's rows by a newer export (with a field-level change report), leaves older or
  identical files alone and reports UUID conflicts between townships, all in one transaction;
* :mod:`desktop.core.county.duplicates` — cross-township duplicate persons and households, helpers who
  are poor persons, likely duplicates by birth date and pinyin, "not a duplicate" marks;
* :mod:`desktop.core.county.reconcile` — rows in file = rows accepted = rows in the county database =
  rows in the county workbook, per township and sheet, and county totals = sum of townships;
* :mod:`desktop.core.county.workbooks` — the problems workbook and the summary report by township.

A county database is an ordinary Mingbaika database whose setting ``database.kind`` is ``county``.
See docs/county.md.
"""
