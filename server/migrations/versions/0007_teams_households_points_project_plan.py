"""indicator value types; family-doctor teams and staff days; households with monthly
compliance, reimbursable expenses and health points; project plans and disbursements

Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import countypay.db

revision = '0007'
down_revision = '0006'

Code = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain add_column (no batch): SQLite keeps the table as it is.
    op.add_column('indicator', sa.Column('value_type', Code(length=16), nullable=True))
    op.create_table(
        'team',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('code', Code(length=64), nullable=False),
        sa.Column('name_zh', Code(), nullable=False),
        sa.ForeignKeyConstraint(['county_id'], ['county.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county_id', 'code'),
    )
    op.create_table(
        'teamgrid',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('team_id', 'unit_id'),
    )
    op.create_table(
        'teammember',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('role', Code(length=32), nullable=False),
        sa.Column('staff', Code(length=64), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('team_id', 'role', 'staff'),
    )
    op.create_table(
        'staffday',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('staff', Code(length=64), nullable=False),
        sa.Column('month', Code(length=7), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['county_id'], ['county.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county_id', 'staff', 'month'),
    )
    op.create_table(
        'household',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('code', Code(length=64), nullable=False),
        sa.ForeignKeyConstraint(['county_id'], ['county.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county_id', 'code'),
    )
    op.create_table(
        'householdmonth',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('month', Code(length=7), nullable=False),
        sa.Column('compliant', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['household.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('household_id', 'month'),
    )
    op.create_table(
        'householdreimbursement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('period', Code(length=8), nullable=False),
        sa.Column('reimbursable', countypay.db.Money(precision=18, scale=2), nullable=False),
        sa.Column('base_rate', countypay.db.Exact(precision=28, scale=10), nullable=True),
        sa.ForeignKeyConstraint(['household_id'], ['household.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('household_id', 'period'),
    )
    op.create_table(
        'pointsopening',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['household.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('household_id', 'date'),
    )
    op.create_table(
        'pointsevent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('kind', Code(length=8), nullable=False),
        sa.Column('activity', Code(length=64), nullable=True),
        sa.Column('item', Code(length=64), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['household.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('household_id', 'date', 'seq'),
    )
    op.create_table(
        'projecttask',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('code', Code(length=64), nullable=False),
        sa.Column('name_zh', Code(), nullable=False),
        sa.Column('name_en', Code(), nullable=False),
        sa.ForeignKeyConstraint(['county_id'], ['county.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county_id', 'code'),
    )
    for table in ('projectplan', 'projectdisbursement'):
        op.create_table(
            table,
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('task_id', sa.Integer(), nullable=False),
            sa.Column('year', sa.Integer(), nullable=False),
            sa.Column('source', Code(length=32), nullable=False),
            sa.Column('amount', countypay.db.Money(precision=18, scale=2), nullable=False),
            sa.ForeignKeyConstraint(['task_id'], ['projecttask.id']),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('task_id', 'year', 'source'),
        )


def downgrade() -> None:
    for table in ('projectdisbursement', 'projectplan', 'projecttask', 'pointsevent', 'pointsopening',
                  'householdreimbursement', 'householdmonth', 'household', 'staffday', 'teammember',
                  'teamgrid', 'team'):
        op.drop_table(table)
    op.drop_column('indicator', 'value_type')
