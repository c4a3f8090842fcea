"""``backup`` / ``restore`` on a server database explain pg_dump instead (no password in the output)."""

from __future__ import annotations

import pytest

from desktop.cli.main import main

URL = "postgresql+psycopg://mb_clerk:s3cret@dbserver:5432/mingbaika"


@pytest.mark.parametrize("argv", [["backup"], ["backup", "--list"], ["restore", "some.sqlite3", "--yes"]])
def test_server_backup_and_restore_are_explained(capsys, tmp_path, argv) -> None:
    code = main(["--db", URL, *argv])
    out, err = capsys.readouterr()
    assert code == 1
    assert "服务器数据库" in err and "docs/postgresql.md" in err
    assert ("pg_restore" if argv[0] == "restore" else "pg_dump") in err
    assert "s3cret" not in out + err
    assert not list(tmp_path.iterdir())  # nothing written


def test_server_database_from_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("MINGBAIKA_DB", URL)
    assert main(["backup"]) == 1
    assert "pg_dump" in capsys.readouterr().err


def test_help_mentions_the_server_case(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["backup", "--help"])
    assert "pg_dump" in capsys.readouterr().out
