"""Dialogs of the data-safety menu: 备份设置, 操作员管理, 修改密码."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db import backup as db_backup
from db.engine import Database
from desktop.core import accounts
from desktop.core.accounts import Account, AccountError


def run_dialog(dialog: QDialog) -> int:
    """``dialog.exec()`` (tests replace it to fill the dialog in)."""
    return dialog.exec()


def warn(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def choose_folder(parent: QWidget | None, start: str) -> str:
    """The folder picker (tests replace it)."""
    return QFileDialog.getExistingDirectory(parent, parent.tr("选择备份文件夹") if parent else "选择备份文件夹", start)


class BackupSettingsDialog(QDialog):
    """Backup folder and rotation; saved to the data folder's config.json (not the database)."""

    def __init__(self, database_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database_path = database_path
        self.setWindowTitle(self.tr("备份设置"))
        self.setMinimumWidth(560)
        self.settings = db_backup.load_settings()
        layout = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.folder_edit = QLineEdit(str(self.settings.resolved_folder()), self)
        browse = QPushButton(self.tr("浏览(&B)…"), self)
        browse.clicked.connect(self.browse)
        row.addWidget(self.folder_edit)
        row.addWidget(browse)
        folder_label = QLabel(self.tr("备份文件夹(&F)："), self)
        folder_label.setBuddy(self.folder_edit)
        form.addRow(folder_label, row)
        self.spins: dict[str, QSpinBox] = {}
        for key, label, lo in (("keep_last", self.tr("保留最近(&L)："), 1), ("keep_daily", self.tr("每日保留(&D)："), 0),
                               ("keep_weekly", self.tr("每周保留(&W)："), 0),
                               ("keep_monthly", self.tr("每月保留(&M)："), 0)):
            spin = QSpinBox(self)
            spin.setRange(lo, 1000)
            spin.setValue(getattr(self.settings, key))
            spin.setSuffix(self.tr(" 份"))
            self.spins[key] = spin
            form.addRow(label, spin)
        layout.addLayout(form)
        note = QLabel(
            self.tr("每天第一次打开时、升级数据库结构前、导入数据前都会自动备份；每份备份都经过完整性校验。"
                    "建议把备份文件夹设在另一块硬盘或 U 盘上，电脑硬盘损坏时数据仍在。"),
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.usage = QLabel(self)
        self.usage.setWordWrap(True)
        layout.addWidget(self.usage)
        self.folder_edit.textChanged.connect(self._update_usage)
        self._update_usage()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def browse(self) -> None:
        chosen = choose_folder(self, self.folder_edit.text())
        if chosen:
            self.folder_edit.setText(chosen)

    def _update_usage(self) -> None:
        folder = Path(self.folder_edit.text().strip() or ".")
        parts = []
        if self.database_path is not None:
            found = db_backup.list_backups(self.database_path, folder)
            parts.append(self.tr("此文件夹中有本数据库的备份 %d 份，共 %.1f MB。")
                         % (len(found), sum(b.size for b in found) / 1e6))
        probe = folder if folder.exists() else folder.parent
        try:
            parts.append(self.tr("磁盘可用空间 %.1f GB。") % (shutil.disk_usage(probe).free / 1e9))
        except OSError:
            pass
        self.usage.setText("".join(parts))

    def save(self) -> None:
        text = self.folder_edit.text().strip()
        default = db_backup.BackupSettings().resolved_folder()
        values = {key: spin.value() for key, spin in self.spins.items()}
        settings = db_backup.BackupSettings(folder=None if not text or Path(text) == default else text, **values)
        try:
            folder = settings.resolved_folder()
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".mingbaika-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            warn(self, self.tr("备份设置"),
                                self.tr("不能使用文件夹“%s”：%s") % (text, db_backup._os_reason(exc)))
            return
        try:
            db_backup.save_settings(settings)
        except db_backup.BackupError as exc:
            warn(self, self.tr("备份设置"), str(exc))
            return
        self.settings = settings
        self.accept()


class PasswordDialog(QDialog):
    """New password twice (and the old one when changing one's own)."""

    def __init__(self, title: str, *, need_old: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QFormLayout(self)
        self.old_edit = QLineEdit(self)
        self.new_edit = QLineEdit(self)
        self.again_edit = QLineEdit(self)
        for edit in (self.old_edit, self.new_edit, self.again_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setMaxLength(accounts.PASSWORD_MAX)
        if need_old:
            layout.addRow(self.tr("原密码(&O)："), self.old_edit)
        layout.addRow(self.tr("新密码(&N)："), self.new_edit)
        layout.addRow(self.tr("再输一次(&A)："), self.again_edit)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b00020;")
        layout.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)

    def check(self) -> None:
        if self.new_edit.text() != self.again_edit.text():
            self.error.setText(self.tr("两次输入的新密码不一致"))
            return
        try:
            accounts.check_password(self.new_edit.text())
        except AccountError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class NewAccountDialog(PasswordDialog):
    def __init__(self, *, first: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent.tr("新建操作员") if parent else "新建操作员", parent=parent)
        layout: QFormLayout = self.layout()  # type: ignore[assignment]
        self.username_edit = QLineEdit(self)
        self.username_edit.setMaxLength(50)
        self.display_edit = QLineEdit(self)
        self.display_edit.setMaxLength(50)
        self.role_combo = QComboBox(self)
        for key, label in accounts.ROLE_LABELS.items():
            self.role_combo.addItem(label, key)
        if first:
            self.role_combo.setCurrentIndex(self.role_combo.findData(accounts.ROLE_ADMIN))
            self.role_combo.setEnabled(False)
        layout.insertRow(0, self.tr("用户名(&U)："), self.username_edit)
        layout.insertRow(1, self.tr("姓名(&X)："), self.display_edit)
        layout.insertRow(2, self.tr("角色(&R)："), self.role_combo)
        if first:
            hint = QLabel(self.tr("这是第一个账户，必须是管理员。创建后启用密码保护：以后每次打开程序都要登录。"
                                  "请牢记密码——管理员可以重置其他人的密码。"), self)
            hint.setWordWrap(True)
            layout.insertRow(0, hint)
        self.username_edit.setFocus()


class OperatorsDialog(QDialog):
    """操作员管理: list, create, reset password, role, enable/disable (administrators only
    once protection is on; anyone may create the first administrator)."""

    def __init__(self, database: Database, acting: Account | None, operator_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.acting = acting
        self.operator_name = operator_name
        self.setWindowTitle(self.tr("操作员管理"))
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels([self.tr("用户名"), self.tr("姓名"), self.tr("角色"), self.tr("状态"),
                                              self.tr("最近登录")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.new_button = QPushButton(self.tr("新建(&N)…"), self)
        self.reset_button = QPushButton(self.tr("重置密码(&P)…"), self)
        self.role_button = QPushButton(self.tr("切换角色(&R)"), self)
        self.active_button = QPushButton(self.tr("停用/启用(&A)"), self)
        for button, slot in ((self.new_button, self.create), (self.reset_button, self.reset),
                             (self.role_button, self.toggle_role), (self.active_button, self.toggle_active)):
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        close = QPushButton(self.tr("关闭"), self)
        close.clicked.connect(self.accept)
        row.addWidget(close)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        with self.database.session() as session:
            self.accounts = accounts.list_accounts(session)
            protected = accounts.protection_enabled(session)
        self.protected = protected
        self.state.setText(
            self.tr("密码保护已启用：打开程序需要登录。只有管理员可以管理账户。") if protected
            else self.tr("尚未启用密码保护：打开程序时只需输入姓名。创建第一个管理员账户后启用密码保护。")
        )
        self.table.setRowCount(len(self.accounts))
        for r, a in enumerate(self.accounts):
            for c, text in enumerate((a.username, a.display_name, a.role_label, self.tr("启用") if a.active
                                      else self.tr("停用"), a.last_login_at)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for button in (self.reset_button, self.role_button, self.active_button):
            button.setEnabled(bool(self.accounts))

    def selected(self) -> Account | None:
        rows = self.table.selectionModel().selectedRows()
        return self.accounts[rows[0].row()] if rows else None

    def _apply(self, fn) -> bool:  # noqa: ANN001 - a callable taking the session
        try:
            with self.database.session() as session:
                fn(session)
        except AccountError as exc:
            warn(self, self.tr("操作员管理"), str(exc))
            return False
        self.refresh()
        return True

    def create(self) -> None:
        first = not self.protected
        dialog = NewAccountDialog(first=first, parent=self)
        if run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return
        created: list[Account] = []

        def make(session) -> None:  # noqa: ANN001
            created.append(accounts.create_account(
                session, dialog.username_edit.text(), dialog.new_edit.text(), role=dialog.role_combo.currentData(),
                display_name=dialog.display_edit.text(), acting=self.acting, acting_name=self.operator_name))

        if self._apply(make) and first:
            self.acting = created[0]  # whoever just set the admin password acts as that admin now
            inform(self, self.tr("操作员管理"),
                                    self.tr("已创建管理员“%s”，密码保护已启用。下次打开程序时需要登录。")
                                    % created[0].username)

    def reset(self) -> None:
        target = self.selected()
        if target is None:
            return
        dialog = PasswordDialog(self.tr("重置“%s”的密码") % target.username, parent=self)
        if run_dialog(dialog) == QDialog.DialogCode.Accepted:
            if self._apply(lambda s: accounts.reset_password(s, self.acting, target.username, dialog.new_edit.text())):
                inform(self, self.tr("操作员管理"), self.tr("已重置“%s”的密码。") % target.username)

    def toggle_role(self) -> None:
        target = self.selected()
        if target is not None:
            role = accounts.ROLE_CLERK if target.is_admin else accounts.ROLE_ADMIN
            self._apply(lambda s: accounts.set_role(s, self.acting, target.username, role))

    def toggle_active(self) -> None:
        target = self.selected()
        if target is not None:
            self._apply(lambda s: accounts.set_active(s, self.acting, target.username, not target.active))
