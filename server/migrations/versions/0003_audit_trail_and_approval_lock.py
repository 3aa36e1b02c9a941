"""audit trail and approval lock

Create Date: 2026-11-25 12:48:09.817825
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'

# Approved runs are locked and settlement lines never change, whatever writes to the database
# (the API, a script, raw SQL); the audit trail is append-only.
LOCKED = "settlement run is approved and locked"
SQLITE_LOCKS = [
    f"""CREATE TRIGGER run_locked_update BEFORE UPDATE ON settlementrun WHEN OLD.status = 'approved'
        BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END""",
    f"""CREATE TRIGGER run_locked_delete BEFORE DELETE ON settlementrun WHEN OLD.status = 'approved'
        BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END""",
    f"""CREATE TRIGGER line_locked_insert BEFORE INSERT ON settlementline
        WHEN (SELECT status FROM settlementrun WHERE id = NEW.run_id) = 'approved'
        BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END""",
    """CREATE TRIGGER line_immutable BEFORE UPDATE ON settlementline
        BEGIN SELECT RAISE(ABORT, 'settlement lines cannot be changed'); END""",
    f"""CREATE TRIGGER line_locked_delete BEFORE DELETE ON settlementline
        WHEN (SELECT status FROM settlementrun WHERE id = OLD.run_id) = 'approved'
        BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON auditevent
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON auditevent
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
]
POSTGRES_LOCKS = [
    """CREATE FUNCTION countypay_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; END $$""",
    f"""CREATE FUNCTION countypay_line_locked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (SELECT status FROM settlementrun
              WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.run_id ELSE OLD.run_id END) = 'approved' THEN
            RAISE EXCEPTION '{LOCKED}' USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""",
    f"""CREATE TRIGGER run_locked BEFORE UPDATE OR DELETE ON settlementrun FOR EACH ROW
        WHEN (OLD.status = 'approved') EXECUTE FUNCTION countypay_refuse('{LOCKED}')""",
    """CREATE TRIGGER line_locked BEFORE INSERT OR DELETE ON settlementline FOR EACH ROW
        EXECUTE FUNCTION countypay_line_locked()""",
    """CREATE TRIGGER line_immutable BEFORE UPDATE ON settlementline FOR EACH ROW
        EXECUTE FUNCTION countypay_refuse('settlement lines cannot be changed')""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON auditevent FOR EACH ROW
        EXECUTE FUNCTION countypay_refuse('the audit trail is append-only')""",
]
LOCKS = {"sqlite": SQLITE_LOCKS, "postgresql": POSTGRES_LOCKS}
UNLOCKS = {
    "sqlite": [f"DROP TRIGGER {t}" for t in ("run_locked_update", "run_locked_delete", "line_locked_insert",
                                              "line_immutable", "line_locked_delete", "audit_no_update",
                                              "audit_no_delete")],
    "postgresql": ["DROP TRIGGER run_locked ON settlementrun", "DROP TRIGGER line_locked ON settlementline",
                   "DROP TRIGGER line_immutable ON settlementline", "DROP TRIGGER audit_append_only ON auditevent",
                   "DROP FUNCTION countypay_line_locked()", "DROP FUNCTION countypay_refuse()"],
}


def upgrade() -> None:
    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('before_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('after_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_county_id'), ['county_id'], unique=False)

    for statement in LOCKS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in UNLOCKS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_county_id'))
        batch_op.drop_index(batch_op.f('ix_auditevent_at'))
        batch_op.drop_index(batch_op.f('ix_auditevent_action'))

    op.drop_table('auditevent')
