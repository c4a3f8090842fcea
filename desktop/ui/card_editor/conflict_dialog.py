"""The save conflict: someone else saved this household while the clerk was editing it.

Shows who saved it and when (from the audit log), then both versions side by side —
项目 | 您的修改 | 数据库中的最新内容 — one line per field that differs (the original value
in the tooltip), fields both clerks changed marked 双方都改了. Three ways out:

* 载入最新内容（放弃我的修改）— ``RELOAD``;
* 在最新内容上重新应用我的修改 — ``REAPPLY`` (the editor puts the clerk's own changes onto
  the fresh card and leaves it unsaved for review);
* 取消（继续编辑）— ``CANCEL`` (Esc): nothing happens, the clerk's edits stay on screen.

Keyboard: the table has the focus (arrows to read), Alt+L / Alt+A / Esc choose.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conflicts import Difference, Saver

RELOAD = "reload"
REAPPLY = "reapply"
CANCEL = "cancel"
CLASH_COLOUR = QColor("#fde7e4")
MINE_COLOUR = QColor("#e8f1fd")


class ConflictDialog(QDialog):
    """``choice`` is RELOAD, REAPPLY or CANCEL after ``exec()``."""

    def __init__(self, differences: list[Difference], saver: Saver | None, *, head_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflict_dialog")
        self.setWindowTitle(self.tr("保存冲突：这一户已被他人修改"))
        self.choice = CANCEL
        self.differences = differences
        who = self.tr("“%s”") % saver.operator if saver and saver.operator else self.tr("其他人（未记录操作员）")
        if saver is not None:
            when = self.tr("于 %s 修改并保存了这一户（%d 处修改）") % (saver.at, saver.changes)
        else:
            when = self.tr("修改了这一户（修改记录中没有这次修改，可能来自数据导入或汇总）")
        mine = sum(1 for d in differences if d.mine_changed)
        clashes = sum(1 for d in differences if d.clash)
        text = self.tr("在您编辑“%s”的明白卡期间，%s%s。<br><b>您的修改还没有保存。</b>") % (
            head_name or self.tr("该户"), who, when)
        text += self.tr("<br>下表列出两边不同的 %d 项：您改过的 %d 项以蓝色标出，双方都改过的 %d 项以红色标出"
                        "（“原来的内容”见提示）。") % (len(differences), mine, clashes)
        self.message = QLabel(text, self)
        self.message.setObjectName("conflict_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)

        self.table = QTableWidget(len(differences), 3, self)
        self.table.setObjectName("conflict_table")
        self.table.setHorizontalHeaderLabels([self.tr("项目"), self.tr("您的修改"), self.tr("数据库中的最新内容")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 300)
        bold = QFont()
        bold.setBold(True)
        for row, d in enumerate(differences):
            item_text = d.item + (self.tr("（双方都改了）") if d.clash else "")
            mine_text = d.mine if d.mine_changed else self.tr("（未改）%s") % d.mine
            theirs_text = d.theirs if d.theirs_changed else self.tr("（未改）%s") % d.theirs
            tip = self.tr("原来的内容：%s") % d.original
            for col, value in enumerate((item_text, mine_text, theirs_text)):
                cell = QTableWidgetItem(value)
                cell.setToolTip(f"{d.item}\n{tip}")
                if d.clash:
                    cell.setBackground(QBrush(CLASH_COLOUR))
                elif d.mine_changed:
                    cell.setBackground(QBrush(MINE_COLOUR))
                if (col == 1 and d.mine_changed) or (col == 2 and d.theirs_changed):
                    cell.setFont(bold)
                self.table.setItem(row, col, cell)
        self.table.resizeRowsToContents()
        if differences:
            self.table.setCurrentCell(0, 0)

        buttons = QDialogButtonBox(self)
        self.reload_button = QPushButton(self.tr("载入最新内容（放弃我的修改）(&L)"), self)
        self.reapply_button = QPushButton(self.tr("在最新内容上重新应用我的修改(&A)"), self)
        self.cancel_button = QPushButton(self.tr("取消（继续编辑）"), self)
        buttons.addButton(self.reapply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.reapply_button.setDefault(True)
        self.reapply_button.clicked.connect(lambda: self._choose(REAPPLY))
        self.reload_button.clicked.connect(lambda: self._choose(RELOAD))
        self.cancel_button.clicked.connect(self.reject)
        hint = QLabel(self.tr("↑↓ 查看各项　Alt+A 重新应用我的修改　Alt+L 载入最新内容　Esc 取消"), self)
        hint.setStyleSheet("QLabel{color:#555}")

        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(1000, 520)
        self.table.setFocus()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    def reject(self) -> None:
        self.choice = CANCEL
        super().reject()


def ask(dialog: ConflictDialog) -> str:
    """Show the dialog modally; returns the choice (tests may replace this)."""
    dialog.exec()
    return dialog.choice
