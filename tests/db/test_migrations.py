"""One linear history; models and migrations agree; old databases upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db import migrate
from db.base import Base
from db.engine import make_engine
from db.models import Household
from db.session import open_database


def test_single_linear_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    for rev in revisions:
        assert not isinstance(rev.down_revision, tuple | list), f"merge point at {rev.revision}"
    assert revisions[-1].down_revision is None


def test_no_drift_between_models_and_migrations(tmp_path: Path) -> None:
    db = open_database(tmp_path / "fresh.sqlite3")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    db.dispose()
    assert diff == []


def test_new_database_is_at_head(database) -> None:
    assert migrate.current_revision(database.engine) in migrate.script_heads()
    assert not migrate.needs_upgrade(database.engine)


def test_opening_an_older_database_upgrades_it_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(path)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO county (id, uuid, code, name, created_at, updated_at) "
                "VALUES (1, 'c-1', '411726', '泌阳县', '2017-01-01', '2017-01-01')")
    con.execute("INSERT INTO township (id, uuid, county_id, code, name, created_at, updated_at) "
                "VALUES (1, 't-1', 1, '411726100000', '泌水镇', '2017-01-01', '2017-01-01')")
    con.execute("INSERT INTO village (id, uuid, township_id, code, name, created_at, updated_at) "
                "VALUES (1, 'v-1', 1, '411726100200', '王庄村', '2017-01-01', '2017-01-01')")
    con.execute("INSERT INTO household (id, uuid, village_id, household_number, exit_status, version, "
                "created_at, updated_at) VALUES (1, 'h-1', 1, '1002000001', '未脱贫', 1, '2017-01-01', '2017-01-01')")
    con.commit()
    tables_before = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert "print_log" not in tables_before

    db = open_database(path)
    assert migrate.current_revision(db.engine) in migrate.script_heads()
    with db.session() as session:
        household = session.query(Household).one()
        assert household.uuid == "h-1" and household.household_number == "1002000001"
    con = sqlite3.connect(path)
    tables_after = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert {"print_log", "operator", "exchange_log"} <= tables_after
    db.dispose()
