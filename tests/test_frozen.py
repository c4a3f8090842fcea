"""Smoke test of the frozen one-folder app (build.spec), run as a township PC would run it.

The bundle in ``dist/mingbaika`` is built first when it is missing or stale
(``freezing.bundle``: PyInstaller is installed if needed; a build takes about
half a minute to a few minutes on two cores). Then a copy of the folder is put
in a path with Chinese characters and a space, and from there, with no source
tree, no Python path and a fresh data folder: the CLI makes a demo database,
shows its statistics, exports a workbook and reads it back (dry run), prints a
PDF (when those commands exist), refuses a file that is not a database; the GUI
starts offscreen on the demo database, loads every feature, Qt's Chinese
strings and the user guide, and quits on its timer with exit code 0.

Skip it for quick local runs with ``MINGBAIKA_SKIP_FROZEN=1``; CI runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOUSEHOLDS = 12

pytestmark = [
    pytest.mark.frozen,
    pytest.mark.skipif(os.environ.get("MINGBAIKA_SKIP_FROZEN") == "1",
                       reason="MINGBAIKA_SKIP_FROZEN=1: frozen-bundle smoke test skipped (CI runs it)"),
]


def built_modules(package: str) -> list[str]:
    """Modules of a package that were in the checkout when the bundle was built."""
    from freezing.bundle import built_inputs

    folder = package.replace(".", "/") + "/"
    names = [f[len(folder):-3] for f in built_inputs() if f.startswith(folder) and f.endswith(".py")]
    return sorted(f"{package}.{name}" for name in names if "/" not in name and name != "__init__")


def source_commands() -> dict[str, list[str]]:
    """CLI command names and their options, from the command modules the bundle was built with."""
    import argparse
    import importlib

    sub = argparse.ArgumentParser().add_subparsers()
    for module in built_modules("desktop.cli.commands"):
        importlib.import_module(module).register(sub)
    return {name: [opt for action in p._actions for opt in action.option_strings]
            for name, p in sub.choices.items()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The freshly built bundle, copied to a folder a clerk might choose."""
    from freezing.bundle import ensure_bundle

    bundle, _seconds = ensure_bundle()
    target = tmp_path_factory.mktemp("pc") / "明白卡 程序" / "mingbaika"
    shutil.copytree(bundle, target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def pc_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pc-home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "MINGBAIKA_", "VIRTUAL_ENV", "QT_", "PYTEST"))}
    env.update(HOME=str(home), MINGBAIKA_HOME=str(home / "data"), QT_QPA_PLATFORM="offscreen",
               LANG="C.UTF-8", LC_ALL="C.UTF-8")
    if os.name == "posix":
        env["PATH"] = "/usr/bin:/bin"  # no Python of ours on the PATH
    return env


def run(installed: Path, env: dict[str, str], name: str, *args: str, cwd: Path,
        timeout: float = 180) -> subprocess.CompletedProcess[str]:
    from freezing.bundle import executable

    return subprocess.run([str(executable(name, installed)), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pc-work")


@pytest.fixture(scope="module")
def demo(installed: Path, pc_env: dict[str, str], work: Path) -> Path:
    path = work / "演示 数据.sqlite3"
    result = run(installed, pc_env, "mingbaika-cli", "--db", str(path), "demo",
                 "--households", str(HOUSEHOLDS), "--seed", "5", cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"已生成 {HOUSEHOLDS} 户" in result.stdout
    return path


def test_bundle_holds_every_data_file_and_nothing_unused(installed: Path) -> None:
    from freezing.bundle import executable, internal

    inside = internal(installed)
    assert executable("mingbaika", installed).is_file() and executable("mingbaika-cli", installed).is_file()
    from freezing.bundle import built_inputs

    inputs = built_inputs()
    resources = [f for f in inputs if f.startswith("resources/") and not f.endswith(".py")]
    migrations = [f for f in inputs if f.startswith("db/migrations/") and f.endswith((".py", ".mako"))
                  and f != "db/migrations/__init__.py" and f != "db/migrations/versions/__init__.py"]
    assert resources and "db/migrations/env.py" in migrations and "db/migrations/script.py.mako" in migrations
    for name in resources + migrations:
        assert (inside / name).is_file(), f"{name} is missing from the bundle"
        if (ROOT / name).is_file() and name.startswith("resources/"):
            assert (inside / name).stat().st_size == (ROOT / name).stat().st_size, f"{name} differs"
    qms = sorted(p.name for p in inside.rglob("*.qm"))
    assert qms == ["qtbase_zh_CN.qm"]
    assert (inside / "docs" / "使用说明.md").is_file()
    # Modules kept out on purpose (optional imports of openpyxl / stdnum, unused Qt modules, tests).
    for unwanted in ("numpy", "PIL", "tkinter", "cryptography", "requests", "pytest", "hypothesis",
                     "PySide6/QtQml.abi3.so", "PySide6/QtNetwork.abi3.so", "PySide6/Qt/qml"):
        assert not (inside / unwanted).exists(), f"{unwanted} should not be in the bundle"
    assert not list(inside.rglob("*qgtk3*")), "the GTK theme plugin should not be in the bundle"
    dangling = [p for p in installed.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []


def test_cli_version_is_the_package_version(installed: Path, pc_env: dict[str, str], work: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    result = run(installed, pc_env, "mingbaika-cli", "--version", cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mingbaika {version}"


def test_cli_lists_every_command(installed: Path, pc_env: dict[str, str], work: Path) -> None:
    result = run(installed, pc_env, "mingbaika-cli", "--help", cwd=work)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ") and line.strip()}
    for name in source_commands():
        assert name in listed, f"command {name!r} is missing from the frozen CLI"


def test_cli_demo_and_stats(installed: Path, pc_env: dict[str, str], work: Path, demo: Path) -> None:
    result = run(installed, pc_env, "mingbaika-cli", "--db", str(demo), "stats", "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["household"] == HOUSEHOLDS
    assert counts["member"] >= HOUSEHOLDS
    with sqlite3.connect(demo) as con:  # an independent reader agrees
        assert con.execute("SELECT count(*) FROM household").fetchone()[0] == HOUSEHOLDS
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_cli_refuses_a_file_that_is_not_a_database(installed: Path, pc_env: dict[str, str], work: Path) -> None:
    fake = work / "不是数据库.sqlite3"
    fake.write_text("这是一个文本文件\n", encoding="utf-8")
    before = fake.read_bytes()
    result = run(installed, pc_env, "mingbaika-cli", "--db", str(fake), "stats", cwd=work)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "不是明白卡数据库" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake.read_bytes() == before


def test_cli_export_and_dry_run_import(installed: Path, pc_env: dict[str, str], work: Path, demo: Path) -> None:
    commands = source_commands()
    if "export" not in commands:
        pytest.skip("the bundle has no export command yet")
    out = work / "交换表.xlsx"
    result = run(installed, pc_env, "mingbaika-cli", "--db", str(demo), "export", str(out), cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(out))
    assert len(book.sheet_names) >= 2
    rows = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    assert max(len(r) for r in rows.values()) > HOUSEHOLDS  # a header row plus one row per household at least
    with sqlite3.connect(demo) as con:
        head = con.execute("SELECT name FROM member ORDER BY id LIMIT 1").fetchone()[0]
    assert any(head in map(str, row) for sheet in rows.values() for row in sheet)
    if "import" not in commands:
        return
    args = ["--db", str(demo), "import", str(out), "--dry-run"]
    as_json = "--json" in commands["import"]
    result = run(installed, pc_env, "mingbaika-cli", *args, *(["--json"] if as_json else []), cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    if as_json:
        report = json.loads(result.stdout)
        for sheet, counts in report["counts"].items():
            assert counts.get("新增", 0) == counts.get("修改", 0) == counts.get("错误", 0) == 0, (sheet, counts)


def test_cli_prints_cards_to_pdf(installed: Path, pc_env: dict[str, str], work: Path, demo: Path) -> None:
    commands = source_commands()
    if "print" not in commands:
        pytest.skip("the bundle has no print command yet")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to check the PDF")
    out = work / "明白卡.pdf"
    extra = ["--all"] if "--all" in commands["print"] else []
    result = run(installed, pc_env, "mingbaika-cli", "--db", str(demo), "print", str(out), *extra, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True,
                          encoding="utf-8", check=True).stdout
    assert text.count("\f") >= HOUSEHOLDS  # one page (at least) per household
    with sqlite3.connect(demo) as con:
        heads = [r[0] for r in con.execute(
            "SELECT m.name FROM member m JOIN household h ON m.household_id = h.id "
            "WHERE m.relation = '户主' ORDER BY h.id LIMIT 3")]
    for name in heads:
        assert name in text, f"{name} is not in the PDF text"


def test_gui_starts_on_the_database_and_quits(installed: Path, pc_env: dict[str, str], work: Path,
                                               demo: Path) -> None:
    report = work / "diagnostics.json"
    env = dict(pc_env, MINGBAIKA_DIAGNOSTICS_FILE=str(report))
    result = run(installed, env, "mingbaika", "--db", str(demo), "--quit-after", "1500", cwd=work, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    info = json.loads(report.read_text(encoding="utf-8"))
    assert info["frozen"] is True
    assert Path(info["database"]) == demo
    assert Path(info["bundle_dir"]).resolve() == (installed / "_internal").resolve()
    assert info["qt_cancel_text"] == "取消"  # Qt's own catalogue is bundled and loaded
    assert info["features"] == built_modules("desktop.ui.features")
    assert info["user_guide"]["exists"] and info["user_guide"]["missing_images"] == []
    assert any("使用说明" in text for text in info["menus"]["help"])
    assert info["window_icon"] is True
    log = Path(pc_env["MINGBAIKA_HOME"]) / "logs" / "mingbaika.log"
    if log.exists():
        assert " ERROR " not in log.read_text(encoding="utf-8")
