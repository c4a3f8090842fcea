"""Frozen entry point of the console program ``mingbaika-cli`` (see build.spec)."""

import sys

from desktop.cli.main import main

sys.exit(main())
