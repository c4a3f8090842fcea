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

import pytest  # noqa: E402

from db.session import open_database  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the data folder and default database at a fresh temporary folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MINGBAIKA_HOME", str(home))
    monkeypatch.delenv("MINGBAIKA_DB", raising=False)
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.sqlite3"


@pytest.fixture
def database(db_path: Path):
    db = open_database(db_path)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-household demo database made once per run; copy it before writing."""
    from desktop.core.demo import DemoOptions, generate

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    db = open_database(path)
    with db.session() as session:
        generate(session, DemoOptions(households=300, seed=7))
    db.dispose()
    return path


@pytest.fixture
def demo_db(demo_db_file: Path, tmp_path: Path):
    """A private, writable copy of the demo database."""
    import shutil

    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_db_file, target)
    db = open_database(target)
    yield db
    db.dispose()
