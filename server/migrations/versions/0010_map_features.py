"""map features: a county's towns and grids as polygons and its institutions as points (GeoJSON)

Create Date: 2026-11-30 16:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'

Code = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('mapfeature',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('county_id', sa.Integer(), nullable=False),
                    sa.Column('kind', Code(length=16), nullable=False),
                    sa.Column('code', Code(length=64), nullable=False),
                    sa.Column('geometry', sa.JSON(), nullable=False),
                    sa.ForeignKeyConstraint(['county_id'], ['county.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('county_id', 'kind', 'code'))


def downgrade() -> None:
    op.drop_table('mapfeature')
