"""What the database itself guarantees, whoever writes to it: approved runs locked, lines
immutable, the audit trail append-only, one run for one set of inputs even under a race."""
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from countypay import models
from countypay.load import import_bundle
from countypay.settle import approve, settle

BUNDLE = Path(__file__).parent / "data" / "haiyan-bundle"


@pytest.fixture
def approved(engine):
    import_bundle(engine, BUNDLE, actor="loader")
    with Session(engine) as s:
        run = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", user="clerk")
        approve(s, run, "head of finance")
        s.commit()
        return run.id


REFUSED = (IntegrityError, DBAPIError)


@pytest.mark.parametrize("statement", [
    lambda run: update(models.SettlementLine).where(models.SettlementLine.run_id == run).values(amount=Decimal("1.00")),
    lambda run: delete(models.SettlementLine).where(models.SettlementLine.run_id == run),
    lambda run: update(models.SettlementRun).where(models.SettlementRun.id == run).values(status="draft"),
    lambda run: delete(models.SettlementRun).where(models.SettlementRun.id == run),
    lambda run: insert(models.SettlementLine).values(run_id=run, seq=999, entity="X", code="paid", unit="yuan",
                                                     amount=Decimal("1.00"), trace={}),
], ids=["update lines", "delete lines", "reopen run", "delete run", "add a line"])
def test_an_approved_run_cannot_be_changed_through_the_orm(engine, approved, statement):
    with Session(engine) as s, pytest.raises(REFUSED, match="approved and locked|cannot be changed"):
        s.execute(statement(approved))
        s.commit()


@pytest.mark.parametrize("sql", [
    "UPDATE settlementline SET trace = '{}' WHERE run_id = :run",
    "DELETE FROM settlementline WHERE run_id = :run",
    "UPDATE settlementrun SET approved_by = 'someone else' WHERE id = :run",
])
def test_an_approved_run_cannot_be_changed_with_raw_sql(engine, approved, sql):
    with engine.connect() as c, pytest.raises(REFUSED, match="approved and locked|cannot be changed"):
        c.execute(text(sql), {"run": approved})
        c.commit()


def test_draft_lines_cannot_be_edited_either(engine):
    import_bundle(engine, BUNDLE)
    with Session(engine) as s:
        run = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
        s.commit()
        with pytest.raises(REFUSED, match="cannot be changed"):
            s.execute(update(models.SettlementLine).where(models.SettlementLine.run_id == run.id)
                      .values(amount=Decimal("0.00")))


def test_the_audit_trail_records_and_cannot_be_rewritten(engine, approved):
    with Session(engine) as s:
        events = s.exec(select(models.AuditEvent).where(models.AuditEvent.county_id.is_not(None))
                        .order_by(models.AuditEvent.id)).scalars().all()
        # The bundle's three parameter overrides are audited one by one, as the API's are.
        assert [(e.action, e.actor) for e in events] == [("parameter_override", "loader")] * 3 + [
            ("import", "loader"), ("settlement_run", "clerk"), ("settlement_approve", "head of finance")]
        assert events[4].subject == f"run {approved}" and len(events[3].after_hash) == 64
        with pytest.raises(REFUSED, match="append-only"):
            s.execute(delete(models.AuditEvent))
            s.commit()


def test_two_runs_of_the_same_inputs_at_once_make_one_run(engine):
    """Each thread settles in its own transaction; the unique key lets one insert win, and the
    loser gets the winner's run back."""
    import_bundle(engine, BUNDLE)
    barrier = threading.Barrier(2)
    ids, errors = [], []

    def run():
        try:
            with Session(engine) as s:
                barrier.wait()
                try:
                    r = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    r = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
                ids.append(r.id)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(set(ids)) == 1
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(models.SettlementRun)).scalar_one() == 1


def test_an_interrupted_settlement_leaves_no_partial_run(engine, monkeypatch):
    """A failure after the run row is written but before its lines are (a crash, a lost
    connection) rolls the whole settlement back."""
    import countypay.settle as settle_module

    import_bundle(engine, BUNDLE)

    def failing_write(*args):
        raise ConnectionError("connection lost while writing lines")

    monkeypatch.setattr(settle_module, "write_lines", failing_write)
    with Session(engine) as s, pytest.raises(ConnectionError):
        try:
            settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
            s.commit()
        except ConnectionError:
            s.rollback()
            raise
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(models.SettlementRun)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(models.AuditEvent)
                         .where(models.AuditEvent.action == "settlement_run")).scalar_one() == 0


# ---------------------------------------------------------------- every write path, raw SQL

@pytest.fixture
def runs(engine, approved):
    """An approved run (its chain started: one step, one current-run row) and a later draft."""
    with Session(engine) as s:
        draft = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", run_overrides={"risk_fund_rate": "0.2"})
        s.commit()
        return approved, draft.id


def snapshot(engine, run: int) -> tuple:
    """What must not change: the run's row, its lines, the audit trail and the chain's tables."""
    with engine.connect() as c:
        rows = lambda sql: c.execute(text(sql), {"run": run}).all()  # noqa: E731
        return (rows("SELECT id, status, approved_by, parameters, input_hash FROM settlementrun WHERE id = :run"),
                rows("SELECT id, seq, entity, code, amount, quantity FROM settlementline WHERE run_id = :run ORDER BY id"),
                rows("SELECT id, actor, action, subject FROM auditevent ORDER BY id"),
                rows("SELECT id, run_id, seq, level, action, actor FROM approvalstep ORDER BY id"),
                rows("SELECT id, run_id, actor FROM currentrun ORDER BY id"))


RUN_COLUMNS = ("id, county_id, policy, component, period, status, parameter_version, parameters, parameter_sources, "
               "input_hash, created_at, created_by, approved_at, approved_by")
FORGED_RUN = RUN_COLUMNS.replace("parameters,", "'{\"risk_fund_rate\": \"0\"}',").replace(
    "approved_by", "'someone else'")
LINE_COLUMNS = "id, run_id, seq, entity, code, unit, amount, quantity, trace"
AUDIT_COLUMNS = "id, at, actor, action, county_id, subject, detail, before_hash, after_hash"
# SQLite's REPLACE deletes the row it collides with and fires no DELETE trigger (recursive_triggers
# is off on any connection that does not turn it on); UPSERT's update part fires UPDATE triggers.
SQLITE_PATHS = {
    "replace a run": f"INSERT OR REPLACE INTO settlementrun ({RUN_COLUMNS}) SELECT {FORGED_RUN} FROM settlementrun "
                     "WHERE id = :run",
    "REPLACE a run": f"REPLACE INTO settlementrun ({RUN_COLUMNS}) SELECT {FORGED_RUN} FROM settlementrun WHERE id = :run",
    "replace a run by its key": f"INSERT OR REPLACE INTO settlementrun ({RUN_COLUMNS}) SELECT "
                                f"{FORGED_RUN.replace('id,', '1000,', 1)} FROM settlementrun WHERE id = :run",
    "upsert a run": f"INSERT INTO settlementrun ({RUN_COLUMNS}) SELECT {FORGED_RUN} FROM settlementrun WHERE id = :run "
                    "ON CONFLICT (id) DO UPDATE SET approved_by = 'someone else'",
    "update a draft into the run's id": "UPDATE OR REPLACE settlementrun SET id = :run WHERE id = :draft",
    "update a draft onto the run's key": "UPDATE OR REPLACE settlementrun SET (input_hash, parameter_version) = "
                                         "(SELECT input_hash, parameter_version FROM settlementrun WHERE id = :run) "
                                         "WHERE id = :draft",
    "replace its lines": f"INSERT OR REPLACE INTO settlementline ({LINE_COLUMNS}) SELECT id, run_id, seq, entity, "
                         "code, unit, 0, quantity, trace FROM settlementline WHERE run_id = :run",
    "replace its lines by id from a draft": f"INSERT OR REPLACE INTO settlementline ({LINE_COLUMNS}) SELECT id, "
                                            ":draft, seq + 1000, entity, code, unit, 0, quantity, trace "
                                            "FROM settlementline WHERE run_id = :run",
    "update a draft line onto its key": "UPDATE OR REPLACE settlementline SET run_id = :run WHERE run_id = :draft",
    "replace the audit trail": f"INSERT OR REPLACE INTO auditevent ({AUDIT_COLUMNS}) SELECT id, at, 'nobody', action, "
                               "county_id, subject, detail, before_hash, after_hash FROM auditevent",
    "upsert the audit trail": f"INSERT INTO auditevent ({AUDIT_COLUMNS}) SELECT {AUDIT_COLUMNS} FROM auditevent "
                              "WHERE true ON CONFLICT (id) DO UPDATE SET actor = 'nobody'",
    "replace a step": "INSERT OR REPLACE INTO approvalstep (id, run_id, seq, level, action, actor, at, reason) "
                      "SELECT id, run_id, seq, level, 'accept', 'nobody', at, reason FROM approvalstep",
    "update a step": "UPDATE approvalstep SET actor = 'nobody'",
    "delete a step": "DELETE FROM approvalstep",
    "replace the current run": "INSERT OR REPLACE INTO currentrun (id, run_id, at, actor) "
                               "SELECT id, :draft, at, actor FROM currentrun",
    "update the current run": "UPDATE currentrun SET run_id = :draft",
    "delete the current run": "DELETE FROM currentrun",
}
# PostgreSQL: row triggers do not fire on TRUNCATE; statement triggers refuse it, CASCADE included.
POSTGRES_PATHS = {
    "truncate the audit trail": "TRUNCATE auditevent",
    "truncate runs": "TRUNCATE settlementrun CASCADE",
    "truncate lines": "TRUNCATE settlementline",
    "truncate steps": "TRUNCATE approvalstep",
    "truncate current runs": "TRUNCATE currentrun",
    "truncate counties": "TRUNCATE county CASCADE",
    "upsert a run": f"INSERT INTO settlementrun ({RUN_COLUMNS}) SELECT {FORGED_RUN} FROM settlementrun WHERE id = :run "
                    "ON CONFLICT (id) DO UPDATE SET approved_by = 'someone else'",
    "upsert the audit trail": f"INSERT INTO auditevent ({AUDIT_COLUMNS}) SELECT {AUDIT_COLUMNS} FROM auditevent "
                              "ON CONFLICT (id) DO UPDATE SET actor = 'nobody'",
    "update a step": "UPDATE approvalstep SET actor = 'nobody'",
    "delete a step": "DELETE FROM approvalstep",
    "update the current run": "UPDATE currentrun SET run_id = :draft",
    "delete the current run": "DELETE FROM currentrun",
}
REFUSAL = "approved and locked|cannot be changed|append-only"


@pytest.mark.parametrize("path", sorted({*SQLITE_PATHS, *POSTGRES_PATHS}))
def test_no_write_path_gets_round_the_lock(engine, runs, path):
    """Each path through raw SQL, as any client of the database could take it."""
    paths = SQLITE_PATHS if engine.dialect.name == "sqlite" else POSTGRES_PATHS
    if path not in paths:
        pytest.skip(f"{engine.dialect.name} has no such statement" if "truncate" in path else "the other database's path")
    run, draft = runs
    before = snapshot(engine, run)
    with engine.connect() as c, pytest.raises(REFUSED, match=REFUSAL):
        c.execute(text(paths[path]), {"run": run, "draft": draft})
        c.commit()
    assert snapshot(engine, run) == before


def test_a_plain_sqlite_connection_cannot_replace_either(engine, runs):
    """The triggers hold for any program that opens the file, not only for countypay's connections
    (which could turn recursive_triggers on themselves)."""
    import sqlite3

    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's file")
    run, draft = runs
    before = snapshot(engine, run)
    plain = sqlite3.connect(engine.url.database)
    try:
        for path in ("replace a run", "replace its lines", "replace the audit trail", "replace a step"):
            with pytest.raises(sqlite3.IntegrityError, match=REFUSAL):
                plain.execute(SQLITE_PATHS[path].replace(":run", str(run)).replace(":draft", str(draft)))
            plain.rollback()
    finally:
        plain.close()
    assert snapshot(engine, run) == before


def test_a_draft_is_still_settled_and_replaced_as_before(engine, runs):
    """The lock is the approved run's: drafts are written, settled again and approved as ever."""
    run, draft = runs
    with Session(engine) as s:
        again = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", run_overrides={"risk_fund_rate": "0.2"})
        assert again.id == draft
        other = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", run_overrides={"risk_fund_rate": "0.3"})
        s.commit()
        assert other.supersedes_id == draft


DEPLOYMENT = Path(__file__).parents[1] / "docs" / "county-teams.md"


def serving_grants(schema: str, role: str) -> list[str]:
    """The documented grants of the serving role, for this test's schema and role."""
    import re

    doc = DEPLOYMENT.read_text(encoding="utf-8")
    block = re.search(r"<!-- grants -->\s*```sql\n(.*?)```", doc, re.S).group(1)
    sql = re.sub(r"\bpublic\b", schema, block).replace("countypay_app", role)
    return [s.strip() for s in sql.split(";") if s.strip() and not s.strip().startswith("--")]


def test_the_documented_serving_role_can_settle_but_not_truncate_or_change_the_schema(engine):
    """Migrations run as the owner; the server as a role with SELECT, INSERT and UPDATE where it
    needs them, and no TRUNCATE, DDL or UPDATE of what is append-only."""
    import uuid

    from countypay.db import make_engine

    if engine.dialect.name != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    with engine.connect() as c:
        schema = c.execute(text("SELECT current_schema()")).scalar_one()
    role = f"countypay_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as c:
        c.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        for statement in serving_grants(schema, role):
            c.execute(text(statement))
    serving = make_engine(engine.url.render_as_string(hide_password=False),
                          connect_args={"options": f"-csearch_path={schema} -crole={role}"})
    try:
        import_bundle(serving, BUNDLE, actor="loader")
        with Session(serving) as s:
            run = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", user="clerk")
            approve(s, run, "head of finance")
            s.commit()
        for statement in ("TRUNCATE auditevent", "TRUNCATE settlementrun CASCADE",
                          "DROP TRIGGER run_locked ON settlementrun",
                          "ALTER TABLE settlementrun DISABLE TRIGGER run_locked",
                          "UPDATE auditevent SET actor = 'nobody'", "UPDATE approvalstep SET actor = 'nobody'",
                          "DELETE FROM currentrun", "DELETE FROM settlementline",
                          "SET session_replication_role = replica", "CREATE TABLE shadow (id int)"):
            with serving.connect() as c, pytest.raises(DBAPIError, match="permission denied|must be owner"):
                c.execute(text(statement))
        with Session(engine) as s:
            assert s.exec(select(models.ApprovalStep.actor)).scalars().all() == ["head of finance"]
    finally:
        serving.dispose()
        with engine.begin() as c:
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))


def test_an_import_of_several_counties_audits_each_with_its_own_figures(engine, tmp_path):
    """Each county's import event counts that county's rows only; rows of no one county (a
    province, a service item) are in no county's event."""
    import re
    import shutil

    bundle = tmp_path / "two-counties"
    shutil.copytree(BUNDLE, bundle)
    for f in bundle.iterdir():
        if f.name not in ("provinces.csv", "service_items.csv"):
            text = f.read_text(encoding="utf-8")
            twin = "\n".join(re.sub(r"^haiyan,", "pinghu,", line) for line in text.splitlines()[1:] if line)
            f.write_text(text.rstrip("\n") + "\n" + twin + "\n" + twin.replace("pinghu,", "jiashan,") + "\n",
                         encoding="utf-8")
    import_bundle(engine, bundle, actor="loader")
    own = {"counties": 1, "funds": 4, "indicator_values": 3, "institutions": 4, "parameter_overrides": 3,
           "service_counts": 4}
    with Session(engine) as s:
        events = s.exec(select(models.County.code, models.AuditEvent.detail)
                        .join(models.County, models.County.id == models.AuditEvent.county_id)
                        .where(models.AuditEvent.action == "import")).all()
    assert {code: detail["tables"] for code, detail in events} == {"haiyan": own, "pinghu": own, "jiashan": own}
