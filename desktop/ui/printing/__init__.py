"""Printing the household card (明白卡): layout, PDF / printer output, preview.

``card_document`` lays a :class:`desktop.core.card.HouseholdCard` out as a
QTextDocument; ``render`` paints cards page by page onto a QPdfWriter or a
QPrinter (one household per page, a second page with a repeated header only
when a card does not fit); ``preview`` wraps QPrintPreviewDialog; ``fonts``
loads the bundled CJK font once.
"""

# PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call;
# painting a batch of cards makes thousands of them and would abort the process
# ("none_dealloc"). Reuse the dashboard's guard (it belongs in desktop/ui/__init__.py).
from desktop.ui.dashboard import qtrefs as _qtrefs  # noqa: E402

_qtrefs.install()
