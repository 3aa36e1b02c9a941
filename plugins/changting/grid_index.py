"""Changting `grid_index`: the monthly health index of each health micro-grid, and the grids'
ranking by it (POLICIES.md §7.2).

The seed publishes a monthly index of 7 indicators without its formula; the reading is a
weighted mean of capped attainments, on 100. Ties are judged on the index as shown, to 2
decimals (R19), and share the smaller rank: 1, 1, 3 (R20).

The grids are the county's units (a health management unit is a grid cell, POLICIES.md §0).
`gather` reads these stored facts (M = the settlement month):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| unit | | | | `grids[].code`: every unit of the county; one with no value for M gets no index and a flag |
| value | each indicator in force (`indicators[].code`, by default `grid_hypertension_control` …) | unit | M | `grids[].values` |
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator

from countypay.period import Period
from countypay.policy import Component, Facts, IndicatorDef, Model, Outcome, trace
from countypay.toolkit import (Amount, EntityCode, ItemCode, Weight, duplicates, exact, positive_sum, refuse,
                               round_half_up, show)

# The seven default indicators (illustrative: the seed names only the chronic-disease control rates).
DEFAULTS = (
    ("grid_hypertension_control", "高血压控制率", "Hypertension control rate"),
    ("grid_diabetes_control", "糖尿病控制率", "Diabetes control rate"),
    ("grid_contract_signing", "家庭医生签约率", "Family-doctor contract signing rate"),
    ("grid_key_population_signing", "重点人群签约率", "Key-population contract signing rate"),
    ("grid_followup_on_time", "慢病按时随访率", "On-time follow-up rate"),
    ("grid_elderly_checkup", "65岁以上老年人健康体检率", "Health check rate of residents aged 65+"),
    ("grid_resident_satisfaction", "居民满意度", "Resident satisfaction"),
)

INDICATORS = tuple(
    IndicatorDef(code, zh, en, "ratio", entity="unit", period="month", direction="higher",
                 reference="seeds/001 Changting §一.二: 每月发布含慢性病控制率等7项指标的网格健康指数 "
                           "(this indicator: illustrative)")
    for code, zh, en in DEFAULTS)


class Indicator(Model):
    code: ItemCode
    weight: Weight
    target: Amount
    direction: Literal["higher", "lower"]
    name_zh: Optional[str] = None
    name_en: Optional[str] = None


class GridParameters(Model):
    indicators: list[Indicator] = Field(min_length=1)
    max_missing: Annotated[int, Field(ge=0)]

    @field_validator("indicators")
    @classmethod
    def _indicators(cls, v):
        problems = duplicates([x.code for x in v], "indicators")
        problems += [f"indicators[{i}].target: a higher-is-better target of 0 cannot be attained in "
                     "proportion (R26)" for i, x in enumerate(v) if x.direction == "higher" and x.target == 0]
        if problems:
            raise ValueError("; ".join(problems))
        positive_sum([x.weight for x in v], "indicator weights")
        return v


class Grid(Model):
    code: EntityCode
    values: dict[ItemCode, Amount] = Field(default_factory=dict)


class GridInputs(Model):
    grids: list[Grid]


def attainment(ind: Indicator, value: Decimal) -> Fraction:
    """value / target (higher is better) or target / value (lower), capped at 1; a lower-is-better
    value of 0 attains 1."""
    v, t = exact(value), exact(ind.target)
    if ind.direction == "higher":
        return min(Fraction(1), v / t)
    return Fraction(1) if v == 0 else min(Fraction(1), t / v)


def _check(inputs: GridInputs, params: GridParameters, period: Period) -> None:
    problems = [] if period.kind == "month" else [f"period: the grid index is monthly, not {period}"]
    problems += duplicates([g.code for g in inputs.grids], "grids")
    known = {x.code for x in params.indicators}
    for i, g in enumerate(inputs.grids):
        problems += [f"grids[{i}].values.{code}: no indicator {code!r} in force" for code in g.values
                     if code not in known]
    refuse(problems)


def settle(inputs: GridInputs, params: GridParameters, period: Period) -> Outcome:
    """§7.2 for month M = the period: each grid's index, then the ranking of the indexed grids."""
    _check(inputs, params, period)
    out = Outcome()
    used_params = {x.code: {"weight": x.weight, "target": x.target, "direction": x.direction}
                   for x in params.indicators}
    shown: dict[str, Decimal] = {}
    for i, g in enumerate(inputs.grids):
        present = [x for x in params.indicators if x.code in g.values]
        missing = [x.code for x in params.indicators if x.code not in g.values]
        weights = sum((exact(x.weight) for x in present), Fraction(0))
        if len(missing) > params.max_missing or not weights:
            why = (f"{len(missing)} indicators missing, more than max_missing {params.max_missing}"
                   if len(missing) > params.max_missing else "the indicators given all weigh 0")
            out.flag(g.code, "no_index", f"grids[{i}]: no index: {why} ({', '.join(missing)})")
            continue
        att = {x.code: attainment(x, g.values[x.code]) for x in present}
        index = 100 * sum((exact(x.weight) * att[x.code] for x in present), Fraction(0)) / weights
        shown[g.code] = round_half_up(index, 2)
        out.add(g.code, "index", shown[g.code], trace(
            "§7.2 index", "100 × Σ w·a / Σ w over the indicators the grid has values for; a = value / target "
            "(higher) or target / value (lower), capped at 1; half-up to 2 decimals",
            {"month": str(period), "values": dict(g.values)},
            {"indicators": used_params, "max_missing": params.max_missing},
            exact=show(index, 10), attainment={k: show(a, 10) for k, a in att.items()}, missing=missing),
            unit="index")
    for code, value in shown.items():
        tied = sorted(k for k, v in shown.items() if v == value and k != code)
        above = sum(1 for v in shown.values() if v > value)
        out.add(code, "rank", Decimal(above + 1), trace(
            "§7.2 rank", "1 + the number of grids with a higher shown index; equal shown indexes share "
            "the smaller rank (R19, R20)", {"index": value, "indexed_grids": len(shown)},
            higher=above, tied_with=tied), unit="rank")
    out.add("county", "grids", Decimal(len(inputs.grids)), trace(
        "§7.2 county", "the number of grids reported for the month", {"month": str(period)}), unit="count")
    out.add("county", "indexed", Decimal(len(shown)), trace(
        "§7.2 county", "the number of grids with an index (at most max_missing indicators missing)",
        {"grids": len(inputs.grids)}, {"max_missing": params.max_missing}), unit="count")
    return out


def gather(facts: Facts, params: GridParameters, period: Period) -> dict:
    """Each unit of the county as a grid, with its stored values of the indicators in force for the month."""
    month = str(period)
    grids = []
    for unit in facts.units:
        found = {x.code: facts.value(x.code, unit["code"], month) for x in params.indicators}
        grids.append({"code": unit["code"], "values": {k: v for k, v in found.items() if v is not None}})
    return {"grids": grids}


COMPONENT = Component.declare(__file__, "grid_index", inputs=GridInputs, parameters=GridParameters, settle=settle,
                              gather=gather)
