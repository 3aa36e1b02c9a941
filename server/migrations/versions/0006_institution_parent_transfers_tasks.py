"""institution parents; fund transfers and notice tasks

Create Date: 2026-11-30 12:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import countypay.db

revision = '0006'
down_revision = '0005'


def upgrade() -> None:
    # Plain add_column (no batch): SQLite keeps the table as it is.
    op.add_column('institution', sa.Column('parent', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table(
        'transfer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('hop', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('amount_received', countypay.db.Money(precision=18, scale=2), nullable=False),
        sa.Column('matching', countypay.db.Money(precision=18, scale=2), nullable=False),
        sa.Column('amount_sent', countypay.db.Money(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(['county_id'], ['county.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county_id', 'period', 'hop'),
    )
    op.create_table(
        'task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['county_id'], ['county.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county_id', 'period', 'code'),
    )


def downgrade() -> None:
    op.drop_table('task')
    op.drop_table('transfer')
    op.drop_column('institution', 'parent')
