"""The PySide6 user interface.

Importing it applies the guard of :mod:`desktop.ui.qtrefs` against a
reference-count bug of PySide6 6.12.0 on Python 3.11, before any window exists.
"""

from desktop.ui import qtrefs

qtrefs.install()
