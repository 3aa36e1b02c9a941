"""The plain data a policy plugin declares and returns. No database; the one file read here is
a plugin's policy.yaml, which names its policy, components and lines for people (`declarations`).

A plugin builds a `Policy` of `Component`s. A component's `settle` is a pure function of
(inputs, parameters, period) that returns an `Outcome`: lines, each with its trace, and the
pools those lines must add back to. Its optional `gather` turns a county's stored `Facts` into
the component's inputs, so the same rule runs from a case file or from the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping, Optional, TypedDict

import yaml
from pydantic import BaseModel, ConfigDict, Field

from . import yamlio
from .errors import InputError, validate
from .period import Period

ROLES = ("unit_head", "instructor", "village_doctor", "administrator", "commissioner")
"""The five roles of a health management unit's team (单元长, 指导员, 村医, 管理员, 卫健专干)."""

TIERS = ("county", "township", "village")
"""The three tiers that splits such as 1:2:7 refer to, always in this order (县/镇/村)."""

TEAM_ROLES = ("gp", "nurse", "public_health", "cdc", "specialist", "other")
"""The roles of a family-doctor team (家庭医生团队): general practitioner, nurse, public-health
worker, CDC doctor, county-hospital specialist, and any other member (the "X" of 3+1+1+X)."""

ENTITY_KINDS = ("unit", "institution", "community", "county")
"""What an indicator's values are kept for."""

DIRECTIONS = ("higher", "lower")
"""Which way an indicator's values are better."""

SEVERITIES = ("info", "warning", "error")
"""How serious a settlement's finding (a `Flag`) is."""

POINTS_EVENTS = ("earn", "redeem", "filial")
"""What a health-points event does: points earned by an activity, spent on an item, or spent by a
child on an item for a parent (孝心积分)."""

UNITS = {"yuan": 2, "yuan/equivalent": 4, "equivalent": 2, "ratio": 4, "score": 2, "index": 2,
         "flag": 0, "day": 0, "month": 0, "rank": 0, "points": 0, "count": 0}
"""Line units and the decimal places their values are shown and compared with (POLICIES.md §9)."""


class Model(BaseModel):
    """Base for input and parameter shapes: unknown fields are errors, numbers stay exact."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def plain(x: Any) -> Any:
    """A trace value: Decimals and Fractions as exact strings, lists and dicts element-wise."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, Decimal):
        return str(x)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return x


def trace(step: str, formula: str, inputs: Mapping[str, Any] | None = None,
          parameters: Mapping[str, Any] | None = None, **result: Any) -> dict[str, Any]:
    """A line's explanation, in the one shape every line carries: `step` (the POLICIES.md section
    and step), `formula` (in words), the `inputs` and `parameters` it used, and `result` (what it
    found on the way: the exact figure before rounding, a rank, a reason)."""
    return {"step": step, "formula": formula, "inputs": plain(dict(inputs or {})),
            "parameters": plain(dict(parameters or {})), "result": plain(result)}


@dataclass(frozen=True)
class Line:
    """One settlement figure: `value` of `code` for `entity` (a code, or "county")."""

    entity: str
    code: str
    value: Decimal
    trace: Mapping[str, Any] = field(default_factory=dict)
    unit: str = "yuan"


@dataclass(frozen=True)
class Pool:
    """A sum of money and the lines (entity, code) that together account for every fen of it."""

    name: str
    total: Decimal
    parts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Flag:
    """A finding reported with the settlement, such as a compliance check that failed."""

    entity: str
    code: str
    message: str
    severity: str = "warning"


@dataclass
class Outcome:
    """What a component's `settle` returns."""

    lines: list[Line] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    _at: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, entity: str, code: str, value: Decimal, trace: Mapping[str, Any] | None = None,
            unit: str = "yuan") -> Decimal:
        places = UNITS[unit]
        value = Decimal(value)
        if value != value.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(f"{entity} {code}: {value} has more than {places} decimals")
        self._at[entity, code] = len(self.lines)
        self.lines.append(Line(entity, code, value.quantize(Decimal(1).scaleb(-places)),
                               dict(trace or {}), unit))
        return value

    def pool(self, name: str, total: Decimal, parts: list[tuple[str, str]]) -> None:
        self.pools.append(Pool(name, total, tuple(parts)))

    def flag(self, entity: str, code: str, message: str, severity: str = "warning") -> None:
        if severity not in SEVERITIES:
            raise ValueError(f"{entity} {code}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        self.flags.append(Flag(entity, code, message, severity))

    def value(self, entity: str, code: str) -> Decimal:
        at = self._at.get((entity, code))
        if at is not None and at < len(self.lines) and self.lines[at].entity == entity \
                and self.lines[at].code == code:
            return self.lines[at].value
        for line in self.lines:  # lines appended or reordered by hand
            if line.entity == entity and line.code == code:
                return line.value
        raise KeyError((entity, code))


@dataclass(frozen=True)
class IndicatorDef:
    """An indicator a policy reads, registered so the store, the import and the API know it."""

    code: str
    name_zh: str
    name_en: str
    unit: str  # "ratio", "score", "yuan", "count", "event", ...
    entity: str = "unit"  # one of ENTITY_KINDS
    period: str = "year"  # the period kind values are stored for: "year", "quarter", "month"
    direction: Optional[str] = None  # one of DIRECTIONS, or not stated
    benchmark: Optional[Decimal] = None
    per_capita: bool = False
    reference: str = ""
    value_type: Optional[str] = None
    """How its values are written as text (`countypay.values.VALUE_TYPES`: percent, number,
    permille, ratio, yesno, pair, trend); the import refuses a text that does not read as it."""


def meets(value: Optional[Decimal], goal: Optional[Decimal], direction: Optional[str]) -> Optional[bool]:
    """Whether a value attains a benchmark or target: at or below it when lower is better, else at
    or above it; None when either is missing."""
    if value is None or goal is None:
        return None
    return value <= goal if direction == "lower" else value >= goal


@dataclass(frozen=True)
class LineSpec:
    """A line a component produces; `<g>` and the like stand for a part of the code (`<year>`
    four digits, `<MM>` two, `<month>` 2024-07, `<k>` a number, `<H1|H2>` one of those; any other
    a dot-free code). `name_zh` and `name_en` name it for people: spreadsheets and the console
    show them beside the code."""

    entity: str
    code: str
    description: str
    name_zh: str = ""
    name_en: str = ""

    def matches(self, code: str, dotted: bool = False) -> bool:
        """Whether a line code is one of this spec's, e.g. `general.advance.month03` of
        `<g>.advance.month<MM>`; with `dotted`, a placeholder of no set shape may span dots
        (`standard.<g>` of `standard.employee.le60`)."""
        return _code_pattern(self.code, dotted).fullmatch(code) is not None


_PLACES = {"year": r"\d{4}", "MM": r"\d{2}", "month": r"\d{4}-\d{2}", "k": r"\d+"}


@lru_cache(maxsize=None)
def _code_pattern(spec: str, dotted: bool) -> re.Pattern:
    parts = re.split(r"<([^<>]+)>", spec)  # literal, placeholder, literal, ...
    return re.compile("".join(
        re.escape(part) if i % 2 == 0 else
        _PLACES.get(part) or ("(?:" + "|".join(map(re.escape, part.split("|"))) + ")" if "|" in part else
                              ".+" if dotted else r"[^.]+")
        for i, part in enumerate(parts)))


class CommunityRow(TypedDict):
    code: str
    name_zh: str
    lead: Optional[str]  # code of its lead institution


class InstitutionRow(TypedDict):
    code: str
    name_zh: str
    kind: str  # county_hospital, township_health_centre, village_clinic, ...
    tier: str  # county | township | village
    community: Optional[str]
    parent: Optional[str]  # code of the institution it reports to (a village clinic's centre)


class UnitRow(TypedDict):
    code: str
    community: Optional[str]
    team: dict[str, str]  # role → institution code
    populations: dict[str, int]  # group → people


class TransferRow(TypedDict):
    hop: str
    received_on: date
    sent_on: date
    amount_received: Decimal
    matching: Decimal
    amount_sent: Decimal


class TaskRow(TypedDict):
    code: str
    body: str
    due: date
    done_on: Optional[date]


class TeamMemberRow(TypedDict):
    role: str  # one of TEAM_ROLES
    staff: str  # a staff code
    days: dict[str, int]  # month → working days at the grassroots, for the period's months


class TeamRow(TypedDict):
    code: str
    name_zh: str
    grids: list[str]  # the unit (grid) codes the team serves
    members: list[TeamMemberRow]


class HouseholdRow(TypedDict):
    code: str  # a pseudonym
    compliant: dict[str, bool]  # month → met the standard, for the months read (see load_facts)
    reimbursable: Optional[Decimal]  # in-policy expenses of the period, when stored
    base_rate: Optional[Decimal]


class PointsEventRow(TypedDict):
    date: date
    seq: int  # the event's place among the account's events of the day
    kind: str  # one of POINTS_EVENTS
    activity: Optional[str]  # what earned the points (earn)
    item: Optional[str]  # what was bought (redeem, filial)
    quantity: int


class PointsOpeningRow(TypedDict):
    date: date  # the balance at the start of this day
    points: int


class PointsAccountRow(TypedDict):
    code: str  # the household's pseudonym
    opening: Optional[PointsOpeningRow]  # the latest stored opening on or before the period's start
    events: list[PointsEventRow]  # from that opening (else from the first) to the period's end


class ProjectTaskRow(TypedDict):
    code: str
    name_zh: str
    name_en: str
    plan: dict[int, dict[str, Decimal]]  # year → source → yuan
    disbursed: dict[int, dict[str, Decimal]]  # year → source → yuan, every year stored


@dataclass
class Facts:
    """A county's stored facts for a period, as plain data for a component's `gather`: its
    places and teams, and the values, texts, targets and funds of the period's year and the years
    before that the component reads (`Component.lookback`); its households and their points
    ledgers, read when a component first looks at them; its project plan. Keys of values, texts
    and funds are (code, entity, period); entity is a code or "county"."""

    county: str
    period: Period
    communities: list[CommunityRow] = field(default_factory=list)
    institutions: list[InstitutionRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    values: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    texts: dict[tuple[str, str, str], str] = field(default_factory=dict)  # values written as text
    funds: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    service_counts: Mapping[tuple[str, str, str], int] = field(default_factory=dict)  # (institution, month, item)
    transfers: list[TransferRow] = field(default_factory=list)  # of the period's year
    tasks: list[TaskRow] = field(default_factory=list)  # of the period's year
    targets: dict[tuple[str, int], str] = field(default_factory=dict)
    """(indicator, year) → the target as written (its text, else its number): the county's own,
    else the general one, for the years read."""
    teams: list[TeamRow] = field(default_factory=list)
    households: Mapping[str, HouseholdRow] = field(default_factory=dict)  # by code, every household
    points: Mapping[str, PointsAccountRow] = field(default_factory=dict)  # by household code, every household
    project_tasks: list[ProjectTaskRow] = field(default_factory=list)

    def value(self, indicator: str, entity: str, period: Period | str) -> Optional[Decimal]:
        return self.values.get((indicator, entity, str(period)))

    def text(self, indicator: str, entity: str, period: Period | str) -> Optional[str]:
        return self.texts.get((indicator, entity, str(period)))

    def fund(self, code: str, entity: str = "county", period: Period | str | None = None) -> Optional[Decimal]:
        return self.funds.get((code, entity, str(period or self.period)))

    def target(self, indicator: str, year: int) -> Optional[str]:
        return self.targets.get((indicator, int(year)))


@dataclass(frozen=True)
class Component:
    """One settlement a policy can run, e.g. Suixi's `public_health`."""

    code: str
    name_zh: str
    name_en: str
    inputs: type[Model]
    parameters: type[Model]
    settle: Callable[[Any, Any, Period], Outcome]
    gather: Optional[Callable[[Facts, Any, Period], dict]] = None
    lines: tuple[LineSpec, ...] = ()
    lookback: Callable[[Any], int] = lambda parameters: 1
    """How many years before the period's `gather` reads, from the parameters in force."""
    benchmarks: Optional[Callable[[Any], Mapping[str, Decimal]]] = None
    """The benchmark each indicator must reach under the parameters in force, where the
    parameters hold it: reports then judge attainment by the same figure the payment used."""

    @classmethod
    def declare(cls, where: str | Path, code: str, *, inputs: type[Model], parameters: type[Model],
                settle: Callable[[Any, Any, Period], Outcome],
                gather: Optional[Callable[[Facts, Any, Period], dict]] = None,
                lookback: Optional[Callable[[Any], int]] = None,
                benchmarks: Optional[Callable[[Any], Mapping[str, Decimal]]] = None) -> Component:
        """The component `code` with its names and lines from the policy.yaml beside `where` (the
        declaring module's `__file__`; or `where` itself, a .yaml file) and its rules from the
        arguments: what people read is data, written once and checked when the plugin loads."""
        path = declarations_file(where)
        text = declarations(path, f"component {code!r} takes its names and lines from it").components.get(code)
        if text is None:
            declared = ", ".join(declarations(path).components) or "none"
            raise InputError(str(path), [f"components.{code}: not declared, though the Python declares component "
                                         f"{code!r} (the file declares: {declared})"])
        return cls(code, text.name_zh, text.name_en, inputs, parameters, settle, gather,
                   tuple(LineSpec(**line.model_dump()) for line in text.lines),
                   **({"lookback": lookback} if lookback is not None else {}), benchmarks=benchmarks)


@dataclass(frozen=True)
class Policy:
    """A county's payment policy: its components and its dated default parameters."""

    code: str
    county: str
    name_zh: str
    name_en: str
    version: str
    components: tuple[Component, ...]
    parameter_file: Path
    indicators: tuple[IndicatorDef, ...] = ()
    reference: str = ""

    @classmethod
    def declare(cls, where: str | Path, *, components: tuple[Component, ...],
                indicators: tuple[IndicatorDef, ...] = (), parameter_file: Path | None = None) -> Policy:
        """The policy named, versioned and referenced in the policy.yaml beside `where` (the
        declaring module's `__file__`), of `components`; its parameter file is the
        parameters.yaml beside it unless named. A component the file declares must be one of them."""
        path = declarations_file(where)
        wanted_by = "the policy takes its names, version and reference from it"
        text = declarations(path, wanted_by)
        if text.policy is None:
            raise InputError(str(path), [f"policy: not declared; {wanted_by}"])
        codes = [c.code for c in components]
        stray = [f"components.{c}: not a component of policy {text.policy.code!r} (its components: "
                 f"{', '.join(codes) or 'none'})" for c in text.components if c not in codes]
        if stray:
            raise InputError(str(path), stray)
        p = text.policy
        return cls(p.code, p.county, p.name_zh, p.name_en, p.version, tuple(components),
                   Path(parameter_file or path.with_name("parameters.yaml")), tuple(indicators), p.reference)

    def component(self, code: str) -> Component:
        for c in self.components:
            if c.code == code:
                return c
        known = ", ".join(c.code for c in self.components)
        raise KeyError(f"policy {self.code!r} has no component {code!r} (it has: {known})")


# ---------------------------------------------------------------- declarations in data

DECLARATIONS = "policy.yaml"
"""The file beside a plugin's modules that names its policy, components and lines for people."""


def declarations_file(where: str | Path) -> Path:
    """The policy.yaml beside a module's `__file__`, or `where` itself when it is a .yaml file."""
    where = Path(where)
    return where if where.suffix == ".yaml" else where.with_name(DECLARATIONS)


NonEmpty = Annotated[str, Field(min_length=1)]


class Declared(BaseModel):
    """Base of policy.yaml's parts: unknown keys are errors, and a text is a text (no number or
    date read as one)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LineText(Declared):
    """A `LineSpec` as written; its `code` may hold placeholders (`<g>`, `<year>`, as LineSpec says)."""

    entity: NonEmpty
    code: Annotated[str, Field(pattern=r"^\S+$")]
    description: NonEmpty
    name_zh: NonEmpty
    name_en: NonEmpty


class ComponentText(Declared):
    name_zh: NonEmpty
    name_en: NonEmpty
    lines: list[LineText] = Field(min_length=1)


class PolicyText(Declared):
    code: NonEmpty
    county: NonEmpty
    name_zh: NonEmpty
    name_en: NonEmpty
    version: NonEmpty
    reference: NonEmpty


class Declarations(Declared):
    """A policy.yaml: its `policy` (names, version and source), and its `components`' names and
    lines by code. A file of shared components alone (the toolkit's) declares no policy."""

    policy: Optional[PolicyText] = None
    components: dict[str, ComponentText] = Field(default_factory=dict)


@lru_cache(maxsize=None)
def _load(path: Path) -> Declarations:
    return validate(Declarations, yamlio.load(path), str(path))


def declarations(path: Path, wanted_by: str = "") -> Declarations:
    """A policy.yaml, read and checked once per process; a file that cannot be read or is not
    YAML is an `InputError` naming it, where it breaks and what reads it (`wanted_by`)."""
    try:
        return _load(Path(path))
    except OSError as e:
        problem = f"cannot read it: {e.strerror}"
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = f"{at}not valid YAML: {getattr(e, 'problem', None) or e}"
    raise InputError(str(path), [problem + (f"; {wanted_by}" if wanted_by else "")])
