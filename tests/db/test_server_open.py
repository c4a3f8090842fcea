"""Opening a database on a server (PostgreSQL): clear Chinese refusals, never the password."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from db.errors import DatabaseOpenError
from db.models import County
from db.session import open_database, safe_location

SECRET = "Geheim-7Qx!"


def refused(location: str, caplog: pytest.LogCaptureFixture) -> DatabaseOpenError:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DatabaseOpenError) as info:
        open_database(location)
    err = info.value
    for shown in (str(err), err.path or "", caplog.text):
        assert SECRET not in shown
    return err


def test_a_server_that_is_down_is_named_without_the_password(caplog: pytest.LogCaptureFixture) -> None:
    err = refused(f"postgresql+psycopg://clerk:{SECRET}@127.0.0.1:1/county_db", caplog)
    assert err.kind == "unreachable"
    text_ = str(err)
    assert "服务器 127.0.0.1 端口 1 上的数据库“county_db”" in text_ and "无法连接到数据库服务器" in text_
    assert err.path == "postgresql+psycopg://clerk:***@127.0.0.1:1/county_db"


def test_an_unreadable_url_is_refused_without_echoing_it(caplog: pytest.LogCaptureFixture) -> None:
    err = refused(f"postgresql+psycopg://clerk:{SECRET}@[::1/county_db", caplog)
    assert err.kind == "other" and "无法识别的数据库地址" in str(err)
    assert safe_location(f"postgresql+psycopg://clerk:{SECRET}@db.example:5432/x") == \
        "postgresql+psycopg://clerk:***@db.example:5432/x"


def test_a_missing_database_is_named(pg_server, caplog: pytest.LogCaptureFixture) -> None:
    url = pg_server.url.set(password=SECRET, database="mbtest_no_such_database")
    err = refused(url.render_as_string(hide_password=False), caplog)
    assert err.kind == "missing"
    assert f"端口 {pg_server.url.port} 上的数据库“mbtest_no_such_database”" in str(err)
    assert "没有这个数据库" in str(err)


def test_a_refused_login_is_named_without_the_password(pg_server, caplog: pytest.LogCaptureFixture) -> None:
    url = pg_server.url.set(username="mbtest_nobody", password=SECRET)
    err = refused(url.render_as_string(hide_password=False), caplog)
    assert err.kind == "login_failed"
    assert "登录被拒绝" in str(err) and "mbtest_nobody" in str(err)


def test_someone_elses_tables_are_refused_and_left_alone(pg_server, caplog: pytest.LogCaptureFixture) -> None:
    name = pg_server.create()
    url = pg_server.url_for(name)
    other = create_engine(url)
    try:
        with other.begin() as conn:
            conn.execute(text("CREATE TABLE notes (id integer primary key, body text)"))
            conn.execute(text("INSERT INTO notes VALUES (1, '会议记录')"))
        err = refused(url, caplog)
        assert err.kind == "not_database" and "不是明白卡数据库" in str(err) and name in str(err)
        with other.connect() as conn:  # nothing was created or changed
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            assert sorted(tables) == ["notes"]
            assert conn.execute(text("SELECT body FROM notes")).scalar() == "会议记录"
    finally:
        other.dispose()
        pg_server.drop(name)


def test_a_newer_schema_is_refused_on_the_server(new_database, backend: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    db = new_database()
    location = db.engine.url.render_as_string(hide_password=False)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999_future'"))
    db.dispose()
    err = refused(location, caplog)
    assert err.kind == "newer" and "更新版本" in str(err)


def test_read_only_open_of_a_server_database_cannot_write(new_database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the SQLite read-only open is tested in tests/db/test_integrity.py")
    db = new_database()
    location = db.engine.url.render_as_string(hide_password=False)
    reader = open_database(location, read_only=True)
    try:
        with pytest.raises(DBAPIError, match="read-only"):
            with reader.session() as s:
                s.add(County(code="411726", name="泌阳县"))
        with reader.session() as s:
            assert s.scalar(select(func.count()).select_from(County)) == 0
    finally:
        reader.dispose()
