"""Mingbaika desktop application: the Qt-free core (``desktop.core``), the
command line (``desktop.cli``) and the Qt user interface (``desktop.ui``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mingbaika")
except PackageNotFoundError:  # running from a source tree or a frozen bundle
    __version__ = "0.1.0"
