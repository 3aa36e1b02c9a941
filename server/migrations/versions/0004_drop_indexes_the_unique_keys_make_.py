"""drop indexes the unique keys make redundant

Create Date: 2026-11-25 13:53:08.977554
"""
from alembic import op


revision = '0004'
down_revision = '0003'


def upgrade() -> None:
    with op.batch_alter_table('fund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_county_id'))

    with op.batch_alter_table('indicatorvalue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicatorvalue_county_id'))

    with op.batch_alter_table('servicecount', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_servicecount_county_id'))



def downgrade() -> None:
    with op.batch_alter_table('servicecount', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicecount_county_id'), ['county_id'], unique=False)

    with op.batch_alter_table('indicatorvalue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicatorvalue_county_id'), ['county_id'], unique=False)

    with op.batch_alter_table('fund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_county_id'), ['county_id'], unique=False)

