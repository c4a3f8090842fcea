"""What db.dialects sets up per connection and after a bulk load, on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from desktop.core.demo import DemoOptions, generate


def test_connections_are_set_up_for_their_kind(database, backend: str) -> None:
    with database.engine.connect() as conn:
        if backend == "sqlite":
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        else:
            assert conn.execute(text("SHOW work_mem")).scalar() == "16MB"
            assert conn.execute(text("SHOW application_name")).scalar() == "mingbaika"


def test_a_bulk_load_leaves_the_planner_statistics_current(database, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite keeps no statistics by design (db.dialects.sqlite.after_bulk_load)")
    with database.session() as session:
        generate(session, DemoOptions(households=40, seed=5))
    with database.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT relname, n_live_tup, last_analyze FROM pg_stat_user_tables "
            "WHERE relname IN ('household', 'member')")).all()
        tuples = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'household'")).scalar()
    assert {r.relname for r in rows if r.last_analyze is not None} == {"household", "member"}
    assert tuples == 40
