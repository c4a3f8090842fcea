"""``mingbaika-cli``: headless commands.

Exit codes: 0 success; 1 a problem with the input or the data (a Chinese
message on stderr); 2 a usage error; 3 an unexpected internal error (logged to
the data folder, summarised in one line). Commands live in
``desktop/cli/commands/``, one module each, with ``register(subparsers)``; a new
module is a new command. Only the chosen command's module is imported
(:mod:`desktop.cli.registry`), and the commands of this package also import
SQLAlchemy, openpyxl, ``desktop.core`` and the like inside ``run``, so that
``--version``, ``--help`` and a command's ``--help`` start fast
(tests/desktop/cli/test_startup.py checks it).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from db.errors import DatabaseOpenError
from desktop import __version__
from desktop.cli.errors import UserError
from desktop.cli.registry import LazyCommands, discover

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: 用法错误：{message}\n")


def build_parser(*, load_all: bool = False) -> argparse.ArgumentParser:
    """The parser; a command's module is imported when its name is parsed (or all now, ``load_all``)."""
    parser = ChineseArgumentParser(
        prog="mingbaika-cli",
        description="明白卡（精准扶贫明白卡管理）命令行工具",
    )
    parser.add_argument("--version", action="version", version=f"mingbaika {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="数据库文件路径或 SQLAlchemy URL（默认：环境变量 MINGBAIKA_DB，或用户数据目录中的 mingbaika.sqlite3）",
    )
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=ChineseArgumentParser,
                                action=LazyCommands)
    sub.required = True
    for command in discover():
        sub.add_module(command)
    if load_all:
        sub.load_all()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, DatabaseOpenError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return EXIT_DATA
    except Exception as exc:  # noqa: BLE001 - last line of defence: never show a traceback
        from db.session import safe_location
        from desktop.core.logsetup import log_unexpected

        command_line = " ".join(safe_location(arg) for arg in (argv or sys.argv[1:]))  # no passwords in the log
        log_file = log_unexpected(exc, context=f"mingbaika-cli {command_line}")
        print(f"程序内部错误（{type(exc).__name__}: {exc}），详情已记录到 {log_file}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        logging.shutdown()


if __name__ == "__main__":
    sys.exit(main())
