"""household search key: a GIN trigram index on PostgreSQL

On PostgreSQL ``ix_household_search_key`` becomes ``USING gin (search_key gin_trgm_ops)`` so
that search-as-you-type (``LIKE '%term%'``) seeks instead of scanning; the ``pg_trgm``
extension is created if this role may (else a warning is logged and the B-tree stays). On
SQLite nothing changes. The DDL lives in ``db/dialects/{sqlite,postgresql}.py``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:40:00

"""
from collections.abc import Sequence

from alembic import op

from db.dialects import for_dialect

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    for_dialect(bind).upgrade_search_index(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for_dialect(bind).downgrade_search_index(bind)
