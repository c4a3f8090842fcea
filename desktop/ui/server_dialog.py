"""连接服务器数据库…: host, port, database, user and password of a PostgreSQL server.

The dialog builds a ``postgresql+psycopg://`` URL; the caller opens it through the same
``open_database`` path as a file (``desktop.ui.app``), so the same Chinese messages come
back (unreachable server, wrong login, no such database…) and the dialog can be shown
again with what was typed. Host, port, database and user are remembered in the program's
settings file; **the password never is** — the help text points to the PostgreSQL password
file (``pgpass.conf`` / ``~/.pgpass`` / ``PGPASSFILE``), with which the password field is
left empty.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL, make_url

from desktop.core.location import SERVER_BACKUP_DOC
from desktop.ui.login_dialog import remember, remembered

DRIVER = "postgresql+psycopg"
DEFAULT_PORT = 5432
KEYS = {"host": "server/host", "port": "server/port", "database": "server/database", "user": "server/user"}


class ServerDialog(QDialog):
    """After ``exec()`` == Accepted, ``url`` is the URL to open (with the password, in memory only)."""

    def __init__(self, parent: QWidget | None = None, *, error: str = "", previous: str | URL | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("server_dialog")
        self.setWindowTitle(self.tr("连接服务器数据库"))
        self.url: URL | None = None
        self.host = QLineEdit(self)
        self.host.setPlaceholderText(self.tr("如 192.168.1.10 或 dbserver"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.database = QLineEdit(self)
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("已配置密码文件时留空"))
        form = QFormLayout()
        form.addRow(self.tr("服务器地址(&H)："), self.host)
        form.addRow(self.tr("端口(&P)："), self.port)
        form.addRow(self.tr("数据库名(&D)："), self.database)
        form.addRow(self.tr("用户名(&U)："), self.user)
        form.addRow(self.tr("密码(&W)："), self.password)
        help_text = QLabel(self.tr(
            "县级办公室的服务器数据库可供多名工作人员同时录入。服务器的地址、数据库名和用户名请向管理员索取。<br>"
            "密码只用于本次连接，<b>不会保存在本机</b>。为免每次输入，可由管理员在本机配置 PostgreSQL 密码文件"
            "（Windows：%APPDATA%\\postgresql\\pgpass.conf；Linux：~/.pgpass；或用环境变量 PGPASSFILE 指定），"
            "此时密码留空即可。服务器数据库由管理员用 pg_dump 备份，详见 %1。").replace("%1", SERVER_BACKUP_DOC), self)
        help_text.setWordWrap(True)
        help_text.setStyleSheet("QLabel{color:#444}")
        self.error = QLabel(self)
        self.error.setObjectName("server_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel{color:#b3261e}")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setText(error)
        self.error.setVisible(bool(error))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("连接(&O)"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(help_text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # wrapped help/error text never squashes the form
        help_text.setMinimumWidth(600)
        self._fill(previous)
        first_empty = next((w for w in (self.host, self.database, self.user) if not w.text()), self.password)
        first_empty.setFocus()

    def _fill(self, previous: str | URL | None) -> None:
        if previous:
            try:
                url = make_url(str(previous)) if not isinstance(previous, URL) else previous
            except Exception:  # noqa: BLE001 - a mistyped location: start from the remembered values
                url = None
            if url is not None and url.get_backend_name() == "postgresql":
                self.host.setText(url.host or "")
                self.port.setValue(url.port or DEFAULT_PORT)
                self.database.setText(url.database or "")
                self.user.setText(url.username or "")
                self.password.setText(url.password or "")  # only ever from memory (this session)
                return
        self.host.setText(remembered(KEYS["host"]))
        port = remembered(KEYS["port"])
        if port.isdigit():
            self.port.setValue(int(port))
        self.database.setText(remembered(KEYS["database"]) or "mingbaika")
        self.user.setText(remembered(KEYS["user"]))

    def build_url(self) -> URL:
        """The URL of the typed server; raises ValueError with a Chinese reason."""
        host, database, user = self.host.text().strip(), self.database.text().strip(), self.user.text().strip()
        missing = [name for name, value in ((self.tr("服务器地址"), host), (self.tr("数据库名"), database),
                                            (self.tr("用户名"), user)) if not value]
        if missing:
            raise ValueError(self.tr("请填写%s。") % "、".join(missing))
        if any(c.isspace() for c in host + database + user):
            raise ValueError(self.tr("服务器地址、数据库名和用户名中不能有空格。"))
        return URL.create(DRIVER, username=user, password=self.password.text() or None, host=host,
                          port=self.port.value(), database=database)

    def check(self) -> None:
        try:
            url = self.build_url()
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        for key, value in (("host", url.host), ("port", str(url.port)), ("database", url.database),
                           ("user", url.username)):
            remember(KEYS[key], value or "")
        self.url = url
        self.accept()

    def location(self) -> str:
        """The URL as a string for ``open_database`` (password included; keep it in memory only)."""
        return self.url.render_as_string(hide_password=False) if self.url is not None else ""


def ask_server(parent: QWidget | None = None, *, error: str = "", previous: str | URL | None = None) -> str | None:
    """Show the dialog; the URL string to open, or None when cancelled (tests replace this)."""
    dialog = ServerDialog(parent, error=error, previous=previous)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.location()
