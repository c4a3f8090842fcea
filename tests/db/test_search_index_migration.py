"""Migration 0004 on a PostgreSQL server where the migrating role may not create extensions."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.dialects import for_dialect
from db.session import open_database
from desktop.core import search


@pytest.fixture
def limited_role(pg_server):
    """A login role that may create tables in ``public`` but not extensions, and its own database."""
    role = f"mbtest_{pg_server.run_id}_{uuid.uuid4().hex[:6]}"
    name = pg_server.create()
    with pg_server.admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    owner = create_engine(pg_server.url_for(name), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f'GRANT CREATE ON SCHEMA public TO "{role}"'))
    url = make_url(pg_server.url_for(name)).set(username=role, password=None).render_as_string(hide_password=False)
    yield url, owner
    owner.dispose()
    pg_server.drop(name)
    with pg_server.admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def test_without_pg_trgm_the_migration_keeps_the_btree_and_warns(limited_role, caplog) -> None:
    url, _owner = limited_role
    with caplog.at_level(logging.WARNING, logger="db.dialects.postgresql"):
        db = open_database(url)
    try:
        assert any("pg_trgm" in r.getMessage() for r in caplog.records)
        with db.session() as s:
            assert for_dialect(s).search_index_kind(s) == "btree"
            assert search.match_ids(s, search.Filters(text="zhang")) == []  # search still works
    finally:
        db.dispose()


def test_with_pg_trgm_installed_by_the_owner_the_role_gets_the_trigram_index(limited_role, caplog) -> None:
    url, owner = limited_role
    with owner.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    with caplog.at_level(logging.WARNING, logger="db.dialects.postgresql"):
        db = open_database(url)
    try:
        assert not any("pg_trgm" in r.getMessage() for r in caplog.records)
        with db.session() as s:
            assert for_dialect(s).search_index_kind(s) == "trigram"
    finally:
        db.dispose()
