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
        events = s.exec(select(models.AuditEvent).order_by(models.AuditEvent.id)).scalars().all()
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
