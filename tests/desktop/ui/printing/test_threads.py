"""Card layout and painting refuse to run off the GUI thread (desktop/ui/printing/threads.py):
a worker laying out QTextDocuments under PySide can deadlock with the GUI thread."""

from __future__ import annotations

import threading

import pytest

from desktop.core import card as C
from desktop.ui.printing.threads import WrongThreadError, require_gui_thread


def _in_worker(fn):  # noqa: ANN001, ANN202
    """Run ``fn`` in a plain Python thread; returns what it returned or raised."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            box["error"] = exc

    thread = threading.Thread(target=run, name="print-worker")
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    return box


def test_require_gui_thread() -> None:
    require_gui_thread()  # the main thread is the GUI thread
    box = _in_worker(require_gui_thread)
    assert isinstance(box["error"], WrongThreadError)
    assert "print-worker" in str(box["error"])


def test_layout_and_pdf_output_refuse_a_worker(qapp, demo_db, tmp_path) -> None:
    from desktop.ui.printing.card_document import build_document
    from desktop.ui.printing.render import PdfJob, export_pdf, write_pdf

    with demo_db.session() as s:
        uuids = C.select_households(s, C.Selection("all"))[:2]
        cards = C.load_cards(s, uuids)
    out = tmp_path / "out"
    out.mkdir()
    for attempt in (lambda: build_document(cards[0]),
                    lambda: write_pdf(out / "a.pdf", cards),
                    lambda: PdfJob(out / "b.pdf", cards),
                    lambda: export_pdf(demo_db, uuids, out / "c.pdf")):
        box = _in_worker(attempt)
        assert isinstance(box.get("error"), WrongThreadError), box
    assert list(out.iterdir()) == []  # nothing started, nothing left behind
    # the same calls work on the GUI thread
    assert build_document(cards[0]).pageCount() == 1
    assert write_pdf(out / "a.pdf", cards).households == 2


@pytest.mark.parametrize("budget", [0.0, 10.0])
def test_a_job_paints_in_slices(qapp, demo_db, tmp_path, budget) -> None:
    from desktop.ui.printing.render import PdfJob

    with demo_db.session() as s:
        cards = C.load_cards(s, C.select_households(s, C.Selection("all"))[:3])
    job = PdfJob(tmp_path / "x.pdf", cards, len(cards))
    painted = []
    while not job.step(budget):
        painted.append(job.result.households)
    # one card a step, or all of them in one step within a long budget
    assert painted == ([1, 2, 3] if budget == 0.0 else [])
    assert not (tmp_path / "x.pdf").exists()  # only finish() moves the file into place
    result = job.finish()
    assert result.households == 3 == result.pages and (tmp_path / "x.pdf").stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mingbaika-")] == []


def test_aborting_a_job_removes_the_partial_file(qapp, demo_db, tmp_path) -> None:
    from desktop.ui.printing.render import PdfJob

    with demo_db.session() as s:
        cards = C.load_cards(s, C.select_households(s, C.Selection("all"))[:3])
    folder = tmp_path / "out"
    folder.mkdir()
    job = PdfJob(folder / "x.pdf", cards, len(cards))
    assert job.step() is False
    job.abort()
    assert list(folder.iterdir()) == []
