"""Who is working: the operator-name prompt (no passwords set) or the login dialog.

Both remember the last name in the program's settings file (``mingbaika.ini`` in the
data folder, through ``QSettings``), so on a shared office PC the next start needs only
Enter (plus the password when protection is on).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.core import accounts
from desktop.core.accounts import Account, AccountError
from desktop.core.paths import data_dir

SETTINGS_FILE = "mingbaika.ini"
KEY_OPERATOR = "login/operator_name"
KEY_USERNAME = "login/username"
#: After this many wrong passwords in a row the dialog closes (the program exits).
MAX_ATTEMPTS = 5


def ui_settings() -> QSettings:
    """The program's own settings file in the data folder (not the registry / ~/.config),
    so a portable install and the tests keep it beside their data."""
    return QSettings(str(data_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def remembered(key: str) -> str:
    value = ui_settings().value(key, "")
    return value if isinstance(value, str) else ""


def remember(key: str, value: str) -> None:
    settings = ui_settings()
    settings.setValue(key, value)
    settings.sync()


class LoginDialog(QDialog):
    """Ask for the operator.

    ``mode="name"``: only an operator name (password protection is off). ``mode="password"``:
    user name and password, checked against the database's accounts. After ``accept()``:
    ``operator`` is the text for the audit log and ``account`` the logged-in account (or None).
    """

    def __init__(self, database: Database, *, mode: str = "name", read_only: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.mode = mode
        self.read_only = read_only
        self.account: Account | None = None
        self.operator = ""
        self.failures = 0
        self.setWindowTitle(self.tr("明白卡 — 登录") if mode == "password" else self.tr("明白卡 — 操作员"))
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr("请输入用户名和密码。") if mode == "password"
            else self.tr("请输入您的姓名。修改记录会记下操作员，便于日后查对。"),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(50)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setMaxLength(accounts.PASSWORD_MAX)
        if mode == "password":
            form.addRow(self.tr("用户名(&U)："), self.name_edit)
            form.addRow(self.tr("密码(&P)："), self.password_edit)
            self.name_edit.setText(remembered(KEY_USERNAME))
        else:
            form.addRow(self.tr("操作员姓名(&N)："), self.name_edit)
            self.password_edit.hide()
            self.name_edit.setText(remembered(KEY_OPERATOR))
        layout.addLayout(form)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton(
            self.tr("登录(&L)") if mode == "password" else self.tr("确定(&O)"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(self.tr("退出(&Q)"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok_button.setDefault(True)
        if mode == "password" and self.name_edit.text():
            self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            self.name_edit.selectAll()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)

    def try_accept(self) -> None:
        if self.mode == "name":
            try:
                self.operator = accounts.check_operator_name(self.name_edit.text())
            except AccountError as exc:
                self.show_error(str(exc))
                return
            remember(KEY_OPERATOR, self.operator)
            self.accept()
            return
        username = self.name_edit.text().strip()
        password = self.password_edit.text()
        try:
            with self.database.session() as session:
                self.account = accounts.authenticate(session, username, password, record=not self.read_only)
        except AccountError as exc:
            self.failures += 1
            self.password_edit.clear()
            self.password_edit.setFocus()
            if self.failures >= MAX_ATTEMPTS:
                self.show_error(self.tr("连续 %d 次输入错误，程序将退出。") % self.failures)
                self.reject()
                return
            self.show_error(self.tr("%s（还可再试 %d 次）") % (str(exc), MAX_ATTEMPTS - self.failures))
            return
        self.operator = self.account.label
        remember(KEY_USERNAME, self.account.username)
        self.accept()
