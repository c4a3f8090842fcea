"""Cards painted on the GUI thread in slices (the application's PDF export since card layout left the
worker thread: desktop/ui/printing/threads.py). 300 cards of a 100,000-household township are gathered
(Qt-free, as the worker does), then `desktop.ui.features.printing.PaintRun` paints them with a `PdfJob`
one 20 ms slice (at least one card) per event-loop turn inside a running QApplication event loop, while a 10 ms heartbeat
timer measures how long the event loop was kept away (what a user would feel as a frozen window). The
baseline paints the same cards in one go with the bare loop (`QPdfWriter` + `QPainter`, each card's
documents from `card_document.paginate`, no event loop), in the same run: the ratio is the price of
slicing. The gap rows are the longest and the 95th-percentile time between heartbeats."""

from __future__ import annotations

import os
import time

from benchmarks.runner import Context, Result, timed

NAME = "printing_gui"
TITLE = "Printing on the GUI thread in slices"
CARDS = 300


def run(ctx: Context) -> list[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, QTimer
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication, QWidget

    import desktop.ui  # noqa: F401 - the PySide refcount guard
    from db.session import open_database
    from desktop.core import card as C
    from desktop.ui.features.printing import PaintRun
    from desktop.ui.printing.card_document import paginate
    from desktop.ui.printing.render import CardPainter, PdfJob, _pdf_writer

    app = QApplication.instance() or QApplication(["bench"])
    db = open_database(ctx.demo_db())
    try:
        with db.session() as s:
            uuids = C.select_households(s, C.Selection("all"))[:CARDS]
            cards = C.load_cards(s, uuids)
    finally:
        db.dispose()
    parent = QWidget()

    gaps: list[float] = []
    outcome: dict[str, object] = {}

    def sliced() -> int:
        last = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        heart = QTimer()
        heart.setInterval(10)
        heart.timeout.connect(beat)
        heart.start()
        job = PdfJob(ctx.workdir / "sliced.pdf", cards, len(cards))
        PaintRun(parent, "导出", job, lambda r: (outcome.setdefault("result", r), app.quit()),
                 lambda e: (outcome.setdefault("error", e), app.quit()))
        app.exec()
        heart.stop()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"].households

    ours_s, painted = timed(sliced)

    def bare() -> int:
        writer = _pdf_writer(str(ctx.workdir / "bare.pdf"))
        painter = QPainter(writer)
        cp = CardPainter(writer, painter)  # only for the page geometry
        first = True
        for card in cards:
            for doc in paginate(card, writer, cp.body):
                if not first:
                    writer.newPage()
                first = False
                doc.drawContents(painter, QRectF(0, 0, cp.body.width(), cp.body.height()))
        painter.end()
        del writer
        return len(cards)

    base_s, _ = timed(bare)
    gaps.sort()
    p95 = gaps[int(len(gaps) * 0.95)] if gaps else 0.0
    return [
        Result(f"{painted} cards to PDF in 20 ms slices inside the event loop", ours_s, base_s,
               "bare QPdfWriter loop over the same documents, no event loop",
               notes=f"{ours_s / painted * 1000:.0f} ms per card"),
        Result("longest event-loop gap while painting", max(gaps) * 1000 if gaps else 0.0, unit="ms",
               notes=f"{len(gaps)} heartbeats of 10 ms"),
        Result("95th-percentile event-loop gap while painting", p95 * 1000, unit="ms"),
    ]
