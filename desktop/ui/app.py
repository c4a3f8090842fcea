"""``mingbaika``: start the desktop application.

Start-up, in order (each step can end the program with a clear Chinese message, never a
traceback, and never by changing a file the user did not agree to change):

1. **Lock** the database file (:mod:`db.lock`). Held by someone else → say who, offer to
   open read-only or quit. No lock file possible (read-only folder) → offer read-only.
2. **Open** it (:func:`db.session.open_database`: read-only inspection with
   ``PRAGMA quick_check``, a verified backup before any migration, the migration).
   Damaged / not a Mingbaika database / from a newer version → say so, and if a good
   backup of it exists, offer to restore it (the bad file is first copied byte for byte
   into the backup folder; nothing is deleted).
3. **Who is working**: the login dialog when password protection is on, else the
   operator-name prompt (remembered). The operator goes into every session's audit log
   and into the lock file.
4. The **main window**, then the automatic **daily backup** in the background.

A restore chosen in the window (文件 → 从备份恢复) ends the window's event loop with
:data:`RESTART`; the database is closed, the backup restored, and the session begins again.

Every question goes through :func:`ask` / :func:`tell`, and the login through
:func:`login_prompt`, so tests can answer them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QThreadPool, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from db import backup as db_backup
from db import lock as db_lock
from db.engine import Database
from db.errors import DatabaseOpenError
from db.session import open_database, sqlite_path
from desktop import __version__
from desktop.core import accounts
from desktop.core.accounts import Account
from desktop.core.logsetup import configure as configure_logging
from desktop.core.logsetup import log_unexpected
from desktop.core.paths import database_location

RESTART = 1001

TITLES = {
    "damaged": "数据库已损坏",
    "not_database": "不是明白卡数据库",
    "newer": "数据库来自更新的版本",
    "locked": "数据库正被使用",
    "lock_unavailable": "无法锁定数据库",
    "backup_failed": "无法先备份数据库",
}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mingbaika", description="明白卡（精准扶贫明白卡管理）")
    parser.add_argument("--db", metavar="PATH", help="数据库文件路径（默认：MINGBAIKA_DB 或用户数据目录）")
    parser.add_argument("--operator", metavar="NAME",
                        help="操作员姓名，不再询问（未启用密码保护时有效；启用后仍须登录）")
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def install_translators(app: QApplication) -> None:
    """Qt's own strings (dialog buttons…) in Simplified Chinese."""
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", path):
        app.installTranslator(translator)


# ----- questions to the user (tests replace these) ---------------------------------


def ask(kind: str, title: str, text: str, choices: list[tuple[str, str]], *, parent: QWidget | None = None) -> str:
    """Show a message box with one button per ``(key, label)``; return the chosen key.

    ``kind`` is ``critical`` / ``warning`` / ``question`` / ``information``. The last
    choice is the cancel (Esc) choice.
    """
    icons = {"critical": QMessageBox.Icon.Critical, "warning": QMessageBox.Icon.Warning,
             "question": QMessageBox.Icon.Question, "information": QMessageBox.Icon.Information}
    box = QMessageBox(icons.get(kind, QMessageBox.Icon.NoIcon), title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    buttons = {}
    for i, (key, label) in enumerate(choices):
        last = i == len(choices) - 1
        role = QMessageBox.ButtonRole.RejectRole if last and len(choices) > 1 else QMessageBox.ButtonRole.AcceptRole
        buttons[box.addButton(label, role)] = key
        if i == 0:
            box.setDefaultButton(next(iter(buttons)))
    box.setEscapeButton(list(buttons)[-1])
    box.exec()
    return buttons.get(box.clickedButton(), choices[-1][0])


def tell(kind: str, title: str, text: str, *, parent: QWidget | None = None) -> None:
    ask(kind, title, text, [("ok", "确定")], parent=parent)


def login_prompt(database: Database, protected: bool, read_only: bool = False) -> tuple[str, Account | None] | None:
    """The login dialog (``protected``) or the operator-name prompt; None = the user quit."""
    from desktop.ui.login_dialog import LoginDialog

    dialog = LoginDialog(database, mode="password" if protected else "name", read_only=read_only)
    if dialog.exec() != LoginDialog.DialogCode.Accepted:
        return None
    return dialog.operator, dialog.account


def choose_backup(path: Path, intro: str) -> Path | None:
    """The restore dialog at start-up (no main window yet)."""
    from desktop.ui.restore_dialog import RestoreDialog

    dialog = RestoreDialog(path, intro=intro)
    if dialog.exec() != RestoreDialog.DialogCode.Accepted:
        return None
    return dialog.selected


def choose_backup_folder(start: str) -> str:
    from desktop.ui.safety_dialogs import choose_folder

    return choose_folder(None, start)


# ----- start-up steps ----------------------------------------------------------------


@dataclass
class Opened:
    database: Database
    lock: db_lock.DatabaseLock | None
    read_only: bool = False
    notes: list[str] = field(default_factory=list)
    location: str = ""  # what was opened (a server URL may have been re-entered in the server dialog)


def ask_server(error: str, previous: str) -> str | None:
    """The 连接服务器数据库 dialog after a failed server open (tests replace this)."""
    from desktop.ui.server_dialog import ask_server as dialog

    return dialog(None, error=error, previous=previous)


def _lock(path: Path) -> tuple[db_lock.DatabaseLock | None, bool] | None:
    """Take the writer lock; returns (lock, read_only) or None when the user quits."""
    force = False
    with contextlib.suppress(OSError):  # a new database in a new folder (open_database would make it too)
        path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            return db_lock.acquire(path, force=force), False
        except db_lock.LockHeldError as exc:
            choices = [("read_only", "以只读方式打开(&R)")]
            if exc.can_force:
                choices.append(("force", "强制解除锁定(&F)"))
            choices.append(("quit", "退出(&Q)"))
            text = (f"{exc}\n\n同一时间只能有一个程序修改数据库。可以以只读方式打开（可查看、打印、导出，不能修改），"
                    "或退出后请对方先关闭程序。")
            if exc.can_force:
                text += "\n\n对方在另一台计算机上，无法确认是否仍在使用。只有确认对方已关闭程序时才可强制解除锁定。"
            answer = ask("warning", TITLES["locked"], text, choices)
            if answer == "read_only":
                return None, True
            if answer != "force":
                return None
            force = True
        except db_lock.LockUnavailableError as exc:
            answer = ask("warning", TITLES["lock_unavailable"], str(exc),
                         [("read_only", "以只读方式打开(&R)"), ("quit", "退出(&Q)")])
            return (None, True) if answer == "read_only" else None


def _offer_backup(path: Path, exc: DatabaseOpenError) -> str:
    """Explain an unusable file; offer the latest good backup. Returns restore / choose / quit."""
    title = TITLES.get(exc.kind, "无法打开数据库")
    text = str(exc)
    good = None
    if path.exists() and exc.kind in ("damaged", "not_database", "newer"):
        good = db_backup.latest_good_backup(path)
    if good is None:
        tell("critical", title, text + "\n\n没有找到这个数据库的可用备份。")
        return "quit"
    taken = db_backup.parse_name(good.path)
    when = f"{taken.taken_at:%Y-%m-%d %H:%M}（{taken.reason_label}）" if taken else good.path.name
    members = good.counts.get("member", 0)
    text += (f"\n\n找到最近的完好备份：{when}，其中有 {good.households} 户、{members} 人。"
             "\n恢复这份备份吗？恢复前会把当前文件原样复制到备份文件夹，不会删除任何文件。")
    if exc.kind == "newer":
        text += "\n注意：备份中没有用新版本程序所做的修改。"
    return ask("critical", title, text, [("restore", "恢复最近的完好备份(&R)"), ("choose", "选择其他备份(&O)…"),
                                         ("quit", "退出(&Q)")])


def _restore(path: Path, backup_path: Path, lock: db_lock.DatabaseLock | None = None) -> bool:
    try:
        result = db_backup.restore(path, backup_path, lock=lock)
    except (db_backup.BackupError, DatabaseOpenError) as exc:
        tell("critical", "恢复失败", f"恢复失败：{exc}")
        return False
    kept = result.previous_backup or result.previous_copy
    tell("information", "已恢复",
         f"已用备份“{backup_path.name}”恢复数据库（{result.info.households} 户）。"
         + (f"\n原来的文件已保存为：{kept}" if kept else ""))
    return True


def open_for_gui(location: str) -> Opened | None:
    """Steps 1 and 2 of the start-up; None when the user quits (or nothing can be opened)."""
    path = sqlite_path(location)
    # A server database: no file to lock (several clerks write at once; conflicts are caught by
    # the household version), nothing to inspect on disk, backed up on the server (pg_dump).
    while path is None:
        try:
            return Opened(open_database(location), None, location=location)
        except DatabaseOpenError as exc:
            answer = ask("critical", "无法打开数据库", str(exc),
                         [("server", "重新输入服务器信息(&S)…"), ("quit", "退出(&Q)")])
            if answer != "server":
                return None
            entered = ask_server(str(exc), location)
            if not entered:
                return None
            location = entered
            path = sqlite_path(location)
    while True:
        locked = _lock(path)
        if locked is None:
            return None
        lock, read_only = locked
        notes = []
        if lock is not None and lock.previous is not None and lock.previous.pid != lock.info.pid:
            who = lock.previous.operator or lock.previous.user
            notes.append(f"上次（{who}，{lock.previous.since.replace('T', ' ')[:16]}）程序未正常关闭；"
                         "数据库完整性检查通过")
        try:
            database = open_database(location, read_only=read_only)
        except DatabaseOpenError as exc:
            if lock is not None:
                lock.release()
            if exc.kind == "backup_failed":
                answer = ask("critical", TITLES["backup_failed"], f"{exc}",
                             [("folder", "更换备份文件夹(&S)…"), ("quit", "退出(&Q)")])
                if answer == "folder":
                    chosen = choose_backup_folder(str(db_backup.load_settings().resolved_folder()))
                    if chosen:
                        settings = db_backup.load_settings()
                        settings.folder = chosen
                        db_backup.save_settings(settings)
                        continue
                return None
            answer = _offer_backup(path, exc)
            if answer == "quit":
                return None
            if answer == "restore":
                good = db_backup.latest_good_backup(path)
                chosen = good.path if good else None
            else:
                chosen = choose_backup(path, f"{exc}\n\n选择一份备份来恢复：")
            if chosen is None or not _restore(path, chosen):
                return None
            continue
        return Opened(database, lock, read_only, notes, location=location)


def identify(database: Database, operator: str | None = None, *,
             read_only: bool = False) -> tuple[str, Account | None] | None:
    """Step 3: who is working (login or name); sets the operator of every session.

    ``operator`` (``--operator``) answers the name prompt when password protection is off;
    it never replaces a login.
    """
    with database.session() as session:
        protected = accounts.protection_enabled(session)
    answer = None
    if operator and not protected:
        try:
            answer = accounts.check_operator_name(operator), None
        except accounts.AccountError:
            answer = None
    if answer is None:
        answer = login_prompt(database, protected, read_only)
    if answer is None:
        return None
    name, account = answer
    accounts.set_session_operator(database, name)
    return name, account


def run_pending_restore(path: Path, backup_path: Path, lock: db_lock.DatabaseLock | None) -> bool:
    """After the window closed for a restore: restore (off the GUI thread), tell the result."""
    from PySide6.QtCore import QEventLoop

    from desktop.ui.tasks import run_task

    loop = QEventLoop()
    outcome: dict[str, object] = {}

    def work(progress):  # noqa: ANN001, ANN202
        return db_backup.restore(path, backup_path, lock=lock, progress=progress)

    def done(result) -> None:  # noqa: ANN001
        outcome["result"] = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    run_task(None, "正在恢复备份", work, done, failed)
    loop.exec()
    if "error" in outcome:
        tell("critical", "恢复失败", f"恢复失败，当前数据库保持不变：{outcome['error']}")
        return False
    result = outcome["result"]
    kept = result.previous_backup or result.previous_copy
    tell("information", "已恢复", f"已用备份“{backup_path.name}”恢复数据库（{result.info.households} 户）。"
         + (f"\n恢复前的数据库已备份为：{kept}" if kept else ""))
    return True


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
        return _session_loop(app, location, args)
    except Exception as exc:  # noqa: BLE001 - never a traceback at start-up
        path = log_unexpected(exc, context="GUI start-up")
        tell("critical", "程序错误", f"程序内部错误：{exc}\n\n详情已记录到：{path}")
        return 3


def _session_loop(app: QApplication, location: str, args: argparse.Namespace) -> int:
    from desktop.ui.features import safety
    from desktop.ui.main_window import MainWindow

    last_operator: str | None = None
    while True:
        opened = open_for_gui(location)
        if opened is None:
            return 1
        location = opened.location or location
        quit_timer = None
        if args.quit_after is not None:  # a smoke run: also ends a login dialog nobody answers
            quit_timer = QTimer()
            quit_timer.setSingleShot(True)
            quit_timer.timeout.connect(app.quit)
            quit_timer.start(args.quit_after)
        operator = args.operator or last_operator  # after a restore: the same name (a login is asked again)
        if operator is None and args.quit_after is not None:
            from desktop.ui.login_dialog import KEY_OPERATOR, remembered

            operator = remembered(KEY_OPERATOR) or "自动测试"
        who = identify(opened.database, operator, read_only=opened.read_only)
        if who is None:
            opened.database.dispose()
            if opened.lock is not None:
                opened.lock.release()
            return 0
        operator, account = who
        last_operator = operator if account is None else None
        if opened.lock is not None:
            opened.lock.update(operator=operator)
        context = safety.SafetyContext(database=opened.database, operator=operator, account=account,
                                       lock=opened.lock, read_only=opened.read_only, notes=opened.notes,
                                       restart=lambda: QCoreApplication.exit(RESTART))
        safety.set_context(context)
        window = MainWindow(opened.database, operator=operator)
        window.show()
        if quit_timer is not None:
            quit_timer.start(args.quit_after)  # counted from the window, as before
        window.safety.start_daily_backup()
        code = app.exec()
        if quit_timer is not None:
            quit_timer.stop()
        pool = QThreadPool.globalInstance()
        if not pool.waitForDone(5000) and context.daily_progress is not None:
            context.daily_progress.cancel()  # a long automatic backup must not hold up quitting
        pool.waitForDone(60_000)
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        del window
        safety.set_context(None)
        gc.collect()
        opened.database.dispose()
        if code == RESTART and context.pending_location is not None:  # 打开数据库文件 / 连接服务器数据库
            if opened.lock is not None:
                opened.lock.release()
            location = context.pending_location
            continue
        pending = context.pending_restore
        if code == RESTART and pending is not None:
            path = sqlite_path(location)
            run_pending_restore(path, pending, opened.lock)
            if opened.lock is not None:
                opened.lock.release()
            continue
        if opened.lock is not None:
            opened.lock.release()
        return code


if __name__ == "__main__":
    sys.exit(main())
