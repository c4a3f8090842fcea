"""Helpers shared by CLI commands.

This module is imported while the parser is built, so it must stay cheap: no
SQLAlchemy, openpyxl or ``desktop.core`` at module level (``desktop.core``'s
``__init__`` loads the pinyin dictionaries). Import them inside the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from desktop.cli.errors import UserError

if TYPE_CHECKING:
    from db.engine import Database
    from desktop.core.progress import Progress

JSON_HELP = "以 JSON 输出结果"


def add_command(sub: argparse._SubParsersAction, name: str, run: Callable[[argparse.Namespace], int], *,
                help: str, description: str) -> argparse.ArgumentParser:  # noqa: A002 - argparse's name
    """A sub-command whose ``run(args)`` is called with the parsed arguments."""
    parser = sub.add_parser(name, help=help, description=description)
    parser.set_defaults(func=run)
    return parser


def add_json_flag(parser: argparse.ArgumentParser, help: str = JSON_HELP) -> None:  # noqa: A002
    parser.add_argument("--json", action="store_true", help=help)


# ---------------------------------------------------------------------------- the database

def open_db(args: argparse.Namespace) -> Database:
    """Open the database named by ``--db`` (or ``MINGBAIKA_DB``, or the default file): a file or a server URL."""
    from db.session import open_database
    from desktop.core.paths import database_location

    return open_database(database_location(getattr(args, "db", None)))


def database_label(db: Database) -> str:
    """What names ``db`` to a user: its file, or its URL without the password."""
    if db.path is not None:
        return str(db.path)
    return db.engine.url.render_as_string(hide_password=True)


@contextmanager
def opened_db(args: argparse.Namespace) -> Iterator[Database]:
    """:func:`open_db`, disposed of when the block ends (also on an error)."""
    db = open_db(args)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def user_errors(*errors: type[BaseException]) -> Iterator[None]:
    """Report ``errors`` raised in the block as a :class:`UserError` with the same message."""
    try:
        yield
    except errors as exc:
        raise UserError(str(exc)) from exc


# ---------------------------------------------------------------------------- output

def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def tty_status(render: Callable[..., str | None]) -> Callable[..., None]:
    """A progress callback that rewrites one status line on stderr when it is a terminal.

    ``render`` gets the callback's arguments and returns the line, or None to show nothing.
    """

    def show(*progress: Any) -> None:
        if sys.stderr.isatty():
            line = render(*progress)
            if line is not None:
                print(f"\r{line}", end="", file=sys.stderr)

    return show


def tty_progress(render: Callable[[int, int, str], str | None]) -> Progress:
    """A :class:`~desktop.core.progress.Progress` that shows ``render(done, total, text)`` (see :func:`tty_status`)."""
    from desktop.core.progress import Progress

    return Progress(on_update=tty_status(render))


def text_progress(width: int, *, clip: bool = False) -> Progress:
    """Progress showing the work's own text, padded to ``width`` (cut to it with ``clip``)."""
    return tty_progress(lambda _done, _total, text: f"{text[:width] if clip else text:<{width}}" if text else None)


def end_status_line() -> None:
    """Finish the status line of :func:`tty_status` (only a terminal has one)."""
    if sys.stderr.isatty():
        print(file=sys.stderr)
