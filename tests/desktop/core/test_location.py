"""本机数据库 / 服务器数据库 in words, never with the password."""

from __future__ import annotations

from pathlib import Path

from desktop.core.location import LOCAL, SERVER, describe, server_backup_message


def test_file_and_server_urls() -> None:
    local = describe(Path("/data/乡镇/mingbaika.sqlite3"))
    assert (local.kind, local.text, local.short) == (LOCAL, "本机数据库：/data/乡镇/mingbaika.sqlite3", "mingbaika.sqlite3")
    server = describe("postgresql+psycopg://mb_clerk:s3cret@dbserver:5433/county")
    assert server.kind == SERVER and server.is_server
    assert server.text == "服务器数据库：PostgreSQL dbserver:5433/county（用户 mb_clerk）"
    assert server.short == "PostgreSQL dbserver:5433/county"
    assert "s3cret" not in server.text + server.short + server.kind_label
    read_only = describe("sqlite:///file:/data/a%20b.sqlite3?mode=ro&uri=true")
    assert read_only.text == "本机数据库：/data/a b.sqlite3"


def test_open_database_of_this_backend(database, backend) -> None:
    where = describe(database)
    if backend == "sqlite":
        assert where.kind == LOCAL and where.text == f"本机数据库：{database.path}"
    else:
        url = database.engine.url
        assert where.kind == SERVER
        assert where.text.startswith(f"服务器数据库：PostgreSQL {url.host}:{url.port}/{url.database}")


def test_backup_messages_point_to_pg_dump_and_the_doc() -> None:
    assert "pg_dump" in server_backup_message("备份") and "docs/postgresql.md" in server_backup_message("备份")
    assert "pg_restore" in server_backup_message("恢复") and "未作任何改动" in server_backup_message("恢复")
