"""household search-key index (search-as-you-type scans the index, not the table)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:50:00

"""
from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_search_key', ['search_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_search_key')
