"""Frozen entry point of the windowed app ``mingbaika`` (see build.spec)."""

import os
import sys

# A windowed Windows executable has no console: sys.stdout / sys.stderr are None,
# and anything that prints (argparse, warnings, logging's last resort) would crash.
for _name in ("stdout", "stderr"):
    if getattr(sys, _name) is None:
        setattr(sys, _name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115

from desktop.ui.app import main  # noqa: E402

sys.exit(main())
