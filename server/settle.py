"""The settlement engine: gather a component's inputs from the store, compute, store the run.

Runs are immutable. The same (county, policy, component, period, inputs, parameters) gives the
same run back instead of a second one, and makes it the current run again; a run with new inputs
or parameters supersedes the current one. A period the province has accepted takes no new run
until it is reopened (approval.py).
"""
from __future__ import annotations

import hashlib
from collections import namedtuple
from dataclasses import asdict
from decimal import Decimal
from collections.abc import Mapping
from typing import Any, Optional

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from . import approval
from .approval import Conflict
from .attainment import target
from .audit import record
from .overrides import in_force
from .canonical import store_json

from .compute import Computation, compute
from .db import driver_rows
from .errors import InputError
from .host import registry
from .params import resolve
from .models import (Community, County, Fund, Household, HouseholdMonth, HouseholdReimbursement, Indicator,
                     IndicatorTarget, IndicatorValue, Institution, ParameterOverride, PointsEvent, PointsOpening,
                     ProjectDisbursement, ProjectPlan, ProjectTask, ServiceCount, SettlementLine, SettlementRun,
                     StaffDay, Task, Team, TeamGrid, TeamMember, Transfer, Unit, UnitMember, UnitPopulation)
from .period import Period
from .policy import Facts, HouseholdRow, PointsAccountRow


class NotFound(LookupError):
    pass


def county_by_code(session: Session, code: str) -> County:
    county = session.exec(select(County).where(County.code == code)).scalars().first()
    if county is None:
        raise NotFound(f"no county {code!r} in the store")
    return county


def load_facts(session: Session, county: County, period: Period, years_back: int = 1) -> Facts:
    """Everything stored for a county that a settlement of `period` may read: its places and
    teams, the transfers and tasks of its year, its project plan, and the values, targets and
    funds of its year and the `years_back` years before. Households (their compliance months
    over the same years, their reimbursable expenses of the period, their points ledgers) are
    read when a component first looks at them."""
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
    facts.targets = targets_of(session, cid, years)
    facts.teams = teams_of(session, cid, period)
    facts.project_tasks = project_of(session, cid)
    facts.households = Lazy(lambda: households_of(session, cid, period, years[0]))
    facts.points = Lazy(lambda: points_of(session, cid, period))
    months = [str(m) for m in period.months()]
    facts.service_counts = Lazy(lambda: {(inst, month, item): n for inst, month, item, n in driver_rows(
        session.connection(), select(ServiceCount.institution, ServiceCount.month, ServiceCount.item,
                                     ServiceCount.count).where(ServiceCount.county_id == cid,
                                                               ServiceCount.month.in_(months)))})
    return facts


_Target = namedtuple("_Target", "county_id year value")


def targets_of(session: Session, cid: int, years: list[str]) -> dict[tuple[str, int], str]:
    """(indicator, year) → the target that applies (the county's own, else the general one), as
    written: its text, else its number."""
    rows: dict[str, list] = {}
    for code, county_id, year, value, text in session.execute(
            select(Indicator.code, IndicatorTarget.county_id, IndicatorTarget.year, IndicatorTarget.value,
                   IndicatorTarget.text)
            .join(Indicator, Indicator.id == IndicatorTarget.indicator_id)
            .where(or_(IndicatorTarget.county_id == cid, IndicatorTarget.county_id.is_(None)),
                   IndicatorTarget.year.in_([int(y) for y in years]))):
        written = text if text is not None else (str(value) if value is not None else None)
        rows.setdefault(code, []).append(_Target(county_id, year, written))
    found = {(code, int(y)): target(ts, cid, int(y)) for code, ts in rows.items() for y in years}
    return {k: v for k, v in found.items() if v is not None}


def teams_of(session: Session, cid: int, period: Period) -> list:
    """The county's teams with their grids and members, each member's days at the grassroots in
    the period's months."""
    teams = {i: {"code": code, "name_zh": name, "grids": [], "members": []} for i, code, name in session.execute(
        select(Team.id, Team.code, Team.name_zh).where(Team.county_id == cid).order_by(Team.code))}
    if not teams:
        return []
    for team, grid in session.execute(select(TeamGrid.team_id, Unit.code).join(Unit, Unit.id == TeamGrid.unit_id)
                                      .join(Team).where(Team.county_id == cid).order_by(Unit.code)):
        teams[team]["grids"].append(grid)
    months = [str(m) for m in period.months()]
    days: dict[str, dict[str, int]] = {}
    for staff, month, n in session.execute(select(StaffDay.staff, StaffDay.month, StaffDay.days).where(
            StaffDay.county_id == cid, StaffDay.month.in_(months)).order_by(StaffDay.month)):
        days.setdefault(staff, {})[month] = n
    for team, role, staff in session.execute(select(TeamMember.team_id, TeamMember.role, TeamMember.staff)
                                             .join(Team).where(Team.county_id == cid)
                                             .order_by(TeamMember.role, TeamMember.staff)):
        teams[team]["members"].append({"role": role, "staff": staff, "days": dict(days.get(staff, {}))})
    return list(teams.values())


def project_of(session: Session, cid: int) -> list:
    """The county's project tasks with their plan and disbursements by year and source."""
    tasks = {i: {"code": code, "name_zh": zh, "name_en": en, "plan": {}, "disbursed": {}}
             for i, code, zh, en in session.execute(
                 select(ProjectTask.id, ProjectTask.code, ProjectTask.name_zh, ProjectTask.name_en)
                 .where(ProjectTask.county_id == cid).order_by(ProjectTask.code))}
    if not tasks:
        return []
    for model, key in ((ProjectPlan, "plan"), (ProjectDisbursement, "disbursed")):
        for task, year, source, amount in session.execute(
                select(model.task_id, model.year, model.source, model.amount).join(ProjectTask)
                .where(ProjectTask.county_id == cid).order_by(model.year, model.source)):
            tasks[task][key].setdefault(year, {})[source] = amount
    return list(tasks.values())


def households_of(session: Session, cid: int, period: Period, first_year: str) -> dict[str, HouseholdRow]:
    """Every household of the county with its compliance months from January of `first_year` to
    the period's last month, and its reimbursable expenses stored for the period."""
    households = {i: {"code": code, "compliant": {}, "reimbursable": None, "base_rate": None}
                  for i, code in session.execute(select(Household.id, Household.code)
                                                 .where(Household.county_id == cid).order_by(Household.code))}
    if not households:
        return {}
    in_county = Household.county_id == cid
    last = str(period.months()[-1])
    for h, month, ok in session.execute(
            select(HouseholdMonth.household_id, HouseholdMonth.month, HouseholdMonth.compliant).join(Household)
            .where(in_county, HouseholdMonth.month >= f"{first_year}-01", HouseholdMonth.month <= last)
            .order_by(HouseholdMonth.month)):
        households[h]["compliant"][month] = ok
    R = HouseholdReimbursement
    for h, amount, rate in session.execute(select(R.household_id, R.reimbursable, R.base_rate).join(Household)
                                           .where(in_county, R.period == str(period))):
        households[h]["reimbursable"], households[h]["base_rate"] = amount, rate
    return {h["code"]: h for h in households.values()}


def points_of(session: Session, cid: int, period: Period) -> dict[str, PointsAccountRow]:
    """Every household's points ledger: its latest stored opening on or before the period's first
    day, and its events from that opening (from the first event when none) to the period's end,
    in date order, then `seq`."""
    accounts = {i: {"code": code, "opening": None, "events": []}
                for i, code in session.execute(select(Household.id, Household.code)
                                               .where(Household.county_id == cid).order_by(Household.code))}
    if not accounts:
        return {}
    O, E = PointsOpening, PointsEvent
    latest = (select(O.household_id, func.max(O.date).label("date")).join(Household)
              .where(Household.county_id == cid, O.date <= period.start).group_by(O.household_id).subquery())
    for h, day, points in session.execute(select(O.household_id, O.date, O.points).join(
            latest, and_(latest.c.household_id == O.household_id, latest.c.date == O.date))):
        accounts[h]["opening"] = {"date": day, "points": points}
    for h, day, seq, kind, activity, item, quantity in session.execute(
            select(E.household_id, E.date, E.seq, E.kind, E.activity, E.item, E.quantity).join(Household)
            .outerjoin(latest, latest.c.household_id == E.household_id)
            .where(Household.county_id == cid, E.date <= period.end,
                   or_(latest.c.date.is_(None), E.date >= latest.c.date))
            .order_by(E.household_id, E.date, E.seq)):
        accounts[h]["events"].append({"date": day, "seq": seq, "kind": kind, "activity": activity, "item": item,
                                      "quantity": quantity})
    return {a["code"]: a for a in accounts.values()}


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


FactsRead = dict[tuple[int, str, int], Facts]
"""Facts already read, by (county id, period, years back): one county's components settled
together (a job) read its facts once, each component still exactly the years it asks for."""


def prepare(session: Session, county_code: str, policy_code: str, component_code: str,
            period: Period | str, run_overrides: Mapping[str, Any] | None = None,
            read: Optional[FactsRead] = None) -> tuple[County, Computation]:
    """Compute a settlement from the store without storing it (also the what-if path); with
    `read`, take the county's facts from there when a component before read the same."""
    period = Period.parse(str(period))
    county = county_by_code(session, county_code)
    policy = registry().policy(policy_code)
    component = policy.component(component_code)
    if component.gather is None:
        raise InputError(f"{policy_code}.{component_code}", ["this component cannot be settled from the store"])
    overrides = in_force(session, county.id, policy_code, component_code, period.start)
    params = resolve(policy, component, period, overrides, run_overrides)
    key = (county.id, str(period), component.lookback(params.model))
    read = {} if read is None else read
    if key not in read:
        read[key] = load_facts(session, county, period, key[2])
    raw = component.gather(read[key], params.model, period)
    return county, compute(policy, component, raw, period, params=params)


def latest_run(session: Session, county_id: int, policy: str, component: str, period: str) -> Optional[SettlementRun]:
    """The current run of the key: the one most recently stored or settled again (approval.py)."""
    return approval.current_run(session, county_id, policy, component, period)


def input_digests(c: Computation) -> dict[str, str]:
    """A short digest of each top-level input, so that two runs can say which inputs differ."""
    return {k: hashlib.sha256(text.encode()).hexdigest()[:16] for k, text in (c.input_parts or {}).items()}


def refuse_if_closed(session: Session, current: Optional[SettlementRun], county: County, c: Computation) -> None:
    accepted = approval.closed_by(session, current)
    if accepted is not None:
        raise Conflict(f"{county.code} {c.policy.code}.{c.component.code} {c.period} is closed: the {accepted.level} "
                       f"accepted run {current.id} ({accepted.actor}, {accepted.at:%Y-%m-%d}); it takes no new run "
                       f"until the {accepted.level} reopens it")


def store(session: Session, county: County, c: Computation, user: str = "") -> SettlementRun:
    """Store a computation as a run and make it current; or, when a run holds the same one
    already, make that run current again (an audited pointer, never an edit of the run)."""
    key = dict(county_id=county.id, policy=c.policy.code, component=c.component.code, period=str(c.period))
    current = latest_run(session, **key)
    same = session.exec(select(SettlementRun).filter_by(
        **key, input_hash=c.input_hash, parameter_version=c.parameters.version)).scalars().first()
    if same is not None:
        if current is None or current.id != same.id:
            refuse_if_closed(session, current, county, c)
            approval.make_current(session, same, user)
            record(session, "settlement_current", user, county.id, f"run {same.id}",
                   {"policy": same.policy, "component": same.component, "period": same.period,
                    "instead_of": current.id if current else None}, after=same.input_hash)
        return same
    refuse_if_closed(session, current, county, c)
    run = SettlementRun(**key, parameter_version=c.parameters.version, parameters=c.parameters.values,
                        parameter_sources=c.parameters.sources, input_hash=c.input_hash, input_digests=input_digests(c),
                        flags=[asdict(f) for f in c.outcome.flags],
                        supersedes_id=current.id if current else None, created_by=user)
    session.add(run)
    session.flush()
    write_lines(session, run.id, c.outcome.lines)
    approval.make_current(session, run, user)
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


def approve(session: Session, run: SettlementRun, user: str, reason: str = "") -> SettlementRun:
    """The county approves its current run: from then on the database refuses to change it, and
    the run goes up the chain (approval.py)."""
    return approval.approve(session, run, "county", user, reason)


def settle(session: Session, county_code: str, policy_code: str, component_code: str,
           period: Period | str, run_overrides: Mapping[str, Any] | None = None,
           user: str = "", read: Optional[FactsRead] = None) -> SettlementRun:
    """Gather, compute, check and store one settlement, in the caller's transaction (`read`: see
    prepare)."""
    county, computation = prepare(session, county_code, policy_code, component_code, period, run_overrides, read)
    return store(session, county, computation, user)


def run_lines(session: Session, run_id: int) -> list[SettlementLine]:
    return list(session.exec(select(SettlementLine).where(SettlementLine.run_id == run_id)
                             .order_by(SettlementLine.seq)).scalars())


class StoredLine(namedtuple("StoredLine", "entity code unit amount quantity")):
    """A stored line's plain columns, without its trace."""
    __slots__ = ()
    value = SettlementLine.value  # the figure as the stored line gives it


def stored_lines(session: Session, run_id: int) -> list[StoredLine]:
    """A run's lines as plain columns, in order, with no trace decoded and no ORM object made:
    what a what-if weighs its computation against."""
    L = SettlementLine
    return [StoredLine(*row) for row in session.execute(
        select(L.entity, L.code, L.unit, L.amount, L.quantity).where(L.run_id == run_id).order_by(L.seq))]


def line_values(session: Session, run_id: int) -> dict[tuple[str, str], Decimal]:
    return {(l.entity, l.code): l.value for l in stored_lines(session, run_id)}
