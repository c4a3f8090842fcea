"""Benchmark runner.

Each module in ``benchmarks/cases/`` defines ``NAME``, ``TITLE`` and
``run(ctx: Context) -> list[Result]``. A result times our code beside a
baseline doing the same work with the bare library, in the same run, and the
report gives the ratio. Each case owns one section of ``docs/benchmarks.md``
(between ``<!-- case:NAME -->`` markers), so running one case updates only its
section.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import cases

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"


@dataclass
class Result:
    what: str
    ours: float  # seconds (or the unit named in `unit`)
    baseline: float | None = None
    baseline_what: str = ""
    unit: str = "s"
    notes: str = ""
    skipped: bool = False  # nothing was measured (e.g. no server): the report keeps the last section

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.ours / self.baseline


@dataclass
class Context:
    households: int
    workdir: Path
    seed: int = 1
    cache: dict[str, Any] = field(default_factory=dict)

    def demo_db(self, households: int | None = None) -> Path:
        """A demo database of ``households`` (default: the run's size), made once per run."""
        n = households or self.households
        key = f"demo-{n}"
        if key not in self.cache:
            from db.session import open_database
            from desktop.core.demo import DemoOptions, generate

            path = self.workdir / f"demo-{n}.sqlite3"
            db = open_database(path)
            with db.session() as session:
                generate(session, DemoOptions(households=n, seed=self.seed))
            db.dispose()
            self.cache[key] = path
        return self.cache[key]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def discover() -> dict[str, Any]:
    found = {}
    for info in sorted(pkgutil.iter_modules(cases.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{cases.__name__}.{info.name}")
        found[module.NAME] = module
    return found


def render(module: Any, households: int, results: list[Result]) -> str:
    lines = [
        f"<!-- case:{module.NAME} -->",
        f"## {module.TITLE}",
        "",
        f"Run {datetime.now():%Y-%m-%d %H:%M} on {platform.node() or 'this machine'} "
        f"({platform.python_implementation()} {platform.python_version()}), {households:,} households.",
        "",
        "| measurement | ours | baseline | ratio (ours / baseline) | notes |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        base = f"{r.baseline:.3f} {r.unit} ({r.baseline_what})" if r.baseline is not None else "—"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        lines.append(f"| {r.what} | {r.ours:.3f} {r.unit} | {base} | {ratio} | {r.notes} |")
    doc = (module.__doc__ or "").strip()
    if doc:
        lines += ["", doc]
    lines.append(f"<!-- /case:{module.NAME} -->")
    return "\n".join(lines)


def update_report(sections: dict[str, str]) -> None:
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else (
        "# Benchmarks\n\nWritten by `python -m benchmarks`; each case's section is replaced when it runs.\n"
        "Machine: 2 cores, 24 GiB (the project's standard machine).\n"
    )
    for name, body in sections.items():
        pattern = re.compile(rf"<!-- case:{re.escape(name)} -->.*?<!-- /case:{re.escape(name)} -->", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m, body=body: body, text)
        else:
            text = text.rstrip() + "\n\n" + body + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run benchmarks.")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--case", action="append", choices=sorted(available), help="run only these cases")
    parser.add_argument("--no-report", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="mingbaika-bench-"))
    ctx = Context(households=args.households, workdir=workdir)
    sections = {}
    try:
        for name in args.case or sorted(available):
            module = available[name]
            print(f"== {module.TITLE}", flush=True)
            results = module.run(ctx)
            for r in results:
                ratio = f"ratio {r.ratio:.2f}" if r.ratio is not None else ""
                print(f"   {r.what}: {r.ours:.3f} {r.unit} {ratio} {r.notes}", flush=True)
            if results and all(r.skipped for r in results):
                print("   (nothing measured: its section in docs/benchmarks.md is kept)", flush=True)
                continue
            sections[name] = render(module, args.households, results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not args.no_report:
        update_report(sections)
    return 0
