"""settlement jobs: a period for many counties, shared out to workers county by county

Create Date: 2026-11-30 13:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'

Code = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table('settlejob',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('period', Code(length=16), nullable=False),
                    sa.Column('created_by', Code(), nullable=False),
                    sa.Column('created_at', When(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_table('settlejobcounty',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('job_id', sa.Integer(), nullable=False),
                    sa.Column('county', Code(length=32), nullable=False),
                    sa.Column('settles', sa.JSON(), nullable=False),
                    sa.Column('state', Code(length=8), nullable=False),
                    sa.Column('runs', sa.JSON(), nullable=True),
                    sa.Column('lines', sa.Integer(), nullable=False),
                    sa.Column('error', Code(), nullable=False),
                    sa.Column('worker', Code(), nullable=False),
                    sa.Column('finished_at', When(), nullable=True),
                    sa.ForeignKeyConstraint(['job_id'], ['settlejob.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('job_id', 'county'))
    op.create_index('ix_settlejobcounty_job_id', 'settlejobcounty', ['job_id'])
    op.create_index('ix_settlejobcounty_state', 'settlejobcounty', ['state'])


def downgrade() -> None:
    op.drop_table('settlejobcounty')
    op.drop_table('settlejob')
