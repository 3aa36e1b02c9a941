"""Qinghai `package`: the BPHS and 65+ health-check funds packaged to the county's medical
community, earned by the county's half-year evaluation and paid on to the members by the
community's quarterly evaluation (POLICIES.md §5.1).

The package is advanced in full; what a half's score does not earn is clawed back against the
next advance, and what the members' scores withhold stays on the lead hospital's separate
ledger. Community lines are booked on `county` (R7: one community per pilot county).

`gather` reads these stored facts (Y = the settlement year):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| fund | `bphs_package.<source>` | county | Y | `funds.<source>`, each source present |
| value | `community_evaluation` | county | YH1, YH2 | `half_scores` |
| value | `member_weight` | institution | Y | `members[].weight`; an institution with it is a member |
| value | `member_quarter_score` | institution | YQ1..YQ4 | `members[].quarter_scores`, a missing quarter left out |
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Optional

from pydantic import Field, model_validator

from countypay.period import Period
from countypay.policy import Component, Facts, IndicatorDef, Model, Outcome, trace
from countypay.toolkit import (EntityCode, Money, Ratio, Score, Shares, Weight, duplicates, exact, fen, found,
                               part, refuse, show, split)

SEED = "seeds/002 青卫健〔2021〕16号"
SOURCES = ("central", "provincial", "prefecture", "county", "elderly_checkup")
"""Where the package's money comes from; `elderly_checkup` is the 65+ health-check project's money."""
HALVES = ("H1", "H2")
QUARTERS = (1, 2, 3, 4)
FUND = "bphs_package"
ZERO = Decimal("0.00")

INDICATORS = (
    # The core stores values by year, quarter or month; this one is kept per half (`2024H1`).
    IndicatorDef("community_evaluation", "县级对医共体半年综合评价得分",
                 "County's half-year evaluation of the medical community", "score",
                 entity="county", period="half", direction="higher",
                 reference=SEED + " 二(四): 县级卫生健康行政部门对医共体每半年开展一次综合评价"),
    # Served population by default (POLICIES.md §5.1), so a count of people.
    IndicatorDef("member_weight", "成员单位基本公共卫生任务权重（服务人口）",
                 "Member's share of the BPHS tasks (served population)", "count",
                 entity="institution", period="year",
                 reference="POLICIES.md §5.1 Reading: served population by default"),
    IndicatorDef("member_quarter_score", "医共体内部季度绩效评价得分",
                 "Community's quarterly evaluation of a member", "score",
                 entity="institution", period="quarter", direction="higher",
                 reference=SEED + " 二(四): 医共体内部每季度开展一次绩效评价"),
)


# ---------------------------------------------------------------- shapes

class Funds(Model):
    central: Optional[Money] = None
    provincial: Optional[Money] = None
    prefecture: Optional[Money] = None
    county: Optional[Money] = None
    elderly_checkup: Optional[Money] = None

    @model_validator(mode="after")
    def _some(self):
        if not self.given():
            raise ValueError(f"at least one source is needed ({', '.join(SOURCES)})")
        return self

    def given(self) -> list[tuple[str, Decimal]]:
        return [(s, getattr(self, s)) for s in SOURCES if getattr(self, s) is not None]


class HalfScores(Model):
    H1: Score
    H2: Score


class Member(Model):
    code: EntityCode
    weight: Weight
    quarter_scores: list[Score] = Field(min_length=4, max_length=4)


class PackageInputs(Model):
    funds: Funds
    half_scores: HalfScores
    members: list[Member] = Field(min_length=1)


class PackageParameters(Model):
    half_shares: Shares(2)
    full_score: Annotated[Decimal, Field(gt=0, le=100)]
    quarter_shares: Shares(4)
    community_reserve_rate: Ratio


# ---------------------------------------------------------------- settlement

def _check(inputs: PackageInputs) -> None:
    problems = duplicates([m.code for m in inputs.members], "members")
    if not any(m.weight for m in inputs.members):
        problems.append("members: weights must not all be zero")
    refuse(problems)


def settle(inputs: PackageInputs, params: PackageParameters, period: Period) -> Outcome:
    """POLICIES.md §5.1 steps 1-3."""
    _check(inputs)
    out = Outcome()

    # Step 1: the package is the funds of every source summed.
    funds = inputs.funds.given()
    for source, amount in funds:
        out.add("county", f"fund.{source}", amount, trace(
            "§5.1 step 1", "the source's money packaged to the medical community", {f"funds.{source}": amount}))
    package = sum((a for _, a in funds), ZERO)
    out.add("county", "package", package, trace(
        "§5.1 step 1", "package = Σ funds by source", {"funds": dict(funds)}))
    out.pool("package by source", package, [("county", f"fund.{s}") for s, _ in funds])

    # Step 2: two halves, each earned by the county's evaluation of the community.
    halves = split(package, [exact(w) for w in params.half_shares])
    scores = (inputs.half_scores.H1, inputs.half_scores.H2)
    earned_total = ZERO
    for h, half, score in zip(HALVES, halves, scores):
        out.add("county", f"half.{h}", half, trace(
            "§5.1 step 2", "package split by half_shares, largest remainder (H1 first on a tie)",
            {"package": package}, {"half_shares": params.half_shares}))
        factor = min(Fraction(1), exact(score) / exact(params.full_score))
        earned = fen(exact(half) * factor)
        withheld = half - earned
        out.add("county", f"earned.{h}", earned, trace(
            "§5.1 step 2", "earned = half × min(1, score / full_score), half-up",
            {f"half.{h}": half, f"half_scores.{h}": score}, {"full_score": params.full_score},
            factor=show(factor, 10), exact=show(exact(half) * factor, 10)))
        out.add("county", f"withheld.{h}", withheld, trace(
            "§5.1 step 2", "withheld = half − earned: clawed back against the next advance",
            {f"half.{h}": half, f"earned.{h}": earned}))
        out.pool(f"half.{h}", half, [("county", f"earned.{h}"), ("county", f"withheld.{h}")])
        if withheld:
            out.flag("county", f"withheld.{h}",
                     f"{h}: scored {score} below full_score {params.full_score}; {withheld} yuan of the "
                     f"half's {half} is not earned and is clawed back against the next advance", "info")
        earned_total += earned
    out.pool("package by half", package, [("county", f"half.{h}") for h in HALVES])
    received = earned_total
    out.add("county", "received", received, trace(
        "§5.1 step 2", "received = earned.H1 + earned.H2",
        {f"earned.{h}": out.value("county", f"earned.{h}") for h in HALVES}))
    out.pool("package", package, [("county", "received")] + [("county", f"withheld.{h}") for h in HALVES])

    # Step 3: the lead hospital's reserve, then quarter budgets paid to members by weight and score.
    reserve, distributable = part(received, exact(params.community_reserve_rate))
    out.add("county", "reserve", reserve, trace(
        "§5.1 step 3", "reserve = received × community_reserve_rate, half-up", {"received": received},
        {"community_reserve_rate": params.community_reserve_rate},
        exact=show(exact(received) * exact(params.community_reserve_rate), 10)))
    out.add("county", "distributable", distributable, trace(
        "§5.1 step 3", "distributable = received − reserve", {"received": received, "reserve": reserve}))
    out.pool("received by reserve", received, [("county", "reserve"), ("county", "distributable")])

    budgets = split(distributable, [exact(w) for w in params.quarter_shares])  # R6: not lines
    members = sorted(inputs.members, key=lambda m: m.code)
    total_weight = sum((m.weight for m in members), Decimal(0))
    parts = [split(b, [exact(m.weight) for m in members]) for b in budgets]
    withheld_total, by_member = ZERO, {}
    for i, m in enumerate(members):
        earned = []
        for k, budget in zip(QUARTERS, budgets):
            out.add(m.code, f"q{k}.part", parts[k - 1][i], trace(
                "§5.1 step 3", "the quarter budget (distributable by quarter_shares, largest remainder) "
                "split over members by weight, largest remainder (smaller code first)",
                {"distributable": distributable, "weight": m.weight, "total_weight": total_weight},
                {"quarter_shares": params.quarter_shares}, quarter_budget=budget))
        for k, budget in zip(QUARTERS, budgets):
            share, score = parts[k - 1][i], m.quarter_scores[k - 1]
            value = fen(exact(share) * exact(score) / 100)
            out.add(m.code, f"q{k}.earned", value, trace(
                "§5.1 step 3", "earned = quarter part × quarter score / 100, half-up",
                {f"q{k}.part": share, f"quarter_scores[{k - 1}]": score},
                exact=show(exact(share) * exact(score) / 100, 10), withheld=share - value))
            earned.append(value)
            withheld_total += share - value
            by_member[m.code] = by_member.get(m.code, ZERO) + share - value
        paid = sum(earned, ZERO)
        out.add(m.code, "paid", paid, trace(
            "§5.1 step 3", "paid = q1.earned + q2.earned + q3.earned + q4.earned", {"earned": earned}))
        if not m.weight:
            out.flag(m.code, "weight_zero", f"{m.code}: weight 0, so no part of any quarter budget", "info")
    for k, budget in zip(QUARTERS, budgets):
        out.pool(f"quarter Q{k}", budget, [(m.code, f"q{k}.part") for m in members])

    out.add("county", "withheld", withheld_total, trace(
        "§5.1 step 3", "withheld = Σ over members and quarters of (q<k>.part − q<k>.earned); "
        "it stays on the lead hospital's ledger", {"distributable": distributable}, by_member=by_member))
    out.pool("distributable", distributable, [(m.code, "paid") for m in members] + [("county", "withheld")])
    closing = reserve + withheld_total
    out.add("county", "ledger.closing", closing, trace(
        "§5.1 step 3", "ledger.closing = reserve + withheld (the lead hospital's separate ledger, 专账)",
        {"reserve": reserve, "withheld": withheld_total}))
    out.pool("received", received, [(m.code, "paid") for m in members] + [("county", "ledger.closing")])
    return out


# ---------------------------------------------------------------- gather

def gather(facts: Facts, params: PackageParameters, period: Period) -> dict:
    """The inputs of `settle` from the county's stored funds and evaluations (table above)."""
    year = str(period.year)
    funds = found(**{source: facts.fund(f"{FUND}.{source}", "county", year) for source in SOURCES})
    half_scores = found(**{h: facts.value("community_evaluation", "county", f"{year}{h}") for h in HALVES})
    members = []
    for inst in sorted(facts.institutions, key=lambda i: i["code"]):
        weight = facts.value("member_weight", inst["code"], year)
        if weight is None:
            continue
        scores = [facts.value("member_quarter_score", inst["code"], f"{year}Q{k}") for k in QUARTERS]
        members.append({"code": inst["code"], "weight": weight,
                        "quarter_scores": [s for s in scores if s is not None]})
    return {"funds": funds, "half_scores": half_scores, "members": members}


COMPONENT = Component.declare(__file__, "package", inputs=PackageInputs, parameters=PackageParameters,
                              settle=settle, gather=gather)
