"""Build ``dist/mingbaika`` when it is missing or stale, and measure it.

Used by ``tests/test_frozen.py`` and ``benchmarks/cases/frozen.py``. A bundle is
current when the SHA-256 of every input file (the code, resources, the guide,
``build.spec``, ``pyproject.toml``) matches the stamp written after its last
successful build. Builds run ``scripts/build`` (POSIX) or PyInstaller directly
(Windows) under a file lock, so two test runs in one checkout do not build into
the same folder at once.

    python -m freezing.bundle            # build if stale, print the path
    python -m freezing.bundle --sizes    # and what the bundle is made of
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "mingbaika"
WORK = ROOT / "build"
STAMP = WORK / "mingbaika-inputs.sha256"
LOCK = WORK / "mingbaika-build.lock"
LOG = WORK / "mingbaika-build.log"
INPUTS = ("build.spec", "pyproject.toml", "freezing", "db", "desktop", "resources",
          "docs/使用说明.md", "docs/screenshots")
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


def executable(name: str, bundle: Path = DIST) -> Path:
    """``mingbaika`` or ``mingbaika-cli`` inside a bundle folder."""
    return bundle / f"{name}{EXE_SUFFIX}"


def internal(bundle: Path = DIST) -> Path:
    """The bundle's ``_internal`` folder (``sys._MEIPASS`` of the frozen programs)."""
    return bundle / "_internal"


def input_files() -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
            )
    return sorted(files)


def inputs_digest(files: list[Path] | None = None) -> str:
    digest = hashlib.sha256()
    for path in input_files() if files is None else files:
        digest.update(path.relative_to(ROOT).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _stamp() -> dict:
    try:
        return json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_current(digest: str | None = None) -> bool:
    if not (executable("mingbaika").is_file() and executable("mingbaika-cli").is_file()):
        return False
    return _stamp().get("digest") == (digest or inputs_digest())


def built_inputs() -> list[str]:
    """The input files (relative, POSIX) of the last successful build: what the bundle holds, even
    when the checkout has changed since."""
    return list(_stamp().get("files", []))


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    WORK.mkdir(parents=True, exist_ok=True)
    with LOCK.open("a+") as fh:
        if sys.platform == "win32":
            yield
            return
        import fcntl

        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_command() -> list[str]:
    if sys.platform == "win32":
        return [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(ROOT / "dist"),
                "--workpath", str(WORK / "pyinstaller"), str(ROOT / "build.spec")]
    return ["bash", str(ROOT / "scripts" / "build")]


def build() -> float:
    """Build now (the caller holds the lock); returns the seconds it took. The log is kept in build/."""
    files = input_files()
    digest = inputs_digest(files)  # taken before building: a change made during the build leaves it stale
    STAMP.unlink(missing_ok=True)
    env = dict(os.environ, PYTHON=sys.executable)
    started = time.perf_counter()
    with LOG.open("w", encoding="utf-8") as log:
        result = subprocess.run(build_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = LOG.read_text(encoding="utf-8", errors="replace")[-6000:]
        raise RuntimeError(f"building the bundle failed (exit {result.returncode}); log {LOG}:\n{tail}")
    STAMP.write_text(json.dumps({"digest": digest, "seconds": round(seconds, 1),
                                 "files": [p.relative_to(ROOT).as_posix() for p in files]}, indent=0),
                     encoding="utf-8")
    return seconds


def ensure_bundle(attempts: int = 3) -> tuple[Path, float | None]:
    """The bundle folder, built first if missing or stale; and the last build's time (None if it was
    current). Sources edited while it builds (other work in the same checkout) start another build."""
    seconds = None
    with build_lock():
        for _ in range(attempts):
            if is_current():
                break
            seconds = build()
        return DIST, seconds


def tree_size(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


# Linux libraries that come with Qt's CUPS print plugin (direct printing to the office printer).
PRINTING_LIBS = ("libcups", "libgnutls", "libnettle", "libhogweed", "libgmp", "libp11-kit", "libtasn1", "libidn2",
                 "libunistring", "libavahi", "libkrb5", "libk5crypto", "libgssapi", "libkeyutils", "libcom_err")


def size_breakdown(bundle: Path = DIST) -> dict[str, int]:
    """Bytes by component, largest first: the executables, Qt's libraries, ICU, fonts, Python, …"""
    root = internal(bundle)
    groups: dict[str, int] = {}

    def add(name: str, size: int) -> None:
        groups[name] = groups.get(name, 0) + size

    for exe in ("mingbaika", "mingbaika-cli"):
        add(f"{exe}{EXE_SUFFIX} (bootloader + Python code archive)", tree_size(executable(exe, bundle)))
    for path in (p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        name = path.name.lower()
        size = path.lstat().st_size
        if "icu" in name and ("icudt" in name or "icudata" in name or "icuuc" in name or "icui18n" in name
                              or "icuin" in name):
            add("ICU (Unicode data for Qt)", size)
        elif "/" not in rel and name.startswith(PRINTING_LIBS):
            add("CUPS printing client and its TLS / Kerberos / Avahi libraries (Linux)", size)
        elif rel.startswith("resources/fonts/"):
            add("resources/fonts (bundled CJK print fonts)", size)
        elif rel.startswith("resources/"):
            add("resources (code lists, poverty lines, icons, templates)", size)
        elif "/plugins/" in f"/{rel}":
            add("Qt plugins", size)
        elif "qt6" in name and ("/lib/" in f"/{rel}/" or rel.startswith("PySide6/") or "/" not in rel):
            add("Qt libraries (Qt6*)", size)
        elif rel.startswith(("PySide6/", "shiboken6/")) or "pyside6" in name or "shiboken6" in name:
            add("PySide6 / shiboken6 bindings", size)
        elif "python3" in name or rel.startswith(("python3", "base_library.zip", "lib-dynload/")):
            add("Python runtime and standard library", size)
        elif rel.startswith("docs/"):
            add("docs (user guide and screenshots)", size)
        elif rel.startswith("db/"):
            add("db/migrations", size)
        elif "/" in rel:
            add(f"{rel.split('/', 1)[0]} (Python package data and extensions)", size)
        else:
            add("other shared libraries (X11/xcb, fontconfig, glib, …)", size)
    return dict(sorted(groups.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    bundle, seconds = ensure_bundle()
    print(bundle if seconds is None else f"{bundle} (built in {seconds:.0f} s)")
    if "--sizes" in args:
        total = tree_size(bundle)
        print(f"total {total / 1e6:.1f} MB")
        for name, size in size_breakdown(bundle).items():
            print(f"{size / 1e6:8.1f} MB  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
