"""The Qt-free core: domain logic shared by the GUI, the CLI and the tests."""

from desktop.core import searchindex as _searchindex  # noqa: F401 - keeps search keys current
