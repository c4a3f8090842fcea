"""Help menu: 使用说明 (F1, the user guide ``docs/使用说明.md``) and 关于明白卡.

The guide is rendered from the Markdown file with ``QTextBrowser.setMarkdown``;
its screenshots are looked up next to it, so the same file reads well on the
project page and in the program. In the frozen bundle both come from
``_internal/docs`` (see ``build.spec``).

Support and smoke tests: when the environment variable
``MINGBAIKA_DIAGNOSTICS_FILE`` names a file, the window writes ``diagnostics()``
there as JSON once the event loop runs (all features installed, window shown).
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QCoreApplication, Qt, QTimer, QUrl, qVersion
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.core import paths

DIAGNOSTICS_ENV = "MINGBAIKA_DIAGNOSTICS_FILE"
IMAGE_MAX_WIDTH = 860  # screenshots are 1366 px wide; the guide window is about 1000 px


def app_icon() -> QIcon:
    path = paths.resource("icons", "mingbaika.png")
    return QIcon(str(path)) if path.is_file() else QIcon()


def database_location(window: QMainWindow) -> str:
    database = getattr(window, "database", None)
    if database is None:
        return ""
    if database.path is not None:
        return str(database.path)
    return database.engine.url.render_as_string(hide_password=True)


def _where(window: QMainWindow) -> str:
    """本机数据库：… / 服务器数据库：PostgreSQL host:port/db（用户 …）, never the password."""
    from desktop.core.location import describe

    database = getattr(window, "database", None)
    return describe(database).text if database is not None else ""


def guide_images(markdown: str) -> list[str]:
    """Image paths referenced by ``![alt](path)`` in the guide."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)", markdown)


def diagnostics(window: QMainWindow) -> dict[str, Any]:
    """What support (and the frozen smoke test) needs to know about this installation."""
    guide = paths.user_guide()
    text = guide.read_text(encoding="utf-8") if guide.is_file() else ""
    images = guide_images(text)
    menus = {}
    for key in ("file", "records", "print", "data", "check", "tools", "help"):
        try:
            menu = window.menu(key)  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            continue
        menus[key] = [a.text() for a in menu.actions() if not a.isSeparator()]
    return {
        "version": __version__,
        "frozen": paths.is_frozen(),
        "executable": sys.executable,
        "bundle_dir": str(paths.bundle_dir()),
        "database": database_location(window),
        "database_kind": _where(window),
        "data_dir": str(paths.data_dir()),
        "log_dir": str(paths.log_dir()),
        "python": platform.python_version(),
        "qt": qVersion(),
        "pyside": PySide6.__version__,
        "platform": platform.platform(),
        "qt_platform": QGuiApplication.platformName(),
        # Qt's own strings come from qtbase_zh_CN.qm: "取消" when the catalogue loaded.
        "qt_cancel_text": QCoreApplication.translate("QPlatformTheme", "Cancel"),
        "user_guide": {
            "path": str(guide),
            "exists": guide.is_file(),
            "chars": len(text),
            "images": images,
            "missing_images": [name for name in images if not (guide.parent / name).is_file()],
        },
        "features": sorted(name for name in sys.modules if name.startswith("desktop.ui.features.")),
        "menus": menus,
        "window_title": window.windowTitle(),
        "window_icon": not window.windowIcon().isNull(),
    }


def write_diagnostics(window: QMainWindow, target: Path) -> None:
    data = json.dumps(diagnostics(window), ensure_ascii=False, indent=2)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, target)


class GuideWindow(QDialog):
    """The user guide, with find-as-you-type (Ctrl+F, Enter / Shift+Enter for next / previous)."""

    def __init__(self, parent: QWidget | None = None, guide: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setWindowTitle(self.tr("明白卡使用说明"))
        self.resize(1000, 680)
        self.guide = guide or paths.user_guide()
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.find_edit = QLineEdit(self)
        self.find_edit.setPlaceholderText(self.tr("查找（Ctrl+F；回车找下一个，Shift+回车找上一个）"))
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.textEdited.connect(lambda _text: self.find(from_start=True))
        self.find_edit.returnPressed.connect(self.find)
        self.status = QLabel(self)
        find_label = QLabel(self.tr("查找(&F)："), self)
        find_label.setBuddy(self.find_edit)
        bar = QHBoxLayout()
        bar.addWidget(find_label)
        bar.addWidget(self.find_edit, 1)
        bar.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        find_action = QAction(self)
        find_action.setShortcut(QKeySequence.StandardKey.Find)
        find_action.triggered.connect(lambda: (self.find_edit.setFocus(), self.find_edit.selectAll()))
        self.addAction(find_action)
        previous_action = QAction(self)
        previous_action.setShortcut(QKeySequence("Shift+Return"))
        previous_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        previous_action.triggered.connect(lambda: self.find(backward=True))
        self.find_edit.addAction(previous_action)
        self.load()

    def load(self) -> None:
        if not self.guide.is_file():
            self.browser.setPlainText(self.tr("找不到使用说明文件：%s") % self.guide)
            return
        folder = str(self.guide.parent)
        self.browser.setSearchPaths([folder])
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(folder + "/"))
        self.browser.setMarkdown(self.guide.read_text(encoding="utf-8"))
        self._fit_images(IMAGE_MAX_WIDTH)
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)

    def _fit_images(self, max_width: int) -> None:
        """Scale screenshots down to the window's width (Markdown has no image size)."""
        document = self.browser.document()
        cursor = QTextCursor(document)
        block = document.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fmt = fragment.charFormat()
                if fmt.isImageFormat():
                    image_format = fmt.toImageFormat()
                    image = QImage(str(self.guide.parent / image_format.name()))
                    if not image.isNull() and image.width() > max_width:
                        image_format.setWidth(max_width)
                        image_format.setHeight(image.height() * max_width / image.width())
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor)
                        cursor.setCharFormat(image_format)
                it += 1
            block = block.next()

    def find(self, *, backward: bool = False, from_start: bool = False) -> bool:
        text = self.find_edit.text()
        if not text:
            self.status.clear()
            return False
        if from_start:
            self.browser.moveCursor(QTextCursor.MoveOperation.Start)
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        found = self.browser.find(text, flags)
        if not found:  # wrap around
            self.browser.moveCursor(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
            found = self.browser.find(text, flags)
        self.status.setText("" if found else self.tr("未找到"))
        if found:  # show the match near the top of the page, where a heading belongs
            bar = self.browser.verticalScrollBar()
            bar.setValue(bar.value() + self.browser.cursorRect().top() - 40)
        return found


class AboutDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle(self.tr("关于明白卡"))
        self.resize(640, 420)
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(64, 64))
        info = diagnostics(window)
        server = info["database_kind"].startswith("服务器")
        edition = self.tr("服务器数据库，多人同时使用") if server else self.tr("单机版，无需联网")
        title = QLabel(self.tr("<b>明白卡</b> %s<br>精准扶贫明白卡管理（%s）") % (__version__, edition), self)
        head = QHBoxLayout()
        head.addWidget(icon)
        head.addWidget(title, 1)
        rows = [
            (self.tr("版本"), info["version"]),
            (self.tr("数据库"), info["database_kind"]),
            (self.tr("数据库位置"), info["database"]),
            (self.tr("数据文件夹"), info["data_dir"]),
            (self.tr("日志文件夹"), info["log_dir"]),
            (self.tr("程序文件夹"), info["bundle_dir"]),
            (self.tr("运行方式"), self.tr("安装包") if info["frozen"] else self.tr("源代码")),
            ("Python / Qt / PySide6", f"{info['python']} / {info['qt']} / {info['pyside']}"),
            (self.tr("操作系统"), info["platform"]),
        ]
        self.text = QPlainTextEdit("\n".join(f"{k}：{v}" for k, v in rows), self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self.tr("复制信息(&C)"), self)
        self.open_button = QPushButton(self.tr("打开数据文件夹(&O)"), self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        self.open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.data_dir())))
        )
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())


def install(window: QMainWindow) -> None:
    icon = app_icon()
    if not icon.isNull():
        window.setWindowIcon(icon)
        app = QApplication.instance()
        if app is not None:
            app.setWindowIcon(icon)
    menu = window.menu("help")  # type: ignore[attr-defined]
    guide_action = QAction(window.tr("使用说明(&U)"), window)
    guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)  # F1
    guide_action.triggered.connect(lambda: show_guide(window))
    menu.addAction(guide_action)
    menu.addSeparator()
    about_action = QAction(window.tr("关于明白卡(&A)"), window)
    about_action.triggered.connect(lambda: AboutDialog(window).exec())
    menu.addAction(about_action)
    target = os.environ.get(DIAGNOSTICS_ENV)
    if target:
        QTimer.singleShot(0, lambda: write_diagnostics(window, Path(target)))


def show_guide(window: QMainWindow) -> GuideWindow:
    """Open the guide (one window per main window, raised when already open)."""
    guide = getattr(window, "_guide_window", None)
    if guide is None:
        guide = GuideWindow(window)
        window._guide_window = guide  # type: ignore[attr-defined]
    guide.show()
    guide.raise_()
    guide.activateWindow()
    return guide
