"""The row shapes of a bundle's tables: what a valid row of each is, in one place. Every value
also fits its column in the store (32-bit integers and text lengths on PostgreSQL, exact
decimals), and no text holds a NUL byte, so a bad value is refused here, naming its field, and
never fails in the database."""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel

from .. import approval, values
from ..fields import Pseudonym, personal_column
from ..models import (INSTITUTION_KINDS, Community, County, Fund, Household, HouseholdMonth,
                      HouseholdReimbursement, Indicator, IndicatorTarget, IndicatorValue, Institution,
                      ParameterOverride, PointsEvent, PointsOpening, Prefecture, ProjectDisbursement, ProjectPlan,
                      ProjectTask, Province, ServiceCount, ServiceItem, StaffDay, Task, Team, TeamGrid,
                      TeamMember, Transfer, Unit, UnitMember, UnitPopulation)
from ..period import KINDS as PERIOD_KINDS, Period, _month
from ..policy import DIRECTIONS, ENTITY_KINDS, POINTS_EVENTS, ROLES, TEAM_ROLES, TIERS, Model
from . import jsontext

INT_MAX = 2**31 - 1  # the store's integer columns (counts, populations, years, …) are 32-bit on PostgreSQL
PATTERN = r"^[A-Za-z0-9_.\-]+$"
Code = Field(min_length=1, max_length=64, pattern=PATTERN)
ShortCode = Field(min_length=1, max_length=32, pattern=PATTERN)  # provinces, counties: varchar(32)
EXACT = {"max_digits": 28, "decimal_places": 10}  # Numeric(28, 10): 18 digits before the point, 10 after
MONEY = {"ge": 0, "max_digits": 18, "decimal_places": 2}


def _period(v: str) -> str:
    return str(Period.parse(v))


@lru_cache(maxsize=4096)
def _stored_month(v: str) -> str:
    # remembered: a year of counts names its 12 months over and over
    return str(Period.parse(_month(v)))


Month = Annotated[str, AfterValidator(_stored_month)]
"""A month (period.Month), kept as the store and the plugins write it (2024-07), however written."""


def not_text(s: str) -> Optional[str]:
    """Why a string cannot be stored as text (a NUL byte, half of a surrogate pair), or None."""
    if "\x00" in s:
        return "holds a NUL byte (\\x00), which no text may hold"
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            return "holds half of a UTF-16 surrogate pair, which is not text"
    return None


def _text(v: Any) -> Any:
    if type(v) is str and (why := not_text(v)):
        raise PydanticCustomError("not_text", why)
    return v


Text = Annotated[str, BeforeValidator(_text)]
"""Free text (names, references, texts as written): anything but what no text may hold. Codes,
months and periods need no such check: their patterns admit only letters, digits and signs."""

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso(v: Any) -> Any:
    if (type(v) is str and ISO_DATE.fullmatch(v)) or type(v) is date:
        return v
    raise PydanticCustomError("iso_date", "Input should be a valid date written YYYY-MM-DD, e.g. 2024-07-01")


IsoDate = Annotated[date, BeforeValidator(_iso)]
"""A date as a bundle writes it, YYYY-MM-DD, and nothing else: no Unix seconds, no time of day
(pydantic alone would read 1710892800 as a date)."""


class Row(Model):
    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        """A blank cell (empty text, a JSON null) is a value not given: the column's default
        applies (name_en "", matching 0.00, quantity 1, …), and a column without one says
        "Field required"."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        blank = [k for k, v in data.items() if k in fields and (v is None or (type(v) is str and not v.strip()))]
        if not blank:
            return data
        data = dict(data)
        for k in blank:
            if fields[k].default is None and not fields[k].is_required():
                data[k] = None
            else:
                del data[k]
        return data


class ProvinceRow(Row):
    code: str = ShortCode
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""
    approval_levels: Optional[str] = Field(default=None, max_length=64)  # blank: as stored, else the whole chain

    @field_validator("approval_levels")
    @classmethod
    def _levels(cls, v: Optional[str]) -> Optional[str]:
        return None if v is None else ",".join(approval.parse_levels(v))


class PrefectureRow(Row):
    code: str = ShortCode
    province: str = ShortCode
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""


class CountyRow(Row):
    code: str = ShortCode
    province: str = Code
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""
    population: Optional[int] = Field(default=None, ge=0, le=INT_MAX)
    # A county file without this column leaves each county's prefecture as stored; a blank cell
    # is a county its province governs directly (省直管县).
    prefecture: Optional[str] = Field(default=None, max_length=32, pattern=PATTERN)


class CommunityRow(Row):
    county: str = Code
    code: str = Code
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""
    lead: Optional[Text] = Field(default=None, max_length=64)


class InstitutionRow(Row):
    county: str = Code
    code: str = Code
    community: Optional[Text] = None
    kind: Literal[INSTITUTION_KINDS]  # type: ignore[valid-type]
    tier: Literal[TIERS]  # type: ignore[valid-type]
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""
    parent: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=PATTERN)


class UnitRow(Row):
    county: str = Code
    code: str = Code
    community: Optional[Text] = None
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""


class UnitMemberRow(Row):
    county: str = Code
    unit: str = Code
    role: Literal[ROLES]  # type: ignore[valid-type]
    institution: str = Code


class UnitPopulationRow(Row):
    county: str = Code
    unit: str = Code
    group: str = ShortCode
    count: int = Field(ge=0, le=INT_MAX)


class IndicatorRow(Row):
    code: Text = Field(min_length=1, max_length=96)
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""
    unit: Text = Field(min_length=1, max_length=32)
    entity: Literal[ENTITY_KINDS] = "county"  # type: ignore[valid-type]
    period_kind: Literal[PERIOD_KINDS] = "year"  # type: ignore[valid-type]
    direction: Optional[Literal[DIRECTIONS]] = None  # type: ignore[valid-type]
    benchmark: Optional[Decimal] = Field(default=None, **EXACT)
    per_capita: bool = False
    reference: Text = ""
    value_type: Optional[Literal[values.VALUE_TYPES]] = None  # type: ignore[valid-type]


class IndicatorTargetRow(Row):
    indicator: Text = Field(min_length=1)
    county: Optional[Text] = None
    year: int = Field(ge=1900, le=2200)
    value: Optional[Decimal] = Field(default=None, **EXACT)
    text: Optional[Text] = None


class IndicatorValueRow(Row):
    county: str = Code
    indicator: Text = Field(min_length=1)
    entity: str = Code
    period: str
    value: Optional[Decimal] = Field(default=None, **EXACT)
    text: Optional[Text] = None

    _period = field_validator("period")(lambda v: _period(v))


class FundRow(Row):
    county: str = Code
    code: str = Code
    entity: str = Code
    period: str
    amount: Decimal = Field(**MONEY)

    _period = field_validator("period")(lambda v: _period(v))


class TransferRow(Row):
    county: str = Code
    period: str
    hop: str = Code
    received_on: IsoDate
    sent_on: IsoDate
    amount_received: Decimal = Field(**MONEY)
    matching: Decimal = Field(default=Decimal("0.00"), **MONEY)
    amount_sent: Decimal = Field(**MONEY)

    _period = field_validator("period")(lambda v: _period(v))

    @field_validator("sent_on")
    @classmethod
    def _sent_after_received(cls, v: date, info) -> date:
        received = info.data.get("received_on")
        if received is not None and v < received:
            raise ValueError(f"{v} is before received_on {received}: money is sent on after it arrives")
        return v


class TaskRow(Row):
    county: str = Code
    period: str
    code: str = Code
    body: Text = ""
    due: IsoDate
    done_on: Optional[IsoDate] = None

    _period = field_validator("period")(lambda v: _period(v))


class TeamRow(Row):
    county: str = Code
    code: str = Code
    name_zh: Optional[Text] = None


class TeamGridRow(Row):
    county: str = Code
    team: str = Code
    grid: str = Code  # a unit's code: a unit is a grid and its health management unit


class TeamMemberRow(Row):
    county: str = Code
    team: str = Code
    role: Literal[TEAM_ROLES]  # type: ignore[valid-type]
    staff: str = Code


class StaffDayRow(Row):
    county: str = Code
    staff: str = Code
    month: Month
    days: int = Field(ge=0, le=31)


class HouseholdRow(Row):
    county: str = Code
    code: Pseudonym


class HouseholdComplianceRow(Row):
    county: str = Code
    household: Pseudonym
    month: Month
    compliant: bool


class HouseholdReimbursementRow(Row):
    county: str = Code
    household: Pseudonym
    period: str
    reimbursable: Decimal = Field(**MONEY)
    base_rate: Optional[Decimal] = Field(default=None, ge=0, le=1, **EXACT)

    _period = field_validator("period")(lambda v: _period(v))


class PointsOpeningRow(Row):
    county: str = Code
    household: Pseudonym
    date: IsoDate
    points: int = Field(ge=0, le=INT_MAX)


class PointsEventRow(Row):
    county: str = Code
    household: Pseudonym
    date: IsoDate
    seq: int = Field(ge=1, le=INT_MAX)  # the event's place among the household's events of the day
    kind: Literal[POINTS_EVENTS]  # type: ignore[valid-type]
    activity: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                                    validate_default=True)
    item: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                                validate_default=True)
    quantity: int = Field(default=1, ge=1, le=INT_MAX)

    @field_validator("activity", "item")
    @classmethod
    def _names_one(cls, v: Optional[str], info) -> Optional[str]:
        kind = info.data.get("kind")
        wanted = "activity" if kind == "earn" else "item"
        if kind is None:
            return v
        if info.field_name == wanted and v is None:
            raise ValueError(f"{kind} events name the {wanted}")
        if info.field_name != wanted and v is not None:
            raise ValueError(f"{kind} events name the {wanted}, not the {info.field_name}")
        return v

    @field_validator("quantity", mode="before")
    @classmethod
    def _one(cls, v: Any) -> Any:
        return 1 if v is None else v  # a blank quantity is one


class ProjectTaskRow(Row):
    county: str = Code
    code: str = Code
    name_zh: Optional[Text] = None
    name_en: Optional[Text] = None


class ProjectAmountRow(Row):
    """A planned or a disbursed amount of a task for a year from a source."""

    county: str = Code
    task: str = Code
    year: int = Field(ge=1900, le=2200)
    source: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")
    amount: Decimal = Field(**MONEY)


class ServiceItemRow(Row):
    code: str = Code
    name_zh: Text = Field(min_length=1)
    name_en: Text = ""


class ServiceCountRow(Row):
    county: str = Code
    institution: str = Code
    month: Month
    item: str = Code
    count: int = Field(ge=0, le=INT_MAX)


class ParameterOverrideRow(Row):
    county: str = Code
    policy: str = ShortCode
    component: str = Code
    name: str = Code
    effective: IsoDate
    value: Any
    reference: Text = ""

    @field_validator("value", mode="before")
    @classmethod
    def _json(cls, v: Any) -> Any:
        """A value written as JSON text (a CSV cell) is read as JSON; either way it must be
        plain data that the store's JSON column and the parameter shapes can take."""
        if isinstance(v, str):
            try:
                v = jsontext.loads(v, jsontext.VALUE_DEPTH)
            except jsontext.TooDeep as e:
                raise PydanticCustomError("too_deep", str(e)) from None
            except ValueError as e:
                raise ValueError(f"not JSON: {getattr(e, 'msg', e)}") from None
        why = value_problem(v)
        if why:
            raise PydanticCustomError("not_plain_data", why)
        return v


def value_problem(v: Any, levels: int = jsontext.VALUE_DEPTH) -> Optional[str]:
    """Why a parameter value is not plain data the store keeps as written: nested deeper than
    VALUE_DEPTH, a number that is not finite, text that is no text, a key named twice."""
    if isinstance(v, (dict, list)):
        if levels == 0:
            return f"nested deeper than {jsontext.VALUE_DEPTH} levels"
        if isinstance(v, jsontext.Repeated):
            return f"names {v.repeated[0]!r} twice in one object"
        items = v.items() if isinstance(v, dict) else enumerate(v)
        for key, item in items:
            why = (not_text(key) if isinstance(key, str) else None) or value_problem(item, levels - 1)
            if why:
                return why
    elif isinstance(v, Decimal) and not v.is_finite():
        return f"{v} is not a number"
    elif isinstance(v, str):
        return not_text(v)
    return None


# Value ranges that an indicator's unit implies.
UNIT_RANGES = {"ratio": (Decimal(0), Decimal(1)), "score": (Decimal(0), Decimal(100)),
               "share": (Decimal(0), None), "count": (Decimal(0), None), "event": (Decimal(0), None), "yuan": (Decimal(0), None)}


@dataclass(frozen=True)
class Table:
    name: str
    row: type[Row]
    model: type[SQLModel]
    key: tuple[str, ...]  # natural key columns in the database table


TABLES = (
    Table("provinces", ProvinceRow, Province, ("code",)),
    Table("prefectures", PrefectureRow, Prefecture, ("code",)),
    Table("counties", CountyRow, County, ("code",)),
    Table("communities", CommunityRow, Community, ("county_id", "code")),
    Table("institutions", InstitutionRow, Institution, ("county_id", "code")),
    Table("units", UnitRow, Unit, ("county_id", "code")),
    Table("unit_members", UnitMemberRow, UnitMember, ("unit_id", "role")),
    Table("unit_populations", UnitPopulationRow, UnitPopulation, ("unit_id", "group")),
    Table("indicators", IndicatorRow, Indicator, ("code",)),
    Table("indicator_targets", IndicatorTargetRow, IndicatorTarget, ("indicator_id", "county_id", "year")),
    Table("indicator_values", IndicatorValueRow, IndicatorValue, ("county_id", "indicator_id", "entity", "period")),
    Table("funds", FundRow, Fund, ("county_id", "code", "entity", "period")),
    Table("transfers", TransferRow, Transfer, ("county_id", "period", "hop")),
    Table("tasks", TaskRow, Task, ("county_id", "period", "code")),
    Table("teams", TeamRow, Team, ("county_id", "code")),
    Table("team_grids", TeamGridRow, TeamGrid, ("team_id", "unit_id")),
    Table("team_members", TeamMemberRow, TeamMember, ("team_id", "role", "staff")),
    Table("staff_days", StaffDayRow, StaffDay, ("county_id", "staff", "month")),
    Table("households", HouseholdRow, Household, ("county_id", "code")),
    Table("household_compliance", HouseholdComplianceRow, HouseholdMonth, ("household_id", "month")),
    Table("household_reimbursements", HouseholdReimbursementRow, HouseholdReimbursement, ("household_id", "period")),
    Table("points_openings", PointsOpeningRow, PointsOpening, ("household_id", "date")),
    Table("points_events", PointsEventRow, PointsEvent, ("household_id", "date", "seq")),
    Table("project_tasks", ProjectTaskRow, ProjectTask, ("county_id", "code")),
    Table("project_plan", ProjectAmountRow, ProjectPlan, ("task_id", "year", "source")),
    Table("project_disbursements", ProjectAmountRow, ProjectDisbursement, ("task_id", "year", "source")),
    Table("service_items", ServiceItemRow, ServiceItem, ("code",)),
    Table("service_counts", ServiceCountRow, ServiceCount, ("county_id", "institution", "month", "item")),
    Table("parameter_overrides", ParameterOverrideRow, ParameterOverride,
          ("county_id", "policy", "component", "name", "effective")),
)
BY_NAME = {t.name: t for t in TABLES}
PSEUDONYMOUS = ("households", "household_compliance", "household_reimbursements", "points_openings", "points_events")
"""Tables about households: pseudonymous codes only, so a column that looks like a name or an ID
number refuses the file."""


def personal_columns(table: Table, names) -> list[tuple[str, str]]:
    """(column, why) of each column of a household's table that looks like a name or an ID number."""
    if table.name not in PSEUDONYMOUS:
        return []
    return [(k, why) for k in dict.fromkeys(names) if (why := personal_column(str(k)))]


def column_problems(table: Table, names: list[str]) -> list[tuple[str, str]]:
    """(column, why) of each mistake in the columns a file names (a CSV header, a JSON row's
    keys), once per column: named twice, not a column of the table (with the close match, so a
    misspelt column is one mistake, not also a missing one), or needed and missing."""
    fields = table.row.model_fields
    named = Counter(names)
    out = [(k, f"named {n} times in the header") for k, n in named.items() if n > 1]
    absent = [f for f in fields if f not in named]
    missing = [f for f in absent if fields[f].is_required()]
    for k in named:
        if k in fields:
            continue
        close = difflib.get_close_matches(k, missing, 1) or difflib.get_close_matches(k, absent, 1)
        if close:
            out.append((k, f"not a column of {table.name}; did you mean {close[0]}?"))
            if close[0] in missing:
                missing.remove(close[0])
        else:
            out.append((k, f"not a column of {table.name} (its columns: {', '.join(fields)})"))
    out += [(f, f"missing: {table.name} needs this column") for f in missing]
    return out
