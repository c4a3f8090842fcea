"""The bundled CJK font (resources/fonts), loaded once per process.

Cards use the family "Noto Sans CJK SC Mingbaika" alone: it has its own Latin
letters and digits, so a card prints the same on every PC, and its cmap was
cleaned so PDF text extracts as the right characters (resources/fonts/README.md).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from desktop.core.paths import resource
from desktop.ui.printing.threads import require_gui_thread

FAMILY = "Noto Sans CJK SC Mingbaika"
FILES = ("NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf")

_lock = threading.Lock()
_family: str | None = None
log = logging.getLogger(__name__)


class FontError(RuntimeError):
    """The bundled font is missing or Qt could not load it."""


def ensure_loaded() -> str:
    """Register the bundled font files with Qt (once) and return the family name.

    Needs a QGuiApplication and the GUI thread (``QFontDatabase.addApplicationFont``
    invalidates every thread's font cache). Raises :class:`FontError` when the regular face is
    missing or unreadable; a missing bold face only falls back to synthetic bold.
    """
    global _family
    with _lock:
        if _family is not None:
            return _family
        require_gui_thread("loading the card font")
        if QGuiApplication.instance() is None:
            raise FontError("QGuiApplication must exist before fonts are loaded")
        found: str | None = None
        for i, name in enumerate(FILES):
            path = resource("fonts", name)
            if not path.is_file():
                if i == 0:
                    raise FontError(f"缺少打印字体文件：{path}")
                log.warning("bold face %s missing; bold text will be synthesised", path)
                continue
            font_id = QFontDatabase.addApplicationFont(str(path))
            families = QFontDatabase.applicationFontFamilies(font_id) if font_id != -1 else []
            if not families:
                if i == 0:
                    raise FontError(f"无法加载打印字体文件：{path}")
                continue
            found = found or families[0]
        _family = found or FAMILY
        return _family


def card_font(point_size: float = 9.5, bold: bool = False) -> QFont:
    """The card font at ``point_size`` (only the bundled family in the list)."""
    font = QFont()
    font.setFamilies([ensure_loaded()])
    font.setPointSizeF(point_size)
    font.setBold(bold)
    font.setStyleStrategy(QFont.StyleStrategy.PreferOutline)
    return font
