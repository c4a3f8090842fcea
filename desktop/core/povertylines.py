"""Poverty lines: defaults from ``resources/poverty_lines.yaml``, kept (and
edited) in the poverty_line table, looked up by year and scope."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import PovertyLine
from desktop.core.paths import resource

# Which line decides an exit: the local 脱贫标准 when set for the year, else the national line.
EXIT_SCOPES = ("脱贫标准", "国家")


@cache
def default_lines() -> tuple[dict, ...]:
    with resource("poverty_lines.yaml").open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh)["lines"])


def seed_defaults(session: Session) -> int:
    """Insert default lines that are missing; never overwrite an edited one."""
    existing = {(y, s) for y, s in session.execute(select(PovertyLine.year, PovertyLine.scope))}
    added = 0
    for line in default_lines():
        key = (int(line["year"]), str(line["scope"]))
        if key in existing:
            continue
        session.add(
            PovertyLine(
                year=key[0],
                scope=key[1],
                amount=Decimal(str(line["amount"])),
                source=line.get("source"),
                note="待核实" if line.get("status") == "U" else None,
            )
        )
        added += 1
    return added


def line_for(session: Session, year: int, scopes: tuple[str, ...] = EXIT_SCOPES) -> Decimal | None:
    """The threshold for ``year``: the first scope in ``scopes`` that has a line."""
    rows = dict(session.execute(select(PovertyLine.scope, PovertyLine.amount).where(PovertyLine.year == year)).all())
    for scope in scopes:
        if scope in rows:
            return Decimal(rows[scope])
    return None
