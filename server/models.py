"""The domain model: a county's facts, its parameter overrides and its settlements.

Facts that many policies read (indicator values, funds, service counts) name their entity by
code within the county, so one table serves units, institutions, communities and the county.
"""
from __future__ import annotations

import datetime as dt
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from .db import Exact, Money
from .policy import UNITS

INSTITUTION_KINDS = ("county_hospital", "township_health_centre", "community_health_centre",
                     "community_health_station", "village_clinic", "public_health_institution",
                     "private")


def now() -> datetime:
    return datetime.now(timezone.utc)


CHAIN = "county,prefecture,province"
"""The approval chain a province's settlements go up, lowest level first, unless it says otherwise."""


class Province(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name_zh: str
    name_en: str = ""
    # The levels that approve its counties' settlements, in order (approval.py): a province
    # that skips the prefecture writes "county,province".
    approval_levels: str = Field(default=CHAIN, max_length=64, sa_column_kwargs={"server_default": CHAIN})


class Prefecture(SQLModel, table=True):
    """A prefecture (地级市, 州): between a province and its counties, it approves its counties'
    settlements before the province accepts them."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    province_id: int = Field(foreign_key="province.id", index=True)
    name_zh: str
    name_en: str = ""


class County(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    province_id: int = Field(foreign_key="province.id", index=True)
    # None for a county the province governs directly (省直管县): its chain skips the prefecture.
    prefecture_id: Optional[int] = Field(default=None, foreign_key="prefecture.id", index=True)
    name_zh: str
    name_en: str = ""
    population: Optional[int] = None


class Community(SQLModel, table=True):
    """A medical community (医共体): a county hospital leading township centres and clinics."""

    __table_args__ = (UniqueConstraint("county_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    code: str = Field(max_length=64)
    name_zh: str
    name_en: str = ""
    lead: Optional[str] = Field(default=None, max_length=64)  # code of the lead institution


class Institution(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("county_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    community_id: Optional[int] = Field(default=None, foreign_key="community.id", index=True)
    code: str = Field(max_length=64)
    name_zh: str
    name_en: str = ""
    kind: str = Field(max_length=32)
    tier: str = Field(max_length=16)  # county | township | village
    parent: Optional[str] = Field(default=None, max_length=64)  # code of the institution it reports to


class Unit(SQLModel, table=True):
    """A health management unit (健康管理单元) and its grid."""

    __table_args__ = (UniqueConstraint("county_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    community_id: Optional[int] = Field(default=None, foreign_key="community.id", index=True)
    code: str = Field(max_length=64)
    name_zh: str
    name_en: str = ""


class UnitMember(SQLModel, table=True):
    """One of the five roles of a unit's team, held by an institution."""

    __table_args__ = (UniqueConstraint("unit_id", "role"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(max_length=32)
    institution_id: int = Field(foreign_key="institution.id", index=True)


class UnitPopulation(SQLModel, table=True):
    """People a unit serves, by group (residents, general, chronic, red, yellow, green, ...)."""

    __table_args__ = (UniqueConstraint("unit_id", "group"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    group: str = Field(max_length=32)
    count: int = Field(ge=0)


class MapFeature(SQLModel, table=True):
    """A shape of a county's map (importer/geometry.py): a grid (`unit`) or a town (`town`, named
    by the code of its township-tier institution) as a polygon, an institution as a point; its
    GeoJSON geometry in WGS 84 longitude and latitude, kept as given."""

    __table_args__ = (UniqueConstraint("county_id", "kind", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    kind: str = Field(max_length=16)  # town | unit | institution
    code: str = Field(max_length=64)
    geometry: Any = Field(sa_column=Column(JSON, nullable=False))


class Indicator(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=96)
    name_zh: str
    name_en: str = ""
    unit: str = Field(max_length=32)
    entity: str = Field(default="unit", max_length=16)
    period_kind: str = Field(default="year", max_length=8)
    direction: Optional[str] = Field(default=None, max_length=8)  # higher | lower
    benchmark: Optional[Decimal] = Field(default=None, sa_type=Exact)
    per_capita: bool = False
    reference: str = ""
    value_type: Optional[str] = Field(default=None, max_length=16)  # how text values are read (values.py)


class IndicatorTarget(SQLModel, table=True):
    """A yearly target of an indicator, for all counties (county_id null) or one county."""

    __table_args__ = (UniqueConstraint("indicator_id", "county_id", "year"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    county_id: Optional[int] = Field(default=None, foreign_key="county.id", index=True)
    year: int
    value: Optional[Decimal] = Field(default=None, sa_type=Exact)
    text: Optional[str] = None


class IndicatorValue(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("county_id", "indicator_id", "entity", "period"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    entity: str = Field(max_length=64)  # unit, institution or community code, or "county"
    period: str = Field(max_length=8, index=True)
    value: Optional[Decimal] = Field(default=None, sa_type=Exact)
    text: Optional[str] = None  # values that are not plain numbers ("8.1:1", "是")


class Fund(SQLModel, table=True):
    """An amount of money: a fund, a package, a spending total, a past payment."""

    __table_args__ = (UniqueConstraint("county_id", "code", "entity", "period"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    code: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    period: str = Field(max_length=8, index=True)
    amount: Decimal = Field(sa_type=Money)


class Transfer(SQLModel, table=True):
    """Money passed one hop down the chain (e.g. province → prefecture → county → lead hospital):
    when the sender received it, when it sent it on, and what it added of its own."""

    __table_args__ = (UniqueConstraint("county_id", "period", "hop"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    period: str = Field(max_length=8)
    hop: str = Field(max_length=64)
    received_on: date
    sent_on: date
    amount_received: Decimal = Field(sa_type=Money)
    matching: Decimal = Field(sa_type=Money)
    amount_sent: Decimal = Field(sa_type=Money)


class Task(SQLModel, table=True):
    """A task that a policy notice sets a body, with its deadline and the day it was done."""

    __table_args__ = (UniqueConstraint("county_id", "period", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    period: str = Field(max_length=8)
    code: str = Field(max_length=64)
    body: str = ""
    due: date
    done_on: Optional[date] = None


class Team(SQLModel, table=True):
    """A family-doctor team (家庭医生团队) of a county, serving some of its grids (units)."""

    __table_args__ = (UniqueConstraint("county_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    code: str = Field(max_length=64)
    name_zh: str = ""


class TeamGrid(SQLModel, table=True):
    """A grid (a unit) that a team serves."""

    __table_args__ = (UniqueConstraint("team_id", "unit_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")  # the unique key leads with it
    unit_id: int = Field(foreign_key="unit.id")


class TeamMember(SQLModel, table=True):
    """A member of a team in a role, named by staff code (never by name)."""

    __table_args__ = (UniqueConstraint("team_id", "role", "staff"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")  # the unique key leads with it
    role: str = Field(max_length=32)
    staff: str = Field(max_length=64)


class StaffDay(SQLModel, table=True):
    """The working days a staff member spent at the grassroots in a month."""

    __table_args__ = (UniqueConstraint("county_id", "staff", "month"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    staff: str = Field(max_length=64)
    month: str = Field(max_length=7)
    days: int


class Household(SQLModel, table=True):
    """A contracted household, known only by a pseudonymous code: no name, no ID number."""

    __table_args__ = (UniqueConstraint("county_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    code: str = Field(max_length=64)


class HouseholdMonth(SQLModel, table=True):
    """Whether a household met the standard in a month (a month not stored is not met)."""

    __table_args__ = (UniqueConstraint("household_id", "month"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")  # the unique key leads with it
    month: str = Field(max_length=7)
    compliant: bool


class HouseholdReimbursement(SQLModel, table=True):
    """A household's in-policy medical expenses of a period, and its base reimbursement rate."""

    __table_args__ = (UniqueConstraint("household_id", "period"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")  # the unique key leads with it
    period: str = Field(max_length=8)
    reimbursable: Decimal = Field(sa_type=Money)
    base_rate: Optional[Decimal] = Field(default=None, sa_type=Exact)


class PointsOpening(SQLModel, table=True):
    """A household's health-points balance at the start of a day, carried in from elsewhere."""

    __table_args__ = (UniqueConstraint("household_id", "date"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")  # the unique key leads with it
    date: dt.date
    points: int


class PointsEvent(SQLModel, table=True):
    """One health-points event of a household: earned by an activity, or spent on an item."""

    __table_args__ = (UniqueConstraint("household_id", "date", "seq"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")  # the unique key leads with it
    date: dt.date
    seq: int  # its place among the household's events of the day
    kind: str = Field(max_length=8)  # earn | redeem | filial
    activity: Optional[str] = Field(default=None, max_length=64)
    item: Optional[str] = Field(default=None, max_length=64)
    quantity: int


class ProjectTask(SQLModel, table=True):
    """A task of a county's funded project (e.g. a 5G emergency network), planned by year and source."""

    __table_args__ = (UniqueConstraint("county_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    code: str = Field(max_length=64)
    name_zh: str = ""
    name_en: str = ""


class ProjectMoney(SQLModel):
    """Yuan of a task in a year from a source of money (province, county, other, …): what a plan
    and a disbursement each hold."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="projecttask.id")  # the unique key leads with it
    year: int
    source: str = Field(max_length=32)
    amount: Decimal = Field(sa_type=Money)


class ProjectPlan(ProjectMoney, table=True):
    """Yuan planned for a task in a year from a source of money."""

    __table_args__ = (UniqueConstraint("task_id", "year", "source"),)


class ProjectDisbursement(ProjectMoney, table=True):
    """Yuan disbursed to a task for a year from a source of money."""

    __table_args__ = (UniqueConstraint("task_id", "year", "source"),)


class ServiceItem(SQLModel, table=True):
    """A service item that counts are kept for (its equivalent value is a policy parameter)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name_zh: str
    name_en: str = ""


class ServiceCount(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("county_id", "institution", "month", "item"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")  # the unique key leads with it
    institution: str = Field(max_length=64)
    month: str = Field(max_length=7)
    item: str = Field(max_length=64)
    count: int = Field(ge=0)


class ParameterOverride(SQLModel, table=True):
    """A county's value for one policy parameter from a date on (replaces the default whole)."""

    __table_args__ = (UniqueConstraint("county_id", "policy", "component", "name", "effective"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    policy: str = Field(max_length=32)
    component: str = Field(max_length=64)
    name: str = Field(max_length=64)
    effective: date
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    reference: str = ""
    created_at: datetime = Field(default_factory=now)
    created_by: str = ""


class SettlementRun(SQLModel, table=True):
    """One settlement: a later run of the same key supersedes it. `status` is the lock: draft,
    or approved from the county's approval on, when the database refuses any change to the run
    and its lines. Its way up the chain is in ApprovalStep."""

    __table_args__ = (UniqueConstraint("county_id", "policy", "component", "period",
                                       "input_hash", "parameter_version"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    policy: str = Field(max_length=32)
    component: str = Field(max_length=64)
    period: str = Field(max_length=8)
    status: str = Field(default="draft", max_length=16)  # draft | approved (locked)
    parameter_version: str = Field(max_length=32)
    parameters: Any = Field(sa_column=Column(JSON, nullable=False))
    parameter_sources: Any = Field(sa_column=Column(JSON, nullable=False))
    input_hash: str = Field(max_length=64)
    # A digest of each top-level input, so two runs can say which inputs differ (null before 0008).
    input_digests: Any = Field(default=None, sa_column=Column(JSON))
    flags: Any = Field(default=None, sa_column=Column(JSON))
    supersedes_id: Optional[int] = Field(default=None, foreign_key="settlementrun.id")
    created_at: datetime = Field(default_factory=now)
    created_by: str = ""
    approved_at: Optional[datetime] = None
    approved_by: Optional[str] = None


class CurrentRun(SQLModel, table=True):
    """A run made the current one of its county, policy, component and period: when it was
    stored, or when settling again found it matching the facts and parameters in force. The
    newest row of a key names its current run. Append-only."""

    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="settlementrun.id", index=True)
    at: datetime = Field(default_factory=now)
    actor: str = ""


class ApprovalStep(SQLModel, table=True):
    """One step of a run up the chain: a level approves (the last level accepts), sends it back
    with a reason, or (the last level) reopens its period. Append-only; `seq` numbers a run's
    steps, so two people acting on the same run at once cannot both succeed."""

    __table_args__ = (UniqueConstraint("run_id", "seq"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="settlementrun.id")  # the unique key leads with it
    seq: int
    level: str = Field(max_length=16)  # county | prefecture | province
    action: str = Field(max_length=16)  # approve | accept | send_back | reopen
    actor: str = ""
    at: datetime = Field(default_factory=now)
    reason: str = ""


class SettlementLine(SQLModel, table=True):
    # A run's lines are read in their order: the key is also the index of every read.
    __table_args__ = (Index("ux_settlementline_run_id_seq", "run_id", "seq", unique=True),)
    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="settlementrun.id")
    seq: int
    entity: str = Field(max_length=64)
    code: str = Field(max_length=96)
    unit: str = Field(default="yuan", max_length=16)
    amount: Optional[Decimal] = Field(default=None, sa_type=Money)  # money lines
    quantity: Optional[Decimal] = Field(default=None, sa_type=Exact)  # price, equivalents
    trace: Any = Field(sa_column=Column(JSON, nullable=False))

    @property
    def value(self) -> Decimal:
        """The line's figure with the decimals its unit is shown with (price 4, money 2)."""
        if self.unit == "yuan":
            return self.amount
        return self.quantity.quantize(Decimal(1).scaleb(-UNITS[self.unit]))


class ApiToken(SQLModel, table=True):
    """A bearer token and what it may do (auth.py): a supervisor (the province), a prefecture,
    a county, an auditor or an institution.

    Only the SHA-256 of the secret is kept; the secret is shown once, when it is created."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = ""
    role: str = Field(max_length=16)  # supervisor | prefecture | county | auditor | institution
    county_id: Optional[int] = Field(default=None, foreign_key="county.id", index=True)
    prefecture_id: Optional[int] = Field(default=None, foreign_key="prefecture.id", index=True)
    institution: Optional[str] = Field(default=None, max_length=64)  # an institution token's code
    secret_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=now)
    expires_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None


class AuditEvent(SQLModel, table=True):
    """Who did what, when: imports, parameter changes, runs, the chain's steps, tokens.
    Append-only: the database refuses to update, delete, replace or truncate a row."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=now, index=True)
    actor: str = ""
    action: str = Field(max_length=32, index=True)
    county_id: Optional[int] = Field(default=None, foreign_key="county.id", index=True)
    subject: str = ""
    detail: Any = Field(default=None, sa_column=Column(JSON))
    before_hash: Optional[str] = Field(default=None, max_length=64)
    after_hash: Optional[str] = Field(default=None, max_length=64)


class SettleJob(SQLModel, table=True):
    """A settlement of many counties for one period, shared out to workers county by county (jobs.py)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    period: str = Field(max_length=16)
    created_by: str = ""
    created_at: datetime = Field(default_factory=now)


class SettleJobCounty(SQLModel, table=True):
    """One county of a job: pending until a worker settles it in one transaction, then done or failed."""

    __table_args__ = (UniqueConstraint("job_id", "county"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="settlejob.id", index=True)
    county: str = Field(max_length=32)
    settles: Any = Field(sa_column=Column(JSON, nullable=False))  # [[policy, component], ...]
    state: str = Field(default="pending", max_length=8, index=True)  # pending | done | failed
    runs: Any = Field(default=None, sa_column=Column(JSON))  # the run ids, in `settles` order
    lines: int = 0
    error: str = ""
    worker: str = ""
    finished_at: Optional[datetime] = None
