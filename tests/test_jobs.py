"""Settlement jobs: every county settled exactly once, by any number of workers, one of them
killed mid-county; a failing county reported while the others settle; SQLite in-process."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from countypay import jobs
from countypay.db import make_engine
from countypay.load import import_bundle
from countypay.models import AuditEvent, SettlementLine, SettlementRun, SettleJobCounty
from countypay.store import upgrade
from countypay.synth import components, write_province

PG_URL = os.environ.get("COUNTYPAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COUNTYPAY = Path(sys.executable).with_name("countypay")


def province(engine, tmp_path, counties: int, units: int = 6, institutions: int = 15) -> None:
    import_bundle(engine, write_province(tmp_path / "province", counties, units, institutions, 2, 1))


def runs_by_county(session) -> dict[str, int]:
    from countypay.models import County
    return dict(session.execute(select(County.code, func.count(SettlementRun.id)).join(
        SettlementRun, SettlementRun.county_id == County.id).group_by(County.code)).all())


def test_a_job_settles_every_county_once_and_a_failing_county_is_reported(engine, tmp_path):
    province(engine, tmp_path, 3)
    with Session(engine) as session:
        job = jobs.start(session, "2024", user="test")
        broken = session.exec(select(SettleJobCounty).where(SettleJobCounty.county == "c002")).scalars().one()
        broken.settles = [["suixi", "no_such_component"]]
        session.commit()
        job_id = job.id
    assert jobs.work(engine, job_id) == 3  # in this process, as on SQLite
    with Session(engine) as session:
        state = jobs.status(session, job_id)
        assert (state["state"], state["done"], state["failed"], state["pending"]) == ("failed", 2, 1, 0)
        rows = {r["county"]: r for r in state["counties"]}
        assert "no_such_component" in rows["c002"]["error"]
        expected = {}
        for county, _, _ in components(3):
            expected[county] = expected.get(county, 0) + 1
        assert runs_by_county(session) == {"c001": expected["c001"], "c003": expected["c003"]}
        assert len(rows["c001"]["runs"]) == expected["c001"] and rows["c001"]["lines"] > 0
        # settling again finds every run stored: the same runs, none written twice
        again = jobs.start(session, "2024", ["c001"])
        session.commit()
        assert jobs.work(engine, again.id) == 1
        assert jobs.status(session, again.id)["counties"][0]["runs"] == rows["c001"]["runs"]


def test_the_command_settles_a_province_in_process(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    engine = make_engine(db)
    upgrade(engine)
    province(engine, tmp_path, 2)
    done = subprocess.run([str(COUNTYPAY), "settle", "--period", "2024", "--db", db],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "job 1 done: 2 settled, 0 failed" in done.stdout
    with Session(engine) as session:
        assert set(runs_by_county(session)) == {"c001", "c002"}
    engine.dispose()


@pytest.fixture
def pg_schema():
    admin = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as e:  # no server here
        if os.environ.get("COUNTYPAY_REQUIRE_POSTGRES") == "1":
            pytest.fail(str(e))
        pytest.skip(f"no PostgreSQL at {PG_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        c.execute(text(f"create schema {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


@pytest.mark.postgres
def test_three_workers_one_killed_mid_county_settle_each_county_exactly_once(pg_schema, tmp_path):
    engine = make_engine(pg_schema)
    upgrade(engine)
    counties = 6
    province(engine, tmp_path, counties, units=24, institutions=50)
    with Session(engine) as session:
        job_id = jobs.start(session, "2024").id
        session.commit()
    worker = [str(COUNTYPAY), "worker", "--exit-when-idle", "--job", str(job_id), "--db"]
    victim = subprocess.Popen([*worker, f"{pg_schema}&application_name=victim"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with engine.connect() as c:  # wait until the victim is inside a county's transaction, writing
        for _ in range(600):
            if c.execute(text("select count(*) from pg_stat_activity where application_name = 'victim' "
                              "and backend_xid is not null")).scalar_one():
                break
            c.rollback()  # a new snapshot of the server's activity for the next look
            time.sleep(0.02)
        else:
            pytest.fail(f"the worker never began a county: {victim.communicate(timeout=5)}")
    others = [subprocess.Popen([*worker, pg_schema], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for _ in range(2)]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    for p in others:
        out, errors = p.communicate(timeout=120)
        assert p.returncode == 0, errors.decode()
    with Session(engine) as session:
        state = jobs.status(session, job_id)
        assert (state["state"], state["done"], state["failed"]) == ("done", counties, 0), state
        assert all(str(victim.pid) not in r["worker"].split(":")[-1] for r in state["counties"])
        expected = {}
        for county, _, _ in components(counties):
            expected[county] = expected.get(county, 0) + 1
        assert runs_by_county(session) == expected  # one run per component: nothing twice, nothing partial
        runs = session.execute(select(func.count()).select_from(SettlementRun)).scalar_one()
        stored = session.execute(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "settlement_run")).scalar_one()
        assert stored == runs == sum(expected.values())
        lines = session.execute(select(func.count(func.distinct(SettlementLine.run_id)))).scalar_one()
        assert lines == runs
    engine.dispose()


@pytest.mark.postgres
def test_two_jobs_of_one_county_settled_at_once_store_each_run_once(pg_schema, tmp_path):
    """A worker of a second job waits on the first's uncommitted run (the runs' unique key), then
    finds it stored: both jobs done, with the same runs."""
    engine = make_engine(pg_schema)
    upgrade(engine)
    province(engine, tmp_path, 1)
    with Session(engine) as session:
        first, second = (jobs.start(session, "2024", ["c001"]).id for _ in range(2))
        session.commit()
    other = make_engine(f"{pg_schema}&application_name=second_job")
    with Session(engine) as session:
        row = jobs.claim(session, first)
        jobs.settle_one(session, row, "2024", "first")  # stored, not committed yet
        worker = threading.Thread(target=jobs.work, args=(other, second))
        worker.start()
        with engine.connect() as c:
            for _ in range(500):
                if c.execute(text("select count(*) from pg_stat_activity where application_name = 'second_job' "
                                  "and wait_event_type = 'Lock'")).scalar_one():
                    break
                c.rollback()
                time.sleep(0.02)
            else:
                pytest.fail("the second job's worker never waited for the first's run")
        session.add(row)
        session.commit()
    worker.join(timeout=60)
    with Session(engine) as session:
        a, b = jobs.status(session, first), jobs.status(session, second)
        assert (a["state"], b["state"]) == ("done", "done"), b
        assert a["counties"][0]["runs"] == b["counties"][0]["runs"]
        assert runs_by_county(session) == {"c001": len(a["counties"][0]["runs"])}
    other.dispose()
    engine.dispose()


def test_a_county_in_a_job_reads_its_facts_once_and_its_runs_keep_their_input_hashes(engine, tmp_path, monkeypatch):
    """A job reads a county's facts once for all its components (each component's lookback its
    own); a run's input hash is the canonical digest of its whole inputs, as for runs stored
    before, and its per-input digests those of each input."""
    from countypay import settle as engine_module
    from countypay.canonical import digest

    province(engine, tmp_path, 1)
    reads, real = [], engine_module.load_facts
    monkeypatch.setattr(engine_module, "load_facts", lambda *a: reads.append(a[3]) or real(*a))
    with Session(engine) as session:
        job = jobs.start(session, "2024")
        session.commit()
        assert jobs.work(engine, job.id) == 1
        [county] = jobs.status(session, job.id)["counties"]
        assert county["state"] == "done" and len(county["runs"]) == len(components(1)) > 1
        assert sorted(reads) == sorted(set(reads))  # once for each lookback the components ask
        for run_id in county["runs"]:
            run = session.get(SettlementRun, run_id)
            _, c = engine_module.prepare(session, "c001", run.policy, run.component, "2024")
            inputs = c.inputs.model_dump(exclude_none=True)
            assert run.input_hash == c.input_hash == digest({"policy": run.policy, "component": run.component,
                                                             "period": "2024", "inputs": c.inputs})
            assert run.input_digests == {k: digest(v)[:16] for k, v in inputs.items()}
