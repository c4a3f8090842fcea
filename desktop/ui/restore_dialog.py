"""从备份恢复: pick a backup, see what it holds, then (and only then) restore.

The dialog only chooses and previews; the caller restores (``db.backup.restore``) once the
database is closed. Each preview runs ``db.backup.inspect_backup`` (a full integrity check
and row counts) off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db import backup as db_backup
from desktop.core.stats import TABLE_LABELS
from desktop.ui.tasks import run_task

PREVIEW_TABLES = ("household", "member", "helper", "measure", "income_record", "visit", "exit_assessment",
                  "audit_log")


def choose_file(parent: QWidget | None, folder: Path) -> str:
    """The file picker (tests replace it)."""
    name, _ = QFileDialog.getOpenFileName(parent, parent.tr("选择备份文件") if parent else "选择备份文件",
                                          str(folder), "明白卡数据库 (*.sqlite3 *.sqlite *.db);;所有文件 (*)")
    return name


class RestoreDialog(QDialog):
    """Choose a backup of ``database_path``; ``selected`` / ``info`` after ``accept()``."""

    def __init__(self, database_path: Path, *, settings: db_backup.BackupSettings | None = None,
                 parent: QWidget | None = None, intro: str = "") -> None:
        super().__init__(parent)
        self.database_path = Path(database_path)
        self.settings = settings or db_backup.load_settings()
        self.selected: Path | None = None
        self.info: db_backup.BackupInfo | None = None
        self._pending: Path | None = None
        self.setWindowTitle(self.tr("从备份恢复"))
        self.resize(900, 560)
        layout = QVBoxLayout(self)
        folder = self.settings.resolved_folder()
        head = QLabel(intro or self.tr("备份文件夹：%s\n选择一份备份查看其中的数据，确认后再恢复。") % folder, self)
        head.setWordWrap(True)
        layout.addWidget(head)
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("备份时间"), self.tr("类型"), self.tr("大小")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        left.addWidget(self.table)
        self.other_button = QPushButton(self.tr("选择其他备份文件(&O)…"), self)
        self.other_button.clicked.connect(self.choose_other)
        left.addWidget(self.other_button)
        body.addLayout(left, 3)
        right = QVBoxLayout()
        self.preview_title = QLabel(self.tr("请选择一份备份"), self)
        self.preview_title.setWordWrap(True)
        right.addWidget(self.preview_title)
        self.counts = QTableWidget(0, 2, self)
        self.counts.setHorizontalHeaderLabels([self.tr("内容"), self.tr("记录数")])
        self.counts.verticalHeader().hide()
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        right.addWidget(self.counts)
        body.addLayout(right, 2)
        layout.addLayout(body)
        warning = QLabel(
            self.tr("恢复会用所选备份整体替换当前数据库。替换前会先备份当前数据库（损坏的文件则原样复制保存），"
                    "不会丢失；恢复后程序重新打开数据库。"),
            self,
        )
        warning.setWordWrap(True)
        layout.addWidget(warning)
        buttons = QDialogButtonBox(self)
        self.restore_button = buttons.addButton(self.tr("恢复(&R)"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.backups = [b for b in db_backup.list_backups(self.database_path, folder) if b.reason != "damaged"]
        self._fill()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.backups))
        for row, b in enumerate(self.backups):
            when = QTableWidgetItem(f"{b.taken_at:%Y-%m-%d %H:%M:%S}（{db_backup.age_text(b.taken_at)}）")
            when.setData(Qt.ItemDataRole.UserRole, str(b.path))
            self.table.setItem(row, 0, when)
            self.table.setItem(row, 1, QTableWidgetItem(b.reason_label))
            size = QTableWidgetItem(f"{b.size / 1e6:.1f} MB")
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 2, size)
        if not self.backups:
            self.preview_title.setText(self.tr("备份文件夹中还没有这个数据库的备份。可以选择其他备份文件。"))
        else:
            self.table.selectRow(0)
        self.table.setFocus()

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.preview(Path(self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)))

    def choose_other(self) -> None:
        name = choose_file(self, self.settings.resolved_folder())
        if name:
            self.table.clearSelection()
            self.preview(Path(name))

    def preview(self, path: Path) -> None:
        self.selected = None
        self.info = None
        self.restore_button.setEnabled(False)
        self.preview_title.setText(self.tr("正在检查 %s …") % path.name)
        self.counts.setRowCount(0)
        self._pending = path
        run_task(self, self.tr("正在检查备份"), lambda _progress: db_backup.inspect_backup(path),
                 lambda info: self._show(path, info), lambda exc: self._failed(path, exc))

    def _show(self, path: Path, info: db_backup.BackupInfo) -> None:
        if path != self._pending:
            return
        self.selected, self.info = path, info
        last = f"，最后修改 {str(info.last_change)[:16]}" if info.last_change else ""
        self.preview_title.setText(
            self.tr("%s\n完整性检查：通过%s") % (path.name, last)
            + (self.tr("\n（较早版本的数据库，打开时会自动升级）") if info.needs_upgrade else "")
        )
        shown = [t for t in PREVIEW_TABLES if t in info.counts]
        self.counts.setRowCount(len(shown))
        for row, table in enumerate(shown):
            self.counts.setItem(row, 0, QTableWidgetItem(TABLE_LABELS.get(table, table)))
            item = QTableWidgetItem(str(info.counts[table]))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.counts.setItem(row, 1, item)
        self.restore_button.setEnabled(True)

    def _failed(self, path: Path, exc: BaseException) -> None:
        if path != self._pending:
            return
        self.preview_title.setText(self.tr("不能用这个文件恢复：%s") % exc)
