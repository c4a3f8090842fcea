"""Guard against a reference-count bug of PySide6 6.12.0 on Python 3.11.

With that pair, every call from Python of a Qt method returning ``void`` (``QPainter.setPen``,
``QWidget.update`` …) hands back ``None`` without taking a reference, every
``SignalInstance.emit()`` drops one reference to ``True``, and ``None`` passed through a
QVariant loses one too. On Python 3.11 ``None``/``True``/``False`` are ordinary objects, so
after a few thousand such calls (a handful of chart repaints) the process aborts with
"Fatal Python error: none_dealloc: deallocating None" (or ``bool_dealloc``).

:func:`install` probes once whether the running PySide leaks and, only then, makes the three
singletons effectively immortal by adding 2**40 to their reference counts — what Python 3.12
does for them anyway. It changes nothing on a fixed PySide or on Python ≥ 3.12. Installed by ``desktop/ui/__init__.py``,
so it is active whenever any part of the user interface is imported.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

IMMORTAL = 1 << 40
_installed = False


class _Probe(QObject):
    ping = Signal()


def leaks() -> bool:
    """True when this PySide loses references to None or True (measured, not assumed)."""
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(8):
        probe.setObjectName("probe")  # void: returns None
        probe.ping.emit()
    return sys.getrefcount(None) < none_before or sys.getrefcount(True) < true_before


def install() -> bool:
    """Apply the guard if needed; returns whether it is active."""
    global _installed
    if _installed:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or not leaks():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += IMMORTAL
    _installed = True
    return True
