"""initial schema

Create Date: 2026-11-25 12:35:38.379241
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import countypay.db


revision = '0001'
down_revision = None


def upgrade() -> None:
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('period_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('benchmark', countypay.db.Exact(precision=28, scale=10), nullable=True),
    sa.Column('per_capita', sa.Boolean(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('province',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('serviceitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('county',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_county_province_id'), ['province_id'], unique=False)

    op.create_table('community',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'code')
    )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_county_id'), ['county_id'], unique=False)

    op.create_table('fund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('amount', countypay.db.Money(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'code', 'entity', 'period')
    )
    with op.batch_alter_table('fund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_period'), ['period'], unique=False)

    op.create_table('indicatortarget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', countypay.db.Exact(precision=28, scale=10), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('indicator_id', 'county_id', 'year')
    )
    with op.batch_alter_table('indicatortarget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicatortarget_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicatortarget_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('indicatorvalue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('value', countypay.db.Exact(precision=28, scale=10), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'indicator_id', 'entity', 'period')
    )
    with op.batch_alter_table('indicatorvalue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicatorvalue_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicatorvalue_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicatorvalue_period'), ['period'], unique=False)

    op.create_table('parameteroverride',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('effective', sa.Date(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'policy', 'component', 'name', 'effective')
    )
    with op.batch_alter_table('parameteroverride', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parameteroverride_county_id'), ['county_id'], unique=False)

    op.create_table('servicecount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('institution', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'institution', 'month', 'item')
    )
    with op.batch_alter_table('servicecount', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicecount_county_id'), ['county_id'], unique=False)

    op.create_table('settlementrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('parameter_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('parameter_sources', sa.JSON(), nullable=False),
    sa.Column('input_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('approved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.ForeignKeyConstraint(['supersedes_id'], ['settlementrun.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'policy', 'component', 'period', 'input_hash', 'parameter_version')
    )
    with op.batch_alter_table('settlementrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlementrun_county_id'), ['county_id'], unique=False)

    op.create_table('institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'code')
    )
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_institution_county_id'), ['county_id'], unique=False)

    op.create_table('settlementline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('amount', countypay.db.Money(precision=18, scale=2), nullable=True),
    sa.Column('quantity', countypay.db.Exact(precision=28, scale=10), nullable=True),
    sa.Column('trace', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['settlementrun.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('settlementline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlementline_run_id'), ['run_id'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'code')
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_county_id'), ['county_id'], unique=False)

    op.create_table('unitmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'role')
    )
    with op.batch_alter_table('unitmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unitmember_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unitmember_unit_id'), ['unit_id'], unique=False)

    op.create_table('unitpopulation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'group')
    )
    with op.batch_alter_table('unitpopulation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unitpopulation_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('unitpopulation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unitpopulation_unit_id'))

    op.drop_table('unitpopulation')
    with op.batch_alter_table('unitmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unitmember_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unitmember_institution_id'))

    op.drop_table('unitmember')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_county_id'))
        batch_op.drop_index(batch_op.f('ix_unit_community_id'))

    op.drop_table('unit')
    with op.batch_alter_table('settlementline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlementline_run_id'))

    op.drop_table('settlementline')
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_county_id'))
        batch_op.drop_index(batch_op.f('ix_institution_community_id'))

    op.drop_table('institution')
    with op.batch_alter_table('settlementrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlementrun_county_id'))

    op.drop_table('settlementrun')
    with op.batch_alter_table('servicecount', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_servicecount_county_id'))

    op.drop_table('servicecount')
    with op.batch_alter_table('parameteroverride', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parameteroverride_county_id'))

    op.drop_table('parameteroverride')
    with op.batch_alter_table('indicatorvalue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicatorvalue_period'))
        batch_op.drop_index(batch_op.f('ix_indicatorvalue_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_indicatorvalue_county_id'))

    op.drop_table('indicatorvalue')
    with op.batch_alter_table('indicatortarget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicatortarget_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_indicatortarget_county_id'))

    op.drop_table('indicatortarget')
    with op.batch_alter_table('fund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_period'))
        batch_op.drop_index(batch_op.f('ix_fund_county_id'))

    op.drop_table('fund')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_county_id'))

    op.drop_table('community')
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_county_province_id'))

    op.drop_table('county')
    op.drop_table('serviceitem')
    op.drop_table('province')
    op.drop_table('indicator')
