"""1,000 household cards to one PDF (`desktop.ui.printing.render.export_pdf`: gather the cards from the
database, lay each out as an HTML QTextDocument with bordered tables for A4, paint it with QPdfWriter, write
the print log). The baseline draws the very same text (each card's plain text, taken from our layout
beforehand) with a bare QPdfWriter and a QTextDocument per card holding only plain paragraphs, one page per
card, in the same run: the ratio is the price of the form layout (tables, borders, check boxes, bold labels).
The selection rows time picking and ordering the whole township, and the "changed since last print" filter
over every household after a full print log. Where a card's time goes (100 cards timed apart): HTML parsing
about 12 ms, layout 4 ms, painting 12 ms; Qt's collapsed table borders (single rules, as on the paper form)
are about half of that, since without `border-collapse` a card takes about 11 ms but every rule is doubled.
The 2-core machine was shared with other jobs (load about 5) during the run, so times are on the high side."""

from __future__ import annotations

import os

from benchmarks.runner import Context, Result, timed

NAME = "printing"
TITLE = "Printing household cards to PDF"
CARDS = 1000


def run(ctx: Context) -> list[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

    from db.base import utcnow
    from db.session import open_database
    from desktop.core import card as C
    from desktop.ui.printing.card_document import build_document
    from desktop.ui.printing.fonts import card_font
    from desktop.ui.printing.render import PDF_RESOLUTION, export_pdf

    app = QGuiApplication.instance() or QGuiApplication(["bench"])  # noqa: F841
    db = open_database(ctx.demo_db())
    try:
        with db.session() as s:
            select_s, order = timed(lambda: C.select_households(s, C.Selection("all")))
        uuids = order[:CARDS]
        with db.session() as s:
            load_s, cards = timed(lambda: C.load_cards(s, uuids))

        ours_pdf = ctx.workdir / "cards.pdf"
        ours_s, result = timed(lambda: export_pdf(db, uuids, ours_pdf, operator="bench"))

        # The baseline's input: each card's text as our layout holds it (prepared, not timed).
        probe = QPdfWriter(str(ctx.workdir / "probe.pdf"))
        probe.setResolution(PDF_RESOLUTION)
        texts = [build_document(card, probe).toPlainText() for card in cards]
        del probe

        base_pdf = ctx.workdir / "baseline.pdf"

        def baseline() -> int:
            writer = QPdfWriter(str(base_pdf))
            writer.setResolution(PDF_RESOLUTION)
            writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                             QMarginsF(10, 9, 10, 9), QPageLayout.Unit.Millimeter))
            rect = writer.pageLayout().paintRectPixels(PDF_RESOLUTION)
            font = card_font(9)
            painter = QPainter(writer)
            for i, text in enumerate(texts):
                if i:
                    writer.newPage()
                doc = QTextDocument()
                doc.documentLayout().setPaintDevice(writer)
                doc.setDefaultFont(font)
                doc.setPageSize(QSizeF(rect.width(), rect.height()))
                doc.setPlainText(text)
                doc.drawContents(painter)
            painter.end()
            return len(texts)

        base_s, _ = timed(baseline)

        # "changed since last print" over the whole township: every card printed once except every 100th
        printed = set(uuids)
        with db.session() as s:
            C.log_prints(s, [u for i, u in enumerate(order) if u not in printed and i % 100], target="bench",
                         at=utcnow())
        with db.session() as s:
            changed_s, changed = timed(lambda: C.changed_since_last_print(s, order))
    finally:
        db.dispose()
    size_mb = ours_pdf.stat().st_size / 1e6
    return [
        Result(f"{CARDS:,} cards to PDF, end to end ({result.pages:,} pages)", ours_s, base_s,
               "bare QPdfWriter + plain-text QTextDocument, same text",
               notes=f"{ours_s / CARDS * 1000:.0f} ms per card; {size_mb:.1f} MB PDF; "
                     f"{len(result.multi_page)} cards needed a second page"),
        Result(f"gather {CARDS:,} cards from the database", load_s, notes="inside the end-to-end time"),
        Result(f"select and order all {len(order):,} households", select_s,
               notes="village code / group / 户编号"),
        Result(f"changed-since-last-print over {len(order):,} households", changed_s,
               notes=f"{len(changed):,} changed (never printed or edited since)"),
    ]
