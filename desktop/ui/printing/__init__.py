"""Printing the household card (明白卡): layout, PDF / printer output, preview.

``card_document`` lays a :class:`desktop.core.card.HouseholdCard` out as a
QTextDocument; ``render`` paints cards page by page onto a QPdfWriter or a
QPrinter (one household per page, a second page with a repeated header only
when a card does not fit; ``PdfJob``/``PrinterJob`` paint a slice at a time);
``preview`` wraps QPrintPreviewDialog; ``fonts`` loads the bundled CJK font
once. All of it runs on the GUI thread only (``threads``: why a worker thread
laying out cards deadlocks PySide, and the check that refuses it).
"""

