"""db/ and the Qt-free core import nothing from PySide6 (nor from the UI)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_FREE = [ROOT / "db", ROOT / "desktop" / "core", ROOT / "desktop" / "cli"]
FORBIDDEN = ("PySide6", "shiboken6", "desktop.ui")
# CLI commands that render with Qt (printing) import it lazily inside a function.
LAZY_ALLOWED = {ROOT / "desktop" / "cli"}


def imported_modules(path: Path, *, top_level_only: bool) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_qt_free_layers_do_not_import_qt() -> None:
    offenders = []
    for folder in QT_FREE:
        for path in folder.rglob("*.py"):
            top_only = folder in LAZY_ALLOWED
            for name in imported_modules(path, top_level_only=top_only):
                if name.startswith(FORBIDDEN):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_check_catches_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\n", encoding="utf-8")
    assert imported_modules(bad, top_level_only=True) == ["PySide6.QtCore"]


def test_importing_core_does_not_load_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys, db.session, db.models, desktop.core.demo, desktop.core.idnumber, desktop.cli.main;"
        "desktop.cli.main.build_parser();"
        "bad=[m for m in sys.modules if m.startswith('PySide6')]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
