"""The main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from db.engine import Database
from desktop.core.stats import TABLE_LABELS, table_counts


class MainWindow(QMainWindow):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        where = database.path or database.engine.url.render_as_string(hide_password=True)
        self.setWindowTitle(self.tr("明白卡 — %s") % where)
        self.resize(1280, 720)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.summary = QLabel(central)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary)
        self.setCentralWidget(central)
        self._build_menus()
        self.refresh()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        quit_action = QAction(self.tr("退出(&X)"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def refresh(self) -> None:
        with self.database.session() as session:
            counts = table_counts(session)
        lines = [f"{TABLE_LABELS[name]}：{count}" for name, count in counts.items()]
        self.summary.setText("\n".join(lines))
