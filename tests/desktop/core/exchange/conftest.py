"""Fixtures for the exchange workbook tests: a tiny demo township and its export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from db.base import Base
from db.session import open_database
from tests.backends import SQLITE


@pytest.fixture(scope="session")
def tiny_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five demo households in a SQLite file (made once per run); copy before writing."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.sqlite3"
    _fill_tiny(path)
    return path


@pytest.fixture(scope="session")
def tiny_workbook(tiny_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exchange workbook of the tiny township (do not modify; copy it)."""
    from desktop.core.exchange.export import ExportOptions, export_database

    folder = tmp_path_factory.mktemp("tinywb")
    db_copy = folder / "source.sqlite3"
    shutil.copyfile(tiny_db_file, db_copy)
    db = open_database(db_copy)
    out = folder / "tiny.xlsx"
    export_database(db, out, ExportOptions(run_checks=False))
    db.dispose()
    return out


def _fill_tiny(location) -> None:  # noqa: ANN001 - path or URL
    from desktop.core.demo import DemoOptions, generate

    db = open_database(location)
    with db.session() as session:
        generate(session, DemoOptions(households=5, seed=3))
    db.dispose()


@pytest.fixture
def tiny_db(backend: str, tiny_db_file: Path, new_database, request: pytest.FixtureRequest):
    """A private, writable copy of the tiny township on this test's backend."""
    if backend == SQLITE:
        return new_database(template=tiny_db_file, name="tiny")
    server = request.getfixturevalue("pg_server")
    return new_database(template=server.template("tiny5", _fill_tiny))


def dump(database) -> dict[str, list[tuple]]:
    """Every row of every table, for before/after comparisons."""
    result = {}
    with database.engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            order = list(table.primary_key.columns) or list(table.columns)
            result[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        inspector = inspect(conn)  # the schema objects (tables and their indexes), on any backend
        result["_schema"] = sorted([("table", t) for t in inspector.get_table_names()]
                                   + [("index", i["name"]) for t in inspector.get_table_names()
                                      for i in inspector.get_indexes(t)])
    return result


@pytest.fixture
def table_dump():
    return dump
