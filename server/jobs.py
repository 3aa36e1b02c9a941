"""Settlement jobs: one period for many counties, shared out to workers county by county.

A county is claimed and settled in one transaction: on PostgreSQL the claim is a row lock taken
with SKIP LOCKED, so any number of `countypay worker` processes on any number of machines share a
job without settling a county twice, and a worker killed mid-county leaves nothing behind (its
transaction rolls back, the lock goes with it) and the county is pending again for the next
worker. On SQLite the same loop runs in the process that starts the job.

A county that fails is marked failed with the reason; the others go on.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from .errors import InputError
from .host import registry
from .models import County, SettlementLine, SettlementRun, SettleJob, SettleJobCounty, now
from .period import Period
from .settle import NotFound, settle

Done = Callable[[SettleJobCounty], None]

COUNTY_STATES = ("pending", "done", "failed")
"""A county of a job: pending until a worker commits it, then done (its runs stored) or failed
(the reason kept, nothing stored)."""
JOB_STATES = ("queued", "running", "done", "failed")
"""A job: queued (no county finished), running (some finished, some pending), done (every county
settled) or failed (none pending, at least one failed)."""


def plan(session: Session, county: County) -> list[list[str]]:
    """What a county settles: every component with a `gather` of the policies written for it;
    else those of its synthetic plan (`countypay synth`); else what it settled before."""
    own = [[p.code, c.code] for p in registry().policies.values() if p.county == county.code
           for c in p.components if c.gather is not None]
    if own:
        return own
    if county.code[:1] == "c" and county.code[1:].isdigit():
        # the plugins' own answer for county number N (synth.components asks the same hook)
        synthetic = [[p, c] for data in registry().pm.hook.countypay_synth(number=int(county.code[1:])) if data
                     for p, c in data.settles]
        if synthetic:
            return synthetic
    return [list(r) for r in session.execute(
        select(SettlementRun.policy, SettlementRun.component).where(SettlementRun.county_id == county.id)
        .distinct().order_by(SettlementRun.policy, SettlementRun.component))]


def start(session: Session, period: str, counties: Optional[list[str]] = None, user: str = "") -> SettleJob:
    """Queue a job: the named counties (all in the store when none) for `period`."""
    period = str(Period.parse(period))
    query = select(County).order_by(County.code)
    if counties:
        query = query.where(County.code.in_(counties))
    found = list(session.exec(query).scalars())
    missing = sorted(set(counties or ()) - {c.code for c in found})
    if missing:
        raise NotFound(f"no county {', '.join(missing)} in the store")
    if not found:
        raise NotFound("no county in the store to settle")
    job = SettleJob(period=period, created_by=user)
    session.add(job)
    session.flush()
    for county in found:
        session.add(SettleJobCounty(job_id=job.id, county=county.code, settles=plan(session, county)))
    session.flush()
    return job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(session: Session, job_id: Optional[int]) -> Optional[SettleJobCounty]:
    """The next pending county no other worker holds, locked until this transaction ends."""
    query = select(SettleJobCounty).where(SettleJobCounty.state == "pending")
    if job_id is not None:
        query = query.where(SettleJobCounty.job_id == job_id)
    query = query.order_by(SettleJobCounty.id).limit(1).with_for_update(skip_locked=True)
    return session.exec(query).scalars().first()


def settle_one(session: Session, row: SettleJobCounty, period: str, user: str) -> None:
    """Settle every component of the row's county, all or none: a failure is recorded instead."""
    def runs() -> list[int]:
        read: dict = {}  # the county's facts, read once for all its components
        with session.begin_nested():
            return [settle(session, row.county, p, c, period, user=user, read=read).id for p, c in row.settles]
    try:
        try:
            ids = runs()
        except IntegrityError:  # the same run stored meanwhile by a worker of another job: found now
            ids = runs()
        row.state, row.runs, row.error = "done", ids, ""
        row.lines = session.execute(select(func.count()).select_from(SettlementLine)
                                    .where(SettlementLine.run_id.in_(ids))).scalar_one() if ids else 0
    except (InputError, NotFound, KeyError, ValueError, LookupError) as e:
        row.state, row.error = "failed", str(e.args[0] if isinstance(e, KeyError) and e.args else e)
    except Exception as e:  # a plugin's bug fails its county, not the job
        row.state, row.error = "failed", f"{type(e).__name__}: {e}"


def write_lock(session: Session) -> bool:
    """On SQLite, take the store's one write lock before a county is claimed (BEGIN IMMEDIATE;
    False, after a pause, when another writer held it past the busy timeout). A county's
    settlement reads, then writes: begun as a reader, its first write fails at once, without
    waiting, whenever another writer committed meanwhile, and the county with it. PostgreSQL
    needs nothing: the claimed row is locked (FOR UPDATE SKIP LOCKED)."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    try:
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return True
    except OperationalError:
        session.rollback()
        time.sleep(0.1)
        return False


def work(engine: Engine, job_id: Optional[int] = None, user: str = "", wait: float = 0,
         on_done: Optional[Done] = None) -> int:
    """Settle pending counties until none is left (or, with `wait` > 0, poll for new ones every
    `wait` seconds for ever). Returns how many counties this worker finished."""
    name, finished = worker_name(), 0
    while True:
        with Session(engine) as session:
            if not write_lock(session):
                continue
            row = claim(session, job_id)
            if row is not None:
                period = session.get(SettleJob, row.job_id).period
                settle_one(session, row, period, user or f"worker {name}")
                row.worker, row.finished_at = name, now()
                session.add(row)
                session.commit()
                finished += 1
                if on_done:
                    on_done(row)
                continue
        if wait <= 0:
            return finished
        time.sleep(wait)


def status(session: Session, job_id: int) -> dict:
    """A job's state, progress and per-county results and errors."""
    job = session.get(SettleJob, job_id)
    if job is None:
        raise NotFound(f"no settlement job {job_id}")
    rows = list(session.exec(select(SettleJobCounty).where(SettleJobCounty.job_id == job_id)
                             .order_by(SettleJobCounty.county)).scalars())
    counts = {s: sum(r.state == s for r in rows) for s in COUNTY_STATES}
    state = ("queued" if counts["pending"] == len(rows) else "running" if counts["pending"]
             else "failed" if counts["failed"] else "done")
    return {"id": job.id, "period": job.period, "state": state, "total": len(rows), **counts,
            "counties": [{"county": r.county, "state": r.state, "runs": r.runs or [], "lines": r.lines, "error": r.error,
                          "worker": r.worker, "finished_at": r.finished_at} for r in rows]}


def pending(session: Session, job_id: int) -> int:
    return session.execute(select(func.count()).select_from(SettleJobCounty).where(
        SettleJobCounty.job_id == job_id, SettleJobCounty.state == "pending")).scalar_one()
