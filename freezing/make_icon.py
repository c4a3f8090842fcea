"""Draw the application icon: a red rounded square with 明 in white.

Writes ``resources/icons/mingbaika.png`` (256 px, the window icon and the Linux
desktop icon) and ``resources/icons/mingbaika.ico`` (16–256 px, PNG-compressed
entries, the Windows executable icon). Each size is drawn on its own so small
sizes stay crisp. Run from the repository root:

    QT_QPA_PLATFORM=offscreen python -m freezing.make_icon
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)
RED = QColor("#C8102E")
# Bold CJK faces, first found wins: the bundled print font, then system copies.
FONT_FILES = (
    ROOT / "resources" / "fonts" / "NotoSansCJKsc-Bold.otf",
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)


def _font_family() -> str:
    for path in FONT_FILES:
        if path.exists():
            font_id = QFontDatabase.addApplicationFont(str(path))
            families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
            sc = [f for f in families if "SC" in f] or families
            if sc:
                return sc[0]
    return "Noto Sans CJK SC"


def draw(size: int, family: str) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = max(0.5, size / 32)
    radius = size * 0.18
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(RED)
    painter.drawRoundedRect(QRectF(margin, margin, size - 2 * margin, size - 2 * margin), radius, radius)
    font = QFont(family)
    font.setBold(True)
    font.setPixelSize(round(size * 0.72))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, -size * 0.02, size, size), Qt.AlignmentFlag.AlignCenter, "明")
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, blob in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset + len(blobs))
        blobs += blob
    return header + entries + blobs


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts need an app
    family = _font_family()
    pngs = {size: png_bytes(draw(size, family)) for size in SIZES}
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "mingbaika.png").write_bytes(pngs[256])
    (ICONS / "mingbaika.ico").write_bytes(ico_bytes(pngs))
    print(f"wrote {ICONS / 'mingbaika.png'} and {ICONS / 'mingbaika.ico'} ({family})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
