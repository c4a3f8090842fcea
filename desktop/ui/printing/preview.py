"""Print preview of prepared cards (QPrintPreviewDialog).

The cards are gathered beforehand (off the GUI thread); the dialog paints them
whenever it needs pages. Printing from the preview's own print button accepts
the dialog; ``on_printed(printer, cards)`` is then called so the caller can log
the printed cards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QWidget

from desktop.core.card import HouseholdCard
from desktop.ui.printing.render import RenderResult, paint_cards, setup_device

# The preview paints on the GUI thread (about 40 ms a card); beyond this many cards it
# shows the first ones only; whole batches are printed with 打印… in the background.
PREVIEW_LIMIT = 50


class CardPreviewDialog(QPrintPreviewDialog):
    """Preview of ``cards``, one household per page.

    Attributes:
        last_result: the RenderResult of the latest painting (pages, multi-page cards).
    """

    def __init__(
        self,
        cards: Sequence[HouseholdCard],
        parent: QWidget | None = None,
        on_printed: Callable[[QPrinter, Sequence[HouseholdCard]], None] | None = None,
        total: int | None = None,
    ) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        setup_device(printer)
        super().__init__(printer, parent)
        self._printer = printer  # keep it alive as long as the dialog
        self.cards = list(cards)
        self.last_result: RenderResult | None = None
        self._on_printed = on_printed
        total = total if total is not None else len(self.cards)
        if total > len(self.cards):
            title = self.tr("打印预览 — 明白卡（共 %1 户，预览前 %2 户）").replace("%1", str(total)).replace(
                "%2", str(len(self.cards)))
        else:
            title = self.tr("打印预览 — 明白卡（%1 户）").replace("%1", str(len(self.cards)))
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1100, 720)
        self.paintRequested.connect(self._paint)
        self.accepted.connect(self._printed)

    @property
    def printer(self) -> QPrinter:
        return self._printer

    def preview_widget(self) -> QPrintPreviewWidget | None:
        return self.findChild(QPrintPreviewWidget)

    def _paint(self, printer: QPrinter) -> None:
        self.last_result = paint_cards(printer, self.cards)

    def _printed(self) -> None:
        if self._on_printed is not None:
            self._on_printed(self._printer, self.cards)
