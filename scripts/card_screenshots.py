"""Render the card screenshots in docs/screenshots from real PDFs.

    python scripts/card_screenshots.py [--out docs/screenshots] [--keep DIR]

Builds a 300-household demo database (synthetic people), turns one household
into a large card (10 members, 15 measures) and one into a rare-character card
(䶮 喆 堃 珺 𠇔), exports a small, the large and the rare card to PDF with the
application's own code, and rasterises them with ``pdftoppm -r 80 -png``:
card-small.png, card-large.png (both pages side by side), card-rare.png.
Needs poppler-utils.

With ``--ui`` it also grabs the print dialog and the print preview from a real
main window (printing-dialog.png, printing-preview.png); run that under Xvfb:
``xvfb-run -a -s "-screen 0 1366x768x24" python scripts/card_screenshots.py --ui``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--keep", help="keep the PDFs and the database in this folder")
    parser.add_argument("--ui", action="store_true", help="also grab the print dialog and preview")
    args = parser.parse_args(argv)
    if args.ui and os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "xcb"

    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from sqlalchemy import select

    from db.models import Household
    from db.session import open_database
    from desktop.core import card_samples
    from desktop.core.demo import DemoOptions, generate
    from desktop.ui.printing.render import export_pdf

    if args.ui:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([])
    else:
        app = QGuiApplication.instance() or QGuiApplication([])
    work = Path(args.keep or tempfile.mkdtemp(prefix="mingbaika-shots-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db_path = work / "shots.sqlite3"
    db_path.unlink(missing_ok=True)
    db = open_database(db_path)
    with db.session() as s:
        generate(s, DemoOptions(households=300, seed=7))
    with db.session() as s:
        large = card_samples.make_large(s, card_samples.pick(s, 3)).uuid
        rare = card_samples.make_rare(s, card_samples.pick(s, 5)).uuid
        # a small card: the first two-person household that has an exit assessment
        small = next(h.uuid for h in s.scalars(select(Household).order_by(Household.id))
                     if len(h.current_members) == 2 and h.exit_assessments and h.uuid not in (large, rare))
    for name, uuid in (("small", small), ("large", large), ("rare", rare)):
        pdf = work / f"card-{name}.pdf"
        result = export_pdf(db, [uuid], pdf)
        prefix = work / f"card-{name}"
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(prefix)], check=True)
        images = sorted(work.glob(f"card-{name}-*.png"))
        if len(images) == 1:
            target = out / f"card-{name}.png"
            QImage(str(images[0])).save(str(target))
        else:  # pages side by side
            pages = [QImage(str(p)) for p in images]
            gap = 12
            canvas = QImage(sum(p.width() for p in pages) + gap * (len(pages) - 1), max(p.height() for p in pages),
                            QImage.Format.Format_RGB32)
            canvas.fill(QColor("#9a9a9a"))
            painter = QPainter(canvas)
            x = 0
            for page in pages:
                painter.drawImage(x, 0, page)
                x += page.width() + gap
            painter.end()
            target = out / f"card-{name}.png"
            canvas.save(str(target))
        for p in images:
            p.unlink()
        print(f"{target}: {result.pages} page(s)")
    if args.ui:
        _grab_ui(app, db, out, [small, large, rare])
    db.dispose()
    return 0


def _grab_ui(app, db, out: Path, uuids: list[str]) -> None:  # noqa: ANN001
    """The print dialog and the preview of three cards, as the clerk sees them."""
    from PySide6.QtCore import QTimer

    from desktop.core import card as C
    from desktop.ui.features.printing import EXPORT
    from desktop.ui.main_window import MainWindow
    from desktop.ui.printing.preview import CardPreviewDialog

    window = MainWindow(db)
    window.show()
    window.selected_household_uuids = lambda: uuids  # as if three rows were selected
    dialog = window.printing.make_dialog(EXPORT)
    dialog.full_id_check.setChecked(True)  # show the warning too
    dialog.show()
    for _ in range(20):
        app.processEvents()
    dialog.grab().save(str(out / "printing-dialog.png"))
    print(out / "printing-dialog.png")
    dialog.close()
    with db.session() as s:
        cards = C.load_cards(s, uuids)
    preview = CardPreviewDialog(cards, window)
    preview.resize(1280, 720)
    preview.show()

    def grab() -> None:
        preview.grab().save(str(out / "printing-preview.png"))
        print(out / "printing-preview.png")
        app.quit()

    QTimer.singleShot(1500, grab)
    app.exec()
    window.close()


if __name__ == "__main__":
    sys.exit(main())
