"""Start-up of the command line: a fresh `mingbaika-cli` process (the installed console script, run with this
interpreter) for `--version`, `--help` and `stats` (on a 300-household demo database and on the run's), beside a
bare `python -c pass` in the same run (the interpreter's own start, the floor). Every figure is the best of 7 runs
after a warm-up, the commands taking turns round by round (other developers share the machine: the best run is the
least disturbed one, and a busy spell falls on all commands alike). The rows marked "before" run the same commands
from the tree of commit 0946c82 (exported with `git archive`, put first on `PYTHONPATH`; its `stats` on a
300-household database that tree made itself, as it refuses newer schemas), when `desktop/cli/main.py` imported
every command module and their openpyxl, SQLAlchemy and `desktop.core` imports just to build the parser. Since then
only the chosen command's module is imported (`desktop.cli.registry`). `stats` still imports SQLAlchemy, Alembic,
the models and `desktop.core` (whose `__init__` loads the pinyin dictionaries for the search-key listener): that,
not the parser, is most of its time."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.runner import Context, Result

NAME = "cli_start"
TITLE = "Command-line start-up (`mingbaika-cli`)"
ROOT = Path(__file__).resolve().parents[2]
BEFORE = "0946c82"
RUNS = 7


@dataclass
class Timing:
    what: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    notes: str = ""
    times: list[float] = field(default_factory=list)


def _best_interleaved(timings: list[Timing]) -> None:
    """Run every command once per round, ``RUNS`` rounds after a warm-up round, so that the load other work puts on
    the machine falls alike on all of them; each keeps its best time. A command that fails is dropped."""
    for t in list(timings):  # warm-up: .pyc files, page cache
        if subprocess.run(t.cmd, env=t.env, cwd=t.cwd, capture_output=True, timeout=600).returncode != 0:
            timings.remove(t)
    for _ in range(RUNS):
        for t in timings:
            start = time.perf_counter()
            subprocess.run(t.cmd, env=t.env, cwd=t.cwd, check=True, capture_output=True, timeout=600)
            t.times.append(time.perf_counter() - start)


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("mingbaika-cli")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "desktop.cli.main"]


def _before_tree(ctx: Context) -> Path | None:
    """The source tree of commit ``BEFORE`` (only what the CLI imports), or None without git."""
    if shutil.which("git") is None:
        return None
    archive = subprocess.run(["git", "archive", "--format=tar", BEFORE, "db", "desktop", "resources"], cwd=ROOT,
                             capture_output=True, timeout=120)
    if archive.returncode != 0:
        return None
    target = ctx.workdir / f"tree-{BEFORE}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def run(ctx: Context) -> list[Result]:
    small, large = ctx.demo_db(300), ctx.demo_db()
    env = dict(os.environ, MINGBAIKA_HOME=str(ctx.workdir / "home"))
    env.pop("MINGBAIKA_DB", None)
    cli = _cli()
    cases = [
        ("`mingbaika-cli --version`", ["--version"]),
        ("`mingbaika-cli --help`", ["--help"]),
        ("`mingbaika-cli stats` (300 households)", ["--db", str(small), "stats"]),
        (f"`mingbaika-cli stats` ({ctx.households:,} households)", ["--db", str(large), "stats"]),
    ]
    floor = Timing("`python -c pass` (the floor)", [sys.executable, "-c", "pass"], env, ROOT)
    timings = [floor, *(Timing(what, [*cli, *argv], env, ROOT) for what, argv in cases)]
    timings.append(Timing("`python -m desktop.cli.main --version`", [sys.executable, "-m", "desktop.cli.main",
                                                                    "--version"], env, ROOT,
                          "as the “before” rows run"))
    tree = _before_tree(ctx)
    if tree is not None:
        old_env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")])))
        old_cli = [sys.executable, "-m", "desktop.cli.main"]
        old_db = ctx.workdir / f"demo-300-{BEFORE}.sqlite3"  # that tree refuses a database of a newer schema
        made = subprocess.run([*old_cli, "--db", str(old_db), "demo", "--households", "300", "--seed", str(ctx.seed)],
                              env=old_env, cwd=tree, capture_output=True, timeout=600).returncode == 0
        for what, argv in cases[:2] + ([(cases[2][0], ["--db", str(old_db), "stats"])] if made else []):
            timings.append(Timing(f"before ({BEFORE}): {what}", [*old_cli, *argv], old_env, tree,
                                  "`python -m desktop.cli.main` from that tree"))
    _best_interleaved(timings)
    if floor not in timings or not all(t in timings for t in timings[1:len(cases) + 1]):
        raise RuntimeError("python -c pass or a mingbaika-cli command failed")
    base = min(floor.times)
    return [Result(floor.what, base)] + [Result(t.what, min(t.times), base, "python -c pass", notes=t.notes)
                                         for t in timings[1:]]
