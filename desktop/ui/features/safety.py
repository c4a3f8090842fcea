"""Data safety in the main window: 文件 → 立即备份 / 从备份恢复… / 打开数据库文件… /
连接服务器数据库…; 工具 → 备份设置… /
操作员管理… (administrators) / 修改密码…; the operator and read-only state in the status
bar; the automatic daily backup in the background.

``desktop.ui.app`` describes the session with :func:`set_context` before it builds the
window (lock, account, read-only, restart callback); a window built elsewhere (tests,
other tools) gets a context derived from the window itself.

Restoring replaces the database file, so it cannot happen under an open window: the
action records the chosen backup in the context and asks the application to restart the
session (``context.restart``); ``app.main`` closes the window and the database, restores,
and opens again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox

from db import backup as db_backup
from db.engine import Database
from db.lock import DatabaseLock
from db.session import database_file, is_read_only
from desktop.core import accounts
from desktop.core.accounts import Account
from desktop.core.location import server_backup_message
from desktop.core.progress import Cancelled, Progress
from desktop.ui import server_dialog
from desktop.ui.restore_dialog import RestoreDialog
from desktop.ui.safety_dialogs import BackupSettingsDialog, OperatorsDialog, PasswordDialog
from desktop.ui.tasks import run_task


@dataclass
class SafetyContext:
    database: Database
    operator: str = ""
    account: Account | None = None
    lock: DatabaseLock | None = None
    read_only: bool = False
    notes: list[str] = field(default_factory=list)
    restart: Callable[[], None] | None = None
    pending_restore: Path | None = None
    pending_location: str | None = None  # another database to open (文件 → 打开数据库文件 / 连接服务器数据库)
    daily_progress: Progress | None = None


_context: SafetyContext | None = None


def set_context(context: SafetyContext | None) -> None:
    global _context
    _context = context


def context_for(window: QMainWindow) -> SafetyContext:
    database = window.database
    if _context is not None and _context.database is database:
        return _context
    return SafetyContext(database=database, operator=getattr(window, "operator", ""),
                         read_only=is_read_only(database))


def install(window: QMainWindow) -> None:
    window.safety = SafetyFeature(window, context_for(window))


class _DailySignals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _DailyBackup(QRunnable):
    def __init__(self, path: Path, progress: Progress, signals: _DailySignals) -> None:
        super().__init__()
        self.path, self.progress, self.signals = path, progress, signals

    def run(self) -> None:
        try:
            result = db_backup.daily_backup(self.path, progress=self.progress)
        except BaseException as exc:  # noqa: BLE001 - reported in the status bar
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


class SafetyFeature(QObject):
    """The actions and status of one main window."""

    def __init__(self, window: QMainWindow, context: SafetyContext) -> None:
        super().__init__(window)
        self.window = window
        self.context = context
        self.database_path = database_file(window.database)
        file_menu = window.menu("file")
        first = file_menu.actions()[0] if file_menu.actions() else None
        self.backup_action = QAction(self.tr("立即备份(&B)"), window)
        self.backup_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.backup_action.triggered.connect(self.backup_now)
        self.restore_action = QAction(self.tr("从备份恢复(&R)…"), window)
        self.restore_action.triggered.connect(self.restore)
        # On a server database both explain that the server's administrator backs it up (pg_dump).
        self.restore_action.setEnabled(not context.read_only)
        self.open_file_action = QAction(self.tr("打开数据库文件(&O)…"), window)
        self.open_file_action.triggered.connect(self.open_file)
        self.connect_action = QAction(self.tr("连接服务器数据库(&C)…"), window)
        self.connect_action.triggered.connect(self.connect_server)
        file_menu.insertAction(first, self.backup_action)
        file_menu.insertAction(first, self.restore_action)
        file_menu.insertSeparator(first)
        file_menu.insertAction(first, self.open_file_action)
        file_menu.insertAction(first, self.connect_action)
        if first is not None:
            file_menu.insertSeparator(first)
        tools = window.menu("tools")
        tools.addSeparator()
        self.settings_action = QAction(self.tr("备份设置(&S)…"), window)
        self.settings_action.triggered.connect(self.backup_settings)
        tools.addAction(self.settings_action)
        self.operators_action = QAction(self.tr("操作员管理(&O)…"), window)
        self.operators_action.triggered.connect(self.manage_operators)
        tools.addAction(self.operators_action)
        self.password_action = QAction(self.tr("修改密码(&P)…"), window)
        self.password_action.triggered.connect(self.change_password)
        tools.addAction(self.password_action)
        self.status = QLabel(window)
        window.statusBar().addPermanentWidget(self.status)
        if context.read_only:
            window.setWindowTitle(window.windowTitle() + self.tr("（只读）"))
        self.update_state()
        if context.notes:
            window.statusBar().showMessage("；".join(context.notes), 20000)

    # ----- state ---------------------------------------------------------
    def update_state(self) -> None:
        account = self.context.account
        with self.window.database.session() as session:
            protected = accounts.protection_enabled(session)
        may_manage = (not protected or (account is not None and account.is_admin)) and not self.context.read_only
        self.operators_action.setVisible(may_manage)
        self.password_action.setVisible(account is not None and not self.context.read_only)
        who = account.label if account else (self.context.operator or getattr(self.window, "operator", ""))
        parts = [self.tr("操作员：%s") % who] if who else []
        if account is not None:
            parts.append(account.role_label)
        if self.context.read_only:
            parts.append(self.tr("只读"))
        self.status.setText("  |  ".join(parts))

    # ----- actions -------------------------------------------------------
    def backup_now(self) -> None:
        database = self.window.database
        if self.database_path is None:
            inform(self.window, self.tr("立即备份"), server_backup_message("备份"))
            return

        def work(progress: Progress) -> db_backup.BackupFile:
            return db_backup.backup_now(self.database_path or database, "manual", progress=progress)

        def done(made: db_backup.BackupFile) -> None:
            self.window.statusBar().showMessage(self.tr("已备份并校验：%s") % made.path, 15000)
            inform(self.window, self.tr("立即备份"),
                   self.tr("已备份并通过完整性校验：\n%s（%.1f MB）") % (made.path, made.size / 1e6))

        def failed(exc: BaseException) -> None:
            warn(self.window, self.tr("备份失败"), self.tr("备份失败：%s") % exc)

        run_task(self.window, self.tr("正在备份数据库"), work, done, failed)

    def restore(self) -> None:
        if self.context.read_only:
            return
        if self.database_path is None:
            inform(self.window, self.tr("从备份恢复"), server_backup_message("恢复"))
            return
        dialog = RestoreDialog(self.database_path, parent=self.window)
        if exec_dialog(dialog) != RestoreDialog.DialogCode.Accepted or dialog.selected is None:
            return
        info = dialog.info
        households = info.households if info else 0
        if confirm(self.window, self.tr("从备份恢复"),
                   self.tr("用备份“%s”（%d 户）替换当前数据库？\n当前数据库会先备份。程序将关闭当前窗口，"
                           "恢复后重新打开。") % (dialog.selected.name, households)) is not True:
            return
        self.context.pending_restore = dialog.selected
        if self.context.restart is not None:
            self.context.restart()
        else:
            inform(self.window, self.tr("从备份恢复"), self.tr("请关闭程序后用“mingbaika-cli restore”恢复。"))

    def open_file(self) -> None:
        """Close this database and open a SQLite file instead (the session restarts)."""
        path = choose_database_file(self.window, str(self.database_path.parent if self.database_path else Path.home()))
        if path:
            self.switch_to(path)

    def connect_server(self) -> None:
        """Close this database and open one on a PostgreSQL server (the session restarts)."""
        where = self.window.database.engine.url
        previous = where if where.get_backend_name() != "sqlite" else None
        location = server_dialog.ask_server(self.window, previous=previous)
        if location:
            self.switch_to(location)

    def switch_to(self, location: str) -> bool:
        """Open ``location`` instead of the current database: ends this window's session."""
        editor = getattr(self.window, "editor", None)
        if editor is not None and not editor.confirm_leave():
            return False
        if self.context.restart is None:
            inform(self.window, self.tr("打开数据库"),
                   self.tr("请关闭程序后用“mingbaika --db 数据库位置”重新打开。"))
            return False
        self.context.pending_location = location
        self.context.restart()
        return True

    def backup_settings(self) -> None:
        exec_dialog(BackupSettingsDialog(self.database_path, parent=self.window))

    def manage_operators(self) -> None:
        dialog = OperatorsDialog(self.window.database, self.context.account,
                                 operator_name=self.context.operator, parent=self.window)
        exec_dialog(dialog)
        self.update_state()

    def change_password(self) -> None:
        account = self.context.account
        if account is None:
            return
        dialog = PasswordDialog(self.tr("修改密码"), need_old=True, parent=self.window)
        if exec_dialog(dialog) != PasswordDialog.DialogCode.Accepted:
            return
        try:
            with self.window.database.session() as session:
                accounts.change_password(session, account, dialog.old_edit.text(), dialog.new_edit.text())
        except accounts.AccountError as exc:
            warn(self.window, self.tr("修改密码"), str(exc))
            return
        inform(self.window, self.tr("修改密码"), self.tr("密码已修改。"))

    # ----- the automatic backup ---------------------------------------------
    def start_daily_backup(self, pool: QThreadPool | None = None) -> bool:
        """Back up in the background if none was made today; False when not started."""
        if self.context.read_only or self.database_path is None:
            return False
        if not db_backup.backup_due(self.database_path):
            return False
        progress = Progress()
        self.context.daily_progress = progress
        self._signals = _DailySignals(self)
        self._signals.done.connect(self._daily_done)
        self._signals.failed.connect(self._daily_failed)
        self.window.statusBar().showMessage(self.tr("正在自动备份…"))
        (pool or QThreadPool.globalInstance()).start(_DailyBackup(self.database_path, progress, self._signals))
        return True

    def _daily_done(self, made: db_backup.BackupFile | None) -> None:
        self.context.daily_progress = None
        if made is not None:
            self.window.statusBar().showMessage(self.tr("今日自动备份已完成并校验：%s") % made.path.name, 15000)

    def _daily_failed(self, exc: BaseException) -> None:
        self.context.daily_progress = None
        if isinstance(exc, Cancelled):
            return
        self.window.statusBar().showMessage(self.tr("自动备份失败：%s") % exc)
        warn(self.window, self.tr("自动备份失败"),
             self.tr("今天的自动备份没有完成：%s\n\n数据本身没有受影响。请检查“工具 → 备份设置”中的备份文件夹。") % exc)


# ----- message boxes, routed through functions the tests replace -----------------


def exec_dialog(dialog) -> int:  # noqa: ANN001
    return dialog.exec()


def choose_database_file(parent, start: str) -> str:  # noqa: ANN001
    name, _ = QFileDialog.getOpenFileName(parent, parent.tr("打开数据库文件"), start,
                                          parent.tr("明白卡数据库 (*.sqlite3 *.sqlite *.db);;所有文件 (*)"))
    return name


def inform(parent, title: str, text: str) -> None:  # noqa: ANN001
    QMessageBox.information(parent, title, text)


def warn(parent, title: str, text: str) -> None:  # noqa: ANN001
    QMessageBox.warning(parent, title, text)


def confirm(parent, title: str, text: str) -> bool:  # noqa: ANN001
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
