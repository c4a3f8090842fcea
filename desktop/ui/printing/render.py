"""Paint household cards page by page onto a PDF writer or a printer.

One household starts a new page. Each card is laid out for the device as a
QTextDocument; when a card needs a second page (a very large household) it is
split between blocks or between table rows (``card_document.paginate``: no row
is cut, the members and measures tables repeat their title and column headers)
and every continuation page gets a header naming the card, so a loose sheet can
be put back with its household.

Runs ON THE GUI THREAD ONLY: under PySide6 a worker laying out cards can
deadlock with the GUI thread (GIL against Qt's signal-slot mutexes; see
``desktop.ui.printing.threads``). So the application paints cards on the GUI
thread in short slices (:class:`PdfJob`,
:class:`PrinterJob`: one ``step()`` per event-loop turn) after a worker thread
has gathered the Qt-free :class:`HouseholdCard` data; :func:`write_pdf`,
:func:`export_pdf` and :func:`print_to_printer` run such a job to the end in one
call (command line, benchmarks, tests). PDFs are written to a temporary file and
moved into place only when complete.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)
from PySide6.QtPrintSupport import QPrinter

from db.engine import Database
from desktop.core.card import HouseholdCard, iter_cards, log_prints
from desktop.core.progress import NULL_PROGRESS, Progress
from desktop.ui.printing.card_document import TITLE, paginate
from desktop.ui.printing.fonts import card_font, ensure_loaded
from desktop.ui.printing.threads import WrongThreadError, require_gui_thread

MARGINS_MM = QMarginsF(10, 9, 10, 9)  # left, top, right, bottom
BAND_MM = 5.0  # running header band on top of every page
PDF_RESOLUTION = 600  # dpi of the PDF coordinate grid (text and rules stay vector)


class RenderError(RuntimeError):
    """The output could not be written (message in Chinese)."""


@dataclass
class RenderResult:
    households: int = 0
    pages: int = 0
    multi_page: list[str] = field(default_factory=list)  # UUIDs of cards that needed more than one page
    uuids: list[str] = field(default_factory=list)  # UUIDs in the order printed
    target: str = ""


def setup_device(device: QPagedPaintDevice) -> None:
    """A4 portrait with the card margins (a printer keeps its own minimum margins)."""
    layout = QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, MARGINS_MM,
                         QPageLayout.Unit.Millimeter)
    if isinstance(device, QPrinter) and device.outputFormat() == QPrinter.OutputFormat.NativeFormat:
        # Respect what the printer can reach; keep the printer's paper choice if it has no A4.
        device.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        device.setPageOrientation(QPageLayout.Orientation.Portrait)
        device.setPageMargins(MARGINS_MM, QPageLayout.Unit.Millimeter)
        return
    device.setPageLayout(layout)


def _mm(device: QPagedPaintDevice, mm: float) -> float:
    return mm / 25.4 * device.logicalDpiY()


class CardPainter:
    """Paints cards onto an active QPainter of a paged device, one household per page."""

    def __init__(self, device: QPagedPaintDevice, painter: QPainter) -> None:
        require_gui_thread()
        ensure_loaded()
        self.device = device
        self.painter = painter
        rect = device.pageLayout().paintRectPixels(device.logicalDpiY())
        self.width = float(rect.width())
        self.height = float(rect.height())
        self.band = _mm(device, BAND_MM)
        self.body = QSizeF(self.width, self.height - self.band)
        self.pages = 0
        self._band_font = card_font(7.5)
        self._band_bold = card_font(8.5, bold=True)

    def paint(self, card: HouseholdCard) -> int:
        """Paint one card from a fresh page; returns its page count."""
        docs = paginate(card, self.device, self.body)
        # a document taller than its page (a block larger than a page) still paginates itself
        pieces = [(doc, page) for doc in docs for page in range(max(1, doc.pageCount()))]
        count = len(pieces)
        p = self.painter
        height = self.body.height()
        for index, (doc, page) in enumerate(pieces):
            if self.pages:
                self.device.newPage()
            self.pages += 1
            self._band(card, index, count)
            p.save()
            p.translate(0, self.band - page * height)
            doc.drawContents(p, QRectF(0, page * height, self.body.width(), height))
            p.restore()
        return count

    def _band(self, card: HouseholdCard, page: int, count: int) -> None:
        p = self.painter
        p.save()
        rect = QRectF(0, 0, self.width, self.band * 0.8)
        if count > 1:
            p.setFont(self._band_font)
            p.setPen(QColor("#444444"))
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"第 {page + 1} 页 / 共 {count} 页")
        if page > 0:
            p.setFont(self._band_bold)
            p.setPen(QColor("#000000"))
            text = (f"{TITLE}（续）  {card.year}年度  {card.place}  户编号：{card.household_number}  "
                    f"户主：{card.head_name}")
            p.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            pen = QPen(QColor("#555555"))
            pen.setWidthF(_mm(self.device, 0.25))
            p.setPen(pen)
            p.drawLine(0, int(rect.bottom()), int(self.width), int(rect.bottom()))
        p.restore()


def paint_cards(
    device: QPagedPaintDevice,
    cards: Iterable[HouseholdCard],
    *,
    total: int | None = None,
    progress: Progress = NULL_PROGRESS,
    painter: QPainter | None = None,
) -> RenderResult:
    """Paint ``cards`` onto ``device`` (already set up). Raises Cancelled when cancelled."""
    own = painter is None
    if own:
        painter = QPainter()
        if not painter.begin(device):
            raise RenderError("无法开始打印（打印机或文件不可用）")
    result = RenderResult()
    try:
        cp = CardPainter(device, painter)
        for card in cards:
            progress.check()
            pages = cp.paint(card)
            result.households += 1
            result.uuids.append(card.uuid)
            if pages > 1:
                result.multi_page.append(card.uuid)
            if total:
                progress.update(result.households, total, f"正在排版第 {result.households}/{total} 户")
        result.pages = cp.pages
    finally:
        if own:
            painter.end()
    return result


def _pdf_writer(path: str) -> QPdfWriter:
    writer = QPdfWriter(path)
    writer.setResolution(PDF_RESOLUTION)
    writer.setTitle(TITLE)
    writer.setCreator("明白卡 Mingbaika")
    setup_device(writer)
    return writer


class CardJob:
    """Cards painted onto a paged device a slice at a time, on the GUI thread.

    ``step()`` paints at least one card and goes on until ``budget`` seconds have
    passed; it returns True once every card is painted. Then call ``finish()``
    (closes the output, returns the :class:`RenderResult`), or ``abort()`` at any
    time (cancel or error; nothing is left behind). Subclasses own the device.
    """

    def __init__(self, device: QPagedPaintDevice, cards: Iterable[HouseholdCard], total: int | None,
                 begin_error: str) -> None:
        require_gui_thread()
        self.device = device
        self.total = total
        self.result = RenderResult()
        self.done = False
        self._cards: Iterator[HouseholdCard] = iter(cards)
        self._painter = QPainter()
        if not self._painter.begin(device):
            raise RenderError(begin_error)
        try:
            self._card_painter = CardPainter(device, self._painter)
        except BaseException:
            self._painter.end()
            raise

    def step(self, budget: float = 0.0) -> bool:
        """Paint the next card(s); True when there are no more."""
        if self.done:
            return True
        deadline = time.monotonic() + budget
        while True:
            card = next(self._cards, None)
            if card is None:
                self.done = True
                self.result.pages = self._card_painter.pages
                return True
            pages = self._card_painter.paint(card)
            self.result.households += 1
            self.result.uuids.append(card.uuid)
            if pages > 1:
                self.result.multi_page.append(card.uuid)
            if time.monotonic() >= deadline:
                return False

    def _end(self) -> None:
        if self._painter.isActive():
            self._painter.end()

    def finish(self) -> RenderResult:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class PdfJob(CardJob):
    """Cards to the PDF file ``path``, written to a temporary file and moved into place by ``finish()``."""

    def __init__(self, path: str | os.PathLike, cards: Iterable[HouseholdCard], total: int | None = None) -> None:
        require_gui_thread()
        self.target = Path(path)
        folder = self.target.parent if str(self.target.parent) else Path(".")
        if not folder.is_dir():
            raise RenderError(f"保存位置“{folder}”不存在")
        fd, self._tmp = tempfile.mkstemp(prefix=".mingbaika-", suffix=".pdf.tmp", dir=folder)
        os.close(fd)
        self._writer: QPdfWriter | None = None
        try:
            self._writer = _pdf_writer(self._tmp)
            super().__init__(self._writer, cards, total, "无法开始打印（打印机或文件不可用）")
        except BaseException:
            self._close()
            self._unlink()
            raise

    def _close(self) -> None:
        if hasattr(self, "_painter"):
            self._end()
        # the writer closes its file when deleted: drop every reference to it
        self._card_painter = None
        self._writer = None
        self.device = None

    def _unlink(self) -> None:
        try:
            os.unlink(self._tmp)
        except OSError:
            pass

    def finish(self) -> RenderResult:
        self._close()
        try:
            if self.result.households == 0:
                raise RenderError("没有需要打印的户")
            os.replace(self._tmp, self.target)
        except BaseException:
            self._unlink()
            raise
        self.result.target = str(self.target)
        return self.result

    def abort(self) -> None:
        self._close()
        self._unlink()


class PrinterJob(CardJob):
    """Cards to ``printer`` (set up by a print dialog); ``abort()`` cancels the print job."""

    def __init__(self, printer: QPrinter, cards: Iterable[HouseholdCard], total: int | None = None) -> None:
        require_gui_thread()
        setup_device(printer)
        self.printer = printer
        super().__init__(printer, cards, total, f"无法连接打印机“{printer.printerName()}”")

    def finish(self) -> RenderResult:
        self._end()
        self.result.target = self.printer.outputFileName() or self.printer.printerName() or "printer"
        return self.result

    def abort(self) -> None:
        if self._painter.isActive():
            self.printer.abort()
        self._end()


def run_job(job: CardJob, progress: Progress = NULL_PROGRESS) -> RenderResult:
    """Run ``job`` to the end in this call, one card at a time (cancel is checked between cards)."""
    try:
        while True:
            progress.check()
            if job.step():
                break
            total = job.total
            if total:
                done = job.result.households
                progress.update(done, total, f"正在排版第 {done}/{total} 户")
        progress.check()
    except BaseException:
        job.abort()
        raise
    return job.finish()


def write_pdf(path: str | os.PathLike, cards: Iterable[HouseholdCard], *, total: int | None = None,
              progress: Progress = NULL_PROGRESS) -> RenderResult:
    """Write ``cards`` to the PDF file ``path`` atomically (temp file, then replace)."""
    return run_job(PdfJob(path, cards, total), progress)


def export_pdf(
    database: Database,
    uuids: Sequence[str],
    path: str | os.PathLike,
    *,
    year: int | None = None,
    full_id: bool = False,
    operator: str | None = None,
    progress: Progress = NULL_PROGRESS,
) -> RenderResult:
    """Cards of ``uuids`` (in that order) to one PDF; logs every printed card.

    GUI thread only (the command line's main thread is one). The print log is
    written in one transaction after the file is complete.
    """
    if not uuids:
        raise RenderError("没有需要打印的户")
    require_gui_thread()
    with database.session() as session:
        cards = iter_cards(session, uuids, year=year, full_id=full_id)
        result = write_pdf(path, cards, total=len(uuids), progress=progress)
    with database.session() as session:
        log_prints(session, result.uuids, target=str(Path(path).resolve()), operator=operator, full_id=full_id)
    return result


def print_to_printer(
    database: Database,
    uuids: Sequence[str],
    printer: QPrinter,
    *,
    year: int | None = None,
    full_id: bool = False,
    operator: str | None = None,
    progress: Progress = NULL_PROGRESS,
) -> RenderResult:
    """Print the cards of ``uuids`` on ``printer`` (set up by a print dialog); logs them.

    GUI thread only. Cancelling aborts the print job (nothing is logged).
    """
    if not uuids:
        raise RenderError("没有需要打印的户")
    require_gui_thread()
    with database.session() as session:
        cards = iter_cards(session, uuids, year=year, full_id=full_id)
        result = run_job(PrinterJob(printer, cards, len(uuids)), progress)
    with database.session() as session:
        log_prints(session, result.uuids, target=result.target, operator=operator, full_id=full_id)
    return result


__all__ = ["CardJob", "CardPainter", "PdfJob", "PrinterJob", "RenderError", "RenderResult", "WrongThreadError",
           "export_pdf", "paint_cards", "print_to_printer", "require_gui_thread", "run_job", "setup_device",
           "write_pdf"]
