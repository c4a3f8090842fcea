"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from db.engine import Database
from db.session import open_database
from desktop.core.paths import database_location


def open_db(args: argparse.Namespace) -> Database:
    return open_database(database_location(getattr(args, "db", None)))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
