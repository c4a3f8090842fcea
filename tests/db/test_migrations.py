"""One linear history; models and migrations agree; old databases upgrade — on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db import migrate
from db.base import Base
from db.engine import make_engine
from db.models import Household
from db.session import open_database
from tests.backends import SQLITE


@pytest.fixture
def blank(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """The location of an empty, never migrated database on this test's backend."""
    if backend == SQLITE:
        yield str(tmp_path / "blank.sqlite3")
        return
    server = request.getfixturevalue("pg_server")
    name = server.create()
    yield server.url_for(name)
    server.drop(name)


def tables(engine) -> set[str]:  # noqa: ANN001
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_single_linear_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    for rev in revisions:
        assert not isinstance(rev.down_revision, tuple | list), f"merge point at {rev.revision}"
    assert revisions[-1].down_revision is None


def test_no_drift_between_models_and_migrations(new_database) -> None:
    db = new_database()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_new_database_is_at_head(database) -> None:
    assert migrate.current_revision(database.engine) in migrate.script_heads()
    assert not migrate.needs_upgrade(database.engine)


def test_downgrade_to_nothing_and_up_again(blank: str) -> None:
    engine = make_engine(blank)
    try:
        migrate.upgrade(engine)
        assert {"household", "member", "print_log", "audit_log"} <= tables(engine)
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert tables(engine) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) in migrate.script_heads()
    finally:
        engine.dispose()


def test_opening_an_older_database_upgrades_it_and_keeps_data(blank: str) -> None:
    engine = make_engine(blank)
    migrate.upgrade(engine, "0001")
    with engine.begin() as con:
        con.execute(text("INSERT INTO county (id, uuid, code, name, created_at, updated_at) "
                         "VALUES (1, 'c-1', '411726', '泌阳县', '2017-01-01', '2017-01-01')"))
        con.execute(text("INSERT INTO township (id, uuid, county_id, code, name, created_at, updated_at) "
                         "VALUES (1, 't-1', 1, '411726100000', '泌水镇', '2017-01-01', '2017-01-01')"))
        con.execute(text("INSERT INTO village (id, uuid, township_id, code, name, created_at, updated_at) "
                         "VALUES (1, 'v-1', 1, '411726100200', '王庄村', '2017-01-01', '2017-01-01')"))
        con.execute(text("INSERT INTO household (id, uuid, village_id, household_number, exit_status, version, "
                         "created_at, updated_at) "
                         "VALUES (1, 'h-1', 1, '1002000001', '未脱贫', 1, '2017-01-01', '2017-01-01')"))
    tables_before = tables(engine)
    engine.dispose()
    assert "print_log" not in tables_before

    db = open_database(blank)
    try:
        assert migrate.current_revision(db.engine) in migrate.script_heads()
        with db.session() as session:
            household = session.query(Household).one()
            assert household.uuid == "h-1" and household.household_number == "1002000001"
        assert {"print_log", "operator", "exchange_log"} <= tables(db.engine)
    finally:
        db.dispose()
