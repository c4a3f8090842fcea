"""Fixtures for the exchange workbook tests: a tiny demo township and its export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, text

from db.base import Base
from db.session import open_database


@pytest.fixture(scope="session")
def tiny_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five demo households (made once per run); copy before writing."""
    from desktop.core.demo import DemoOptions, generate

    path = tmp_path_factory.mktemp("tiny") / "tiny.sqlite3"
    db = open_database(path)
    with db.session() as session:
        generate(session, DemoOptions(households=5, seed=3))
    db.dispose()
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


@pytest.fixture
def tiny_db(tiny_db_file: Path, tmp_path: Path):
    target = tmp_path / "tiny.sqlite3"
    shutil.copyfile(tiny_db_file, target)
    db = open_database(target)
    yield db
    db.dispose()


def dump(database) -> dict[str, list[tuple]]:
    """Every row of every table, for before/after comparisons."""
    result = {}
    with database.engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            order = list(table.primary_key.columns) or list(table.columns)
            result[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        result["_sequence"] = [tuple(r) for r in conn.execute(text("SELECT name FROM sqlite_master ORDER BY name"))]
    return result


@pytest.fixture
def table_dump():
    return dump
