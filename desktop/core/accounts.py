"""Operator accounts (clerk / admin) and the current operator (Qt-free).

Password protection is optional: it is **off until an administrator account with a
password exists**; until then the program asks only for an operator name (remembered).
Once on, every start asks for a user name and password.

Passwords are hashed with ``hashlib.scrypt`` — memory-hard, in the standard library —
with a random 16-byte salt per password. The parameters travel in the stored string
(``scrypt$n=32768,r=8,p=1$<salt>$<hash>``, base64), so they can be raised later without
breaking old hashes; :func:`needs_rehash` says when a login should re-hash. Checks use
``hmac.compare_digest`` (constant time), and an unknown user name costs the same time as
a wrong password.

Every account change writes an ``AuditLog`` row (entity ``operator``) naming who did it;
no password or hash ever goes into the log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.engine import Database
from db.models import AuditLog, Operator
from desktop.core.validation import FieldValueError, check_text

ROLE_CLERK = "clerk"
ROLE_ADMIN = "admin"
ROLE_LABELS = {ROLE_CLERK: "录入员", ROLE_ADMIN: "管理员"}
PASSWORD_MIN = 6
PASSWORD_MAX = 128

#: scrypt cost: N=2^15, r=8 → 32 MiB of memory and ~0.1 s per hash on a modest PC.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_DKLEN = 32


class AccountError(ValueError):
    """A refused account operation; the message is Chinese."""


# --------------------------------------------------------------------------- hashing


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN,
                          maxmem=256 * r * n + 1024 * 1024)


def hash_password(password: str, *, n: int | None = None, r: int | None = None, p: int | None = None) -> str:
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    salt = secrets.token_bytes(16)
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, params, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return None
        values = dict(item.split("=") for item in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
        if n < 2 or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16:
            return None
        return n, r, p, base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True)
    except (ValueError, KeyError):
        return None


_DUMMY = None


def verify_password(password: str, stored: str | None) -> bool:
    """True if ``password`` matches ``stored``; a malformed or empty hash never matches."""
    parsed = _parse(stored or "")
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)


def needs_rehash(stored: str) -> bool:
    parsed = _parse(stored)
    return parsed is None or parsed[:3] != (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def _burn_time(password: str) -> None:
    """Spend the time a real check would, so an unknown user name is not faster."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("dummy-password")
    verify_password(password, _DUMMY)


# --------------------------------------------------------------------------- rules


def check_username(username: str) -> str:
    name = (username or "").strip()
    if not name:
        raise AccountError("用户名不能为空")
    try:
        check_text(name, label="用户名", max_length=50)
    except FieldValueError as exc:
        raise AccountError(str(exc)) from None
    if any(ch.isspace() for ch in name):
        raise AccountError("用户名不能包含空格")
    return name


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"密码至少 {PASSWORD_MIN} 个字符")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"密码最多 {PASSWORD_MAX} 个字符")
    try:
        check_text(password, label="密码", max_length=PASSWORD_MAX)
    except FieldValueError:
        raise AccountError("密码不能包含控制字符") from None


def check_operator_name(name: str) -> str:
    """The free-text operator name used when password protection is off."""
    text = (name or "").strip()
    if not text:
        raise AccountError("请输入操作员姓名")
    try:
        check_text(text, label="操作员姓名", max_length=50)
    except FieldValueError as exc:
        raise AccountError(str(exc)) from None
    return text


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Account:
    """A detached, read-only view of an operator account (safe to keep in the UI)."""

    uuid: str
    username: str
    display_name: str
    role: str
    active: bool
    has_password: bool
    last_login_at: str

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def label(self) -> str:
        """What the audit log and the lock file record: ``张三（zhangsan）``."""
        if self.display_name and self.display_name != self.username:
            return f"{self.display_name}（{self.username}）"
        return self.username


def _view(op: Operator) -> Account:
    return Account(
        uuid=op.uuid, username=op.username, display_name=op.display_name or "", role=op.role,
        active=bool(op.active), has_password=bool(op.password_hash),
        last_login_at=op.last_login_at.strftime("%Y-%m-%d %H:%M") if op.last_login_at else "",
    )


def protection_enabled(session: Session) -> bool:
    """Password protection is on when an active administrator with a password exists."""
    stmt = select(func.count()).select_from(Operator).where(
        Operator.role == ROLE_ADMIN, Operator.active.is_(True), Operator.password_hash.is_not(None),
        Operator.password_hash != "",
    )
    return (session.scalar(stmt) or 0) > 0


def list_accounts(session: Session) -> list[Account]:
    return [_view(op) for op in session.scalars(select(Operator).order_by(Operator.username))]


def _find(session: Session, username: str) -> Operator | None:
    return session.scalars(select(Operator).where(Operator.username == username.strip())).one_or_none()


def _active_admins(session: Session) -> int:
    stmt = select(func.count()).select_from(Operator).where(Operator.role == ROLE_ADMIN, Operator.active.is_(True))
    return session.scalar(stmt) or 0


def _log(session: Session, acting: str, op: Operator, action: str, note: str, field: str | None = None,
         old: str | None = None, new: str | None = None) -> None:
    session.add(AuditLog(operator=acting or None, action=action, entity="operator", entity_uuid=op.uuid,
                         field_name=field, old_value=old, new_value=new, note=note))


def _require_admin(session: Session, acting: Account | None) -> None:
    """Account management needs an administrator once protection is on."""
    if not protection_enabled(session):
        return
    if acting is None or not acting.is_admin:
        raise AccountError("只有管理员可以管理操作员账户")
    current = _find(session, acting.username)
    if current is None or not current.active or current.role != ROLE_ADMIN:
        raise AccountError("只有管理员可以管理操作员账户")


# --------------------------------------------------------------------------- changes


def create_account(session: Session, username: str, password: str, *, role: str = ROLE_CLERK,
                   display_name: str = "", acting: Account | None = None, acting_name: str = "") -> Account:
    """Create an account. The first account with protection off may be created by anyone
    but must be an administrator (that switches protection on)."""
    _require_admin(session, acting)
    name = check_username(username)
    if role not in ROLE_LABELS:
        raise AccountError(f"未知角色：{role}")
    if not protection_enabled(session) and role != ROLE_ADMIN:
        raise AccountError("请先创建一个管理员账户（创建后启用密码保护）")
    check_password(password)
    if _find(session, name) is not None:
        raise AccountError(f"用户名“{name}”已存在")
    shown = (display_name or "").strip()
    if shown:
        try:
            check_text(shown, label="姓名", max_length=50)
        except FieldValueError as exc:
            raise AccountError(str(exc)) from None
    op = Operator(username=name, display_name=shown or None, role=role, password_hash=hash_password(password),
                  active=True)
    session.add(op)
    session.flush()
    _log(session, acting.label if acting else acting_name, op, "create", f"创建{ROLE_LABELS[role]}账户 {name}")
    return _view(op)


def authenticate(session: Session, username: str, password: str, *, record: bool = True) -> Account:
    """Check a login; raises :class:`AccountError` with one message for every failure
    (unknown user, wrong password, disabled account) so nothing is given away.

    ``record=False`` writes nothing (a read-only session): no login time, no log row, no re-hash."""
    op = _find(session, username or "")
    if op is None or not op.password_hash:
        _burn_time(password)
        raise AccountError("用户名或密码错误")
    if not verify_password(password, op.password_hash) or not op.active:
        raise AccountError("用户名或密码错误")
    if not record:
        return _view(op)
    if needs_rehash(op.password_hash):
        op.password_hash = hash_password(password)
    op.last_login_at = utcnow()
    _log(session, _view(op).label, op, "login", "登录")
    return _view(op)


def change_password(session: Session, account: Account, old_password: str, new_password: str) -> None:
    op = _find(session, account.username)
    if op is None or not verify_password(old_password, op.password_hash):
        raise AccountError("原密码不正确")
    check_password(new_password)
    op.password_hash = hash_password(new_password)
    _log(session, account.label, op, "update", "本人修改密码", field="password")


def reset_password(session: Session, acting: Account | None, username: str, new_password: str) -> None:
    """An administrator sets a new password for someone (who forgot theirs)."""
    _require_admin(session, acting)
    op = _find(session, username)
    if op is None:
        raise AccountError(f"没有用户“{username}”")
    check_password(new_password)
    op.password_hash = hash_password(new_password)
    _log(session, acting.label if acting else "", op, "update", f"管理员重置 {op.username} 的密码", field="password")


def set_role(session: Session, acting: Account | None, username: str, role: str) -> None:
    _require_admin(session, acting)
    op = _find(session, username)
    if op is None:
        raise AccountError(f"没有用户“{username}”")
    if role not in ROLE_LABELS:
        raise AccountError(f"未知角色：{role}")
    if op.role == ROLE_ADMIN and role != ROLE_ADMIN and op.active and _active_admins(session) <= 1:
        raise AccountError("不能取消最后一个管理员；请先指定另一个管理员")
    if op.role != role:
        _log(session, acting.label if acting else "", op, "update", "修改角色", field="role",
             old=ROLE_LABELS.get(op.role, op.role), new=ROLE_LABELS[role])
        op.role = role


def set_active(session: Session, acting: Account | None, username: str, active: bool) -> None:
    _require_admin(session, acting)
    op = _find(session, username)
    if op is None:
        raise AccountError(f"没有用户“{username}”")
    if not active and op.role == ROLE_ADMIN and op.active and _active_admins(session) <= 1:
        raise AccountError("不能停用最后一个管理员")
    if bool(op.active) != active:
        _log(session, acting.label if acting else "", op, "update", "启用账户" if active else "停用账户",
             field="active", old="是" if op.active else "否", new="是" if active else "否")
        op.active = active


# --------------------------------------------------------------------------- the current operator


def set_session_operator(database: Database, operator: str) -> None:
    """Every session of ``database`` from now on records ``operator`` in the audit log
    (``session.info["operator"]``, read by :mod:`db.audit`) — also sessions opened by
    background tasks."""
    info = dict(database.session_factory.kw.get("info") or {})
    info["operator"] = operator or None
    database.session_factory.configure(info=info)


def session_operator(database: Database) -> str | None:
    return (database.session_factory.kw.get("info") or {}).get("operator")
