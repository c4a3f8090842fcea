"""Card layout and painting happen on the GUI thread only.

Qt documents QTextDocument, QFont and QPdfWriter as reentrant, and QFontDatabase
as thread-safe, so a C++ program may lay out cards in a worker thread. A PySide6
(6.12) program may not: PySide keeps the GIL for the whole of most Qt calls
(``QTextDocument.setHtml``, ``size``, ``documentLayout`` …), and those calls take
Qt's global signal-slot mutexes (``documentLayout()`` connects the layout's
handlers; destroying a document disconnects). The GUI thread takes the same
pool of mutexes without the GIL while it destroys an object (``deleteLater``,
``WA_DeleteOnClose``, a parent deleting children) and, still holding one, asks
for the GIL to call ``disconnectNotify`` on a Python-made sender. Worker: GIL
held, waiting for the mutex; GUI thread: mutex held, waiting for the GIL —
neither moves again (reproduced with native stack dumps: worker in
``QObjectPrivate::connectImpl`` under ``QTextDocument::documentLayout``, GUI
thread in ``Shiboken::GilState::acquire`` under ``QObject::~QObject``; the
regression test is tests/desktop/ui/printing/test_threads.py).

So the application gathers the Qt-free card data in a worker and paints on the
GUI thread in short slices; :func:`require_gui_thread` turns a slip into an
immediate error instead of a rare hang.
"""

from __future__ import annotations

import threading


class WrongThreadError(RuntimeError):
    """Qt layout or painting was about to run off the GUI thread (a programming error)."""


def require_gui_thread(what: str = "card layout and painting") -> None:
    """Raise :class:`WrongThreadError` unless running on the main (GUI) thread.

    Uses :mod:`threading` only: even asking Qt for the current QThread would make
    a Qt object in the worker.
    """
    if threading.current_thread() is not threading.main_thread():
        raise WrongThreadError(
            f"{what} must run on the GUI thread, not in thread {threading.current_thread().name!r} "
            "(see desktop/ui/printing/threads.py)")
