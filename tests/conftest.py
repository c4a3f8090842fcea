"""Shared fixtures. Qt runs offscreen; every test gets its own data folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import shutil  # noqa: E402

import pytest  # noqa: E402

from db.session import open_database  # noqa: E402
from tests.backends import POSTGRESQL, SQLITE, PgServer, pg_server_url  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the data folder and default database at a fresh temporary folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MINGBAIKA_HOME", str(home))
    monkeypatch.delenv("MINGBAIKA_DB", raising=False)
    return home


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--pg-url", default=None,
                     help="PostgreSQL server for the database-facing tests (default: $MINGBAIKA_TEST_PG_URL)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: the PostgreSQL instance of a database-facing test")
    config.addinivalue_line("markers", "sqlite_only: a database test that is about SQLite files (not run on PostgreSQL)")


def _active_backends(config: pytest.Config) -> list[str]:
    return [SQLITE, POSTGRESQL] if pg_server_url(config.getoption("--pg-url")) else [SQLITE]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that use ``database``/``demo_db``/``backend`` run once per active backend.

    ``module_backend`` is the same for fixtures shared by a module (``module_new_database``):
    the module's tests run on SQLite first, then on PostgreSQL, each with one set of databases.
    """
    for name, scope in (("backend", "function"), ("module_backend", "module")):
        if name not in metafunc.fixturenames:
            continue
        backends = _active_backends(metafunc.config)
        if len(backends) == 1 or metafunc.definition.get_closest_marker("sqlite_only"):
            continue
        params = [pytest.param(b, marks=[pytest.mark.postgresql] if b == POSTGRESQL else []) for b in backends]
        metafunc.parametrize(name, params, indirect=True, ids=backends, scope=scope)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind this test instance runs on: ``sqlite`` or ``postgresql``."""
    return getattr(request, "param", SQLITE)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest):
    url = pg_server_url(request.config.getoption("--pg-url"))
    if url is None:
        pytest.skip("no PostgreSQL server configured (MINGBAIKA_TEST_PG_URL)")
    server = PgServer(url)
    yield server
    _settle_qt()  # GUI tests' late events may still read their databases: let them run first
    server.close()


def _settle_qt() -> None:
    """Run pending Qt events, deferred deletions included, if this run started Qt at all."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in app.topLevelWidgets():
        widget.close()
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


@pytest.fixture(scope="module")
def module_backend(request: pytest.FixtureRequest) -> str:
    """The backend of this module's shared databases (see ``module_new_database``)."""
    return getattr(request, "param", SQLITE)


def _database_factory(backend: str, folder: Path, request: pytest.FixtureRequest):
    """``(make, cleanup)``: ``make(template=None, name="db")`` opens a fresh database on ``backend``.

    ``template``: on SQLite a file to copy, on PostgreSQL a template database's name (from
    ``pg_server.template``); the keyword ``demo=True`` copies the 300-household demo database.
    """
    opened = []
    created: list[str] = []
    server = request.getfixturevalue("pg_server") if backend == POSTGRESQL else None
    # A GUI test's widgets may outlive it and still read their database from a queued Qt
    # event (a SQLite file is still there then); its server databases are dropped at the end.
    keep = "qtbot" in request.fixturenames

    def make(template: str | Path | None = None, name: str = "db", *, demo: bool = False):
        if demo:
            template = (request.getfixturevalue("demo_db_file") if server is None
                        else server.template("demo300", lambda url: _fill_demo(url, 300, 7)))
        if server is None:
            path = folder / f"{name}.sqlite3"
            if path.exists():
                path = folder / f"{name}-{len(opened)}.sqlite3"
            if template:
                shutil.copyfile(template, path)
            db = open_database(path)
        else:
            pg_name = server.create(template or server.template("empty", _migrate_url))
            created.append(pg_name)
            db = open_database(server.url_for(pg_name))
        opened.append(db)
        return db

    def cleanup() -> None:
        for db in opened:
            db.dispose()
        for pg_name in created:
            (server.drop_later if keep else server.drop)(pg_name)

    return make, cleanup


@pytest.fixture
def new_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A factory of fresh, migrated, empty databases on this test's backend.

    ``new_database()`` returns an open :class:`db.engine.Database`; call it twice for two
    databases (e.g. two townships); ``new_database(demo=True)`` gives a copy of the demo
    database. Everything is disposed and dropped after the test.
    """
    make, cleanup = _database_factory(backend, tmp_path, request)
    yield make
    cleanup()


@pytest.fixture(scope="module")
def module_new_database(module_backend: str, tmp_path_factory: pytest.TempPathFactory,
                        request: pytest.FixtureRequest):
    """``new_database`` for fixtures shared by a module's tests; dropped after the module."""
    make, cleanup = _database_factory(module_backend, tmp_path_factory.mktemp("moduledb"), request)
    yield make
    cleanup()


def _migrate_url(url: str) -> None:
    open_database(url).dispose()


def _fill_demo(location, households: int, seed: int) -> None:  # noqa: ANN001 - path or URL
    from desktop.core.demo import DemoOptions, generate

    db = open_database(location)
    with db.session() as session:
        generate(session, DemoOptions(households=households, seed=seed))
    db.dispose()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.sqlite3"


@pytest.fixture
def database(backend: str, db_path: Path, new_database):
    """An empty, migrated database on this test's backend (a file at ``db_path`` on SQLite)."""
    if backend == SQLITE:
        db = open_database(db_path)
        yield db
        db.dispose()
    else:
        yield new_database()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-household demo database made once per run; copy it before writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    _fill_demo(path, 300, 7)
    return path


@pytest.fixture
def demo_db(backend: str, demo_db_file: Path, new_database, request: pytest.FixtureRequest):
    """A private, writable copy of the 300-household demo database on this test's backend."""
    return new_database(name="demo", demo=True)
