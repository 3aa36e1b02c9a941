"""Shared building blocks for policy plugins: one implementation of each, used by all.

- `split`, `split_equal`, `part`, `fen`: the money kernel (largest remainder, half-up).
- `rank_tiers`: rank entities and pay a pool by tiers, equal positions and pooled ties
  (POLICIES.md §2.1 step 5).
- `work_equivalents`: purchase of services by standardized work equivalents (POLICIES.md §3.1),
  with the input and parameter shapes it reads.
- `InputError` for input a rule refuses (name the field), `read_yaml` for a plugin's data files
  (numbers read exactly); `Shares(n)`, the type of n weights that split money; `found` for
  what a `gather` found in the store.
- `read_value` and `VALUE_TYPES`: indicator values written as text ("36.70%", "8.1:1", "是"),
  read by type the same way the import checks them; `Pseudonym` for household codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from math import ceil, lcm
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, Sequence

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from .errors import InputError
from .fields import (Amount, EntityCode, ItemCode, Money, Pseudonym, Ratio, Score, Weight, duplicates,
                     positive_sum, refuse)
from .yamlio import load as read_yaml
from .money import ZERO, check_balance, exact, fen, part, round_half_up, show, split, split_equal
from .period import Month, Period
from .policy import Component, Facts, IndicatorDef, Model, Outcome, trace
from .values import TRENDS, VALUE_TYPES, Part, read as read_value

__all__ = ["InputError", "Amount", "EntityCode", "ItemCode", "Money", "Pseudonym", "Ratio", "Score", "Weight",
           "VALUE_TYPES", "TRENDS", "Part", "read_value",
           "duplicates", "positive_sum", "refuse", "read_yaml", "check_balance", "split", "split_equal", "part", "fen", "exact", "show", "round_half_up",
           "rank_tiers", "Ranking", "work_equivalents", "WorkEquivalentInputs",
           "WorkEquivalentParameters", "gather_work_equivalents", "WORK_EQUIVALENT_INDICATORS",
           "WORK_EQUIVALENT_FUND", "WORK_EQUIVALENT_PAID", "WORK_EQUIVALENT", "Shares", "found"]


def _not_all_zero(weights: list[Decimal], info: ValidationInfo) -> list[Decimal]:
    positive_sum(weights, info.field_name)
    return weights


def Shares(n: int) -> Any:
    """The type of `n` weights that split money (4:4:2, 7:2:1): none negative and not all zero,
    or the money would have no owner."""
    return Annotated[list[Weight], Field(min_length=n, max_length=n), AfterValidator(_not_all_zero)]


def found(**values: Any) -> dict[str, Any]:
    """The values a `gather` found: those that are not None. What the store lacks stays out of
    the inputs, so the rule's own default or check applies to it."""
    return {name: value for name, value in values.items() if value is not None}


# ---------------------------------------------------------------- tier ranking with pooled ties

@dataclass
class Ranked:
    key: str
    score: Fraction
    rank: int  # 1-based position in the ranking
    tier: Optional[int]  # 0-based tier of the position, None past the last tier
    amount: Decimal = ZERO
    tie_group: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()


@dataclass
class Ranking:
    entries: dict[str, Ranked] = field(default_factory=dict)
    tier_amounts: list[Decimal] = field(default_factory=list)
    tier_ranks: list[tuple[int, int]] = field(default_factory=list)  # (first, last) rank; empty if first > last
    undistributed: Decimal = ZERO
    n: int = 0


def rank_tiers(scores: Sequence[tuple[str, Any]], tiers: Sequence[tuple[Any, Any]],
               pool: Decimal) -> Ranking:
    """Pay `pool` to the best-ranked entities by tiers.

    `scores` are (key, score) of the eligible entities, the lowest score ranking first; `tiers`
    are (cut, share): tier k holds ranks ceil(cut[k-1]·N) < r ≤ ceil(cut[k]·N). The pool is split
    over the tiers by share, each tier's amount equally over its positions (largest remainder,
    earlier positions first); entities whose scores are exactly equal pool the amounts of the
    positions they occupy and split them equally, the extra fen to the smaller key. A tier with
    no positions is undistributed.
    """
    ordered = sorted(((k, exact(s)) for k, s in scores), key=lambda e: (e[1], e[0]))
    n = len(ordered)
    res = Ranking(n=n)
    res.tier_amounts = split(pool, [exact(share) for _, share in tiers]) if tiers else []
    bounds, prev = [], 0
    for cut, _ in tiers:
        hi = ceil(exact(cut) * n)
        bounds.append((prev + 1, hi))
        prev = max(prev, hi)
    res.tier_ranks = bounds
    position_amount = [ZERO] * (n + 1)
    position_tier: list[Optional[int]] = [None] * (n + 1)
    undistributed = ZERO
    for t, ((lo, hi), amount) in enumerate(zip(bounds, res.tier_amounts)):
        if hi < lo:
            undistributed += amount
            continue
        for r, a in zip(range(lo, hi + 1), split_equal(amount, hi - lo + 1)):
            position_amount[r] = a
            position_tier[r] = t
    res.undistributed = undistributed
    rank = 1
    for score, group in groupby(ordered, key=lambda e: e[1]):
        keys = [k for k, _ in group]  # already in key order
        positions = tuple(range(rank, rank + len(keys)))
        shared = sum((position_amount[r] for r in positions), ZERO)
        for k, r, a in zip(keys, positions, split_equal(shared, len(keys))):
            res.entries[k] = Ranked(k, score, r, position_tier[r], a,
                                    tuple(keys) if len(keys) > 1 else (), positions)
        rank += len(keys)
    return res


# ---------------------------------------------------------------- standardized work equivalents

class MonthCounts(Model):
    month: Month
    counts: dict[str, int] = Field(default_factory=dict)
    noncompliant_ratio: Decimal = Field(default=Decimal(0), ge=0, le=1)
    quality: Decimal = Field(default=Decimal(1), ge=0, le=1)

    @field_validator("counts")
    @classmethod
    def _counts(cls, v: dict[str, int]) -> dict[str, int]:
        bad = [k for k, c in v.items() if c < 0]
        if bad:
            raise ValueError(f"negative count for {', '.join(bad)}")
        return v


class InstitutionWork(Model):
    code: str = Field(min_length=1)
    performance: Decimal = Field(default=Decimal(100), ge=0, le=100)
    previous_payment: Optional[Decimal] = Field(default=None, ge=0)
    population: Optional[int] = Field(default=None, gt=0)  # people served, for per-capita funding
    months: list[MonthCounts] = Field(default_factory=list)


class WorkEquivalentInputs(Model):
    fund: Decimal = Field(ge=0, decimal_places=2)
    institutions: list[InstitutionWork]


class CatalogItem(Model):
    code: str = Field(min_length=1)
    equivalent: Decimal = Field(ge=0)
    name_zh: Optional[str] = None
    name_en: Optional[str] = None


class WorkEquivalentParameters(Model):
    risk_fund_rate: Decimal = Field(ge=0, le=1)
    floor_rate: Optional[Decimal] = Field(default=None, ge=0)
    cap_rate: Optional[Decimal] = Field(default=None, ge=0)
    catalog: list[CatalogItem] = Field(min_length=1)


def work_equivalents(inputs: WorkEquivalentInputs, params: WorkEquivalentParameters,
                     period: Period) -> Outcome:
    """POLICIES.md §3.1: price one equivalent from the fund, pay each institution its equivalents."""
    catalog = {item.code: exact(item.equivalent) for item in params.catalog}
    problems, seen = [], set()
    for i, inst in enumerate(inputs.institutions):
        if inst.code in seen:
            problems.append(f"institutions[{i}].code: {inst.code!r} appears twice")
        seen.add(inst.code)
        months = set()
        for j, m in enumerate(inst.months):
            where = f"institutions[{i}].months[{j}]"
            if m.month in months:
                problems.append(f"{where}.month: {m.month} appears twice")
            months.add(m.month)
            if not period.contains(Period.parse(m.month)):
                problems.append(f"{where}.month: {m.month} is outside the period {period}")
            problems += [f"{where}.counts.{code}: not in the catalogue in force for {period}"
                         for code in m.counts if code not in catalog]
    if problems:
        raise InputError("inputs", problems)

    out = Outcome()
    F = exact(inputs.fund)
    rate = exact(params.risk_fund_rate)
    r0, d = part(F, rate)
    out.add("county", "fund", fen(F), trace("§3.1 inputs", "F, the year's purchase fund", {"F": inputs.fund}))
    out.add("county", "risk_fund.opening", r0, trace(
        "§3.1 step 1", "R0 = F × risk_fund_rate, half-up", {"F": inputs.fund}, {"risk_fund_rate": show(rate)}))
    out.add("county", "distributable", d, trace("§3.1 step 1", "D = F − R0", {"F": inputs.fund, "R0": r0}))

    q: dict[str, Fraction] = {}
    month_q: dict[str, dict[str, Fraction]] = {}
    ratios = {item.code: item.equivalent.as_integer_ratio() for item in params.catalog}
    common = lcm(*(d for _, d in ratios.values()))
    weights = {code: n * (common // d) for code, (n, d) in ratios.items()}  # over one denominator
    for inst in inputs.institutions:
        month_q[inst.code] = {}
        for m in inst.months:
            raw = Fraction(sum(c * weights[k] for k, c in m.counts.items()), common)  # integers: exact
            month_q[inst.code][m.month] = raw * (1 - exact(m.noncompliant_ratio)) * exact(m.quality)
        q[inst.code] = sum(month_q[inst.code].values(), Fraction(0))
    total_q = sum(q.values(), Fraction(0))
    price = exact(d) / total_q if total_q else Fraction(0)
    out.add("county", "price", round_half_up(price, 4), trace(
        "§3.1 step 3", "p = D / ΣQ (shown to 4 decimals, exact in use)",
        {"D": d, "total_equivalents": show(total_q)}, exact=show(price, 10)), unit="yuan/equivalent")

    pay: dict[str, Fraction] = {}
    clawback: dict[str, Fraction] = {}
    raw: dict[str, Fraction] = {}
    for inst in inputs.institutions:
        raw[inst.code] = q[inst.code] * price * exact(inst.performance) / 100
        cap = (exact(params.cap_rate) * exact(inst.previous_payment)
               if params.cap_rate is not None and inst.previous_payment is not None else None)
        clawback[inst.code] = max(raw[inst.code] - cap, Fraction(0)) if cap is not None else Fraction(0)
        pay[inst.code] = raw[inst.code] - clawback[inst.code]
    shortfall = {}
    for inst in inputs.institutions:
        if params.floor_rate is not None and inst.previous_payment is not None:
            floor_amount = exact(params.floor_rate) * exact(inst.previous_payment)
            shortfall[inst.code] = max(floor_amount - pay[inst.code], Fraction(0))
        else:
            shortfall[inst.code] = Fraction(0)
    available = F - sum(pay.values(), Fraction(0))
    need = sum(shortfall.values(), Fraction(0))
    cut = min(Fraction(1), available / need) if need else Fraction(1)
    cut = max(cut, Fraction(0))

    paid_lines = []
    for inst in inputs.institutions:
        k = inst.code
        topup = shortfall[k] * cut
        paid = fen(pay[k] + topup)
        out.add(k, "equivalents", round_half_up(q[k], 2), trace(
            "§3.1 step 2", "Q = Σ months Σ items count × equivalent × (1 − noncompliant_ratio) × quality",
            {"by_month": {m: show(v) for m, v in sorted(month_q[k].items())}}, exact=show(q[k])),
            unit="equivalent")
        out.add(k, "raw", fen(raw[k]), trace(
            "§3.1 step 4", "raw = Q × p × performance / 100",
            {"Q": show(q[k]), "p": show(price, 10), "performance": inst.performance}))
        out.add(k, "cap_clawback", fen(clawback[k]), trace(
            "§3.1 step 5", "max(raw − cap_rate × previous_payment, 0)",
            {"previous_payment": inst.previous_payment}, {"cap_rate": params.cap_rate}))
        out.add(k, "floor_topup", fen(topup), trace(
            "§3.1 step 5", "shortfall below floor_rate × previous_payment, × cut when the money is short",
            {"previous_payment": inst.previous_payment}, {"floor_rate": params.floor_rate},
            shortfall=show(shortfall[k]), cut=show(cut)))
        out.add(k, "paid", paid, trace(
            "§3.1 step 6", "paid = raw − cap_clawback + floor_topup (exact, then half-up)",
            exact=show(pay[k] + topup)))
        for month, value in sorted(month_q[k].items()):  # the monthly trend, for reports
            out.add(k, f"equivalents.{month}", round_half_up(value, 2), trace(
                "§3.1 step 2", "Q of the month", {"month": month}, exact=show(value)), unit="equivalent")
        if inst.population:
            out.add(k, "per_capita", fen(exact(paid) / inst.population), trace(
                "§3.1 reports", "paid / population served", {"paid": paid, "population": inst.population}))
        paid_lines.append(paid)
    closing = fen(F - sum((exact(p) for p in paid_lines), Fraction(0)))
    out.add("county", "risk_fund.closing", closing, trace(
        "§3.1 step 6", "F − Σ paid, carried to next year", {"F": inputs.fund}))
    out.pool("fund", fen(F), [(i.code, "paid") for i in inputs.institutions] + [("county", "risk_fund.closing")])
    out.pool("fund.opening", fen(F), [("county", "risk_fund.opening"), ("county", "distributable")])
    return out


WORK_EQUIVALENT_FUND = "work_equivalent_fund"
"""Fund code of the year's purchase fund F, on the county."""
WORK_EQUIVALENT_PAID = "work_equivalent_paid"
"""Fund code of what an institution was paid for a year (the next year's `previous_payment`)."""

WORK_EQUIVALENT_INDICATORS = (
    IndicatorDef("noncompliant_ratio", "核查不合规比例", "Share of services found non-compliant",
                 "ratio", entity="institution", period="month", direction="lower",
                 reference="seeds/001 Haiyan: 核查比例核减"),
    IndicatorDef("service_quality", "服务质量系数", "Service quality coefficient", "ratio",
                 entity="institution", period="month", direction="higher",
                 reference="seeds/001 Haiyan: 不真实服务的质量系数矫正"),
    IndicatorDef("served_population", "服务人口", "Population served", "count", entity="institution",
                 period="year", reference="seeds/001 Haiyan: 人均公共卫生经费"),
    IndicatorDef("performance_score", "绩效考核得分", "Annual performance score", "score",
                 entity="institution", period="year", direction="higher",
                 reference="seeds/001 Haiyan: 绩效考核"),
)


def gather_work_equivalents(facts: Facts, params: WorkEquivalentParameters, period: Period) -> dict:
    """Inputs of `work_equivalents` from a county's stored facts: the county's fund, and for
    every institution with service counts in the period, a payment last year or a performance
    score this year: its months, performance and last year's payment."""
    months_in_period = {str(m) for m in period.months()}
    by_inst: dict[str, dict[str, dict[str, int]]] = {}
    for (inst, month, item), count in facts.service_counts.items():
        if month in months_in_period:
            by_inst.setdefault(inst, {}).setdefault(month, {})[item] = count
    for inst in facts.institutions:  # those paid last year or scored this year take part too
        if (facts.fund(WORK_EQUIVALENT_PAID, inst["code"], period.previous_year()) is not None
                or facts.value("performance_score", inst["code"], period) is not None):
            by_inst.setdefault(inst["code"], {})
    institutions = []
    for inst in sorted(by_inst):
        months = []
        for month in sorted(by_inst[inst]):
            months.append({"month": month, "counts": by_inst[inst][month],
                           **found(noncompliant_ratio=facts.value("noncompliant_ratio", inst, month),
                                   quality=facts.value("service_quality", inst, month))})
        population = facts.value("served_population", inst, period)
        institutions.append({"code": inst, "months": months, **found(
            population=int(population) if population else None,
            performance=facts.value("performance_score", inst, period),
            previous_payment=facts.fund(WORK_EQUIVALENT_PAID, inst, period.previous_year()))})
    return {"fund": facts.fund(WORK_EQUIVALENT_FUND, "county", period), "institutions": institutions}


WORK_EQUIVALENT = Component.declare(Path(__file__).with_name("toolkit.yaml"), "work_equivalent",
                                    inputs=WorkEquivalentInputs, parameters=WorkEquivalentParameters,
                                    settle=work_equivalents, gather=gather_work_equivalents)
"""The work-equivalents component, the same rule for every county that buys services this way;
a county brings its own catalogue and rates in its parameter file. Its names and lines are the
core's, in toolkit.yaml, written once for every policy that uses it."""


# ---------------------------------------------------------------- demo and synthetic data
# Shared by the plugins' `countypay_demo` and `countypay_synth` hooks (hookspecs.py).

import random  # noqa: E402
from datetime import date  # noqa: E402

from .hookspecs import Rows, SyntheticCounty  # noqa: E402
from .money import from_fen, to_fen  # noqa: E402

__all__ += ["demo_county", "defaults_in_force", "apportion", "from_fen", "to_fen", "work_equivalent_rows",
            "synthetic_work_equivalents"]


def demo_county(figures: Path, seed: int, population: Optional[Callable[[dict], int]] = None
                ) -> tuple[dict[str, Any], str, random.Random, Rows]:
    """How a plugin's demo county starts (`countypay_demo`): the figures of its data file (its
    demo.yaml), the county's code, the random generator it draws from, seeded by the demo's seed
    and the county's code so that what one plugin draws does not depend on the others, and rows
    placing the county (`Rows.placed`), with its `population` read from the figures when given."""
    f = read_yaml(figures)
    code = f["county"]["code"]
    rows = Rows.placed(f) if population is None else Rows.placed(f, population=population(f))
    return f, code, random.Random(f"{seed}:{code}"), rows


def defaults_in_force(parameter_file: Path, component: str, on: date) -> dict[str, Any]:
    """Each of a component's default parameters in a plugin's parameter file, as the value in
    force on a date (the entry with the latest `from` on or before it): what a plugin's demo data
    must fit. A settlement resolves its parameters in the core, county overrides included."""
    chosen = {}
    for name, entries in ((read_yaml(parameter_file) or {}).get(component) or {}).items():
        live = [e for e in entries if e["from"] <= on]
        if live:
            chosen[name] = max(live, key=lambda e: e["from"])["value"]
    return chosen


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """A whole number (people, fen) in whole parts proportional to `weights` that add back
    exactly: `split`'s largest remainder, ties to the earlier part."""
    return [to_fen(p) for p in split(from_fen(total), weights)]


SEASON = (112, 104, 100, 96, 94, 92, 93, 95, 98, 101, 105, 110)
"""Synthetic: each month's workload in percent of the year's mean month (winter busier)."""
BUSIEST = {"outpatient_visit": 1800, "inpatient_day": 140, "inpatient_surgery": 3}
"""Synthetic: services a month per 10 000 people for the busiest items; the others draw theirs."""


def work_equivalent_rows(rows: Rows, county: str, rng: random.Random, year: int, parameters: dict,
                         centres: Sequence[tuple[str, int]], per_capita: Any = None, fund: Any = None,
                         months: int = 12) -> None:
    """Synthetic facts for `WORK_EQUIVALENT` (what `gather_work_equivalents` reads) for centres
    given as (code, people served): the catalogue's service items; `months` months of counts,
    some months with a check's non-compliant share or a quality coefficient; performance scores
    and served population; last year's payments; and the year's fund, `fund` yuan or sized so
    that paid / people averages `per_capita` yuan. `parameters`: the component's in force."""
    catalog = parameters["catalog"]
    for item in catalog:
        rows.add("service_items", code=item["code"], name_zh=item.get("name_zh") or item["code"],
                 name_en=item.get("name_en") or item["code"])
    rates = {item["code"]: BUSIEST.get(item["code"], rng.randint(2, 400)) for item in catalog}
    equivalent = {item["code"]: exact(item["equivalent"]) for item in catalog}
    q: dict[str, Fraction] = {}  # each centre's equivalents, as the engine will compute them
    for code, population in centres:
        intensity = rng.randint(82, 128)
        q[code] = Fraction(0)
        for m in range(1, months + 1):
            month = f"{year}-{m:02d}"
            raw = Fraction(0)
            for item in catalog:
                n = population * rates[item["code"]] * intensity * SEASON[m - 1] * rng.randint(90, 110) // 10**10
                rows.add("service_counts", county=county, institution=code, month=month, item=item["code"], count=n)
                raw += n * equivalent[item["code"]]
            factor = Fraction(1)
            if rng.random() < 0.18:
                share = rng.randint(5, 40)
                rows.add("indicator_values", county=county, indicator="noncompliant_ratio", entity=code,
                         period=month, value=Decimal(share).scaleb(-3))
                factor *= 1 - Fraction(share, 1000)
            if rng.random() < 0.10:
                quality = rng.randint(950, 995)
                rows.add("indicator_values", county=county, indicator="service_quality", entity=code,
                         period=month, value=Decimal(quality).scaleb(-3))
                factor *= Fraction(quality, 1000)
            q[code] += raw * factor
    perf = {code: rng.randint(860, 985) for code, _ in centres}  # tenths of a point
    for code, population in centres:
        rows.add("indicator_values", county=county, indicator="performance_score", entity=code, period=str(year),
                 value=Decimal(perf[code]).scaleb(-1))
        rows.add("indicator_values", county=county, indicator="served_population", entity=code,
                 period=str(year), value=population)
    total_q = sum(q.values(), Fraction(0))
    keep = 1 - exact(parameters["risk_fund_rate"])
    if fund is None:  # Σ paid ≈ F × (1 − rate) × Σ Q × performance / 100 / Σ Q
        scored = sum((q[k] * perf[k] / 1000 for k in q), Fraction(0))
        people = sum(p for _, p in centres)
        fund_fen = int(round_half_up(exact(per_capita) * 100 * people * total_q / (keep * scored), 0))
    else:
        fund_fen = to_fen(fund)
    rows.add("funds", county=county, code=WORK_EQUIVALENT_FUND, entity="county", period=str(year),
             amount=from_fen(fund_fen))
    for code, _ in centres:
        expected = fund_fen * keep * q[code] / total_q * perf[code] / 1000
        rows.add("funds", county=county, code=WORK_EQUIVALENT_PAID, entity=code, period=str(year - 1),
                 amount=from_fen(int(round_half_up(expected * rng.randint(900, 1000) / 1000, 0))))


def synthetic_work_equivalents(rows: Rows, county: SyntheticCounty, rng: random.Random, parameter_file: Path,
                               per_capita: Any) -> None:
    """`work_equivalent_rows` for a synthetic county on a plugin's catalogue: every institution
    below the county tier serves a share of the county's residents, and the fund is sized for
    `per_capita` yuan a head."""
    residents = sum(u["populations"]["residents"] for u in county.units)
    centres = [i["code"] for i in county.institutions if i["tier"] != "county"]
    served = apportion(residents, [rng.randint(30, 70) for _ in centres])
    work_equivalent_rows(rows, county.code, rng, county.year,
                         defaults_in_force(parameter_file, "work_equivalent", date(county.year, 1, 1)),
                         list(zip(centres, served)), per_capita=per_capita, months=county.months)
