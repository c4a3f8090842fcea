"""The Qt-free core: domain logic shared by the GUI, the CLI and the tests."""

from desktop.core import cardversion as _cardversion  # noqa: F401 - any card change bumps Household.version
from desktop.core import searchindex as _searchindex  # noqa: F401 - keeps search keys current
from desktop.core import validation as _validation  # noqa: E402 - rejects control characters / absurd lengths

_validation.install_guard()
