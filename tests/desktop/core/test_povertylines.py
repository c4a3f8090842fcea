from __future__ import annotations

from decimal import Decimal

from db.models import PovertyLine
from desktop.core import povertylines


def test_seed_is_idempotent_and_keeps_edits(database) -> None:
    with database.session() as session:
        assert povertylines.seed_defaults(session) == len(povertylines.default_lines())
    with database.session() as session:
        line = session.query(PovertyLine).filter_by(year=2016, scope="国家").one()
        line.amount = Decimal("3000")
    with database.session() as session:
        assert povertylines.seed_defaults(session) == 0
        assert povertylines.line_for(session, 2016, ("国家",)) == Decimal("3000")


def test_exit_line_prefers_local_standard(database) -> None:
    with database.session() as session:
        povertylines.seed_defaults(session)
    with database.session() as session:
        assert povertylines.line_for(session, 2017) == Decimal("3335")
        assert povertylines.line_for(session, 2015) == Decimal("2855")
        assert povertylines.line_for(session, 1999) is None
