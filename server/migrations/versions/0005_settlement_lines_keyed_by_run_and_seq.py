"""settlement lines keyed by (run_id, seq)

Create Date: 2026-11-25 15:10:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'


def upgrade() -> None:
    # Plain (not batch) index operations: SQLite keeps the table, and with it the lock triggers.
    op.create_index('ux_settlementline_run_id_seq', 'settlementline', ['run_id', 'seq'], unique=True)
    op.drop_index('ix_settlementline_run_id', table_name='settlementline')


def downgrade() -> None:
    op.create_index('ix_settlementline_run_id', 'settlementline', ['run_id'], unique=False)
    op.drop_index('ux_settlementline_run_id_seq', table_name='settlementline')
