"""Settlement jobs over GraphQL: start one for a period (the counties named, or every county the
token acts for) and follow its state, progress and per-county results (server/jobs.py).

The request returns the job at once. On PostgreSQL the job is queued for `countypay worker`
processes; on SQLite, which has no workers, a thread of the server settles it county by county
(outside the request's time budget), while `settlementJob` shows its progress.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Optional

import strawberry
from sqlalchemy import select
from sqlalchemy.engine import Engine
from strawberry.types import Info

from countypay import jobs, models
from countypay.settle import NotFound

from .context import Context, error
from .enums import closed
from .pagination import DEFAULT_PAGE, Connection, page_of, paginate_list
from .scalars import Period
from .types import County, Node, SettlementRun, column, parse_global_id

SettlementJobState = closed("SettlementJobState", jobs.JOB_STATES, {
    "queued": "No county finished yet (排队).",
    "running": "Some counties finished, some pending (进行中).",
    "done": "Every county settled (完成).",
    "failed": "None pending, at least one county failed: its error says why (失败).",
}, "Where a settlement job stands.")

SettlementJobCountyState = closed("SettlementJobCountyState", jobs.COUNTY_STATES, {
    "pending": "Not settled yet, or being settled.",
    "done": "Settled: its runs are stored.",
    "failed": "Nothing of it stored; its error says why.",
}, "Where one county of a settlement job stands.")


def ctx(info: Info) -> Context:
    return info.context


@strawberry.type(description="One county of a settlement job: settled in one transaction, all of its components "
                             "or none.")
class SettlementJobCounty:
    row: strawberry.Private[dict]
    county_row: strawberry.Private[models.County]

    @strawberry.field(description="The county.")
    def county(self) -> County:
        return County(row=self.county_row)

    @strawberry.field(description="Whether it is settled.")
    def state(self) -> SettlementJobCountyState:
        return SettlementJobCountyState(self.row["state"])

    @strawberry.field(description="The runs stored, one per component settled; empty until it is done.")
    async def runs(self, info: Info) -> list[SettlementRun]:
        return [SettlementRun(row=r) for r in await ctx(info).loader("run").load_many(self.row["runs"])]

    lines = column("lines", int, "How many lines its runs hold.")

    @strawberry.field(description="Why it failed; null unless it failed.")
    def error(self) -> Optional[str]:
        return self.row["error"] or None

    @strawberry.field(description="The worker that finished it (host:process); null while pending.")
    def worker(self) -> Optional[str]:
        return self.row["worker"] or None

    finished_at = column("finished_at", Optional[datetime], "When it was finished (UTC); null while pending.")


@strawberry.type(description="A settlement job (结算任务): every component of many counties for one period, "
                             "settled county by county by workers; poll it for progress.")
class SettlementJob(Node):
    row: strawberry.Private[models.SettleJob]
    status: strawberry.Private[dict]
    county_rows: strawberry.Private[dict]

    period = column("period", Period, "The period settled.")

    @strawberry.field(description="Where the job stands.")
    def state(self) -> SettlementJobState:
        return SettlementJobState(self.status["state"])

    total = column("total", int, "How many counties it settles.", of="status")
    done = column("done", int, "How many counties are settled.", of="status")
    failed = column("failed", int, "How many counties failed.", of="status")
    pending = column("pending", int, "How many counties are still to settle.", of="status")

    @strawberry.field(description="Each county of the job, by code (a job may hold a province's hundreds).")
    def counties(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                 last: Optional[int] = None, before: Optional[str] = None) -> Connection[SettlementJobCounty]:
        return paginate_list([SettlementJobCounty(row=r, county_row=self.county_rows[r["county"]])
                              for r in self.status["counties"]], lambda x: (x.county_row.code,),
                             page_of(info, first, after, last, before))

    created_at = column("created_at", datetime, "When it was started (UTC).")
    created_by = column("created_by", str, "Who started it.")


def job_node(c: Context, job_id: int) -> SettlementJob:
    """A job the viewer may read every county of; NOT_FOUND otherwise (a job of counties it may
    not read looks missing), UNAUTHENTICATED without a token."""
    if c.viewer.role == "anonymous":
        raise c.denied()
    try:
        status = jobs.status(c.session, job_id)
    except NotFound:
        status = None
    if status is not None:
        codes = [r["county"] for r in status["counties"]]
        rows = {r.code: r for r in c.session.exec(select(models.County).where(models.County.code.in_(codes))).scalars()}
        if len(rows) == len(codes) and all(c.viewer.may_read(r.id) for r in rows.values()):
            return SettlementJob(row=c.session.get(models.SettleJob, job_id), status=status, county_rows=rows)
    raise error("NOT_FOUND", f"no settlement job {job_id}")


def settlement_job(info: Info, id: Annotated[strawberry.ID, strawberry.argument(
        description="The job's global id, or its number.")]) -> Optional[SettlementJob]:
    value = str(id)
    parsed = ("SettlementJob", int(value)) if value.isascii() and value.isdigit() else parse_global_id(value)
    if parsed is None or parsed[0] != "SettlementJob" or parsed[1] >= 2 ** 31:
        raise error("NOT_FOUND", f"no settlement job {value!r}")
    return job_node(ctx(info), parsed[1])


@strawberry.input(description="What a settlement job settles.")
class StartSettlementJobInput:
    period: Period = strawberry.field(description="The period to settle.")
    counties: Optional[list[str]] = strawberry.field(
        default=None, description="The counties' codes; left out: every county the token acts for (a county "
                                  "token its own, a prefecture its counties, a supervisor the province).")


@strawberry.type(description="The job started.")
class StartSettlementJobPayload:
    job: SettlementJob = strawberry.field(description="The job, queued: follow it with `settlementJob(id:)`.")


def start_settlement_job(info: Info, input: Annotated[StartSettlementJobInput, strawberry.argument(
        description="The period and the counties.")]) -> StartSettlementJobPayload:
    c = ctx(info)
    if c.viewer.level is None:  # settling is acting in the chain: a county, prefecture or supervisor token
        c.require_act(-1)
    if input.counties is not None and not input.counties:
        raise error("BAD_INPUT", "counties: name at least one county, or leave counties out for all of yours")
    codes = [c.county(code).code for code in dict.fromkeys(input.counties)] if input.counties else None
    if codes is None and c.readable() is not None:  # a county's or prefecture's own
        codes = list(c.session.exec(select(models.County.code).where(models.County.id.in_(c.readable() or {-1})))
                     .scalars())
        if not codes:
            raise error("NOT_FOUND", "no county this token acts for")
    try:
        job = jobs.start(c.session, str(input.period), codes, user=c.viewer.name)
        c.session.commit()
    except NotFound as e:
        c.session.rollback()
        raise error("NOT_FOUND", str(e.args[0])) from None
    if c.engine.dialect.name == "sqlite":
        in_background(c.engine, job.id, c.viewer.name)
    return StartSettlementJobPayload(job=job_node(c, job.id))


def in_background(engine: Engine, job_id: int, user: str) -> threading.Thread:
    """Settle a job on a thread of this process (SQLite: no workers share it). A server stopped
    mid-county leaves that county pending, nothing of it stored: `countypay worker --job N
    --exit-when-idle` finishes the job."""
    thread = threading.Thread(target=jobs.work, args=(engine, job_id, user), name=f"countypay settlement job {job_id}",
                              daemon=True)
    thread.start()
    return thread


SETTLEMENT_JOB = strawberry.field(
    resolver=settlement_job,
    description="A settlement job by its global id (or the number `countypay settle` prints): its state, progress "
                "and each county's runs or error; null (with NOT_FOUND) when there is none whose every county "
                "the token may read.")
START_SETTLEMENT_JOB = strawberry.mutation(
    resolver=start_settlement_job,
    description="Start settling every component of the counties for a period, as a job; returns it at once. "
                "A county, prefecture or supervisor token, for the counties it acts for. On PostgreSQL "
                "`countypay worker` processes settle it; on SQLite the server does. A county that fails is "
                "reported and the others go on; the same facts and parameters give back the runs stored.")
