"""The frozen app (`build.spec`), built from scratch in the run: PyInstaller with an empty cache (its own
`PYINSTALLER_CONFIG_DIR`, `--clean`) into a temporary folder. Start times are medians of several runs after a
warm-up, from the bundle beside the same command run from source with `python -m` (the baseline), on the run's
demo database; the GUI runs offscreen with `--quit-after 0`, so it measures start-up to the first event-loop turn
plus a clean exit. The size rows say what the bundle is made of (MB = 10^6 bytes, files as stored; the two
executables each carry the compressed Python code archive)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.runner import Context, Result

NAME = "frozen"
TITLE = "Frozen app: bundle size, build time, start times"
ROOT = Path(__file__).resolve().parents[2]


def _median_seconds(cmd: list[str], env: dict[str, str], runs: int) -> float:
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(ctx: Context) -> list[Result]:
    from freezing.bundle import executable, size_breakdown, tree_size

    dist, work = ctx.workdir / "dist", ctx.workdir / "pyinstaller"
    env = dict(os.environ, PYINSTALLER_CONFIG_DIR=str(ctx.workdir / "pyinstaller-cache"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=3600)
    build_s = time.perf_counter() - start
    bundle = dist / "mingbaika"
    files = sum(1 for p in bundle.rglob("*") if p.is_file())

    database = ctx.demo_db()
    home = ctx.workdir / "home"
    run_env = dict(os.environ, MINGBAIKA_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    run_env.pop("MINGBAIKA_DB", None)
    cli, gui = str(executable("mingbaika-cli", bundle)), str(executable("mingbaika", bundle))
    py = [sys.executable, "-m"]
    version = (_median_seconds([cli, "--version"], run_env, 7),
               _median_seconds([*py, "desktop.cli.main", "--version"], run_env, 7))
    stats = (_median_seconds([cli, "--db", str(database), "stats", "--json"], run_env, 5),
             _median_seconds([*py, "desktop.cli.main", "--db", str(database), "stats", "--json"], run_env, 5))
    window = (_median_seconds([gui, "--db", str(database), "--quit-after", "0"], run_env, 3),
              _median_seconds([*py, "desktop.ui.app", "--db", str(database), "--quit-after", "0"], run_env, 3))

    results = [
        Result("build from scratch (PyInstaller, empty cache, 2 cores)", build_s, notes=f"{files} files"),
        Result("bundle size", tree_size(bundle) / 1e6, unit="MB", notes="dist/mingbaika, unzipped"),
        Result("`mingbaika-cli --version`", version[0], version[1], "python -m desktop.cli.main --version"),
        Result(f"`mingbaika-cli stats --json` ({ctx.households:,} households)", stats[0], stats[1],
               "python -m desktop.cli.main stats --json"),
        Result(f"GUI start to quit (`--quit-after 0`, {ctx.households:,} households)", window[0], window[1],
               "python -m desktop.ui.app"),
    ]
    for part, size in size_breakdown(bundle).items():
        if size >= 0.5e6:
            results.append(Result(f"bundle part: {part}", size / 1e6, unit="MB"))
    return results
