"""Operator accounts: scrypt hashes, optional protection, admin-only management, audit rows."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from db.models import AuditLog, Household, Operator
from desktop.core import accounts
from desktop.core.accounts import AccountError


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests hash with a small cost; the stored parameters make verification use the same."""
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)


def test_hash_format_salt_and_verify() -> None:
    a, b = accounts.hash_password("扶贫2017"), accounts.hash_password("扶贫2017")
    assert a.startswith("scrypt$n=1024,r=8,p=1$") and a != b  # per-password salt
    assert accounts.verify_password("扶贫2017", a) and accounts.verify_password("扶贫2017", b)
    assert not accounts.verify_password("扶贫2018", a)
    for broken in ("", None, "md5$x", "scrypt$n=3,r=8,p=1$AA==$AA==", a[:-4], "scrypt$n=1024$x$y"):
        assert not accounts.verify_password("扶贫2017", broken)


def test_default_cost_is_memory_hard_and_rehash_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**15)
    started = time.perf_counter()
    stored = accounts.hash_password("secret-1")
    elapsed = time.perf_counter() - started
    assert "n=32768,r=8" in stored  # 128 * r * n = 32 MiB per hash
    assert elapsed > 0.01
    assert not accounts.needs_rehash(stored)
    assert accounts.needs_rehash(accounts.hash_password("x", n=1024))


def test_protection_is_off_until_an_admin_exists(database) -> None:
    with database.session() as s:
        assert not accounts.protection_enabled(s)
        with pytest.raises(AccountError, match="请先创建一个管理员账户"):
            accounts.create_account(s, "clerk1", "password1", role="clerk")
        admin = accounts.create_account(s, "admin", "管理员密码1", role="admin", display_name="刘主任",
                                        acting_name="刘主任")
        assert admin.is_admin and admin.label == "刘主任（admin）"
        assert accounts.protection_enabled(s)
        stored = s.scalars(select(Operator.password_hash)).one()
        assert "管理员密码1" not in stored and stored.startswith("scrypt$")


@pytest.fixture
def with_accounts(database):
    with database.session() as s:
        admin = accounts.create_account(s, "admin", "admin-pass", role="admin")
        accounts.create_account(s, "wangfang", "clerk-pass", role="clerk", display_name="王芳", acting=admin)
    return database, admin


def test_login_and_the_same_message_for_every_failure(with_accounts) -> None:
    database, _admin = with_accounts
    with database.session() as s:
        clerk = accounts.authenticate(s, "wangfang", "clerk-pass")
        assert clerk.role_label == "录入员" and clerk.last_login_at
    messages = set()
    for user, password in (("wangfang", "wrong-pass"), ("nobody", "clerk-pass"), ("", "")):
        with pytest.raises(AccountError) as info, database.session() as s:
            accounts.authenticate(s, user, password)
        messages.add(str(info.value))
    with database.session() as s:
        accounts.set_active(s, accounts.authenticate(s, "admin", "admin-pass"), "wangfang", False)
    with pytest.raises(AccountError) as info, database.session() as s:
        accounts.authenticate(s, "wangfang", "clerk-pass")
    messages.add(str(info.value))
    assert messages == {"用户名或密码错误"}


def test_only_admins_manage_accounts(with_accounts) -> None:
    database, admin = with_accounts
    with database.session() as s:
        clerk = accounts.authenticate(s, "wangfang", "clerk-pass")
        for call in (
            lambda: accounts.create_account(s, "x1", "password", acting=clerk),
            lambda: accounts.reset_password(s, clerk, "admin", "hijacked!"),
            lambda: accounts.set_role(s, clerk, "wangfang", "admin"),
            lambda: accounts.set_active(s, clerk, "admin", False),
            lambda: accounts.reset_password(s, None, "admin", "hijacked!"),
        ):
            with pytest.raises(AccountError, match="只有管理员"):
                call()


def test_admin_resets_a_forgotten_password(with_accounts) -> None:
    database, admin = with_accounts
    with database.session() as s:
        accounts.reset_password(s, admin, "wangfang", "new-pass-2")
    with database.session() as s:
        assert accounts.authenticate(s, "wangfang", "new-pass-2").username == "wangfang"
        with pytest.raises(AccountError):
            accounts.authenticate(s, "wangfang", "clerk-pass")
        log = s.scalars(select(AuditLog).where(AuditLog.entity == "operator", AuditLog.field_name == "password")).one()
        assert log.operator == "admin" and "重置" in log.note
        assert log.old_value is None and log.new_value is None  # never a password or hash in the log


def test_change_own_password_needs_the_old_one(with_accounts) -> None:
    database, _admin = with_accounts
    with database.session() as s:
        me = accounts.authenticate(s, "wangfang", "clerk-pass")
        with pytest.raises(AccountError, match="原密码不正确"):
            accounts.change_password(s, me, "wrong", "another-1")
        with pytest.raises(AccountError, match="至少 6"):
            accounts.change_password(s, me, "clerk-pass", "123")
        accounts.change_password(s, me, "clerk-pass", "another-1")
    with database.session() as s:
        accounts.authenticate(s, "wangfang", "another-1")


def test_the_last_admin_cannot_be_removed(with_accounts) -> None:
    database, admin = with_accounts
    with database.session() as s:
        with pytest.raises(AccountError, match="最后一个管理员"):
            accounts.set_role(s, admin, "admin", "clerk")
        with pytest.raises(AccountError, match="最后一个管理员"):
            accounts.set_active(s, admin, "admin", False)
        accounts.set_role(s, admin, "wangfang", "admin")
        accounts.set_role(s, admin, "admin", "clerk")  # now allowed: another admin exists
    with database.session() as s:
        assert {a.username: a.role for a in accounts.list_accounts(s)} == {"admin": "clerk", "wangfang": "admin"}


def test_bad_user_names_and_passwords(with_accounts) -> None:
    database, admin = with_accounts
    with database.session() as s:
        for name, words in (("", "不能为空"), ("有 空格", "空格"), ("a\x00b", "不允许"), ("x" * 51, "过长"),
                            ("admin", "已存在")):
            with pytest.raises(AccountError, match=words):
                accounts.create_account(s, name, "password", acting=admin)
        with pytest.raises(AccountError, match="控制字符"):
            accounts.create_account(s, "ok", "pass\x00word", acting=admin)


def test_the_operator_reaches_the_audit_log_of_every_session(demo_db) -> None:
    accounts.set_session_operator(demo_db, "王芳（wangfang）")
    assert accounts.session_operator(demo_db) == "王芳（wangfang）"
    with demo_db.session() as s:
        household = s.scalars(select(Household).limit(1)).one()
        household.phone = "13800000000"
        uuid = household.uuid
    with demo_db.session() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.household_uuid == uuid)).one()
        assert row.operator == "王芳（wangfang）"
