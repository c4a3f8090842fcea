"""``mingbaika``: start the desktop application."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from db.errors import DatabaseOpenError
from db.session import open_database
from desktop import __version__
from desktop.core.logsetup import configure as configure_logging
from desktop.core.logsetup import log_unexpected
from desktop.core.paths import database_location


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mingbaika", description="明白卡（精准扶贫明白卡管理）")
    parser.add_argument("--db", metavar="PATH", help="数据库文件路径（默认：MINGBAIKA_DB 或用户数据目录）")
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def install_translators(app: QApplication) -> None:
    """Qt's own strings (dialog buttons…) in Simplified Chinese."""
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", path):
        app.installTranslator(translator)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    configure_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("明白卡")
    app.setOrganizationName("Mingbaika")
    app.setApplicationVersion(__version__)
    install_translators(app)

    def excepthook(exc_type, exc, tb) -> None:  # noqa: ANN001
        path = log_unexpected(exc, context="GUI")
        QMessageBox.critical(None, "程序错误", f"程序内部错误：{exc}\n\n详情已记录到：{path}")

    sys.excepthook = excepthook
    location = database_location(args.db)
    try:
        database = open_database(location)
    except DatabaseOpenError as exc:
        QMessageBox.critical(None, "无法打开数据库", str(exc))
        return 1
    from desktop.ui.main_window import MainWindow

    window = MainWindow(database)
    window.show()
    if args.quit_after is not None:
        QTimer.singleShot(args.quit_after, app.quit)
    code = app.exec()
    database.dispose()
    return code


if __name__ == "__main__":
    sys.exit(main())
