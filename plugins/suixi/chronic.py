"""Suixi `chronic_package`: the chronic-disease "small package" (小打包) contracted per head to each
township health centre, its surplus shared 4:4:2 after the chronic-disease assessment
(POLICIES.md §2.4).

Dated parameters (`standard_per_head`, `disease_groups`) may be given in a case or a county's
parameters as one value or as `{date: value}`; the value in force at the period's start applies
(Reading R4), so one file can hold a county's whole history of standards.

`gather` reads these stored facts (Y = the settlement year):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| institution | `kind` = `township_health_centre` | | | a centre, when it has `chronic_enrolled` for Y (code order) |
| value | `chronic_enrolled` | institution | Y | `enrolled` |
| fund | `chronic_actual` | institution | Y | `actual`; 0.00 when absent |
| value | `chronic_assessment_score` | institution | Y | `assessment_score`; left out when absent, so it is refused by name |
| community | `lead` | | | `county_institution`: the lead hospital of the centre's community |
| institution | `kind` = `village_clinic`, `parent` = the centre | | | `villages` (code order) |
| value | `chronic_village_weight` | institution | Y | a village's `weight`; 1 when absent |
| fund | `insurance_big_package` | county | Y | `big_package`, when stored |
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Optional, TypeVar, Union

from pydantic import Field

from countypay.period import Period
from countypay.policy import TIERS, Component, Facts, IndicatorDef, Model, Outcome, plain, trace
from countypay.toolkit import (EntityCode, InputError, ItemCode, Money, Ratio, Score, Shares, Weight, duplicates,
                               exact, fen, found, refuse, round_half_up, show, split, split_equal)

SEED = "seeds/001 Suixi §2; seeds/000 §3.1"
CENTRE_KIND = "township_health_centre"
VILLAGE_KIND = "village_clinic"
FUND_ACTUAL = "chronic_actual"
FUND_BIG_PACKAGE = "insurance_big_package"
ZERO = Decimal("0.00")

INDICATORS = (
    IndicatorDef("chronic_enrolled", "慢性病小打包签约患者数", "Chronic-disease package: patients enrolled",
                 "count", entity="institution", period="year",
                 reference=SEED + ": 将城乡居民常见慢性病患者的医保基金按人头总额包干给乡镇卫生院"),
    IndicatorDef("chronic_assessment_score", "慢性病综合绩效考核得分", "Chronic-disease performance assessment score",
                 "score", entity="institution", period="year", direction="higher",
                 reference=SEED + ": 考核结果与慢性病包干结余资金分配挂钩"),
    IndicatorDef("chronic_village_weight", "慢性病包干结余村级分配权重",
                 "Weight of a village clinic in the chronic-disease surplus", "weight",
                 entity="institution", period="year", reference="illustrative: village part split by weight"),
)

T = TypeVar("T")
Dated = Union[T, dict[date, T]]
"""One value, or `{date: value}`: the value in force at the period's start applies (Reading R4)."""

PositiveMoney = Annotated[Decimal, Field(gt=0, decimal_places=2)]


# ---------------------------------------------------------------- shapes

class Village(Model):
    code: ItemCode
    weight: Weight = Decimal(1)


class Centre(Model):
    code: EntityCode
    enrolled: int = Field(ge=0)
    actual: Money
    assessment_score: Score  # required (Reading R5)
    county_institution: EntityCode
    villages: list[Village] = Field(default_factory=list)


class ChronicInputs(Model):
    centres: list[Centre] = Field(min_length=1)
    big_package: Optional[PositiveMoney] = None


class ChronicParameters(Model):
    standard_per_head: Dated[Money]
    disease_groups: Dated[list[str]] = Field(default_factory=list)
    split: Shares(3)
    assessment_linked: Ratio


def in_force(value, on: date, name: str):
    """(value, the date it took effect or None) of a dated parameter on a date; refused when none is."""
    if not isinstance(value, dict):
        return value, None
    live = sorted(d for d in value if d <= on)
    if not live:
        raise InputError("parameters", [f"chronic_package.{name}: no value in force on {on.isoformat()}"])
    return value[live[-1]], live[-1].isoformat()


# ---------------------------------------------------------------- settlement

def settle(inputs: ChronicInputs, params: ChronicParameters, period: Period) -> Outcome:
    """POLICIES.md §2.4, steps 1-3."""
    if period.kind != "year":
        raise InputError("period", [f"{period}: the small package is set and settled for a year"])
    problems = duplicates([c.code for c in inputs.centres], "centres")
    for i, c in enumerate(inputs.centres):
        problems += duplicates([v.code for v in c.villages], f"centres[{i}].villages")
    refuse(problems)
    standard, standard_from = in_force(params.standard_per_head, period.start, "standard_per_head")
    groups = params.disease_groups  # described in the trace only: it feeds no figure (Reading R4)
    if isinstance(groups, dict):
        groups = next((groups[d] for d in sorted(groups, reverse=True) if d <= period.start), [])
    linked_share = exact(params.assessment_linked)
    weights = [exact(w) for w in params.split]

    out = Outcome()
    totals = {k: ZERO for k in ("budget", "actual", "surplus", "overspend", "community_retained")}
    parts: dict[str, list[tuple[str, str]]] = {k: [] for k in totals}
    for i, c in enumerate(inputs.centres):
        k = c.code
        # 1. Budget = enrolled × standard_per_head; monthly advances budget / 12.
        budget = fen(exact(standard) * c.enrolled)
        out.add(k, "budget", budget, trace(
            "§2.4 step 1", "enrolled × standard_per_head (the value in force at the period's start)",
            {"enrolled": c.enrolled}, {"standard_per_head": standard, "in_force_from": standard_from,
                                       "disease_groups": len(groups)}))
        out.add(k, "actual", c.actual, trace(
            "§2.4 step 2", "the year's outpatient insurance spending on the enrolled patients",
            {"actual": c.actual}))
        for m, amount in enumerate(split_equal(budget, 12), start=1):
            out.add(k, f"advance.month{m:02d}", amount, trace(
                "§2.4 step 1", "budget / 12, largest remainder, earlier months first", {"budget": budget}))
        out.pool(f"{k} advances", budget, [(k, f"advance.month{m:02d}") for m in range(1, 13)])
        for name, value in (("budget", budget), ("actual", c.actual)):
            totals[name] += value
            parts[name].append((k, name))

        # 2. Surplus shared after the assessment, or overspend borne by the medical community.
        if budget >= c.actual:
            S = budget - c.actual
            f = exact(c.assessment_score) / 100
            linked_exact = exact(S) * linked_share
            dist_exact = exact(S) - linked_exact + linked_exact * f
            distributable = fen(dist_exact)
            retained = S - distributable
            out.add(k, "surplus", S, trace("§2.4 step 2", "S = budget − actual",
                                           {"budget": budget, "actual": c.actual}))
            out.add(k, "linked", fen(linked_exact), trace(
                "§2.4 step 2", "S × assessment_linked, half-up (the part scaled by the assessment)",
                {"surplus": S}, {"assessment_linked": params.assessment_linked}, exact=show(linked_exact)))
            out.add(k, "distributable", distributable, trace(
                "§2.4 step 2", "S − linked + linked × f, f = assessment_score / 100, half-up (exact linked)",
                {"surplus": S, "assessment_score": c.assessment_score},
                {"assessment_linked": params.assessment_linked}, f=show(f), exact=show(dist_exact)))
            out.add(k, "community_retained", retained, trace(
                "§2.4 step 2", "S − distributable (what the assessment withholds)",
                {"surplus": S, "distributable": distributable}))
            county, township, village = split(distributable, weights)
            for tier, amount, extra in (("county", county, {"institution": c.county_institution}),
                                        ("township", township, {"institution": k}),
                                        ("village", village, {})):
                out.add(k, tier, amount, trace(
                    "§2.4 step 2", "distributable split by `split` (4:4:2), largest remainder",
                    {"distributable": distributable}, {"split": params.split}, **extra))
            out.pool(f"{k} budget", budget, [(k, "actual"), (k, "surplus")])
            out.pool(f"{k} surplus", S, [(k, t) for t in TIERS] + [(k, "community_retained")])
            if c.villages:
                if village and not any(v.weight for v in c.villages):
                    refuse([f"centres[{i}].villages: the village part {village} has no clinic with a weight above 0"])
                villages = sorted(c.villages, key=lambda v: v.code)  # ties: smaller code first
                amounts = split(village, [exact(v.weight) for v in villages])
                for v, amount in zip(villages, amounts):
                    out.add(k, f"village.{v.code}", amount, trace(
                        "§2.4 step 2", "the village part by weight, largest remainder, smaller code first",
                        {"village": village, "weight": v.weight,
                         "weights": {w.code: w.weight for w in villages}}, institution=v.code))
                out.pool(f"{k} village", village, [(k, f"village.{v.code}") for v in villages])
            totals["surplus"] += S
            totals["community_retained"] += retained
            parts["surplus"].append((k, "surplus"))
            parts["community_retained"].append((k, "community_retained"))
        else:
            O = c.actual - budget
            out.add(k, "overspend", O, trace("§2.4 step 2", "O = actual − budget",
                                             {"budget": budget, "actual": c.actual}))
            out.add(k, "community_borne", O, trace(
                "§2.4 step 2", "the whole overspend, borne by the medical community (no tier shares)",
                {"overspend": O}, county_institution=c.county_institution))
            out.pool(f"{k} actual", c.actual, [(k, "budget"), (k, "overspend")])
            out.pool(f"{k} overspend", O, [(k, "community_borne")])
            totals["overspend"] += O
            parts["overspend"].append((k, "overspend"))

    # 3. County lines.
    for name, value in totals.items():
        out.add("county", name, value, trace(
            "§2.4 step 3", f"Σ {name} of the centres", {c: plain(out.value(c, n)) for c, n in parts[name]}))
        out.pool(f"county {name}", value, parts[name])
    if inputs.big_package is not None:
        share = exact(totals["budget"]) / exact(inputs.big_package)
        out.add("county", "small_package_share", round_half_up(share, 4), trace(
            "§2.4 step 3", "Σ budget / big_package, shown to 4 decimals",
            {"budget": totals["budget"], "big_package": inputs.big_package}, exact=show(share, 10)),
            unit="ratio")
        out.flag("county", "small_package_share",
                 f"the small package ({totals['budget']}) is {round_half_up(share * 100, 2)} % "
                 f"of the big package ({inputs.big_package})", "info")
    return out


# ---------------------------------------------------------------- gather

def gather(facts: Facts, params: ChronicParameters, period: Period) -> dict:
    """The inputs of `settle` from stored facts (the table in the module docstring)."""
    year = str(period)
    leads = {c["code"]: c.get("lead") for c in facts.communities}
    institutions = sorted(facts.institutions, key=lambda i: i["code"])
    centres = []
    for inst in institutions:
        code = inst["code"]
        enrolled = facts.value("chronic_enrolled", code, year)
        if inst.get("kind") != CENTRE_KIND or enrolled is None:
            continue
        actual = facts.fund(FUND_ACTUAL, code, year)
        entry: dict = {"code": code,
                       "enrolled": int(enrolled) if enrolled == enrolled.to_integral_value() else enrolled,
                       "actual": ZERO if actual is None else actual,
                       **found(assessment_score=facts.value("chronic_assessment_score", code, year),
                               county_institution=leads.get(inst.get("community")) or None)}
        villages = [{"code": v["code"], **found(weight=facts.value("chronic_village_weight", v["code"], year))}
                    for v in institutions if v.get("kind") == VILLAGE_KIND and v.get("parent") == code]
        if villages:
            entry["villages"] = villages
        centres.append(entry)
    return {"centres": centres, **found(big_package=facts.fund(FUND_BIG_PACKAGE, "county", year))}


COMPONENT = Component.declare(__file__, "chronic_package", inputs=ChronicInputs, parameters=ChronicParameters,
                              settle=settle, gather=gather)
