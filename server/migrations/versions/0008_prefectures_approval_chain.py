"""prefectures; the approval chain (steps, current runs, levels per province); tokens of the new
roles; per-input digests of runs; a lock nothing gets round (REPLACE on SQLite, TRUNCATE on
PostgreSQL)

Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'

Code = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime
CHAIN = "county,prefecture,province"
LOCKED = "settlement run is approved and locked"  # as 0003 words it
LINES = "settlement lines cannot be changed"
APPEND_ONLY = "the audit trail is append-only"
CHAIN_ONLY = "the approval chain is append-only"

# SQLite: INSERT OR REPLACE, REPLACE and UPDATE OR REPLACE delete the row they collide with
# without firing its DELETE triggers (recursive_triggers is off, and any connection may leave it
# off), so an insert or update that would collide with a locked row is refused before it runs.
# Every unique key of a table is a way to collide: the id and, for runs and lines, their keys.
RUN_KEY = ("county_id", "policy", "component", "period", "input_hash", "parameter_version")
LOCKED_RUN = ("SELECT 1 FROM settlementrun r WHERE r.status = 'approved' AND (r.id = NEW.id OR ("
              + " AND ".join(f"r.{c} = NEW.{c}" for c in RUN_KEY) + "))")
SQLITE_LOCKS = [
    f"""CREATE TRIGGER run_locked_replace BEFORE INSERT ON settlementrun WHEN EXISTS ({LOCKED_RUN})
        BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END""",
    f"""CREATE TRIGGER run_locked_replace_update BEFORE UPDATE ON settlementrun
        WHEN EXISTS ({LOCKED_RUN} AND r.id <> OLD.id)
        BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END""",
    f"""CREATE TRIGGER line_no_replace BEFORE INSERT ON settlementline
        WHEN EXISTS (SELECT 1 FROM settlementline l WHERE l.id = NEW.id OR (l.run_id = NEW.run_id AND l.seq = NEW.seq))
        BEGIN SELECT RAISE(ABORT, '{LINES}'); END""",
    f"""CREATE TRIGGER audit_no_replace BEFORE INSERT ON auditevent
        WHEN EXISTS (SELECT 1 FROM auditevent a WHERE a.id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER step_no_update BEFORE UPDATE ON approvalstep BEGIN SELECT RAISE(ABORT, '{CHAIN_ONLY}'); END""",
    f"""CREATE TRIGGER step_no_delete BEFORE DELETE ON approvalstep BEGIN SELECT RAISE(ABORT, '{CHAIN_ONLY}'); END""",
    f"""CREATE TRIGGER step_no_replace BEFORE INSERT ON approvalstep
        WHEN EXISTS (SELECT 1 FROM approvalstep s WHERE s.id = NEW.id OR (s.run_id = NEW.run_id AND s.seq = NEW.seq))
        BEGIN SELECT RAISE(ABORT, '{CHAIN_ONLY}'); END""",
    f"""CREATE TRIGGER current_no_update BEFORE UPDATE ON currentrun BEGIN SELECT RAISE(ABORT, '{CHAIN_ONLY}'); END""",
    f"""CREATE TRIGGER current_no_delete BEFORE DELETE ON currentrun BEGIN SELECT RAISE(ABORT, '{CHAIN_ONLY}'); END""",
    f"""CREATE TRIGGER current_no_replace BEFORE INSERT ON currentrun
        WHEN EXISTS (SELECT 1 FROM currentrun c WHERE c.id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{CHAIN_ONLY}'); END""",
]
SQLITE_TRIGGERS = ("run_locked_replace", "run_locked_replace_update", "line_no_replace", "audit_no_replace",
                   "step_no_update", "step_no_delete", "step_no_replace", "current_no_update", "current_no_delete",
                   "current_no_replace")

# PostgreSQL: row triggers do not fire on TRUNCATE, so each kept table refuses it by a statement
# trigger (TRUNCATE … CASCADE fires them on every table it would empty). The chain's tables are
# append-only like the audit trail. countypay_refuse() comes from 0003.
TRUNCATE_REFUSED = {"auditevent": APPEND_ONLY, "settlementrun": LOCKED, "settlementline": LINES,
                    "approvalstep": CHAIN_ONLY, "currentrun": CHAIN_ONLY}
POSTGRES_LOCKS = [
    *[f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT
          EXECUTE FUNCTION countypay_refuse('{why}')""" for table, why in TRUNCATE_REFUSED.items()],
    f"""CREATE TRIGGER step_append_only BEFORE UPDATE OR DELETE ON approvalstep FOR EACH ROW
        EXECUTE FUNCTION countypay_refuse('{CHAIN_ONLY}')""",
    f"""CREATE TRIGGER current_append_only BEFORE UPDATE OR DELETE ON currentrun FOR EACH ROW
        EXECUTE FUNCTION countypay_refuse('{CHAIN_ONLY}')""",
]
POSTGRES_UNLOCKS = [*[f"DROP TRIGGER {table}_no_truncate ON {table}" for table in TRUNCATE_REFUSED],
                    "DROP TRIGGER step_append_only ON approvalstep", "DROP TRIGGER current_append_only ON currentrun"]


def add_reference(table: str, column: str, target: str) -> None:
    """A nullable column referring to `target`: SQLite adds it with its REFERENCES clause in
    place (alembic would want to copy the table)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey(f"{target}.id"), nullable=True))


def upgrade() -> None:
    op.create_table(
        'prefecture',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', Code(length=32), nullable=False),
        sa.Column('province_id', sa.Integer(), nullable=False),
        sa.Column('name_zh', Code(), nullable=False),
        sa.Column('name_en', Code(), nullable=False),
        sa.ForeignKeyConstraint(['province_id'], ['province.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_index('ix_prefecture_province_id', 'prefecture', ['province_id'])
    # Plain add_column (no batch): SQLite keeps each table as it is, its triggers included.
    op.add_column('province', sa.Column('approval_levels', Code(length=64), nullable=False, server_default=CHAIN))
    add_reference('county', 'prefecture_id', 'prefecture')
    op.create_index('ix_county_prefecture_id', 'county', ['prefecture_id'])
    add_reference('apitoken', 'prefecture_id', 'prefecture')
    op.add_column('apitoken', sa.Column('institution', Code(length=64), nullable=True))
    op.create_index('ix_apitoken_prefecture_id', 'apitoken', ['prefecture_id'])
    op.add_column('settlementrun', sa.Column('input_digests', sa.JSON(), nullable=True))
    op.create_table(
        'currentrun',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('at', When(), nullable=False),
        sa.Column('actor', Code(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['settlementrun.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_currentrun_run_id', 'currentrun', ['run_id'])
    op.create_table(
        'approvalstep',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('level', Code(length=16), nullable=False),
        sa.Column('action', Code(length=16), nullable=False),
        sa.Column('actor', Code(), nullable=False),
        sa.Column('at', When(), nullable=False),
        sa.Column('reason', Code(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['settlementrun.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('run_id', 'seq'),
    )
    # Runs stored before: each was current when stored, in the order stored; an approved run was
    # approved by its county.
    op.execute("INSERT INTO currentrun (run_id, at, actor) SELECT id, created_at, created_by FROM settlementrun "
               "ORDER BY id")
    op.execute("INSERT INTO approvalstep (run_id, seq, level, action, actor, at, reason) "
               "SELECT id, 1, 'county', 'approve', COALESCE(approved_by, ''), COALESCE(approved_at, created_at), '' "
               "FROM settlementrun WHERE status = 'approved' ORDER BY id")
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_LOCKS if dialect == "sqlite" else POSTGRES_LOCKS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in [f"DROP TRIGGER {t}" for t in SQLITE_TRIGGERS] if dialect == "sqlite" else POSTGRES_UNLOCKS:
        op.execute(statement)
    op.drop_table('approvalstep')
    op.drop_index('ix_currentrun_run_id', table_name='currentrun')
    op.drop_table('currentrun')
    op.drop_column('settlementrun', 'input_digests')
    op.drop_index('ix_apitoken_prefecture_id', table_name='apitoken')
    op.drop_column('apitoken', 'institution')
    op.drop_column('apitoken', 'prefecture_id')
    op.drop_index('ix_county_prefecture_id', table_name='county')
    op.drop_column('county', 'prefecture_id')
    op.drop_column('province', 'approval_levels')
    op.drop_index('ix_prefecture_province_id', table_name='prefecture')
    op.drop_table('prefecture')
