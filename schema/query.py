"""Root query and mutation fields."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import strawberry
from graphql import GraphQLError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from strawberry.scalars import JSON
from strawberry.types import Info

from countypay import approval, comparison, models, overrides, settle as engine
from countypay.canonical import jsonable, plain
from countypay.errors import InputError
from countypay.host import registry
from countypay.money import ConservationError, exact, round_half_up
from countypay.period import Period as _Period

from .context import Context, error
from .jobs import SETTLEMENT_JOB, START_SETTLEMENT_JOB, job_node
from .enums import AuditAction, EntityKind, InstitutionKind, LineUnit, RunStatus, Tier
from .pagination import DEFAULT_PAGE, Connection, page_of, paginate, paginate_list
from .scalars import Exact, Period
from .types import (AuditEvent, Attainment, Community, County, Indicator, IndicatorValue, Institution, Node, Order,
                    Policy, Prefecture, Province, SettlementRun, Unit, institution_list, ordered, parse_global_id,
                    prefecture_stmt, unit_list)


MAX_SEARCH = 100  # a search pattern longer than any name is refused, not matched


def ctx(info: Info) -> Context:
    return info.context


def county_ids(c: Context, code: Optional[str]) -> Optional[list[int]]:
    return None if code is None else [c.county(code).id]


def problem(line: str) -> dict:
    """A problem line (`units[2].quota: reason`) as an object a form can place: the field's path,
    the row where the path names one, a code and the reason."""
    path, sep, message = line.partition(": ")
    if not sep:
        path, message = "", line
    row = re.search(r"\[(\d+)\]", path)
    return {"path": path, "row": int(row.group(1)) if row else None, "code": "BAD_INPUT", "message": message}


def bad_input(e: Exception) -> strawberry.exceptions.StrawberryGraphQLError:
    if not isinstance(e, InputError):
        return error("BAD_INPUT", str(e))
    return strawberry.exceptions.StrawberryGraphQLError(
        str(e), extensions={"code": "BAD_INPUT", "problems": [problem(p) for p in e.problems]})


@strawberry.type(description="An indicator's value in one county, for supervisors comparing counties.")
class CountyComparison:
    county: County = strawberry.field(description='The county.')
    value: Optional[Exact] = strawberry.field(description="The county's own value, else its entities' "
                                                          "values summed (counts, money) or averaged "
                                                          "(to 4 decimals).")
    entities: int = strawberry.field(description="How many entity values made it (0: the county's own).")
    population: Optional[int] = strawberry.field(description="The county's population, where known.")
    per_capita: Optional[Exact] = strawberry.field(description="value / population to 6 decimals, when the "
                                                               "indicator is per capita.")
    attainment: Attainment = strawberry.field(description="The county's value against the benchmark and the year's target.")


@strawberry.type(description="A simulated line beside the current stored run's line of the same entity and code.")
class LineComparison:
    entity: str = strawberry.field(description='A unit, institution or community code, or `county`.')
    code: str = strawberry.field(description='The line code.')
    unit: LineUnit = strawberry.field(description="The unit of the figures.")
    simulated: Optional[Exact] = strawberry.field(description='The figure with the changed parameters; null when the line is gone.')
    stored: Optional[Exact] = strawberry.field(description='The figure in the current stored run; null when the line is new.')
    difference: Optional[Exact] = strawberry.field(description="simulated − stored; null when either is missing.")
    trace: Optional[JSON] = strawberry.field(description='How the simulated figure was made.')


@strawberry.type(description="The lines of one entity, simulated and stored.")
class EntityComparison:
    entity: str = strawberry.field(description='A unit, institution or community code, or `county`.')
    lines: list[LineComparison] = strawberry.field(description="The entity's lines.")
    changed: bool = strawberry.field(description="Whether any line of the entity differs.")


@strawberry.type(description="A what-if settlement: computed with changed parameters, stored nowhere.")
class Simulation:
    parameters: JSON = strawberry.field(description='The parameters the simulation used.')
    parameter_sources: JSON = strawberry.field(description='Where each parameter came from.')
    latest_run: Optional[SettlementRun] = strawberry.field(description='The stored run compared with; null when there is none.')
    entities: list[EntityComparison] = strawberry.field(description="Every entity's lines, simulated beside stored.")


@strawberry.type(description="A county's value for one policy parameter from a date on.")
class ParameterOverride:
    county: str = strawberry.field(description="The county's code.")
    policy: str = strawberry.field(description="The policy's code.")
    component: str = strawberry.field(description="The component's code.")
    name: str = strawberry.field(description="The parameter's name.")
    effective: date = strawberry.field(description='The date from which the value holds.')
    value: JSON = strawberry.field(description='The value, replacing the default whole.')
    reference: str = strawberry.field(description='The decision or document it comes from.')
    created_at: datetime = strawberry.field(description='When it was set.')
    created_by: str = strawberry.field(description='Who set it.')


@strawberry.type(description="A line of two runs compared: its figure in each and the difference.")
class LineChange:
    entity: str = strawberry.field(description='A unit, institution or community code, or `county`.')
    code: str = strawberry.field(description='The line code.')
    unit: LineUnit = strawberry.field(description="The unit of the figures.")
    a: Optional[Exact] = strawberry.field(description="The figure in run a; null when only run b has the line.")
    b: Optional[Exact] = strawberry.field(description="The figure in run b; null when only run a has the line.")
    difference: Optional[Exact] = strawberry.field(description="b − a; null when one run lacks the line.")


@strawberry.type(description="A parameter whose value differs between two runs.")
class ParameterChange:
    name: str = strawberry.field(description="The parameter's name.")
    a: Optional[JSON] = strawberry.field(description="Its value in run a.")
    b: Optional[JSON] = strawberry.field(description="Its value in run b.")
    source_a: Optional[str] = strawberry.field(description="Where run a's value came from.")
    source_b: Optional[str] = strawberry.field(description="Where run b's value came from.")


@strawberry.type(description="Two runs of the same county, policy, component and period side by side.")
class RunComparison:
    a: SettlementRun = strawberry.field(description="The first run.")
    b: SettlementRun = strawberry.field(description="The second run.")
    changed: list[LineChange] = strawberry.field(description="Lines both runs have with different figures.")
    only_in_a: list[LineChange] = strawberry.field(description="Lines only run a has.")
    only_in_b: list[LineChange] = strawberry.field(description="Lines only run b has.")
    unchanged: int = strawberry.field(description="How many lines are the same in both.")
    parameters: list[ParameterChange] = strawberry.field(description="Parameters whose values differ.")
    inputs_differ: bool = strawberry.field(description="Whether the inputs differ (their hashes do).")
    changed_inputs: Optional[list[str]] = strawberry.field(
        description="The top-level inputs that differ (e.g. `institutions`, `fund`): their values are the county's "
                    "stored facts, only their digests are kept with a run. Null when a run was stored before the "
                    "digests were kept.")


def run_comparison(c: Context, a: str, b: str) -> RunComparison:
    first, second = run_row(c, a), run_row(c, b)
    try:
        found = comparison.compare(c.session, first, second, c.viewer.entity)
    except comparison.NotComparable as e:
        raise error("BAD_INPUT", str(e)) from None
    change = lambda l: LineChange(entity=l.entity, code=l.code, unit=l.unit, a=l.a, b=l.b,  # noqa: E731
                                  difference=l.difference)
    return RunComparison(
        a=SettlementRun(row=first), b=SettlementRun(row=second),
        changed=[change(l) for l in found.lines if l.kind == "changed"],
        only_in_a=[change(l) for l in found.lines if l.kind == "only_a"],
        only_in_b=[change(l) for l in found.lines if l.kind == "only_b"], unchanged=found.unchanged,
        parameters=[ParameterChange(name=p.name, a=p.a, b=p.b, source_a=p.source_a, source_b=p.source_b)
                    for p in found.parameters],
        inputs_differ=found.inputs_differ, changed_inputs=found.changed_inputs)


@strawberry.type(description="What countypay answers: the counties, their institutions and units, indicator values, "
                             "stored settlements and what-if settlements, each as far as the token may read.")
class Query:
    @strawberry.field(description="Any object by its global id (Relay's refetch); null with NOT_FOUND when the id "
                                  "names nothing the token may see.")
    def node(self, info: Info, id: strawberry.ID) -> Optional[Node]:
        return find_node(ctx(info), id)

    @strawberry.field(description="Objects by their global ids (at most 100), in the order asked; null for an id "
                                  "that names nothing the token may see.")
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Optional[Node]]:
        if len(ids) > MAX_NODES:
            raise error("BAD_INPUT", f"ids: at most {MAX_NODES}")
        out = []
        for value in ids:
            try:
                out.append(find_node(ctx(info), value))
            except GraphQLError as e:
                if e.extensions.get("code") != "NOT_FOUND":
                    raise
                out.append(None)
        return out

    @strawberry.field(description="Provinces that hold a county the caller may read.")
    def provinces(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                  last: Optional[int] = None, before: Optional[str] = None,
                  order: Optional[Order] = None) -> Optional[Connection[Province]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        c.signed_in()
        stmt = select(models.Province)
        ids = c.readable()
        if ids is not None:
            stmt = stmt.where(models.Province.id.in_(
                select(models.County.province_id).where(models.County.id.in_(ids or {-1}))))
        return paginate(c.session, stmt, ordered(models.Province, order), page, Province)

    @strawberry.field(description="Prefectures (市, 州) that hold a county the caller may read, optionally of one "
                                  "province.")
    def prefectures(self, info: Info, province: Optional[str] = None, first: Optional[int] = DEFAULT_PAGE,
                    after: Optional[str] = None, last: Optional[int] = None, before: Optional[str] = None,
                    order: Optional[Order] = None) -> Optional[Connection[Prefecture]]:
        c, P, page = ctx(info), models.Prefecture, page_of(info, first, after, last, before)
        c.signed_in()
        stmt = prefecture_stmt(c)
        if province:
            stmt = stmt.join(models.Province, models.Province.id == P.province_id).where(
                models.Province.code == province)
        return paginate(c.session, stmt, ordered(P, order), page, Prefecture)

    @strawberry.field(description="Counties the caller may read, optionally of one province.")
    def counties(self, info: Info, province: Optional[str] = None, first: Optional[int] = DEFAULT_PAGE,
                 after: Optional[str] = None, last: Optional[int] = None, before: Optional[str] = None,
                 order: Optional[Order] = None) -> Optional[Connection[County]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        stmt = c.restrict(select(models.County), models.County.id)
        if province:
            stmt = stmt.join(models.Province).where(models.Province.code == province)
        return paginate(c.session, stmt, ordered(models.County, order), page, County)

    @strawberry.field(description="One county by code; null (with a NOT_FOUND error) when there is none the token "
                                  "may read, so the rest of the answer stands.")
    def county(self, info: Info, code: str) -> Optional[County]:
        return County(row=ctx(info).county(code))

    @strawberry.field(description="Health management units, by county and community.")
    def units(self, info: Info, county: Optional[str] = None, community: Optional[str] = None,
              first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None, last: Optional[int] = None,
              before: Optional[str] = None, order: Optional[Order] = None) -> Optional[Connection[Unit]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        return unit_list(c, county_ids(c, county), community, page, order)

    @strawberry.field(description="Institutions, by county, community, kind and tier.")
    def institutions(self, info: Info, county: Optional[str] = None, community: Optional[str] = None,
                     kind: Optional[InstitutionKind] = None, tier: Optional[Tier] = None,
                     first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None, last: Optional[int] = None,
                     before: Optional[str] = None,
                     order: Optional[Order] = None) -> Optional[Connection[Institution]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        return institution_list(c, county_ids(c, county), kind, tier, community, page, order)

    @strawberry.field(description="Indicator definitions (a public catalogue).")
    def indicators(self, info: Info, entity: Optional[EntityKind] = None, search: Optional[str] = None,
                   first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None, last: Optional[int] = None,
                   before: Optional[str] = None, order: Optional[Order] = None) -> Connection[Indicator]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        I = models.Indicator
        stmt = select(I)
        if entity:
            stmt = stmt.where(I.entity == entity.value)
        if search and len(search) > MAX_SEARCH:
            raise error("BAD_INPUT", f"search: at most {MAX_SEARCH} characters")
        if search:
            like = f"%{search}%"
            stmt = stmt.where(I.code.like(like) | I.name_zh.like(like) | I.name_en.like(like))
        return paginate(c.session, stmt, ordered(I, order), page, Indicator)

    @strawberry.field(description="Indicator values of a county, with attainment against benchmark and target.")
    def indicator_values(self, info: Info, county: str, indicator: Optional[str] = None,
                         entity: Optional[str] = None, period: Optional[Period] = None,
                         first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                         last: Optional[int] = None,
                         before: Optional[str] = None) -> Optional[Connection[IndicatorValue]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        V, I = models.IndicatorValue, models.Indicator
        stmt = select(V).where(V.county_id == c.county(county).id)
        if indicator:
            stmt = stmt.join(I, I.id == V.indicator_id).where(I.code == indicator)
        if entity:
            stmt = stmt.where(V.entity == entity)
        if period:
            stmt = stmt.where(V.period == period)
        return paginate(c.session, stmt, (V.indicator_id, V.entity, V.period), page, IndicatorValue)

    @strawberry.field(description="Installed payment policies (a public catalogue, as long as the plugins "
                                  "installed: a plain list).")
    def policies(self, county: Optional[str] = None) -> list[Policy]:
        return [Policy(policy=p) for p in sorted(registry().policies.values(), key=lambda p: p.code)
                if county is None or p.county == county]

    @strawberry.field(description="Stored settlements, newest first: by county, policy, component, period, "
                                  "status and whether current.")
    def settlements(self, info: Info, county: Optional[str] = None, policy: Optional[str] = None,
                    component: Optional[str] = None, period: Optional[Period] = None,
                    status: Optional[RunStatus] = None, first: Optional[int] = DEFAULT_PAGE,
                    after: Optional[str] = None, last: Optional[int] = None, before: Optional[str] = None,
                    current: Optional[bool] = None) -> Optional[Connection[SettlementRun]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        R = models.SettlementRun
        stmt = c.restrict(select(R), R.county_id, runs=True)
        if county:
            stmt = stmt.where(R.county_id == c.county(county, runs=True).id)
        for col, value in ((R.policy, policy), (R.component, component), (R.period, period),
                           (approval.status_of(), status and status.value)):
            if value:
                stmt = stmt.where(col == value)
        if current is not None:
            stmt = stmt.where(R.id.in_(approval.current_ids()) if current else R.id.not_in(approval.current_ids()))
        return paginate(c.session, stmt, (R.id.desc(),), page, SettlementRun)

    @strawberry.field(description="The current runs that await the asking token's level of the chain, in the "
                                  "counties it approves for, optionally of one period, prefecture or county: what "
                                  "approveSettlements takes. Empty for a token that approves nothing.")
    def pending_approvals(self, info: Info, period: Optional[Period] = None, prefecture: Optional[str] = None,
                          county: Optional[str] = None, first: Optional[int] = DEFAULT_PAGE,
                          after: Optional[str] = None, last: Optional[int] = None,
                          before: Optional[str] = None) -> Optional[Connection[SettlementRun]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        c.signed_in()
        level = c.viewer.level
        runs = approval.pending(c.session, level, scope(c, prefecture, county), period) if level else []
        return paginate_list([SettlementRun(row=r) for r in runs],
                             lambda r: (r.row.county_id, r.row.policy, r.row.component, r.row.id), page)

    @strawberry.field(description="Two runs of the same county, policy, component and period side by side: the "
                                  "lines that changed and by how much, the lines only one has, and which "
                                  "parameters and inputs differ.")
    def compare_runs(self, info: Info, a: strawberry.ID, b: strawberry.ID) -> RunComparison:
        return run_comparison(ctx(info), a, b)

    @strawberry.field(description="The audit trail, newest first: supervisors and auditors see every county's, a "
                                  "prefecture its counties', a county its own.")
    def audit_events(self, info: Info, county: Optional[str] = None, action: Optional[AuditAction] = None,
                     first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None, last: Optional[int] = None,
                     before: Optional[str] = None) -> Optional[Connection[AuditEvent]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        if not c.viewer.reads_audit():
            raise c.denied() if c.viewer.role == "anonymous" else error("FORBIDDEN", "this token may not read the "
                                                                                      "audit trail")
        A = models.AuditEvent
        stmt = select(A)
        if c.readable() is not None:
            stmt = c.restrict(stmt, A.county_id)
        if county:
            stmt = stmt.where(A.county_id == c.county(county).id)
        if action:
            stmt = stmt.where(A.action == action.value)
        return paginate(c.session, stmt, (A.id.desc(),), page, AuditEvent)

    @strawberry.field(description="One settlement by id, with its lines, traces and totals; null (with a NOT_FOUND "
                                  "error) when there is none the token may see.")
    def settlement(self, info: Info, id: strawberry.ID) -> Optional[SettlementRun]:
        return SettlementRun(row=run_row(ctx(info), id))

    settlement_job = SETTLEMENT_JOB

    @strawberry.field(description="An indicator's value in every readable county for a period, by county code.")
    def compare_counties(self, info: Info, indicator: str, period: Period, first: Optional[int] = DEFAULT_PAGE,
                         after: Optional[str] = None, last: Optional[int] = None,
                         before: Optional[str] = None) -> Optional[Connection[CountyComparison]]:
        c, page = ctx(info), page_of(info, first, after, last, before)
        c.signed_in()
        ind = c.session.exec(select(models.Indicator).where(models.Indicator.code == indicator)).scalars().first()
        if ind is None:
            raise error("NOT_FOUND", f"no indicator {indicator!r}")
        V = models.IndicatorValue
        stmt = c.restrict(select(V.county_id, V.entity, V.value).where(
            V.indicator_id == ind.id, V.period == period, V.value.is_not(None)), V.county_id)
        by_county: dict[int, dict[str, Decimal]] = {}
        for cid, entity, value in c.session.execute(stmt):
            by_county.setdefault(cid, {})[entity] = value
        counties = {r.id: r for r in c.session.exec(select(models.County).where(
            models.County.id.in_(list(by_county) or [-1]))).scalars()}
        out = []
        for cid, values in by_county.items():
            county = counties[cid]
            if "county" in values:
                value, n = values["county"], 0
            else:
                n = len(values)
                total = sum(values.values(), Decimal(0))
                value = total if ind.unit in ("count", "yuan", "event") else plain(round_half_up(total / n, 4))
            per_capita = (plain(round_half_up(exact(value) / county.population, 6))
                          if ind.per_capita and county.population else None)
            shown = per_capita if per_capita is not None else value
            out.append(CountyComparison(
                county=County(row=county), value=value, entities=n, population=county.population,
                per_capita=per_capita, attainment=Attainment.of(c.goals.standing(ind, cid, period, shown))))
        return paginate_list(out, lambda x: (x.county.row.code,), page)

    @strawberry.field(description="Settle with changed parameters and compare with the current stored run; "
                                  "stores nothing.")
    def simulate_settlement(self, info: Info, county: str, policy: str, component: str, period: Period,
                            parameter_overrides: Optional[JSON] = None) -> Simulation:
        c = ctx(info)
        row = c.county(county)
        try:
            _, comp = engine.prepare(c.session, county, policy, component, period, parameter_overrides)
        except (InputError, ConservationError, KeyError, ValueError) as e:
            raise bad_input(e) from None
        latest = engine.latest_run(c.session, row.id, policy, component, str(period))
        stored = {(l.entity, l.code): l for l in engine.stored_lines(c.session, latest.id)} if latest else {}
        grouped: dict[str, list[LineComparison]] = {}
        for line in comp.outcome.lines:
            old = stored.pop((line.entity, line.code), None)
            grouped.setdefault(line.entity, []).append(LineComparison(
                entity=line.entity, code=line.code, unit=line.unit, simulated=line.value,
                stored=old.value if old else None, difference=line.value - old.value if old else None,
                trace=jsonable(line.trace)))
        for (entity, code), old in stored.items():
            grouped.setdefault(entity, []).append(LineComparison(
                entity=entity, code=code, unit=old.unit, simulated=None, stored=old.value, difference=None, trace=None))
        return Simulation(
            parameters=comp.parameters.values, parameter_sources=comp.parameters.sources,
            latest_run=SettlementRun(row=latest) if latest else None,
            entities=[EntityComparison(entity=e, lines=ls, changed=any(l.difference != 0 for l in ls))
                      for e, ls in grouped.items()])


NODES = {t.__name__: t for t in (Province, Prefecture, County, Community, Institution, Unit, Indicator, AuditEvent)}
MAX_NODES = 100


def find_node(c: Context, value: str) -> Node:
    """The object of a global id, if the token may see it; NOT_FOUND for an id that names none
    (garbage included), UNAUTHENTICATED for data that needs a token."""
    parsed = parse_global_id(str(value))
    if parsed is not None and parsed[0] == "SettlementRun":
        return SettlementRun(row=run_row(c, str(parsed[1])))
    if parsed is not None and parsed[0] == "SettlementJob":
        return job_node(c, parsed[1])
    kind = NODES.get(parsed[0]) if parsed else None
    row = c.session.get(getattr(models, kind.__name__), parsed[1]) if kind else None
    if row is not None and not visible(c, kind, row):
        if c.viewer.role == "anonymous":
            raise c.denied()
        row = None
    if row is None:
        raise error("NOT_FOUND", f"no object with id {value!r}")
    return kind(row=row)


def visible(c: Context, kind, row) -> bool:
    ids = c.readable()
    if kind is Indicator or ids is None and kind is not AuditEvent:
        return True
    if kind is AuditEvent:
        return c.viewer.reads_audit() and (ids is None or row.county_id in ids)
    if kind in (Province, Prefecture):
        column = models.County.province_id if kind is Province else models.County.prefecture_id
        return c.session.execute(select(models.County.id).where(column == row.id, models.County.id.in_(ids or {-1}))
                                 ).first() is not None
    return (row.id if kind is County else row.county_id) in ids


def scope(c: Context, prefecture: Optional[str], county: Optional[str]) -> Optional[set[int]]:
    """The counties a bulk approval covers: the viewer's, narrowed to a prefecture or a county."""
    ids = c.readable()
    if county:
        ids = {c.county(county).id}
    if prefecture:
        P = models.Prefecture
        found = set(c.session.exec(select(models.County.id).join(P, P.id == models.County.prefecture_id)
                                   .where(P.code == prefecture)).scalars())
        if not found or (ids is not None and not found & ids):
            raise error("NOT_FOUND", f"no prefecture {prefecture!r}")
        ids = found if ids is None else found & ids
    return ids


def chained(c: Context, change):
    """A change of the approval chain, committed; a refusal is a CONFLICT and writes nothing."""
    try:
        result = change()
        c.session.commit()
        c.loaders.pop("chain", None)  # read the new steps, not those read before the change
        return result
    except approval.Conflict as e:
        c.session.rollback()
        raise error("CONFLICT", str(e)) from None


def run_row(c: Context, id: str) -> models.SettlementRun:
    # An id no column can hold (not digits, or past 32 bits) names no run: ask no database.
    row = c.session.get(models.SettlementRun, int(id)) if str(id).isascii() and str(id).isdigit() and int(id) < 2 ** 31 else None
    if row is None or not c.viewer.sees_runs(row.county_id):
        if row is not None and c.viewer.role == "anonymous":
            raise c.denied()
        raise error("NOT_FOUND", f"no settlement {id}")
    return row


# ---- mutations take one input object and answer a payload holding what they changed, so a
# client cache (Apollo, Relay, urql) updates itself from the answer. Input fields are described
# by name in arguments.py, as arguments are.

@strawberry.input(description="What runSettlement settles.")
class RunSettlementInput:
    county: str
    policy: str
    component: str
    period: Period
    parameter_overrides: Optional[JSON] = None


@strawberry.type(description="What runSettlement stored.")
class RunSettlementPayload:
    run: SettlementRun = strawberry.field(description="The run: new, or the one stored before from the same inputs "
                                                      "and parameters, now current.")
    previous_run: Optional[SettlementRun] = strawberry.field(
        description="The run that was current before and is no longer (its `current` is now false); null when "
                    "there was none, or it is the same run.")
    county: County = strawberry.field(description="The county settled.")


@strawberry.input(description="Which run approveSettlement approves.")
class ApproveSettlementInput:
    id: strawberry.ID
    reason: Optional[str] = None


@strawberry.input(description="Which run sendBackSettlement sends back, and why.")
class SendBackSettlementInput:
    id: strawberry.ID
    reason: str


@strawberry.input(description="Which accepted period reopenPeriod reopens, and why.")
class ReopenPeriodInput:
    county: str
    policy: str
    component: str
    period: Period
    reason: str


@strawberry.type(description="A run whose place in the approval chain changed (its status, stage, chain and "
                             "nextActions), and its county.")
class RunChange:
    run: SettlementRun = strawberry.field(description="The run, as it stands now.")
    county: County = strawberry.field(description="The run's county.")


@strawberry.type(description="What approveSettlement changed.")
class ApproveSettlementPayload(RunChange):
    pass


@strawberry.type(description="What sendBackSettlement changed.")
class SendBackSettlementPayload(RunChange):
    pass


@strawberry.type(description="What reopenPeriod changed.")
class ReopenPeriodPayload(RunChange):
    pass


def changed_run(c: Context, run: models.SettlementRun) -> dict:
    return {"run": SettlementRun(row=run), "county": County(row=c.session.get(models.County, run.county_id))}


@strawberry.input(description="Which runs approveSettlements approves: a period's, optionally of one prefecture, "
                               "county, policy or component.")
class ApproveSettlementsInput:
    period: Period
    prefecture: Optional[str] = None
    county: Optional[str] = None
    policy: Optional[str] = None
    component: Optional[str] = None
    reason: Optional[str] = None


@strawberry.type(description="What approveSettlements changed.")
class ApproveSettlementsPayload:
    runs: list[SettlementRun] = strawberry.field(description="The runs approved (accepted, at the last level), as "
                                                             "they stand now: what one request approved, a plain "
                                                             "list.")


@strawberry.input(description="The parameter value setParameterOverride sets.")
class SetParameterOverrideInput:
    county: str
    policy: str
    component: str
    name: str
    effective: date
    value: JSON
    reference: str = ""


@strawberry.type(description="What setParameterOverride set.")
class SetParameterOverridePayload:
    override: ParameterOverride = strawberry.field(description="The value set.")
    county: County = strawberry.field(description="The county whose parameter it is.")


@strawberry.type(description="What countypay changes: settlements run, approved, sent back and reopened, and "
                             "parameter overrides set, each as far as the token may change.")
class Mutation:
    start_settlement_job = START_SETTLEMENT_JOB

    @strawberry.mutation(description="Settle one component for a county and period from the stored facts. "
                                     "The same inputs and parameters return the same run.")
    def run_settlement(self, info: Info, input: RunSettlementInput) -> RunSettlementPayload:
        c, i = ctx(info), input
        row = c.county(i.county)
        c.require_write(row.id)
        before = approval.current_run(c.session, row.id, i.policy, i.component, str(i.period))

        def settle():
            return engine.settle(c.session, i.county, i.policy, i.component, i.period, i.parameter_overrides,
                                 user=c.viewer.name)
        try:
            run = settle()
            c.session.commit()
        except engine.Conflict as e:  # the period is closed
            c.session.rollback()
            raise error("CONFLICT", str(e)) from None
        except (InputError, ConservationError, KeyError, ValueError) as e:
            c.session.rollback()
            raise bad_input(e) from None
        except IntegrityError:  # the same run stored meanwhile by another request
            c.session.rollback()
            run = settle()
        previous = SettlementRun(row=before) if before is not None and before.id != run.id else None
        return RunSettlementPayload(run=SettlementRun(row=run), previous_run=previous, county=County(row=row))

    @strawberry.mutation(description="Approve a run at the asking token's level of the chain: the county's "
                                     "approval locks it and sends it up; the prefecture approves it; the last "
                                     "level (the province) accepts it, which closes its period. Only the current "
                                     "run of its county, policy, component and period is approved, and the "
                                     "county's only with the parameters in force.")
    def approve_settlement(self, info: Info, input: ApproveSettlementInput) -> ApproveSettlementPayload:
        c = ctx(info)
        run = run_row(c, input.id)
        c.require_act(run.county_id)
        chained(c, lambda: approval.approve(c.session, run, c.viewer.level, c.viewer.name, input.reason or ""))
        return ApproveSettlementPayload(**changed_run(c, run))

    @strawberry.mutation(description="Send a run back to its county with a reason (a level above the county). "
                                     "The run stays as it is: the county corrects its facts or parameters and "
                                     "settles a new version, which goes up the chain again.")
    def send_back_settlement(self, info: Info, input: SendBackSettlementInput) -> SendBackSettlementPayload:
        c = ctx(info)
        run = run_row(c, input.id)
        c.require_act(run.county_id)
        chained(c, lambda: approval.send_back(c.session, run, c.viewer.level, c.viewer.name, input.reason))
        return SendBackSettlementPayload(**changed_run(c, run))

    @strawberry.mutation(description="Reopen an accepted period with a reason (the chain's last level): the county "
                                     "may then settle a new version. Its payload holds the accepted run, now "
                                     "reopened.")
    def reopen_period(self, info: Info, input: ReopenPeriodInput) -> ReopenPeriodPayload:
        c, i = ctx(info), input
        row = c.county(i.county)
        c.require_act(row.id)
        run = chained(c, lambda: approval.reopen(c.session, row.id, i.policy, i.component, str(i.period),
                                                 c.viewer.level, c.viewer.name, i.reason))
        return ReopenPeriodPayload(**changed_run(c, run))

    @strawberry.mutation(description="Approve every current run of a period that awaits the asking token's level "
                                     "(see pendingApprovals), optionally of one prefecture, county, policy or "
                                     "component: all of them, or none when one cannot be (each reason named).")
    def approve_settlements(self, info: Info, input: ApproveSettlementsInput) -> ApproveSettlementsPayload:
        c, i = ctx(info), input
        if c.viewer.level is None:
            c.require_act(-1)
        runs = chained(c, lambda: approval.approve_pending(c.session, c.viewer.level, scope(c, i.prefecture, i.county),
                                                           str(i.period), c.viewer.name, i.reason or "", i.policy,
                                                           i.component))
        return ApproveSettlementsPayload(runs=[SettlementRun(row=r) for r in runs])

    @strawberry.mutation(description="Set the county's value of one policy parameter from a date on. "
                                     "It replaces the plugin's default whole.")
    def set_parameter_override(self, info: Info, input: SetParameterOverrideInput) -> SetParameterOverridePayload:
        c, i = ctx(info), input
        row = c.county(i.county)
        c.require_write(row.id)
        try:
            record = overrides.put(c.session, row.id, i.policy, i.component, i.name, i.effective, i.value,
                                   i.reference, c.viewer.name)
        except InputError as e:
            if e.where in ("policy", "component"):
                raise error("NOT_FOUND", "; ".join(e.problems)) from None
            raise bad_input(e) from None
        c.session.commit()
        return SetParameterOverridePayload(
            override=ParameterOverride(county=i.county, policy=i.policy, component=i.component, name=i.name,
                                       effective=i.effective, value=record.value, reference=i.reference,
                                       created_at=record.created_at, created_by=record.created_by),
            county=County(row=row))
