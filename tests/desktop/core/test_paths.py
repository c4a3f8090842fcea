"""Resource paths resolve from the source tree and from the frozen bundle (sys._MEIPASS)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.core import paths

ROOT = Path(__file__).resolve().parents[3]


def test_from_source() -> None:
    assert not paths.is_frozen()
    assert paths.bundle_dir() == ROOT
    assert paths.resource("codelists.yaml") == ROOT / "resources" / "codelists.yaml"
    assert paths.resource("codelists.yaml").is_file()
    assert paths.user_guide() == ROOT / "docs" / "使用说明.md"


def test_from_the_frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert paths.is_frozen()
    assert paths.bundle_dir() == tmp_path
    assert paths.resources_dir() == tmp_path / "resources"
    assert paths.resource("icons", "mingbaika.png") == tmp_path / "resources" / "icons" / "mingbaika.png"
    assert paths.user_guide() == tmp_path / "docs" / "使用说明.md"
