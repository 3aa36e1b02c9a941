"""GraphQL object types. Each wraps a stored row; relations load through per-request DataLoaders,
so a report screen costs a fixed number of queries however many rows it shows."""
from __future__ import annotations

import base64
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Optional

import orjson
import strawberry
from sqlalchemy import Text, cast, select
from strawberry.scalars import JSON
from strawberry.types import Info

from countypay import approval, models
from countypay.attainment import Standing
from countypay.host import registry
from countypay.overrides import in_force
from countypay.params import resolve
from countypay.period import Period as _Period
from countypay.policy import ROLES, UNITS

from . import geo
from .context import Context
from .enums import (KIND_NAMES, ROLE_NAMES, ApprovalAction, ApprovalLevel, AuditAction, Direction, EntityKind,
                    InstitutionKind, LineUnit, PeriodKind, RunStatus, Severity, Tier, UnitRole)
from .pagination import DEFAULT_PAGE, Connection, Page, page_of, paginate, paginate_list, paginate_many
from .scalars import Exact, Money, Period


def ctx(info: Info) -> Context:
    return info.context


@strawberry.enum(description="List order.")
class Order(Enum):
    CODE_ASC = strawberry.enum_value("code_asc", description="By code, A to Z.")
    CODE_DESC = strawberry.enum_value("code_desc", description="By code, Z to A.")
    NAME_ASC = strawberry.enum_value("name_asc", description="By Chinese name, ascending.")
    NAME_DESC = strawberry.enum_value("name_desc", description="By Chinese name, descending.")


def column(attr: str, kind: object, description: Optional[str] = None, of: str = "row"):
    """A field read straight from what a type wraps: its row (or `of`, another private
    attribute: an object, or a dict read by key)."""
    def resolve(self):
        source = getattr(self, of)
        return source[attr] if isinstance(source, dict) else getattr(source, attr)
    resolve.__annotations__ = {"return": kind}
    return strawberry.field(resolver=resolve, description=description)


def follow(key: str, kind: str, description: str, loader: Optional[str] = None, optional: bool = False):
    """A field that follows the row's foreign key `key` to the object of type `kind` (a name of
    this module: null when the key is), batched by the context's loader of that kind."""
    async def resolve(self, info: Info):
        at = getattr(self.row, key)
        return None if at is None else globals()[kind](row=await ctx(info).loader(loader or kind.lower()).load(at))
    resolve.__annotations__ = {"info": Info, "return": f"Optional[{kind}]" if optional else kind}
    return strawberry.field(resolver=resolve, description=description)


def ordered(model, order: Optional[Order]) -> tuple:
    """The ORDER BY of a list of a model in the order asked, the id last so the order is total."""
    order = order or Order.CODE_ASC
    col = model.code if order.value.startswith("code") else model.name_zh
    return (col.desc() if order.value.endswith("desc") else col, model.id)


def global_id(kind: str, key: int) -> strawberry.ID:
    """A Relay id: base64 of `Type:key`, unique across types. A settlement keeps its bare number
    (digits only, which no base64 of `Type:…` is), so links and exports made with it stay valid."""
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode())


def parse_global_id(value: str) -> Optional[tuple[str, int]]:
    """(type, key) of a global id, or None when it is not one."""
    if value.isascii() and value.isdigit():
        return ("SettlementRun", int(value)) if int(value) < 2 ** 31 else None
    try:
        kind, _, key = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
    except (ValueError, UnicodeError):
        return None
    return (kind, int(key)) if key.isascii() and key.isdigit() and int(key) < 2 ** 31 else None


@strawberry.interface(description="An object with a global id: refetch it with `node(id:)` (Relay), or key a "
                                  "client cache by it (Apollo).")
class Node:
    @strawberry.field(description="The global id, unique across every type.")
    def id(self) -> strawberry.ID:
        return global_id(type(self).__name__, self.row.id)


@strawberry.type(description="A province (省).")
class Province(Node):
    row: strawberry.Private[models.Province]

    code = column("code", str, 'Province code, e.g. `anhui`.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")

    @strawberry.field(description="The province's counties that the caller may read.")
    async def counties(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                       last: Optional[int] = None, before: Optional[str] = None,
                       order: Optional[Order] = None) -> Connection[County]:
        page = page_of(info, first, after, last, before)
        return await county_pages(ctx(info), models.County.province_id, page, order).load(self.row.id)

    @strawberry.field(description="The province's prefectures (市, 州) that hold a county the caller may read.")
    def prefectures(self, info: Info) -> list[Prefecture]:
        c, P = ctx(info), models.Prefecture
        return [Prefecture(row=r) for r in c.session.exec(prefecture_stmt(c, self.row.id).order_by(P.code)).scalars()]

    @strawberry.field(description="The levels its counties' settlements go up, lowest first: county, then "
                                  "prefecture (unless the province skips it), then province.")
    def approval_levels(self) -> list[ApprovalLevel]:
        return list(approval.parse_levels(self.row.approval_levels))


def prefecture_stmt(c: Context, province_id: Optional[int] = None):
    """The prefectures (of a province) that hold a county the viewer may read."""
    P, C = models.Prefecture, models.County
    stmt = select(P)
    if province_id is not None:
        stmt = stmt.where(P.province_id == province_id)
    ids = c.readable()
    if ids is not None:
        stmt = stmt.where(P.id.in_(select(C.prefecture_id).where(C.id.in_(ids or {-1}))))
    return stmt


@strawberry.type(description="A prefecture (地级市, 州): between a province and its counties, it approves its "
                             "counties' settlements before the province accepts them.")
class Prefecture(Node):
    row: strawberry.Private[models.Prefecture]

    code = column("code", str, 'Prefecture code, e.g. `huaibei`.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")

    province = follow("province_id", "Province", "The province the prefecture belongs to.")

    @strawberry.field(description="The prefecture's counties that the caller may read.")
    async def counties(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                       last: Optional[int] = None, before: Optional[str] = None,
                       order: Optional[Order] = None) -> Connection[County]:
        page = page_of(info, first, after, last, before)
        return await county_pages(ctx(info), models.County.prefecture_id, page, order).load(self.row.id)


def county_pages(c: Context, parent, page: Page, order):
    """Pages of the readable counties of many provinces or prefectures (`parent`), one statement."""
    C = models.County
    stmt = c.restrict(select(C), C.id)
    return c.pages(("counties", parent.key, page, order), lambda ps: paginate_many(
        c.session, stmt, C, parent, ps, ordered(C, order), page, County))


@strawberry.type(description="A county (县) and everything stored for it.")
class County(Node):
    row: strawberry.Private[models.County]

    code = column("code", str, 'County code, e.g. `suixi`.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")
    population = column("population", Optional[int], "Resident population (常住人口), where known.")

    province = follow("province_id", "Province", "The province the county belongs to.")

    prefecture = follow("prefecture_id", "Prefecture", "The prefecture (市, 州) the county belongs to; null for a "
                        "county its province governs directly.", optional=True)

    @strawberry.field(description="Medical communities (医共体).")
    async def communities(self, info: Info) -> list[Community]:
        c = ctx(info)
        if not c.viewer.may_read(self.row.id):  # an institution sees its county's name, not its facts
            return []
        return [Community(row=r) for r in await c.loader("communities").load(self.row.id)]

    @strawberry.field(description="Institutions, filtered by kind, tier or community.")
    async def institutions(self, info: Info, kind: Optional[InstitutionKind] = None, tier: Optional[Tier] = None,
                           community: Optional[str] = None, first: Optional[int] = DEFAULT_PAGE,
                           after: Optional[str] = None, last: Optional[int] = None, before: Optional[str] = None,
                           order: Optional[Order] = None) -> Connection[Institution]:
        c, I, page = ctx(info), models.Institution, page_of(info, first, after, last, before)
        stmt = institution_stmt(c, None, kind, tier, community)
        return await c.pages(("County.institutions", kind, tier, community, page, order),
                             lambda ps: paginate_many(c.session, stmt, I, I.county_id, ps, ordered(I, order), page,
                                                      Institution)).load(self.row.id)

    @strawberry.field(description="Health management units (健康管理单元).")
    async def units(self, info: Info, community: Optional[str] = None, first: Optional[int] = DEFAULT_PAGE,
                    after: Optional[str] = None, last: Optional[int] = None, before: Optional[str] = None,
                    order: Optional[Order] = None) -> Connection[Unit]:
        c, U, page = ctx(info), models.Unit, page_of(info, first, after, last, before)
        stmt = unit_stmt(c, None, community)
        return await c.pages(("County.units", community, page, order),
                             lambda ps: paginate_many(c.session, stmt, U, U.county_id, ps, ordered(U, order), page,
                                                      Unit)).load(self.row.id)

    @strawberry.field(description=geo.MAP)
    def map(self, info: Info, indicator: Optional[str] = None, period: Optional[Period] = None,
            level: geo.MapLevel = geo.MapLevel.GRID, geometry: geo.Geometry = True) -> Optional[JSON]:
        return geo.county_map(ctx(info), self.row, indicator, period, level, geometry)

    @strawberry.field(description=geo.FEATURES)
    async def map_features(self, info: Info) -> int:
        return await geo.feature_count(ctx(info), self.row)

    @strawberry.field(description="Policies this county is paid by.")
    def policies(self) -> list[Policy]:
        return [Policy(policy=p) for p in sorted(registry().policies.values(), key=lambda p: p.code)
                if p.county == self.row.code]


def institution_list(c: Context, county_ids, kind, tier, community, page: Page, order) -> Connection[Institution]:
    I = models.Institution
    return paginate(c.session, institution_stmt(c, county_ids, kind, tier, community), ordered(I, order), page,
                    Institution)


def institution_stmt(c: Context, county_ids, kind, tier, community):
    I = models.Institution
    stmt = select(I)
    if county_ids is not None:
        stmt = stmt.where(I.county_id.in_(county_ids))
    stmt = c.restrict(stmt, I.county_id)
    if kind:
        stmt = stmt.where(I.kind == kind.value)
    if tier:
        stmt = stmt.where(I.tier == tier.value)
    if community:
        stmt = stmt.join(models.Community, models.Community.id == I.community_id).where(models.Community.code == community)
    return stmt


def unit_list(c: Context, county_ids, community, page: Page, order) -> Connection[Unit]:
    return paginate(c.session, unit_stmt(c, county_ids, community), ordered(models.Unit, order), page, Unit)


def unit_stmt(c: Context, county_ids, community):
    U = models.Unit
    stmt = select(U)
    if county_ids is not None:
        stmt = stmt.where(U.county_id.in_(county_ids))
    stmt = c.restrict(stmt, U.county_id)
    if community:
        stmt = stmt.join(models.Community, models.Community.id == U.community_id).where(models.Community.code == community)
    return stmt


@strawberry.type(description="A medical community (医共体): a county hospital leading township centres and clinics.")
class Community(Node):
    row: strawberry.Private[models.Community]

    code = column("code", str, 'Community code, unique within its county.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")

    county = follow("county_id", "County", "The county of the community.")

    @strawberry.field(description="The lead institution (牵头医院).")
    async def lead(self, info: Info) -> Optional[Institution]:
        if not self.row.lead:
            return None
        row = await ctx(info).loader("institution_code").load((self.row.county_id, self.row.lead))
        return Institution(row=row) if row else None

    @strawberry.field(description="The community's institutions, filtered by kind or tier.")
    async def institutions(self, info: Info, kind: Optional[InstitutionKind] = None, tier: Optional[Tier] = None,
                           first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                           last: Optional[int] = None, before: Optional[str] = None) -> Connection[Institution]:
        c, I, page = ctx(info), models.Institution, page_of(info, first, after, last, before)
        stmt = institution_stmt(c, None, kind, tier, None)
        return await c.pages(("Community.institutions", kind, tier, page),
                             lambda ps: paginate_many(c.session, stmt, I, I.community_id, ps, ordered(I, None), page,
                                                      Institution)).load(self.row.id)

    @strawberry.field(description="The community's health management units.")
    async def units(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                    last: Optional[int] = None, before: Optional[str] = None) -> Connection[Unit]:
        c, U, page = ctx(info), models.Unit, page_of(info, first, after, last, before)
        stmt = unit_stmt(c, None, None)
        return await c.pages(("Community.units", page),
                             lambda ps: paginate_many(c.session, stmt, U, U.community_id, ps, ordered(U, None), page,
                                                      Unit)).load(self.row.id)


@strawberry.type(description="A health institution (医疗卫生机构).")
class Institution(Node):
    row: strawberry.Private[models.Institution]

    code = column("code", str, 'Institution code, unique within its county.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")
    kind = column("kind", InstitutionKind, "What the institution is.")

    @strawberry.field(description="The kind in Chinese (机构类别).")
    def kind_zh(self) -> str:
        return KIND_NAMES.get(self.row.kind, self.row.kind)

    tier = column("tier", Tier, "Its tier (县/镇/村).")

    community = follow("community_id", "Community", "The medical community it belongs to, if any.", optional=True)

    county = follow("county_id", "County", "The county of the institution.")


@strawberry.type(description="One role of a unit's team and the institution that holds it.")
class TeamMember:
    role: UnitRole = strawberry.field(description="The role.")
    role_zh: str = strawberry.field(description="单元长, 指导员, 村医, 管理员 or 卫健专干.")
    institution_id: strawberry.Private[int]

    @strawberry.field(description='The institution that holds the role.')
    async def institution(self, info: Info) -> Institution:
        return Institution(row=await ctx(info).loader("institution").load(self.institution_id))


@strawberry.type(description="People a unit serves in one group (residents, general, chronic, red, yellow, green …).")
class Population:
    group: str = strawberry.field(description='residents, red, yellow, green, general, chronic, …')
    count: int = strawberry.field(description='Number of people.')


@strawberry.type(description="A health management unit (健康管理单元): a grid served by a five-role team.")
class Unit(Node):
    row: strawberry.Private[models.Unit]

    code = column("code", str, 'Unit code, unique within its county.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")

    community = follow("community_id", "Community", "The medical community whose institutions serve the unit.",
                       optional=True)

    county = follow("county_id", "County", "The county of the unit.")

    @strawberry.field(description="The team: role → institution.")
    async def team(self, info: Info) -> list[TeamMember]:
        rows = await ctx(info).loader("team").load(self.row.id)
        return [TeamMember(role=m.role, role_zh=ROLE_NAMES.get(m.role, m.role), institution_id=m.institution_id)
                for m in sorted(rows, key=lambda m: ROLES.index(m.role) if m.role in ROLES else 99)]

    @strawberry.field(description='People served, by group (常住人口, 红黄绿, 一般人群, 门诊慢病人群 …).')
    async def populations(self, info: Info) -> list[Population]:
        return [Population(group=p.group, count=p.count) for p in await ctx(info).loader("populations").load(self.row.id)]


@strawberry.type(description="A yearly target of an indicator (目标值).")
class Target:
    year: int = strawberry.field(description='The year the target is for.')
    value: Optional[Exact] = strawberry.field(description='The target as a number, when it is one.')
    text: Optional[str] = strawberry.field(description="The target as written, when it is not a plain number.")
    county_id: strawberry.Private[Optional[int]]

    @classmethod
    def of(cls, row: models.IndicatorTarget) -> "Target":
        return cls(year=row.year, value=row.value, text=row.text, county_id=row.county_id)

    @strawberry.field(description="The county the target is for; null for a target of every county.")
    async def county(self, info: Info) -> Optional[County]:
        if self.county_id is None:
            return None
        return County(row=await ctx(info).loader("county").load(self.county_id))


@strawberry.type(description="An indicator definition (指标): names, unit, direction, benchmark and targets.")
class Indicator(Node):
    row: strawberry.Private[models.Indicator]

    code = column("code", str, 'Indicator code, e.g. `immunization_rate`.')
    name_zh = column("name_zh", str, "Chinese name.")
    name_en = column("name_en", str, "English name.")
    unit = column("unit", str, "The unit its values are in: ratio, score, yuan, count, event, … A text, not an "
                               "enum: an imported or a plugin's indicator may name any unit.")
    entity = column("entity", EntityKind, "What the values are kept for.")
    period_kind = column("period_kind", PeriodKind, "The period kind of its values.")
    direction = column("direction", Optional[Direction], "Which way is better; null when not stated.")
    benchmark = column("benchmark", Optional[Exact], "The benchmark (基准值) a value is attained at.")
    per_capita = column("per_capita", bool, "Whether supervisors compare it per head of population.")
    reference = column("reference", str, "The source document and section, or `illustrative`.")

    @strawberry.field(description="Yearly targets, by year: general ones, and the readable counties' own.")
    async def targets(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                      last: Optional[int] = None, before: Optional[str] = None) -> Connection[Target]:
        c, T, page = ctx(info), models.IndicatorTarget, page_of(info, first, after, last, before)
        ids = c.readable()
        stmt = select(T) if ids is None else select(T).where(T.county_id.is_(None) | T.county_id.in_(ids or {-1}))
        return await c.pages(("Indicator.targets", page), lambda ps: paginate_many(
            c.session, stmt, T, T.indicator_id, ps, (T.year, T.id), page, Target.of)).load(self.row.id)


@strawberry.type(description="How a value stands against its indicator's benchmark and the year's target.")
class Attainment:
    benchmark: Optional[Exact] = strawberry.field(description="The indicator's benchmark (基准值).")
    target: Optional[Exact] = strawberry.field(description="The target for the value's year (目标值): the county's own, else the general one.")
    direction: Optional[Direction] = strawberry.field(description="Which way is better; null when not stated.")
    meets_benchmark: Optional[bool] = strawberry.field(description="Null when there is no benchmark or value.")
    meets_target: Optional[bool] = strawberry.field(description="Null when there is no target or value.")

    @classmethod
    def of(cls, s: Standing) -> "Attainment":
        return cls(benchmark=s.benchmark, target=s.target, direction=s.direction,
                   meets_benchmark=s.meets_benchmark, meets_target=s.meets_target)


@strawberry.type(description="One value of an indicator for an entity and period.")
class IndicatorValue:
    row: strawberry.Private[models.IndicatorValue]

    entity = column("entity", str, "Unit, institution or community code, or `county`.")
    period = column("period", Period, 'The period the value is for.')
    value = column("value", Optional[Exact], 'The value as an exact number, when it is one.')

    @strawberry.field(description="The value as written, when it is not a plain number (\"8.1:1\", \"是\").")
    def text(self) -> Optional[str]:
        return self.row.text

    indicator = follow('indicator_id', 'Indicator', "The indicator's definition.")

    county = follow("county_id", "County", "The county the value belongs to.")

    @strawberry.field(description="Attainment against the benchmark and the target of the period's year.")
    async def attainment(self, info: Info) -> Attainment:
        c = ctx(info)
        ind = await c.loader("indicator").load(self.row.indicator_id)
        return Attainment.of(c.goals.standing(ind, self.row.county_id, self.row.period, self.row.value))


@strawberry.type(description="A line a component produces.")
class LineSpec:
    entity: str = strawberry.field(description="What the line is for: unit, institution, community, county, or a "
                                               "kind the plugin names (grid, team, hop, household, task), so a text.")
    code: str = strawberry.field(description='The line code; `<g>`-like parts stand for a group, month or tier.')
    description: str = strawberry.field(description='What the line holds and how it is made.')


@strawberry.type(description="One settlement a policy can run (组成部分).")
class Component:
    policy_code: strawberry.Private[str]
    code: str = strawberry.field(description='Component code, e.g. `public_health`.')
    name_zh: str = strawberry.field(description='Chinese name.')
    name_en: str = strawberry.field(description='English name.')
    lines: list[LineSpec] = strawberry.field(description='The lines the component produces.')

    @strawberry.field(description="Parameters in force for a period: the plugin's dated defaults, then the "
                                  "county's overrides when the caller may read that county. "
                                  "{values: {...}, sources: {name: where it came from}}.")
    def parameters(self, info: Info, period: Period, county: Optional[str] = None) -> JSON:
        c = ctx(info)
        policy = registry().policy(self.policy_code)
        comp = policy.component(self.code)
        p = _Period.parse(period)
        overrides = None
        if county:
            row = c.county(county)
            overrides = in_force(c.session, row.id, policy.code, comp.code, p.start)
        r = resolve(policy, comp, p, overrides)
        return {"values": r.values, "sources": r.sources, "version": r.version}


@strawberry.type(description="A county payment policy installed as a plugin (支付政策).")
class Policy:
    policy: strawberry.Private[object]

    code = column("code", str, 'Policy code, e.g. `suixi`.', of="policy")
    county = column("county", str, "The county code it is written for.", of="policy")
    name_zh = column("name_zh", str, "Chinese name.", of="policy")
    name_en = column("name_en", str, "English name.", of="policy")
    version = column("version", str, "The plugin's version.", of="policy")
    reference = column("reference", str, "The source documents it implements.", of="policy")

    @strawberry.field(description='The settlements the policy can run.')
    def components(self) -> list[Component]:
        return [Component(policy_code=self.policy.code, code=c.code, name_zh=c.name_zh, name_en=c.name_en,
                          lines=[LineSpec(entity=l.entity, code=l.code, description=l.description) for l in c.lines])
                for c in self.policy.components]

    @strawberry.field(description="The indicators the policy reads.")
    def indicators(self, info: Info) -> list[Indicator]:
        codes = [i.code for i in self.policy.indicators]
        rows = {r.code: r for r in ctx(info).session.exec(
            select(models.Indicator).where(models.Indicator.code.in_(codes))).scalars()}
        return [Indicator(row=rows[c]) for c in codes if c in rows]


@strawberry.type(description="One settlement figure with the trace that explains it.")
class SettlementLine:
    # Plain fields, filled once per line: a report can ask for tens of thousands of lines, and a
    # plain field costs the executor far less than a resolver.
    entity: str = strawberry.field(description="Unit, institution or community code, or `county`.")
    code: str = strawberry.field(description="The line, e.g. `process.paid`, `surplus.retained`, `price`.")
    unit: LineUnit = strawberry.field(description="The unit of the value.")
    value: Exact = strawberry.field(description="The figure as a decimal string, with its unit's decimals.")
    amount: Optional[Money] = strawberry.field(description="The figure when it is money; null for prices and "
                                                           "equivalents.")
    trace: JSON = strawberry.field(description="How the figure was made: formula, inputs and parameters used.")

    @classmethod
    def of(cls, row) -> "SettlementLine":
        """From a row of (entity, code, unit, amount, quantity, trace text): no ORM object per
        line, and the trace as the JSON text stored, copied into the answer as it is (parsed, a
        line's trace is ten times its text in memory, and a large report holds thousands)."""
        entity, code, unit, amount, quantity, trace = row
        value = amount if unit == "yuan" else quantity.quantize(Decimal(1).scaleb(-UNITS[unit]))
        return cls(entity=entity, code=code, unit=unit, value=value, amount=amount, trace=orjson.Fragment(trace))


@strawberry.type(description="A finding reported with a settlement, e.g. a compliance check that failed.")
class Flag:
    entity: str = strawberry.field(description='What the finding is about: a code, or `county`.')
    code: str = strawberry.field(description="The finding's code, e.g. `village_share`.")
    message: str = strawberry.field(description='The finding, in words.')
    severity: Severity = strawberry.field(description="How serious it is.")


@strawberry.type(description="The sum of a settlement's money lines for one line code or one entity.")
class Total:
    key: str = strawberry.field(description='The line code or entity summed.')
    amount: Money = strawberry.field(description='The sum.')


@strawberry.type(description="One step of a settlement's way up the approval chain (审批).")
class ApprovalStep:
    row: strawberry.Private[models.ApprovalStep]

    seq = column("seq", int, "Its place in the run's chain: 1, 2, …")
    level = column("level", ApprovalLevel, "The level that acted.")

    @strawberry.field(description="The level in Chinese (县, 市州, 省).")
    def level_zh(self) -> str:
        return approval.LEVEL_ZH.get(self.row.level, self.row.level)

    action = column("action", ApprovalAction, "What it did.")
    actor = column("actor", str, "Who acted: the token holder or user.")
    at = column("at", datetime, "When (UTC).")
    reason = column("reason", str, "Why: required to send back or reopen; empty when none was given.")


@strawberry.type(description="A stored settlement (结算): immutable; the county's approval locks it and sends it up "
                             "the chain; a later run supersedes.")
class SettlementRun(Node):
    row: strawberry.Private[models.SettlementRun]

    @strawberry.field(description="The run's number, which is also its global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    county = follow("county_id", "County", "The county settled.")

    policy = column("policy", str, "The policy's code.")
    component = column("component", str, "The component's code.")
    period = column("period", Period, 'The period settled.')
    @strawberry.field(description="Where it stands in the chain.")
    async def status(self, info: Info) -> RunStatus:
        return (await ctx(info).loader("chain").load(self.row.id)).status

    @strawberry.field(description="The level whose action it awaits; null once accepted.")
    async def stage(self, info: Info) -> Optional[ApprovalLevel]:
        return (await ctx(info).loader("chain").load(self.row.id)).stage

    @strawberry.field(description="Whether the database refuses any change to it: from the county's approval on.")
    def locked(self) -> bool:
        return self.row.status == "approved"

    @strawberry.field(description="Whether it is the current run of its county, policy, component and period: the "
                                  "one most recently stored, or settled again from the same inputs and parameters.")
    async def current(self, info: Info) -> bool:
        return (await ctx(info).loader("chain").load(self.row.id)).current

    @strawberry.field(description="Its way up the chain, oldest step first: who approved, sent back or reopened it, "
                                  "when and why.")
    async def chain(self, info: Info) -> list[ApprovalStep]:
        return [ApprovalStep(row=s) for s in (await ctx(info).loader("chain").load(self.row.id)).steps]

    @strawberry.field(description="The levels it goes up, lowest first.")
    async def levels(self, info: Info) -> list[ApprovalLevel]:
        return list((await ctx(info).loader("chain").load(self.row.id)).levels)

    @strawberry.field(description="What the asking token may do with it now: APPROVE or ACCEPT "
                                  "(approveSettlement), SEND_BACK (sendBackSettlement), REOPEN (reopenPeriod). "
                                  "Empty for a token that may do nothing.")
    async def next_actions(self, info: Info) -> list[ApprovalAction]:
        c = ctx(info)
        if not c.viewer.may_act(self.row.county_id):
            return []
        chain = await c.loader("chain").load(self.row.id)
        actions = chain.actions(c.viewer.level)
        if c.viewer.level == chain.levels[0] and {"approve", "accept"} & set(actions) \
                and approval.parameters_in_force(c.session, self.row):
            actions = [a for a in actions if a not in ("approve", "accept")]
        return actions
    parameter_version = column("parameter_version", str, "A hash of the parameters used.")
    parameters = column("parameters", JSON, "The parameters used.")
    parameter_sources = column("parameter_sources", JSON, "Where each parameter came from: a dated default, a county or a run override.")
    input_hash = column("input_hash", str, "A hash of the inputs; the same inputs always give the same hash.")
    input_digests = column("input_digests", Optional[JSON], "A short hash of each top-level input, so two runs "
                                                            "can say which inputs differ; null for runs stored "
                                                            "before they were kept.")

    @strawberry.field(description='Findings reported with the run, e.g. a compliance check that failed '
                                  '(an institution sees its own).')
    def flags(self, info: Info) -> list[Flag]:
        entity = ctx(info).viewer.entity
        return [Flag(**f) for f in self.row.flags or [] if entity is None or f.get("entity") == entity]

    created_at = column("created_at", datetime, 'When the run was stored.')
    created_by = column("created_by", str, 'Who ran it.')
    approved_at = column("approved_at", Optional[datetime], 'When it was approved; null for a draft.')
    approved_by = column("approved_by", Optional[str], 'Who approved it; null for a draft.')

    supersedes = follow("supersedes_id", "SettlementRun", "The run this one replaces.", loader="run", optional=True)

    @strawberry.field(description="The lines, optionally of one entity or one line code (an institution's token: "
                                  "its own lines only).")
    def lines(self, info: Info, entity: Optional[str] = None, code: Optional[str] = None,
              first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None, last: Optional[int] = None,
              before: Optional[str] = None) -> Connection[SettlementLine]:
        L = models.SettlementLine
        stmt = select(L.entity, L.code, L.unit, L.amount, L.quantity, cast(L.trace, Text)).where(L.run_id == self.row.id)
        own = ctx(info).viewer.entity
        if own is not None:
            stmt = stmt.where(L.entity == own)
        if entity:
            stmt = stmt.where(L.entity == entity)
        if code:
            stmt = stmt.where(L.code == code)
        return paginate(ctx(info).session, stmt, (L.seq,), page_of(info, first, after, last, before),
                        lambda row: SettlementLine.of(row))

    @strawberry.field(description="Money by line code, over all entities (an institution's token: over its own "
                                  "lines), by code.")
    async def totals_by_code(self, info: Info, first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                             last: Optional[int] = None, before: Optional[str] = None) -> Connection[Total]:
        page = page_of(info, first, after, last, before)
        return totals(await own_lines(info, self.row.id), lambda l: l.code, page)

    @strawberry.field(description="Money by entity, over the lines given (default: every line ending in `paid`), "
                                  "by entity.")
    async def totals_by_entity(self, info: Info, codes: Optional[list[str]] = None,
                               first: Optional[int] = DEFAULT_PAGE, after: Optional[str] = None,
                               last: Optional[int] = None, before: Optional[str] = None) -> Connection[Total]:
        page = page_of(info, first, after, last, before)
        lines = await own_lines(info, self.row.id)
        pick = (lambda l: l.code in codes) if codes else (lambda l: l.code.split(".")[-1] == "paid")
        return totals([l for l in lines if pick(l)], lambda l: l.entity, page)


async def own_lines(info: Info, run_id: int) -> list:
    """A run's lines that the viewer may see: all, or an institution's own."""
    c = ctx(info)
    lines = await c.loader("lines").load(run_id)
    return lines if c.viewer.entity is None else [l for l in lines if l.entity == c.viewer.entity]


def totals(lines, key, page: Page) -> Connection[Total]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for l in lines:
        if l.amount is not None:
            sums[key(l)] += l.amount
    return paginate_list([Total(key=k, amount=v) for k, v in sums.items()], lambda t: (t.key,), page)


@strawberry.type(description="One entry of the audit trail (操作记录): who did what, when. Append-only.")
class AuditEvent(Node):
    row: strawberry.Private[models.AuditEvent]

    at = column("at", datetime, 'When it happened (UTC).')
    actor = column("actor", str, "The token holder or user that acted.")
    action = column("action", AuditAction, "What was done.")

    county = follow("county_id", "County", "The county concerned; null for a change of no one county.",
                    optional=True)

    subject = column("subject", str, "What was acted on, e.g. `run 12`.")
    detail = column("detail", Optional[JSON], "What was done: tables and rows imported, a run's key, a parameter's new value.")
    before_hash = column("before_hash", Optional[str], "SHA-256 of the value before the change, where there was one.")
    after_hash = column("after_hash", Optional[str], "SHA-256 of the value after the change (an import's files, a run's inputs).")
