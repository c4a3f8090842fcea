"""The GUI starts on the default database and shows the counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[3]


def test_main_window_shows_counts(qtbot, demo_db) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    assert "贫困户：300" in window.summary.text()
    assert window.menu("print") is not None


def test_app_starts_on_default_database_and_quits(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, MINGBAIKA_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    env.pop("MINGBAIKA_DB", None)
    result = subprocess.run([sys.executable, "-m", "desktop.ui.app", "--quit-after", "200"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mingbaika.sqlite3").exists()
