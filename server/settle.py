"""The settlement engine: gather a component's inputs from the store, compute, store the run.

Runs are immutable. The same (county, policy, component, period, inputs, parameters) gives the
same run back instead of a second one; a run with new inputs or parameters supersedes the last.
"""
from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from collections.abc import Mapping
from typing import Any, Optional

from sqlalchemy import or_, select
from sqlmodel import Session

from .audit import record
from .overrides import in_force
from .canonical import store_json

from .compute import Computation, compute
from .db import driver_rows
from .errors import InputError
from .host import registry
from .params import resolve
from .models import (Community, County, Fund, Indicator, IndicatorValue, Institution,
                     ParameterOverride, ServiceCount, SettlementLine, SettlementRun, Task, Transfer, Unit,
                     UnitMember, UnitPopulation, now)
from .period import Period
from .policy import Facts


class NotFound(LookupError):
    pass


def county_by_code(session: Session, code: str) -> County:
    county = session.exec(select(County).where(County.code == code)).scalars().first()
    if county is None:
        raise NotFound(f"no county {code!r} in the store")
    return county


def load_facts(session: Session, county: County, period: Period, years_back: int = 1) -> Facts:
    """Everything stored for a county that a settlement of `period` may read: its places and
    teams, the transfers and tasks of its year, and the values and funds of its year and the
    `years_back` years before."""
    facts = Facts(county=county.code, period=period)
    cid = county.id

    def county_rows(*cols):  # plain columns of the county's rows: no ORM object per row
        return session.execute(select(*cols).where(cols[0].table.c.county_id == cid)).all()

    communities = {i: code for i, code in county_rows(Community.id, Community.code)}
    facts.communities = [{"code": code, "name_zh": name, "lead": lead} for code, name, lead in
                         sorted(county_rows(Community.code, Community.name_zh, Community.lead))]
    insts = {}
    for i, code, name, kind, tier, community, parent in county_rows(
            Institution.id, Institution.code, Institution.name_zh, Institution.kind, Institution.tier,
            Institution.community_id, Institution.parent):
        insts[i] = code
        facts.institutions.append({"code": code, "name_zh": name, "kind": kind, "tier": tier,
                                   "community": communities.get(community), "parent": parent})
    facts.institutions.sort(key=lambda i: i["code"])
    units = {i: {"code": code, "community": communities.get(community), "team": {}, "populations": {}}
             for i, code, community in county_rows(Unit.id, Unit.code, Unit.community_id)}
    in_county = Unit.county_id == cid
    for unit, role, inst in session.execute(select(UnitMember.unit_id, UnitMember.role, UnitMember.institution_id)
                                            .join(Unit).where(in_county)):
        units[unit]["team"][role] = insts[inst]
    for unit, group, count in session.execute(select(UnitPopulation.unit_id, UnitPopulation.group,
                                                     UnitPopulation.count).join(Unit).where(in_county)):
        units[unit]["populations"][group] = count
    facts.units = sorted(units.values(), key=lambda u: u["code"])
    years = [str(y) for y in range(period.year - years_back, period.year + 1)]
    in_years = lambda col: or_(*(col.like(f"{y}%") for y in years))  # noqa: E731
    rows = session.execute(
        select(Indicator.code, IndicatorValue.entity, IndicatorValue.period, IndicatorValue.value,
               IndicatorValue.text)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(IndicatorValue.county_id == cid, in_years(IndicatorValue.period)))
    for code, entity, per, value, text in rows:
        if value is not None:
            facts.values[code, entity, per] = value
        if text is not None:
            facts.texts[code, entity, per] = text
    year = str(period.year)
    facts.transfers = [{"hop": hop, "received_on": received, "sent_on": sent, "amount_received": got,
                        "matching": matching, "amount_sent": passed}
                       for hop, received, sent, got, matching, passed in session.execute(
                           select(Transfer.hop, Transfer.received_on, Transfer.sent_on, Transfer.amount_received,
                                  Transfer.matching, Transfer.amount_sent)
                           .where(Transfer.county_id == cid, Transfer.period == year).order_by(Transfer.hop))]
    facts.tasks = [{"code": code, "body": body, "due": due, "done_on": done}
                   for code, body, due, done in session.execute(
                       select(Task.code, Task.body, Task.due, Task.done_on)
                       .where(Task.county_id == cid, Task.period == year).order_by(Task.code))]
    rows = session.execute(select(Fund.code, Fund.entity, Fund.period, Fund.amount)
                           .where(Fund.county_id == cid, in_years(Fund.period)))
    facts.funds = {(code, entity, per): amount for code, entity, per, amount in rows}
    months = [str(m) for m in period.months()]
    facts.service_counts = Lazy(lambda: {(inst, month, item): n for inst, month, item, n in driver_rows(
        session.connection(), select(ServiceCount.institution, ServiceCount.month, ServiceCount.item,
                                     ServiceCount.count).where(ServiceCount.county_id == cid,
                                                               ServiceCount.month.in_(months)))})
    return facts


class Lazy(Mapping):
    """A mapping read from the store the first time a component looks at it: service counts run
    to hundreds of thousands of rows a county, and most components never read them."""

    def __init__(self, load):
        self._load, self._data = load, None

    def _rows(self) -> dict:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key):
        return self._rows()[key]

    def __iter__(self):
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())

    def items(self):
        return self._rows().items()

    def get(self, key, default=None):
        return self._rows().get(key, default)


def prepare(session: Session, county_code: str, policy_code: str, component_code: str,
            period: Period | str, run_overrides: Mapping[str, Any] | None = None) -> tuple[County, Computation]:
    """Compute a settlement from the store without storing it (also the what-if path)."""
    period = Period.parse(str(period))
    county = county_by_code(session, county_code)
    policy = registry().policy(policy_code)
    component = policy.component(component_code)
    if component.gather is None:
        raise InputError(f"{policy_code}.{component_code}", ["this component cannot be settled from the store"])
    overrides = in_force(session, county.id, policy_code, component_code, period.start)
    params = resolve(policy, component, period, overrides, run_overrides)
    facts = load_facts(session, county, period, component.lookback(params.model))
    raw = component.gather(facts, params.model, period)
    return county, compute(policy, component, raw, period, params=params)


def latest_run(session: Session, county_id: int, policy: str, component: str, period: str) -> Optional[SettlementRun]:
    return session.exec(select(SettlementRun).where(
        SettlementRun.county_id == county_id, SettlementRun.policy == policy,
        SettlementRun.component == component, SettlementRun.period == period)
        .order_by(SettlementRun.id.desc())).scalars().first()


def store(session: Session, county: County, c: Computation, user: str = "") -> SettlementRun:
    """Store a computation as a run, or return the run that already holds the same one."""
    key = dict(county_id=county.id, policy=c.policy.code, component=c.component.code, period=str(c.period))
    same = session.exec(select(SettlementRun).filter_by(
        **key, input_hash=c.input_hash, parameter_version=c.parameters.version)).scalars().first()
    if same is not None:
        return same
    previous = latest_run(session, county.id, **{k: v for k, v in key.items() if k != "county_id"})
    run = SettlementRun(**key, parameter_version=c.parameters.version, parameters=c.parameters.values,
                        parameter_sources=c.parameters.sources, input_hash=c.input_hash,
                        flags=[asdict(f) for f in c.outcome.flags],
                        supersedes_id=previous.id if previous else None, created_by=user)
    session.add(run)
    session.flush()
    write_lines(session, run.id, c.outcome.lines)
    record(session, "settlement_run", user, county.id, f"run {run.id}",
           {"policy": run.policy, "component": run.component, "period": run.period,
            "parameter_version": run.parameter_version, "supersedes": run.supersedes_id,
            "lines": len(c.outcome.lines)}, after=run.input_hash)
    return run


LINE_COLUMNS = ("run_id", "seq", "entity", "code", "unit", "amount", "quantity", "trace")


def write_lines(session: Session, run_id: int, lines) -> None:
    """A run's lines in one go: COPY on PostgreSQL (tens of thousands of lines a county), a
    bulk insert elsewhere."""
    rows = [(run_id, i, line.entity, line.code, line.unit, line.value if line.unit == "yuan" else None,
             None if line.unit == "yuan" else line.value, line.trace) for i, line in enumerate(lines)]
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":  # the columns' own converters, then one executemany
        convert = [SettlementLine.__table__.c[name].type.bind_processor(dialect) for name in LINE_COLUMNS]
        session.connection().exec_driver_sql(
            f"INSERT INTO settlementline ({', '.join(LINE_COLUMNS)}) VALUES ({', '.join('?' * len(LINE_COLUMNS))})",
            [tuple(f(v) if f else v for f, v in zip(convert, row)) for row in rows])
        return
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY settlementline ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row[:-1], store_json(row[-1])))


class Conflict(ValueError):
    """The change would contradict what is stored (e.g. approving a superseded run)."""


def approve(session: Session, run: SettlementRun, user: str) -> SettlementRun:
    """Approve the latest run of its key; from then on the database refuses to change it."""
    if run.status == "approved":
        return run
    latest = latest_run(session, run.county_id, run.policy, run.component, run.period)
    if latest.id != run.id:
        raise Conflict(f"run {run.id} is superseded by run {latest.id}")
    run.status, run.approved_by, run.approved_at = "approved", user, now()
    session.add(run)
    record(session, "settlement_approve", user, run.county_id, f"run {run.id}",
           {"policy": run.policy, "component": run.component, "period": run.period}, after=run.input_hash)
    return run


def settle(session: Session, county_code: str, policy_code: str, component_code: str,
           period: Period | str, run_overrides: Mapping[str, Any] | None = None,
           user: str = "") -> SettlementRun:
    """Gather, compute, check and store one settlement, in the caller's transaction."""
    county, computation = prepare(session, county_code, policy_code, component_code, period, run_overrides)
    return store(session, county, computation, user)


def run_lines(session: Session, run_id: int) -> list[SettlementLine]:
    return list(session.exec(select(SettlementLine).where(SettlementLine.run_id == run_id)
                             .order_by(SettlementLine.seq)).scalars())


def line_values(session: Session, run_id: int) -> dict[tuple[str, str], Decimal]:
    return {(l.entity, l.code): l.value for l in run_lines(session, run_id)}
