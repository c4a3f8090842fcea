"""The sub-commands: every module in ``desktop/cli/commands/``, imported only when it runs.

A module ``name.py`` (or ``name_cmd.py`` where ``name`` is a Python keyword or builtin)
is the command ``name``; its ``register(subparsers)`` adds exactly that one sub-parser.
Only the chosen command's module is imported, when argparse reaches its name. To list
the commands (``mingbaika-cli --help``, and only then) the one-line help is read from the
``help=`` of the ``add_parser``/``add_command`` call in the module's source, without
importing it; a module whose help cannot be read that way (no source, as in a frozen
bundle, or a help that is not a literal string) is imported then.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.cli import commands

#: Suffix of a module whose command name would shadow a keyword or builtin (``import_cmd``).
SUFFIX = "_cmd"
#: The calls in ``register`` whose ``help=`` is the command's one-line help.
PARSER_CALLS = frozenset({"add_parser", "add_command"})


@dataclass(frozen=True)
class CommandModule:
    name: str  # the command, as typed
    module: str  # the dotted module name


def discover() -> list[CommandModule]:
    """The command modules, by module name (the order of the ``--help`` listing)."""
    found = sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name)
    return [CommandModule(info.name.removesuffix(SUFFIX), f"{commands.__name__}.{info.name}")
            for info in found if not info.ispkg]


def command_help(module: str) -> str | None:
    """The literal ``help=`` of the parser ``register`` adds in ``module``'s source, or None."""
    try:
        spec = importlib.util.find_spec(module)
        source = spec.loader.get_source(module) if spec is not None and spec.loader is not None else None
    except (ImportError, OSError):
        return None
    if not source:
        return None
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "register":
            for call in ast.walk(node):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called not in PARSER_CALLS:
                    continue
                for keyword in call.keywords:
                    if keyword.arg == "help" and isinstance(keyword.value, ast.Constant) \
                            and isinstance(keyword.value.value, str):
                        return keyword.value.value
                return None
    return None


class _StandIn(argparse._SubParsersAction._ChoicesPseudoAction):  # noqa: SLF001
    """The ``--help`` line of a command not loaded yet; its help is looked up only when shown."""

    def __init__(self, name: str, aliases: Any, help: Any) -> None:  # noqa: A002 - argparse's name
        self.resolve: Callable[[], str | None] | None = None
        super().__init__(name, aliases, help)

    @property
    def help(self) -> str | None:  # noqa: A003
        if self._help is _UNRESOLVED:
            self._help = self.resolve() if self.resolve is not None else None
        return self._help

    @help.setter
    def help(self, value: Any) -> None:
        self._help = value


_UNRESOLVED = object()


class LazyCommands(argparse._SubParsersAction):  # noqa: SLF001 - argparse has no public extension point
    """Sub-parsers that stand in for their command until argparse picks it, then load the module.

    A stand-in's one-line help is found only when ``--help`` lists the commands: read from the
    module's source, or (no source, as in a frozen bundle) by loading the module.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[str, str] = {}

    def add_module(self, command: CommandModule) -> None:
        self._ChoicesPseudoAction = _StandIn
        try:
            self.add_parser(command.name, help=_UNRESOLVED)  # a stand-in until the command is chosen
        finally:
            del self._ChoicesPseudoAction
        self._choices_actions[-1].resolve = lambda: self._help_of(command)
        self._pending[command.name] = command.module

    def _help_of(self, command: CommandModule) -> str | None:
        found = command_help(command.module)
        if found is not None:
            return found
        added = self.load(command.name)
        return added[0].help if added else None

    def load(self, name: str) -> list[argparse.Action]:
        """Replace the stand-in for ``name`` by the parser its module registers; the new help lines."""
        module = self._pending.pop(name, None)
        if module is None:
            return []
        del self._name_parser_map[name]
        place = next(i for i, a in enumerate(self._choices_actions) if a.dest == name)
        stand_in = self._choices_actions[place]
        before = len(self._choices_actions)
        importlib.import_module(module).register(self)
        added = self._choices_actions[before:]
        del self._choices_actions[before:]
        self._choices_actions[place:place + 1] = added or [stand_in]
        return added
    def load_all(self) -> None:
        for name in list(self._pending):
            self.load(name)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        self.load(values[0])
        super().__call__(parser, namespace, values, option_string)
