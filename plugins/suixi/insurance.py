"""Suixi `insurance_capitation`: the insurance "big package" of each health management unit,
per population group, with surplus shared across the three tiers (POLICIES.md §2.2).

`gather` reads these stored facts (Y = the settlement year, g = general | chronic):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| unit | `populations[g]` | | | `<g>.population`; a group without a population is absent |
| value | `insurance_per_capita.<g>` | unit | Y−3, Y−2, Y−1 | `<g>.per_capita_history`, oldest first |
| fund | `insurance_actual.<g>` | unit | Y | `<g>.actual` (outpatient + inpatient, critical-illness insurance excluded) |
| value | `insurance_assessment.<g>.<tier>` | unit | Y | `<g>.assessment` [county, township, village]; 1 when absent |
| unit | `team` | | | `team` {role: institution code} |

With the parameter `chronic_group` false (a year the county settles `chronic_package` instead:
one fund, one level) the chronic group is neither gathered nor budgeted.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Literal, Optional

from pydantic import Field, model_validator

from countypay.period import Period
from countypay.policy import ROLES, TIERS, Component, Facts, IndicatorDef, Model, Outcome, plain, trace
from countypay.toolkit import (Amount, EntityCode, Money, Ratio, Shares, duplicates, refuse,
                               exact, fen, show, split, split_equal)


GROUPS = ("general", "chronic")
GROUP_NAMES = {"general": ("一般人群", "General population"), "chronic": ("门诊慢病人群", "Chronic outpatients")}
ROLE_OF_TIER = {"county": "instructor", "township": "unit_head", "village": "village_doctor"}
"""Whose institution receives a tier's share: 指导员's county hospital, 单元长's township health
centre, 村医's village clinic."""
FUND_ACTUAL = "insurance_actual"
SEED = "seeds/000 §3.1; seeds/001 Suixi §3"

INDICATORS = (
    *(IndicatorDef(f"insurance_per_capita.{g}", f"{zh}人均医保基金支出", f"Insurance spending per person: {en.lower()}",
                   "yuan", per_capita=True, direction="lower", reference=SEED + ": 近3年人均医保基金年均支出")
      for g, (zh, en) in GROUP_NAMES.items()),
    *(IndicatorDef(f"insurance_assessment.{g}.{t}", f"{zh}结余分配考核系数（{tz}）",
                   f"Surplus assessment coefficient, {en.lower()}, {t} tier", "ratio", direction="higher",
                   reference=SEED + ": 结余基金按县镇村对应比例进行考核分配")
      for g, (zh, en) in GROUP_NAMES.items() for t, tz in zip(TIERS, ("县", "镇", "村"))),
)


class Group(Model):
    population: int = Field(ge=0)
    per_capita_history: list[Amount] = Field(min_length=1)
    """Per-capita insurance spending of past years, oldest first; the last `history_years` count."""
    actual: Money
    assessment: list[Ratio] = Field(default=[Decimal(1)] * 3, min_length=3, max_length=3)
    """Coefficients in tier order [county, township, village]."""


class Unit(Model):
    code: EntityCode
    community: Optional[EntityCode] = None
    team: dict[Literal[ROLES], EntityCode] = Field(default_factory=dict)
    general: Optional[Group] = None
    chronic: Optional[Group] = None

    @model_validator(mode="after")
    def _some_group(self):
        if self.general is None and self.chronic is None:
            raise ValueError(f"unit {self.code!r} has neither a general nor a chronic group")
        return self


class InsuranceInputs(Model):
    units: list[Unit] = Field(min_length=1)


class InsuranceParameters(Model):
    general_split: Shares(3)
    chronic_split: Shares(3)
    history_years: int = Field(default=3, ge=1)
    chronic_group: bool = True
    """False in the years the county settles the chronic-disease fund by `chronic_package`."""


def settle(inputs: InsuranceInputs, params: InsuranceParameters, period: Period) -> Outcome:
    """POLICIES.md §2.2 per unit and group, then the tier shares attributed to the team's institutions."""
    refuse(duplicates([u.code for u in inputs.units], "units"))
    out = Outcome()
    # (institution, line code) → [(unit, amount)]: what each institution receives through its roles.
    attributed: dict[tuple[str, str], list[tuple[str, Decimal]]] = {}
    left_out = [u.code for u in inputs.units if u.chronic is not None and not params.chronic_group]
    if left_out:
        out.flag("county", "chronic.left_out",
                 f"chronic_group is false (the chronic-disease fund is settled by chronic_package): "
                 f"the chronic group of {', '.join(left_out)} is not budgeted", "info")
    for u in inputs.units:
        for g in GROUPS:
            grp: Optional[Group] = getattr(u, g)
            if grp is None or (g == "chronic" and not params.chronic_group):
                continue  # a group absent from the inputs, or left out by chronic_group, produces no lines
            c = u.code
            weights = params.general_split if g == "general" else params.chronic_split
            # Budget: mean of the last three per-capita figures × population, half-up.
            hist = grp.per_capita_history[-params.history_years:]
            mean = sum((exact(h) for h in hist), Fraction(0)) / len(hist)
            budget = fen(mean * grp.population)
            out.add(c, f"{g}.budget", budget, trace(
                "§2.2", "mean(per_capita_history, last years) × population, half-up",
                {"per_capita_history": plain(hist), "population": grp.population},
                {"history_years": params.history_years}, mean=show(mean)))
            if len(hist) < params.history_years:
                out.flag(c, f"{g}.short_history",
                         f"{g}: the budget uses {len(hist)} year(s) of per-capita history, not "
                         f"{params.history_years}", "info")
            out.add(c, f"{g}.actual", grp.actual, trace(
                "§2.2", "the year's insurance spending (outpatient + inpatient, critical-illness excluded)",
                {"actual": plain(grp.actual)}))
            if budget >= grp.actual:
                surplus = budget - grp.actual
                out.add(c, f"{g}.surplus", surplus, trace(
                    "§2.2", "budget − actual", {"budget": plain(budget), "actual": plain(grp.actual)}))
                shares = split(surplus, [exact(w) for w in weights])
                paid = []
                for tier, share, coef in zip(TIERS, shares, grp.assessment):
                    amount = min(fen(exact(share) * exact(coef)), share)
                    paid.append(amount)
                    role = ROLE_OF_TIER[tier]
                    inst = u.team.get(role)
                    out.add(c, f"{g}.{tier}", amount, trace(
                        "§2.2", "tier share (surplus split by the group's split, largest remainder) "
                        "× assessment coefficient, half-up, capped at the share",
                        {"surplus": plain(surplus), "assessment": plain(coef)},
                        {f"{g}_split": plain(weights)}, share=plain(share), institution=inst, role=role))
                    if inst is not None:
                        attributed.setdefault((inst, f"insurance.{g}.{tier}"), []).append((c, amount))
                retained = surplus - sum(paid, Decimal("0.00"))
                out.add(c, f"{g}.community_retained", retained, trace(
                    "§2.2", "surplus − Σ tier amounts (what the coefficients withhold)",
                    {"surplus": plain(surplus), "tiers": plain(dict(zip(TIERS, paid)))}))
                out.pool(f"{c} {g} budget", budget, [(c, f"{g}.actual"), (c, f"{g}.surplus")])
                out.pool(f"{c} {g} surplus", surplus,
                         [(c, f"{g}.{t}") for t in TIERS] + [(c, f"{g}.community_retained")])
                missing = [ROLE_OF_TIER[t] for t in TIERS if u.team and ROLE_OF_TIER[t] not in u.team]
                if missing:
                    out.flag(c, f"{g}.unattributed",
                             f"{g}: the team names no {', '.join(missing)}, so that tier's share has no institution")
            else:
                overspend = grp.actual - budget
                out.add(c, f"{g}.overspend", overspend, trace(
                    "§2.2", "actual − budget", {"budget": plain(budget), "actual": plain(grp.actual)}))
                out.add(c, f"{g}.community_borne", overspend, trace(
                    "§2.2", "the whole overspend, borne by the medical community",
                    {"overspend": plain(overspend)}, community=u.community))
                out.pool(f"{c} {g} actual", grp.actual, [(c, f"{g}.budget"), (c, f"{g}.overspend")])
                out.pool(f"{c} {g} overspend", overspend, [(c, f"{g}.community_borne")])
            # Monthly advances: budget / 12, largest remainder, earlier months first.
            for m, amount in enumerate(split_equal(budget, 12), start=1):
                out.add(c, f"{g}.advance.month{m:02d}", amount, trace(
                    "§2.2", "budget / 12, largest remainder, earlier months first", {"budget": plain(budget)}))
            out.pool(f"{c} {g} advances", budget, [(c, f"{g}.advance.month{m:02d}") for m in range(1, 13)])

    # The tier amounts, booked on the institutions of each unit's team (a reporting view of
    # the unit lines above, so no pool of its own).
    for (inst, code), parts in sorted(attributed.items()):
        out.add(inst, code, sum((a for _, a in parts), Decimal("0.00")), trace(
            "§2.2", "Σ over the units whose team names this institution in the tier's role",
            {unit: plain(a) for unit, a in parts}, role=ROLE_OF_TIER[code.rsplit(".", 1)[1]]))
    return out


def gather(facts: Facts, params: InsuranceParameters, period: Period) -> dict:
    """The inputs of `settle` from stored facts (the table in the module docstring)."""
    year = str(period)
    past = [str(period.year - k) for k in range(params.history_years, 0, -1)]
    units = []
    for unit in sorted(facts.units, key=lambda x: x["code"]):
        code = unit["code"]
        entry: dict = {"code": code}
        if unit.get("community"):
            entry["community"] = unit["community"]
        if unit.get("team"):
            entry["team"] = dict(unit["team"])
        for g in GROUPS:
            population = (unit.get("populations") or {}).get(g)
            if population is None or (g == "chronic" and not params.chronic_group):
                continue
            grp: dict = {"population": population,
                         "per_capita_history": [v for y in past
                                                for v in [facts.value(f"insurance_per_capita.{g}", code, y)]
                                                if v is not None],
                         "actual": facts.fund(f"{FUND_ACTUAL}.{g}", code, year)}
            coefs = [facts.value(f"insurance_assessment.{g}.{t}", code, year) for t in TIERS]
            if any(c is not None for c in coefs):
                grp["assessment"] = [Decimal(1) if c is None else c for c in coefs]
            entry[g] = grp
        if any(g in entry for g in GROUPS):
            units.append(entry)
    return {"units": units}


COMPONENT = Component.declare(__file__, "insurance_capitation", inputs=InsuranceInputs,
                              parameters=InsuranceParameters, settle=settle, gather=gather,
                              lookback=lambda params: params.history_years)
