"""Start-up stays cheap: the parser is built without importing the commands, and a command imports
only itself; a new module in desktop/cli/commands/ is still a command (desktop.cli.registry)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import commands, registry
from desktop.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("sqlalchemy", "openpyxl", "alembic", "pypinyin", "PySide6", "stdnum", "python_calamine", "desktop.core",
         "db.session", "db.models", "db.backup")

PROBE = """
import json, sys
from desktop.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_after(*argv: str) -> tuple[int, list[str]]:
    """Run ``mingbaika-cli argv`` in a fresh interpreter; its exit code and the modules it imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], report["modules"]


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(HEAVY)]


def command_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith("desktop.cli.commands.")]


def test_version_and_help_import_no_command_and_nothing_heavy() -> None:
    for argv in (["--version"], ["--help"]):
        code, modules = loaded_after(*argv)
        assert code == 0, argv
        assert heavy(modules) == [], argv
        assert command_modules(modules) == [], argv


def test_a_commands_help_imports_only_that_command() -> None:
    code, modules = loaded_after("stats", "--help")
    assert code == 0
    assert command_modules(modules) == ["desktop.cli.commands.stats"]
    assert heavy(modules) == []  # stats imports desktop.core only inside run()


def test_every_command_module_is_cheap_to_import_except_the_backup_pair() -> None:
    """Our commands import SQLAlchemy, openpyxl and desktop.core inside run(); backup/restore (H2's)
    still import db.backup at module level, which only costs when they are chosen."""
    for command in registry.discover():
        if command.name in ("backup", "restore"):
            continue
        code = f"import sys, {command.module}; print('\\n'.join(sys.modules))"
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        assert heavy(out.stdout.split()) == [], command.module


def test_running_a_command_loads_it(tmp_path: Path) -> None:
    code, modules = loaded_after("--db", str(tmp_path / "s.sqlite3"), "stats")
    assert code == 0
    assert command_modules(modules) == ["desktop.cli.commands.stats"]
    assert "sqlalchemy" in modules


def test_every_module_registers_the_command_it_is_named_for_with_the_help_read_from_its_source() -> None:
    found = registry.discover()
    assert {"demo", "stats", "import", "print"} <= {c.name for c in found}
    for command in found:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(command.module).register(sub)
        assert list(sub.choices) == [command.name], command.module
        [pseudo] = sub._choices_actions  # noqa: SLF001
        assert registry.command_help(command.module) == pseudo.help, command.module


def test_lazy_parser_lists_and_parses_like_the_fully_loaded_one() -> None:
    lazy, full = build_parser(), build_parser(load_all=True)
    assert lazy.format_help() == full.format_help()
    argv = ["--db", "x.sqlite3", "export", "out.xlsx", "--township", "411726100000", "--json"]
    parsed, expected = vars(lazy.parse_args(argv)), vars(full.parse_args(argv))
    assert parsed.pop("func").__module__ == expected.pop("func").__module__ == "desktop.cli.commands.export"
    assert parsed == expected
    assert lazy.format_help() == full.format_help()  # loading a command keeps the listing's order


@pytest.fixture
def extra_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A second folder of command modules, as if someone had added files to desktop/cli/commands/."""
    folder = tmp_path / "more"
    folder.mkdir()
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(folder)])
    yield folder
    for name in [m for m in sys.modules if m.startswith("desktop.cli.commands.zz")]:
        del sys.modules[name]


HELLO = '''
from desktop.cli.common import add_command

def register(sub):
    p = add_command(sub, "zzhello", run, help="问好", description="打个招呼。")
    p.add_argument("--name", default="世界")

def run(args):
    print(f"你好，{args.name}")
    return 0
'''


def test_a_new_module_becomes_a_command_and_is_imported_only_when_chosen(extra_commands: Path, capsys) -> None:
    (extra_commands / "zzhello.py").write_text(HELLO, encoding="utf-8")
    parser = build_parser()
    assert "zzhello" in parser.format_help() and "问好" in parser.format_help()
    assert "desktop.cli.commands.zzhello" not in sys.modules
    assert main(["zzhello", "--name", "乡亲"]) == 0
    assert capsys.readouterr().out == "你好，乡亲\n"
    assert "desktop.cli.commands.zzhello" in sys.modules


def test_a_module_whose_help_is_not_a_literal_is_imported_to_list_it(extra_commands: Path, capsys) -> None:
    (extra_commands / "zzcomputed_cmd.py").write_text(
        HELLO.replace('"zzhello"', '"zzcomputed"').replace('help="问好"', 'help="问" + "好"'), encoding="utf-8")
    assert registry.command_help("desktop.cli.commands.zzcomputed_cmd") is None
    parser = build_parser()
    assert "desktop.cli.commands.zzcomputed_cmd" not in sys.modules  # not for --version or another command
    assert "zzcomputed 问好" in " ".join(parser.format_help().split())
    assert "desktop.cli.commands.zzcomputed_cmd" in sys.modules
    assert main(["zzcomputed"]) == 0
    assert capsys.readouterr().out == "你好，世界\n"


def test_without_sources_as_in_the_frozen_bundle_only_help_loads_every_command(monkeypatch) -> None:
    code = (
        "import sys; from desktop.cli import registry, main;"
        "registry.command_help = lambda module: None;"  # what a bundle without .py files reads
        "parser = main.build_parser(); before = [m for m in sys.modules if m.startswith('desktop.cli.commands.')];"
        "listing = parser.format_help();"
        "after = [m for m in sys.modules if m.startswith('desktop.cli.commands.')];"
        "print(before, len(after), listing == main.build_parser(load_all=True).format_help())"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", str(len(registry.discover())), "True"]
    code, modules = loaded_after("--version")
    assert command_modules(modules) == []


def test_command_help_reads_only_the_register_call(tmp_path: Path, extra_commands: Path) -> None:
    (extra_commands / "zzother.py").write_text(
        'HELP = "不是这个"\n'
        'def helper(sub):\n    sub.add_parser("x", help="也不是这个")\n'
        'def register(sub):\n    p = sub.add_parser("zzother", help="是这个", description="d")\n',
        encoding="utf-8")
    assert registry.command_help("desktop.cli.commands.zzother") == "是这个"
    assert registry.command_help("desktop.cli.commands.zznothere") is None
