"""The log file follows the data folder, and unexpected errors land in it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from desktop.core import logsetup


def _raise() -> None:
    raise ZeroDivisionError("planted for the log test")


def test_unexpected_errors_are_written_where_the_path_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = []
    for name in ("first", "second"):  # a new data folder (MINGBAIKA_HOME) mid-process
        home = tmp_path / name
        monkeypatch.setenv("MINGBAIKA_HOME", str(home))
        try:
            _raise()
        except ZeroDivisionError as exc:
            path = logsetup.log_unexpected(exc, context=f"test {name}")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert path.is_relative_to(home)
        text = path.read_text(encoding="utf-8")
        assert f"unexpected error in test {name}" in text and "planted for the log test" in text
        written.append(path)
    assert "test second" not in written[0].read_text(encoding="utf-8")
    assert logsetup.configure() == written[1]
