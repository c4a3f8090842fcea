"""Cards to PDF, checked with poppler: one household per page, the right
Unicode text on each page (no radical lookalikes), rare characters, masked IDs,
the print log, atomic writes and cancel; and the preview dialog."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Household, PrintLog
from db.session import open_database
from desktop.core import card as C
from desktop.core import card_samples
from desktop.core.progress import Cancelled, Progress

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def pdf_pages(path: Path, *, raw: bool = True) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-raw"] if raw else []) + [str(path), "-"]
    out = subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def squash(text: str) -> str:
    return "".join(text.split())


def radicals(text: str) -> list[str]:
    return [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF or 0xF900 <= ord(c) <= 0xFAFF]


@pytest.fixture(scope="module")
def sample_db(demo_db_file, tmp_path_factory):
    """A copy of the demo database with a large (10 members, 15 measures) and a rare-name household."""
    path = tmp_path_factory.mktemp("print") / "print.sqlite3"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path)
    with db.session() as s:
        large = card_samples.make_large(s, card_samples.pick(s, 3)).uuid
        rare = card_samples.make_rare(s, card_samples.pick(s, 5)).uuid
    db.info = {"large": large, "rare": rare}
    yield db
    db.dispose()


def plain(db, n: int) -> list[str]:
    """The first ``n`` households in print order, leaving out the two samples."""
    with db.session() as s:
        order = C.select_households(s, C.Selection("all"))
    return [u for u in order if u not in (db.info["large"], db.info["rare"])][:n]


def page_index(cards, uuid: str, large: str) -> int:
    """The first page of ``uuid`` when the large card takes two pages."""
    index = 0
    for card in cards:
        if card.uuid == uuid:
            return index
        index += 2 if card.uuid == large else 1
    raise LookupError(uuid)


@pytest.fixture(scope="module")
def group_pdf(qapp, sample_db, tmp_path_factory):
    """One group's cards (plus the two samples, which live in other groups) in one PDF."""
    from desktop.ui.printing.render import export_pdf

    with sample_db.session() as s:
        code = C.villages(s)[0][0]
        uuids = C.select_households(s, C.Selection("group", f"{code}/二组"))
        extra = [u for u in (sample_db.info["large"], sample_db.info["rare"]) if u not in uuids]
        uuids = C.select_households(s, C.Selection("households", uuids + extra))
        cards = C.load_cards(s, uuids)
    out = tmp_path_factory.mktemp("pdf") / "group.pdf"
    result = export_pdf(sample_db, uuids, out, operator="测试员")
    return out, result, cards


@needs_poppler
def test_one_household_per_page_with_the_right_text(group_pdf, sample_db) -> None:
    path, result, cards = group_pdf
    pages = pdf_pages(path)
    large = sample_db.info["large"]
    assert result.households == len(cards) > 20
    assert result.multi_page == [large]  # only the 10-member, 15-measure card needs a second page
    assert len(pages) == result.pages == len(cards) + 1
    # walk the pages card by card
    i = 0
    for card in cards:
        n = 2 if card.uuid == large else 1
        text = squash("".join(pages[i:i + n]))
        first = squash(pages[i])
        i += n
        assert not radicals(text), (card.head_name, radicals(text))
        bmp_name = "".join(c for c in card.head_name if ord(c) <= 0xFFFF)
        assert bmp_name in first
        assert card.head_id in first and re.fullmatch(r"\d{6}\*{8}[\dX]{4}", card.head_id)
        raw_page = pages[i - n]
        assert all(m.id_number in raw_page for m in card.members)  # IDs are not wrapped in their cells
        for helper in card.helpers:
            assert squash(helper.name) in text and helper.phone in text
        for m in card.measures:
            assert squash(m.content) in text, m.content
            assert f"{m.amount:.2f}" in text
        assert f"{card.year}年度" in first
        assert card.household_number in first
    assert i == len(pages)


@needs_poppler
def test_ids_are_masked_unless_asked(group_pdf, sample_db, tmp_path) -> None:
    from desktop.ui.printing.render import export_pdf

    path, _result, cards = group_pdf
    text = "".join(pdf_pages(path))
    with sample_db.session() as s:
        h = s.scalars(select(Household).where(Household.uuid == cards[0].uuid)).one()
        full_numbers = [m.id_number for m in h.current_members]
    assert all(n not in text for n in full_numbers)
    out = tmp_path / "full.pdf"
    export_pdf(sample_db, [cards[0].uuid], out, full_id=True)
    full_text = "".join(pdf_pages(out))
    assert all(n in full_text for n in full_numbers)
    with sample_db.session() as s:
        row = s.scalars(select(PrintLog).where(PrintLog.target == str(out.resolve()))).one()
        assert row.full_id is True and row.household_uuid == cards[0].uuid


@needs_poppler
def test_large_card_continues_with_a_header(group_pdf, sample_db) -> None:
    path, _result, cards = group_pdf
    pages = pdf_pages(path)
    large = sample_db.info["large"]
    index = page_index(cards, large, large)
    card = next(c for c in cards if c.uuid == large)
    first, second = pages[index], pages[index + 1]
    assert len(card.members) == 10 and len(card.measures) == 15
    assert "精准扶贫明白卡（续）" in second and "第2页/共2页" in squash(second)
    assert card.household_number in second and card.head_name in second
    assert "第1页/共2页" in squash(first)
    assert all(squash(m.name) in squash(first) for m in card.members)  # members stay together on page 1
    both = squash(first + second)
    assert all(squash(m.content) in both for m in card.measures)
    assert "户主签字" in second  # the signature lines close the card


@needs_poppler
def test_rare_characters_extract_except_outside_the_bmp(group_pdf, sample_db) -> None:
    path, _result, cards = group_pdf
    index = page_index(cards, sample_db.info["rare"], sample_db.info["large"])
    page = pdf_pages(path)[index]
    for ch in "䶮喆堃珺":
        assert ch in page
    assert "刘䶮" in page and "王喆" in page and "刘堃" in page and "刘珺" in page
    assert "赵喆堃" in page  # the helper
    assert not radicals(page)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()]
    assert set(names) <= {"NotoSansCJKscMingbaika-Regular", "NotoSansCJKscMingbaika-Bold"}, names


@needs_poppler
@pytest.mark.xfail(strict=True, reason="Qt's PDF engine writes ToUnicode entries for BMP code points only; "
                   "𠇔 (U+201D4) renders (see the PNG test) but does not extract.")
def test_non_bmp_character_extracts(group_pdf, sample_db) -> None:
    path, _result, cards = group_pdf
    index = page_index(cards, sample_db.info["rare"], sample_db.info["large"])
    page = pdf_pages(path)[index]
    assert "刘䶮" in page  # the right page
    assert "刘𠇔" in page


def _render_name(tmp_path: Path, card, name: str, tag: str) -> bytes:
    """PNG bytes of page 1 of a card whose head is called ``name``."""
    import dataclasses

    from desktop.ui.printing.render import write_pdf

    pdf = tmp_path / f"{tag}.pdf"
    write_pdf(pdf, [dataclasses.replace(card, head_name=name)])
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(tmp_path / tag)], check=True)
    return (tmp_path / f"{tag}.png").read_bytes()


@needs_poppler
def test_non_bmp_character_renders_as_a_glyph_not_a_box(qapp, group_pdf, tmp_path) -> None:
    from PySide6.QtGui import QImage, QRawFont

    from desktop.ui.printing.fonts import card_font

    raw = QRawFont.fromFont(card_font(12))
    assert raw.familyName() == "Noto Sans CJK SC Mingbaika"
    assert raw.supportsCharacter(0x201D4)
    assert all(g != 0 for g in raw.glyphIndexesForString("𠇔䶮喆堃珺"))
    card = group_pdf[2][0]
    with_char = _render_name(tmp_path, card, "刘𠇔", "glyph")
    missing = _render_name(tmp_path, card, "刘\u0378", "notdef")  # unassigned: drawn as the .notdef box
    empty = _render_name(tmp_path, card, "刘", "empty")

    def pixels(data: bytes) -> bytes:
        image = QImage.fromData(data)
        return bytes(image.constBits())

    assert pixels(missing) != pixels(empty)  # the box is visible, so the comparison below means something
    assert pixels(with_char) != pixels(missing)
    assert pixels(with_char) != pixels(empty)


def test_print_log_has_a_row_per_card(group_pdf, sample_db) -> None:
    path, result, cards = group_pdf
    with sample_db.session() as s:
        rows = s.scalars(select(PrintLog).where(PrintLog.target == str(path.resolve()))).all()
    assert sorted(r.household_uuid for r in rows) == sorted(c.uuid for c in cards)
    assert {r.operator for r in rows} == {"测试员"} and not any(r.full_id for r in rows)


def test_cancel_leaves_no_file_and_no_log(qapp, sample_db, tmp_path) -> None:
    from desktop.ui.printing.render import export_pdf

    out = tmp_path / "cancelled.pdf"
    out.write_bytes(b"old content")
    with sample_db.session() as s:
        uuids = C.select_households(s, C.Selection("all"))[:12]
    progress = Progress(lambda done, _t, _s: progress.cancel() if done >= 3 else None)
    with pytest.raises(Cancelled):
        export_pdf(sample_db, uuids, out, progress=progress)
    assert out.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["cancelled.pdf"]  # no temp file left
    with sample_db.session() as s:
        assert s.scalars(select(PrintLog).where(PrintLog.target == str(out.resolve()))).all() == []


def test_missing_folder_is_reported_in_chinese(qapp, sample_db, tmp_path) -> None:
    from desktop.ui.printing.render import RenderError, export_pdf

    with sample_db.session() as s:
        uuid = C.select_households(s, C.Selection("all"))[0]
    with pytest.raises(RenderError, match="不存在"):
        export_pdf(sample_db, [uuid], tmp_path / "nope" / "x.pdf")
    with pytest.raises(RenderError, match="没有需要打印的户"):
        export_pdf(sample_db, [], tmp_path / "x.pdf")


@needs_poppler
def test_printing_to_a_printer_logs_the_printer(qapp, sample_db, tmp_path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from desktop.ui.printing.render import print_to_printer

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printer.pdf"
    printer.setOutputFileName(str(out))
    uuids = plain(sample_db, 3)
    with sample_db.session() as s:
        cards = C.load_cards(s, uuids)
    result = print_to_printer(sample_db, uuids, printer, operator="王")
    assert result.pages == 3
    pages = pdf_pages(out)
    assert len(pages) == 3
    assert [c.head_name in p for c, p in zip(cards, pages, strict=True)] == [True] * 3
    with sample_db.session() as s:
        rows = s.scalars(select(PrintLog).where(PrintLog.target == str(out))).all()
        assert sorted(r.household_uuid for r in rows) == sorted(uuids)


def test_preview_dialog_shows_one_page_per_household(qtbot, sample_db) -> None:
    from desktop.ui.printing.preview import CardPreviewDialog

    uuids = plain(sample_db, 3)
    with sample_db.session() as s:
        cards = C.load_cards(s, uuids + [sample_db.info["large"]])
    printed = []
    dialog = CardPreviewDialog(cards, None, on_printed=lambda printer, cs: printed.append(len(cs)))
    qtbot.addWidget(dialog)
    dialog.show()
    widget = dialog.preview_widget()
    widget.updatePreview()
    qtbot.waitUntil(lambda: dialog.last_result is not None and widget.pageCount() > 0, timeout=10000)
    assert widget.pageCount() == 5 == dialog.last_result.pages  # the large card takes two
    assert dialog.last_result.households == 4
    assert "4 户" in dialog.windowTitle()
    dialog.accept()  # what the preview's own print button does after printing
    assert printed == [4]


def test_layout_document_uses_the_bundled_font(qapp, group_pdf) -> None:
    from PySide6.QtGui import QPdfWriter

    from desktop.ui.printing.card_document import build_document, card_html

    card = group_pdf[2][0]
    html = card_html(card)
    assert "精准扶贫明白卡" in html and "□" in html and "√" in html
    writer = QPdfWriter(os.devnull)
    doc = build_document(card, writer)
    assert doc.defaultFont().families() == ["Noto Sans CJK SC Mingbaika"]
    assert doc.defaultFont().pointSizeF() == 9.0
