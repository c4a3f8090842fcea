"""bookkeeping tables: operators, print log, check acknowledgements, duplicate dismissals, exchange log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:28:56.397929

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('check_acknowledgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=20), nullable=False),
    sa.Column('entity_uuid', sa.String(length=36), nullable=False),
    sa.Column('household_uuid', sa.String(length=36), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('operator', sa.String(length=50), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_acknowledgement'))
    )
    with op.batch_alter_table('check_acknowledgement', schema=None) as batch_op:
        batch_op.create_index('ix_check_ack_rule_entity', ['rule_id', 'entity_uuid'], unique=False)

    op.create_table('duplicate_dismissal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid_a', sa.String(length=36), nullable=False),
    sa.Column('uuid_b', sa.String(length=36), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('operator', sa.String(length=50), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_dismissal'))
    )
    with op.batch_alter_table('duplicate_dismissal', schema=None) as batch_op:
        batch_op.create_index('ix_duplicate_dismissal_pair', ['uuid_a', 'uuid_b'], unique=True)

    op.create_table('exchange_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=12), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('file_name', sa.String(length=300), nullable=True),
    sa.Column('format_version', sa.String(length=10), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('operator', sa.String(length=50), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_log'))
    )
    with op.batch_alter_table('exchange_log', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_log_township_seq', ['township_code', 'sequence'], unique=False)

    op.create_table('operator',
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator')),
    sa.UniqueConstraint('username', name=op.f('uq_operator_username')),
    sa.UniqueConstraint('uuid', name=op.f('uq_operator_uuid'))
    )
    op.create_table('print_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_uuid', sa.String(length=36), nullable=False),
    sa.Column('printed_at', sa.DateTime(), nullable=False),
    sa.Column('operator', sa.String(length=50), nullable=True),
    sa.Column('target', sa.String(length=300), nullable=True),
    sa.Column('full_id', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_log'))
    )
    with op.batch_alter_table('print_log', schema=None) as batch_op:
        batch_op.create_index('ix_print_log_household_at', ['household_uuid', 'printed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('check_acknowledgement', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ack_rule_entity')

    op.drop_table('check_acknowledgement')
    with op.batch_alter_table('duplicate_dismissal', schema=None) as batch_op:
        batch_op.drop_index('ix_duplicate_dismissal_pair')

    op.drop_table('duplicate_dismissal')
    with op.batch_alter_table('exchange_log', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_log_township_seq')

    op.drop_table('exchange_log')
    op.drop_table('operator')
    with op.batch_alter_table('print_log', schema=None) as batch_op:
        batch_op.drop_index('ix_print_log_household_at')

    op.drop_table('print_log')
