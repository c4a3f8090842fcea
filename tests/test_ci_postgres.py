"""`.ci/start-postgres` starts a throw-away server from nothing, and a second call reuses it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "start-postgres"
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not BINARIES, reason="the postgresql package is not installed")
def test_start_postgres_from_an_empty_data_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    data = Path("/tmp") / f"mbtest-start-{os.getpid()}"  # the server user must reach it: not under a private tmp
    shutil.rmtree(data, ignore_errors=True)
    port = _free_port()
    env = {**os.environ, "PGDATA_TEST": str(data), "PGPORT_TEST": str(port)}
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    try:
        first = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path_factory.getbasetemp())
        assert first.returncode == 0, first.stderr
        line = first.stdout.strip()
        assert line == f"export MINGBAIKA_TEST_PG_URL=postgresql+psycopg://mingbaika@127.0.0.1:{port}/postgres"
        engine = create_engine(line.split("=", 1)[1])
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SHOW server_encoding")).scalar() == "UTF8"
                assert conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        finally:
            engine.dispose()
        again = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and again.stdout.strip() == line  # reused, not re-initialised
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*run_as, BINARIES[-1], "-D", str(data), "stop", "-m", "immediate"],
                           capture_output=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)
