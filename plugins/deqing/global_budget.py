"""Deqing's insurance global budget per medical community (POLICIES.md §4.1).

The county hands every insured person's pooled-fund spending to its medical communities as
one budget (总额预算), priced per head and month by insured group, prepaid monthly and settled
at year end: a surplus is kept by the community (70 % directly, 30 % after assessment), an
overspend is shared from an 85 % base, less the same assessment-linked 30 %.

What `gather` reads from the store (Y is the settlement year, e.g. "2022"; `<g>` a group of
`group_weights` such as `employee.le60`; `c` a community code):

| input | store | key |
| --- | --- | --- |
| previous_spending | fund | (`insurance_spending`, `county`, Y − 1) |
| funding | fund | (`insurance_funding`, `county`, Y), omitted when absent |
| communities[c].actual | fund | (`insurance_spending`, c, Y) |
| communities[c].member_months.<g> | value | (`member_months.<g>`, c, Y), a missing group counts 0 |
| communities[c].assessment_score | value | (`assessment_score`, c, Y); else Σ_d w_d × (`assessment_score.<d>`, c, Y) for d in payment, supply, patient with `assessment_weights` |

Communities are taken in code order.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Mapping, Optional

from pydantic import Field, field_validator

from countypay.toolkit import InputError
from countypay.policy import Facts, IndicatorDef, Model, Outcome, trace
from countypay.period import Period
from countypay.toolkit import exact, fen, found, part, show, split, split_equal

GROUPS = ("employee.le60", "employee.gt60", "resident.le60", "resident.gt60")
"""Insured groups: insurance scheme (职工/城乡居民) × age (60周岁及以下 / 以上)."""

DIMENSIONS = {
    "payment": ("筹资支付侧（医保支付方）", "Financing and payment side"),
    "supply": ("服务供给侧（服务供给方）", "Service supply side"),
    "patient": ("患者需求侧（患者方）", "Patient side"),
}
"""The three dimensions of the community's annual assessment (seeds/003 三医协同)."""

SPENDING_FUND = "insurance_spending"
"""Fund code: pooled-fund spending for a year, on the county (all insured) or a community (its insured)."""
FUNDING_FUND = "insurance_funding"
"""Fund code: the year's pooled-fund income (筹资), on the county."""

SEED = "seeds/003 促进三医协同发展"

BALANCE = {
    "surplus": ("surplus = B_c − actual",
                "retained", "surplus × ((1 − assessed_share) + assessed_share × f), half-up; f = score / 100",
                "returned", "surplus − retained, back to the fund"),
    "overspend": ("overspend O = actual − B_c",
                  "borne", "O × overspend_base_ratio × (1 − assessed_share × f), half-up; f = score / 100",
                  "fund_covered", "O − borne, covered by the fund"),
}
"""A community's balance, a surplus or an overspend: the formula of its line, then the part the
community retains or bears and its formula, then the rest (the fund's) and its formula."""

INDICATORS = (
    *(IndicatorDef(f"member_months.{g}", f"参保人员人头月数（{zh}）",
                   f"Insured member-months ({en})", "count", entity="community", period="year",
                   reference=f"{SEED}: 按参保属地、年龄结构确定参保人员和人头月支付标准")
      for g, zh, en in (("employee.le60", "职工医保·60周岁及以下", "employee scheme, aged 60 or under"),
                        ("employee.gt60", "职工医保·60周岁以上", "employee scheme, over 60"),
                        ("resident.le60", "城乡居民医保·60周岁及以下", "resident scheme, aged 60 or under"),
                        ("resident.gt60", "城乡居民医保·60周岁以上", "resident scheme, over 60"))),
    IndicatorDef("assessment_score", "医共体年度考核得分", "Medical community annual assessment score",
                 "score", entity="community", period="year", direction="higher",
                 reference=f"{SEED}: 围绕筹资支付侧、服务供给侧和患者需求侧三个维度进行年度考核"),
    *(IndicatorDef(f"assessment_score.{d}", f"医共体考核得分：{zh}", f"Assessment score: {en.lower()}",
                   "score", entity="community", period="year", direction="higher",
                   reference=f"{SEED}: 三个维度进行年度考核")
      for d, (zh, en) in DIMENSIONS.items()),
)


# ---------------------------------------------------------------- shapes

class Community(Model):
    code: str = Field(min_length=1)
    member_months: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    actual: Decimal = Field(ge=0, decimal_places=2)
    assessment_score: Decimal = Field(ge=0, le=100)


class GlobalBudgetInputs(Model):
    previous_spending: Decimal = Field(ge=0, decimal_places=2)
    funding: Optional[Decimal] = Field(default=None, ge=0, decimal_places=2)
    communities: list[Community] = Field(min_length=1)


class GlobalBudgetParameters(Model):
    growth_rate: Decimal = Field(ge=-1)
    cap_by_funding: bool
    group_weights: dict[str, Annotated[Decimal, Field(ge=0)]] = Field(min_length=1)
    overspend_base_ratio: Decimal = Field(ge=0, le=1)
    assessed_share: Decimal = Field(ge=0, le=1)
    assessment_weights: dict[str, Annotated[Decimal, Field(ge=0)]]

    @field_validator("assessment_weights")
    @classmethod
    def _dimensions(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        if set(v) != set(DIMENSIONS):
            raise ValueError(f"needs exactly the dimensions {', '.join(DIMENSIONS)}")
        if sum(v.values()) != 1:
            raise ValueError("weights must add up to 1, so the score stays on the 0-100 scale")
        return v


def assessment_score(dimensions: Mapping[str, Decimal], weights: Mapping[str, Decimal]) -> Optional[Decimal]:
    """The annual score from its three dimension scores (each 0-100): Σ_d w_d × s_d, exact.
    None when a dimension is missing, so an incomplete assessment never passes for a low one."""
    if any(dimensions.get(d) is None for d in DIMENSIONS):
        return None
    return sum((Decimal(weights[d]) * Decimal(dimensions[d]) for d in DIMENSIONS), Decimal(0))


# ---------------------------------------------------------------- settlement

def settle(inputs: GlobalBudgetInputs, params: GlobalBudgetParameters, period: Period) -> Outcome:
    """POLICIES.md §4.1, steps 1-4."""
    if period.kind != "year":
        raise InputError("period", [f"{period}: the global budget is set and settled for a year"])
    weights = {g: exact(w) for g, w in params.group_weights.items()}
    problems, seen = [], set()
    for i, c in enumerate(inputs.communities):
        if c.code in seen:
            problems.append(f"communities[{i}].code: {c.code!r} appears twice")
        seen.add(c.code)
        problems += [f"communities[{i}].member_months.{g}: no such group in group_weights "
                     f"({', '.join(weights)})" for g in c.member_months if g not in weights]
    if problems:
        raise InputError("inputs", problems)

    out = Outcome()
    growth = exact(params.growth_rate)
    a = exact(params.assessed_share)
    base = exact(params.overspend_base_ratio)

    # 1. County budget B = previous_spending × (1 + growth_rate), half-up, ≤ funding if capped.
    uncapped = fen(exact(inputs.previous_spending) * (1 + growth))
    capped = params.cap_by_funding and inputs.funding is not None and inputs.funding < uncapped
    B = inputs.funding if capped else uncapped
    if params.cap_by_funding and inputs.funding is None:
        out.flag("county", "budget", "cap_by_funding is on but no funding was given: the budget is not capped")
    out.add("county", "budget", B, trace(
        "§4.1 step 1", "B = previous_spending × (1 + growth_rate), half-up; ≤ funding when cap_by_funding",
        {"previous_spending": inputs.previous_spending, "funding": inputs.funding},
        {"growth_rate": params.growth_rate, "cap_by_funding": params.cap_by_funding},
        uncapped=uncapped, capped=capped))

    # 2. Monthly per-head standard t_g = B × w_g / Σ_g w_g × member_months_g, county-wide.
    #    A group with no members anywhere still has its standard (the rate a member of it would
    #    be paid); it only drops out of the denominator, so nothing divides by its members.
    members = {g: sum((c.member_months.get(g, 0) for c in inputs.communities), 0) for g in weights}
    denominator = sum((weights[g] * members[g] for g in weights), Fraction(0))
    if denominator == 0 and B != 0:
        raise InputError("inputs", ["communities: no member-months in any group with a weight above 0, "
                                    f"so the budget {B} cannot be priced per head"])
    standard = {g: exact(B) * weights[g] / denominator if denominator else Fraction(0) for g in weights}
    for g in weights:
        out.add("county", f"standard.{g}", fen(standard[g]), trace(
            "§4.1 step 2", "t_g = B × w_g / Σ_g (w_g × member_months_g), shown to the fen, exact in use",
            {"B": B, "member_months": members[g]}, {"group_weights": params.group_weights},
            weighted_member_months=show(denominator), exact=show(standard[g], 10)))

    # 3. Community budgets B_c = Σ_g t_g × member_months_{c,g}, split from B (largest remainder);
    #    monthly prepayment B_c / 12 (largest remainder, earlier months first).
    raw = [sum((standard[g] * n for g, n in c.member_months.items()), Fraction(0)) for c in inputs.communities]
    budgets = split(B, raw)
    out.pool("budget", B, [(c.code, "budget") for c in inputs.communities])
    for c, exact_budget, budget in zip(inputs.communities, raw, budgets):
        f = exact(c.assessment_score) / 100
        out.add(c.code, "budget", budget, trace(
            "§4.1 step 3", "B_c = Σ_g t_g × member_months_{c,g}, split from B by largest remainder",
            {"B": B, "member_months": dict(c.member_months)},
            {"standards": {g: show(t, 10) for g, t in standard.items()}}, exact=show(exact_budget)))
        out.add(c.code, "actual", c.actual, trace(
            "§4.1 inputs", "pooled-fund spending of the community's insured, wherever they were treated",
            {"actual": c.actual}))

        # 4. Balance = B_c − actual_c: a surplus, of which the community retains a part and returns
        #    the rest to the fund, or an overspend, of which it bears a part and the fund covers the rest.
        balance = budget - c.actual
        if balance >= 0:
            side, amount, ratio, whole, other = "surplus", balance, 1 - a + a * f, budget, "actual"
            linked = {"assessed_share": params.assessed_share}
        else:
            side, amount, ratio, whole, other = "overspend", -balance, base * (1 - a * f), c.actual, "budget"
            linked = {"overspend_base_ratio": params.overspend_base_ratio, "assessed_share": params.assessed_share}
        formula, share, share_formula, rest, rest_formula = BALANCE[side]
        shared, left = part(amount, ratio)
        out.add(c.code, side, amount, trace("§4.1 step 4", formula, {"B_c": budget, "actual": c.actual}))
        out.add(c.code, f"{side}.{share}", shared, trace(
            "§4.1 step 4", share_formula, {side: amount, "assessment_score": c.assessment_score}, linked,
            ratio=show(ratio)))
        out.add(c.code, f"{side}.{rest}", left, trace("§4.1 step 4", rest_formula, {side: amount, share: shared}))
        out.pool(f"{side}.{c.code}", amount, [(c.code, f"{side}.{share}"), (c.code, f"{side}.{rest}")])
        out.pool(f"balance.{c.code}", whole, [(c.code, other), (c.code, side)])

        months = split_equal(budget, 12)
        for m, amount in enumerate(months, start=1):
            out.add(c.code, f"prepayment.month{m:02d}", amount, trace(
                "§4.1 step 3", "B_c / 12 by largest remainder, earlier months first", {"B_c": budget},
                month=f"{period.year}-{m:02d}"))
        out.pool(f"prepayment.{c.code}", budget, [(c.code, f"prepayment.month{m:02d}") for m in range(1, 13)])
    return out


# ---------------------------------------------------------------- from stored facts

def gather(facts: Facts, params: GlobalBudgetParameters, period: Period) -> dict:
    """The component's inputs from a county's stored facts (the mapping is in the module docstring)."""
    communities = []
    for c in sorted(facts.communities, key=lambda c: c["code"]):
        code = c["code"]
        score = facts.value("assessment_score", code, period)
        if score is None:
            score = assessment_score({d: facts.value(f"assessment_score.{d}", code, period) for d in DIMENSIONS},
                                     params.assessment_weights)
        member_months = found(**{g: facts.value(f"member_months.{g}", code, period) for g in params.group_weights})
        communities.append({"code": code, "member_months": member_months,
                            **found(actual=facts.fund(SPENDING_FUND, code, period), assessment_score=score)})
    return {**found(previous_spending=facts.fund(SPENDING_FUND, "county", period.previous_year()),
                    funding=facts.fund(FUNDING_FUND, "county", period)), "communities": communities}
