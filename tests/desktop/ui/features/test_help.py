"""Help menu: the user guide (F1) and the About dialog; the diagnostics report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop import __version__
from desktop.core import paths
from desktop.ui.features import help as help_feature
from desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[4]
GUIDE = ROOT / "docs" / "使用说明.md"


def action(window: MainWindow, text: str):
    found = [a for a in window.menu("help").actions() if text in a.text()]
    assert len(found) == 1, [a.text() for a in window.menu("help").actions()]
    return found[0]


@pytest.fixture
def window(qtbot, demo_db) -> MainWindow:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def small_guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "screenshots").mkdir()
    wide = QImage(2000, 500, QImage.Format.Format_RGB32)
    wide.fill(Qt.GlobalColor.red)
    assert wide.save(str(tmp_path / "screenshots" / "wide.png"))
    small = QImage(100, 50, QImage.Format.Format_RGB32)
    small.fill(Qt.GlobalColor.blue)
    assert small.save(str(tmp_path / "screenshots" / "small.png"))
    guide = tmp_path / "使用说明.md"
    guide.write_text("# 测试说明\n\n## 第一节 安装\n\n双击 mingbaika。\n\n![宽图](screenshots/wide.png)\n\n"
                     "![小图](screenshots/small.png)\n\n## 第二节 备份\n\n复制数据库文件。\n", encoding="utf-8")
    monkeypatch.setattr(paths, "user_guide", lambda: guide)
    return guide


def image_sizes(browser) -> dict[str, tuple[float, float]]:
    sizes = {}
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                image = fmt.toImageFormat()
                sizes[image.name()] = (image.width(), image.height())
            it += 1
        block = block.next()
    return sizes


def test_help_menu_has_the_guide_on_f1_and_about(window: MainWindow) -> None:
    guide = action(window, "使用说明")
    assert guide.shortcut() == QKeySequence(Qt.Key.Key_F1)
    assert action(window, "关于明白卡") is not None
    assert not window.windowIcon().isNull()


def test_f1_opens_the_guide_with_screenshots_fitted(qtbot, window: MainWindow, small_guide: Path) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isActiveWindow)
    assert QApplication.focusWidget() is not None
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_F1)  # as a clerk presses it
    guide = getattr(window, "_guide_window", None)
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    assert "测试说明" in text and "复制数据库文件" in text
    sizes = image_sizes(guide.browser)
    assert sizes["screenshots/wide.png"] == (help_feature.IMAGE_MAX_WIDTH, 500 * help_feature.IMAGE_MAX_WIDTH / 2000)
    assert sizes["screenshots/small.png"][0] in (0, -1, 100)  # left at its natural size
    # A second F1 raises the same window instead of opening another.
    assert help_feature.show_guide(window) is guide


def test_guide_find(qtbot, window: MainWindow, small_guide: Path) -> None:
    guide = help_feature.show_guide(window)
    qtbot.waitExposed(guide)
    qtbot.waitUntil(guide.isActiveWindow)
    guide.browser.setFocus()
    QTest.keyClick(guide.browser, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert guide.find_edit.hasFocus()
    guide.find_edit.setText("backup-not-there")
    assert guide.find() is False
    assert guide.status.text() == "未找到"
    guide.find_edit.setText("mingbaika")
    assert guide.find(from_start=True) is True
    assert guide.browser.textCursor().selectedText() == "mingbaika"
    assert guide.status.text() == ""


def test_missing_guide_says_where_it_looked(qtbot, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "使用说明.md"
    guide = help_feature.GuideWindow(None, missing)
    qtbot.addWidget(guide)
    assert str(missing) in guide.browser.toPlainText()
    assert "找不到使用说明文件" in guide.browser.toPlainText()


def test_about_shows_version_database_and_data_folder(qtbot, window: MainWindow, isolated_home: Path) -> None:
    about = help_feature.AboutDialog(window)
    qtbot.addWidget(about)
    text = about.text.toPlainText()
    assert f"版本：{__version__}" in text
    shown = window.database.path or window.database.engine.url.render_as_string(hide_password=True)
    assert f"数据库位置：{shown}" in text
    kind = "服务器数据库：PostgreSQL" if window.database.path is None else "本机数据库："
    assert f"数据库：{kind}" in text and "***" not in text.split("数据库位置")[0]
    assert f"数据文件夹：{isolated_home}" in text
    assert "运行方式：源代码" in text
    about.copy_button.click()
    assert QGuiApplication.clipboard().text() == text


def test_diagnostics_file_is_written_once_the_window_runs(qtbot, demo_db, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "diag.json"
    monkeypatch.setenv(help_feature.DIAGNOSTICS_ENV, str(target))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    assert not target.exists()  # written from the event loop, after every feature is installed
    qtbot.waitUntil(target.exists, timeout=5000)
    info = json.loads(target.read_text(encoding="utf-8"))
    assert info["version"] == __version__
    assert info["frozen"] is False
    assert info["database"] == str(demo_db.path or demo_db.engine.url.render_as_string(hide_password=True))
    assert "desktop.ui.features.help" in info["features"]
    assert any("使用说明" in t for t in info["menus"]["help"])
    assert info["user_guide"]["path"] == str(paths.user_guide())


def test_the_real_guide_covers_the_topics_and_its_screenshots_exist() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    headings = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for topic in ("安装", "第一次启动", "日常录入", "打印", "导出", "导入", "备份", "恢复", "换新电脑", "损坏"):
        assert topic in headings, f"the guide has no section about {topic}"
    images = help_feature.guide_images(text)
    assert images, "the guide shows no screenshots"
    for name in images:
        assert (GUIDE.parent / name).is_file(), f"the guide shows {name}, which does not exist"
        assert name.startswith("screenshots/")
    assert not re.search(r"\]\(/", text), "links must be relative so they work inside the bundle"
