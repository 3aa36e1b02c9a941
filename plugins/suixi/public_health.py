"""Suixi `public_health`: the village-level BPHS capitation of each health management unit,
split 7:2:1 into process, objective and effect evaluation (POLICIES.md §2.1).

`gather` reads these stored facts (Y = the settlement year):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| fund | `ph_package` | unit | Y | `package`; a unit without it is not settled |
| fund | `bphs_subsidy` | county | Y | `bphs_subsidies` (central + provincial + county), for the 48 % check |
| value | `quarter_score` | unit | YQ1..YQ4 | `quarter_scores` |
| value | `credits.<sub-project>` | unit | Y | `credits`, for the two-card sub-projects in force |
| value | `<objective code>`, e.g. `immunization_rate` | unit | Y | `attainment` |
| value | `veto.<event>` (a count) | unit | Y | `vetoes`: the events counted above 0 |
| value | `spending_per_capita` | unit | Y−1 and Y | `spending_per_capita` {previous, current} |
| unit | `community` | | | `community` (needed when `effect_scope` is `community`) |
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from countypay.period import Period
from countypay.policy import Component, Facts, IndicatorDef, Model, Outcome, plain, trace
from countypay.toolkit import (Amount, EntityCode, ItemCode, Money, Ratio, Score, Shares, Weight, duplicates,
                               exact, fen, found, positive_sum, rank_tiers, read_yaml, refuse, show, split)


SEED = "seeds/000 §3.2"

VETO_EVENTS = {
    "child_death": ("辖区0-6岁儿童死亡", "Death of a child aged 0-6 in the unit"),
    "maternal_death": ("辖区孕产妇死亡", "Maternal death in the unit"),
    "mental_incident": ("严重精神障碍患者肇事肇祸", "Incident caused by a patient with a severe mental disorder"),
    "tb_unreported": ("肺结核患者漏报", "Unreported tuberculosis patient"),
    "tb_unmanaged": ("肺结核患者漏管", "Unmanaged tuberculosis patient"),
}

FUND_PACKAGE = "ph_package"
FUND_SUBSIDY = "bphs_subsidy"

PARAMETERS = Path(__file__).with_name("parameters.yaml")


def _newest(name: str) -> list[dict]:
    """The newest default of a public_health parameter: the indicator definitions below are
    derived from the parameter file, the one place the projects and objectives are written."""
    return max(read_yaml(PARAMETERS)["public_health"][name], key=lambda d: d["from"])["value"]


INDICATORS = (
    IndicatorDef("quarter_score", "基本公共卫生季度考核得分", "BPHS quarterly assessment score", "score",
                 period="quarter", direction="higher", reference=SEED + ": 季度考核, 年终总评"),
    IndicatorDef("spending_per_capita", "人均年度医疗总支出", "Total medical spending per person", "yuan",
                 direction="lower", per_capita=True, reference=SEED + ": 效果评价指标"),
    *(IndicatorDef(f"credits.{sp['code']}", f"{sp['name_zh']}工分", f"{sp['name_en']}: work credits", "credits",
                   direction="higher", reference=SEED + ": 两卡制工分") for sp in _newest("subprojects")),
    *(IndicatorDef(o["code"], o["name_zh"], o["name_en"], o.get("unit", "ratio"), direction="higher",
                   benchmark=Decimal(str(o["benchmark"])), reference=SEED) for o in _newest("objectives")),
    *(IndicatorDef(f"veto.{code}", zh, en, "event", direction="lower", reference=SEED + ": 此项不分配")
      for code, (zh, en) in VETO_EVENTS.items()),
)


# ---------------------------------------------------------------- shapes

class SubProject(Model):
    code: ItemCode
    weight: Weight
    two_card: bool = False
    price_per_credit: Optional[Amount] = None
    name_zh: Optional[str] = None
    name_en: Optional[str] = None

    @model_validator(mode="after")
    def _priced(self):
        if self.two_card and self.price_per_credit is None:
            raise ValueError(f"two-card sub-project {self.code!r} needs price_per_credit")
        return self


class Objective(Model):
    code: ItemCode
    benchmark: Amount
    unit: Literal["ratio", "share"] = "ratio"
    """A `ratio` attains at most 1; a `share` of the year's task may exceed it (120 % sends 1.2)."""
    weight: Weight = Decimal(1)
    vetoes: list[ItemCode] = Field(default_factory=list)
    project: Optional[str] = None
    name_zh: Optional[str] = None
    name_en: Optional[str] = None


class PublicHealthParameters(Model):
    ratios: Shares(3)
    quarter_weights: list[Weight] = Field(min_length=4, max_length=4)
    subprojects: list[SubProject] = Field(min_length=1)
    objectives: list[Objective] = Field(min_length=1)
    effect_tiers: list[tuple[Ratio, Ratio]] = Field(min_length=1)
    effect_scope: Literal["county", "community"] = "county"
    village_share_min: Ratio = Decimal("0.48")

    @field_validator("quarter_weights")
    @classmethod
    def _quarters(cls, v):
        if sum(v) != 1:
            raise ValueError("quarter weights must add up to 1")
        return v

    @field_validator("subprojects", "objectives")
    @classmethod
    def _items(cls, v, info):
        problems = duplicates([x.code for x in v], info.field_name)
        if problems:
            raise ValueError("; ".join(problems))
        positive_sum([x.weight for x in v], f"{info.field_name} weights")
        return v

    @field_validator("effect_tiers")
    @classmethod
    def _tiers(cls, v):
        cuts = [c for c, _ in v]
        if cuts[0] <= 0 or any(a >= b for a, b in zip(cuts, cuts[1:])):
            raise ValueError("tier cuts must rise strictly from above 0")
        positive_sum([share for _, share in v], "tier shares")
        return v


class Spending(Model):
    previous: Optional[Amount] = None
    current: Optional[Amount] = None


class Unit(Model):
    code: EntityCode
    community: Optional[EntityCode] = None
    package: Money
    quarter_scores: list[Score] = Field(min_length=4, max_length=4)
    credits: dict[str, Amount] = Field(default_factory=dict)
    attainment: dict[str, Amount] = Field(default_factory=dict)
    vetoes: list[str] = Field(default_factory=list)
    spending_per_capita: Optional[Spending] = None


class PublicHealthInputs(Model):
    units: list[Unit] = Field(min_length=1)
    bphs_subsidies: Optional[Money] = None
    """The year's BPHS subsidies (central + provincial + county), for the 48 % check."""


# ---------------------------------------------------------------- settlement

def _check(inputs: PublicHealthInputs, params: PublicHealthParameters, out: Outcome) -> None:
    """Refuse what cannot be settled; flag codes no parameter knows (they are ignored)."""
    problems = duplicates([u.code for u in inputs.units], "units")
    if params.effect_scope == "community":
        problems += [f"units[{i}].community: required when effect_scope is community"
                     for i, u in enumerate(inputs.units) if u.community is None]
    objectives = {o.code: o for o in params.objectives}
    problems += [f"units[{i}].attainment.{code}: Input should be less than or equal to 1"
                 for i, u in enumerate(inputs.units) for code, v in u.attainment.items()
                 if v > 1 and code in objectives and objectives[code].unit == "ratio"]
    refuse(problems)
    subs = {sp.code: sp for sp in params.subprojects}
    events = set(VETO_EVENTS) | {e for o in params.objectives for e in o.vetoes}
    for i, u in enumerate(inputs.units):
        for code in u.credits:
            if code not in subs:
                out.flag(u.code, "unknown_credits",
                         f"units[{i}].credits.{code}: no sub-project {code!r} in force; ignored")
            elif not subs[code].two_card:
                out.flag(u.code, "credits_not_used",
                         f"units[{i}].credits.{code}: {code!r} is not a two-card sub-project; "
                         "it earns its budget × q, the credits are ignored", "info")
        for code in u.attainment:
            if code not in objectives:
                out.flag(u.code, "unknown_objective",
                         f"units[{i}].attainment.{code}: no objective {code!r} in force; ignored")
        for j, event in enumerate(u.vetoes):
            if event not in events:
                out.flag(u.code, "unknown_veto",
                         f"units[{i}].vetoes[{j}]: no veto event {event!r} is known; ignored")


def _delta(u: Unit) -> tuple[Optional[Fraction], str]:
    """δ = (current − previous) / previous, or None and why the unit is not ranked."""
    sp = u.spending_per_capita
    if sp is None or sp.previous is None or sp.current is None:
        return None, "spending_per_capita is not given with both figures"
    if sp.previous == 0:
        return None, "previous spending_per_capita is 0"
    prev = exact(sp.previous)
    return (exact(sp.current) - prev) / prev, ""


def settle(inputs: PublicHealthInputs, params: PublicHealthParameters, period: Period) -> Outcome:
    """POLICIES.md §2.1, steps 1-6, then the 48 % village-share check."""
    out = Outcome()
    _check(inputs, params, out)
    ratios = [exact(r) for r in params.ratios]
    qw = [exact(w) for w in params.quarter_weights]
    sub_w = [exact(sp.weight) for sp in params.subprojects]
    obj_w = [exact(o.weight) for o in params.objectives]
    into_effect: dict[str, list[Decimal]] = {}
    earned_total: dict[str, Decimal] = {}

    for u in inputs.units:
        c = u.code
        # Step 1: P_u → A_u, B_u, C_u by `ratios`, largest remainder.
        A, B, C = split(u.package, ratios)
        out.add(c, "package", u.package, trace(
            "§2.1 inputs", "P_u, the unit's village-level BPHS capitation", {"package": plain(u.package)}))
        for code, value, name in (("process.pool", A, "A_u"), ("objective.pool", B, "B_u"),
                                  ("effect.contribution", C, "C_u")):
            out.add(c, code, value, trace("§2.1 step 1", f"{name}: P_u split by ratios, largest remainder",
                                          {"package": plain(u.package)}, {"ratios": plain(params.ratios)}))
        out.pool(f"{c} package", u.package,
                 [(c, "process.pool"), (c, "objective.pool"), (c, "effect.contribution")])

        # Step 2: quality coefficient q_u.
        q = sum((w * exact(sc) for w, sc in zip(qw, u.quarter_scores)), Fraction(0)) / 100
        q_trace = {"q": show(q), "quarter_scores": plain(u.quarter_scores),
                   "quarter_weights": plain(params.quarter_weights)}

        # Step 3: process evaluation, per sub-project: earned half-up, capped at b_j.
        budgets = split(A, sub_w)
        earned_parts = []
        for sp, b in zip(params.subprojects, budgets):
            if sp.two_card:
                credits = u.credits.get(sp.code, Decimal(0))
                raw = exact(credits) * q * exact(sp.price_per_credit)
                formula = "min(half-up(credits × q × price_per_credit), b_j)"
                used = {"credits": plain(credits), **q_trace}
                par = {"price_per_credit": plain(sp.price_per_credit), "weight": plain(sp.weight)}
            else:
                raw = exact(b) * q
                formula = "min(half-up(b_j × q), b_j)"
                used, par = q_trace, {"weight": plain(sp.weight)}
            earned = min(fen(raw), b)
            earned_parts.append(earned)
            out.add(c, f"process.{sp.code}.earned", earned, trace(
                "§2.1 step 3", formula, used, par, budget=plain(b), exact=show(raw),
                capped=fen(raw) > b))
        paid = sum(earned_parts, Decimal("0.00"))
        deducted = A - paid
        out.add(c, "process.paid", paid, trace(
            "§2.1 step 3", "Σ_j earned_j", {"earned": {sp.code: plain(e) for sp, e in
                                                        zip(params.subprojects, earned_parts)}},
            sub_budgets={sp.code: plain(b) for sp, b in zip(params.subprojects, budgets)}, **q_trace))
        out.add(c, "process.deducted", deducted, trace(
            "§2.1 step 3", "A_u − process.paid", {"A_u": plain(A), "process.paid": plain(paid)}))
        out.pool(f"{c} process", A, [(c, "process.paid"), (c, "process.deducted")])
        out.pool(f"{c} process.paid", paid, [(c, f"process.{sp.code}.earned") for sp in params.subprojects])

        # Step 4: objective evaluation, all or nothing per indicator.
        obj_budgets = split(B, obj_w)
        obj_paid = []
        for o, b in zip(params.objectives, obj_budgets):
            att = u.attainment.get(o.code)
            vetoed = sorted(set(o.vetoes) & set(u.vetoes))
            ok = att is not None and att >= o.benchmark and not vetoed
            obj_paid.append(b if ok else Decimal("0.00"))
            if ok:
                reason = "attained"
            elif vetoed:
                reason = "vetoed by " + ", ".join(vetoed)
            else:
                reason = "no attainment given" if att is None else "below benchmark"
            out.add(c, f"objective.{o.code}.paid", obj_paid[-1], trace(
                "§2.1 step 4", "its budget when attainment ≥ benchmark and no veto event, else 0",
                {"attainment": plain(att), "vetoes": list(u.vetoes)},
                {"benchmark": plain(o.benchmark), "weight": plain(o.weight), "vetoes": list(o.vetoes)},
                budget=plain(b), reason=reason))
        o_paid = sum(obj_paid, Decimal("0.00"))
        o_deducted = B - o_paid
        out.add(c, "objective.paid", o_paid, trace(
            "§2.1 step 4", "Σ budgets of the attained indicators",
            {"paid": {o.code: plain(p) for o, p in zip(params.objectives, obj_paid)}}))
        out.add(c, "objective.deducted", o_deducted, trace(
            "§2.1 step 4", "B_u − objective.paid", {"B_u": plain(B), "objective.paid": plain(o_paid)}))
        out.pool(f"{c} objective", B, [(c, "objective.paid"), (c, "objective.deducted")])
        out.pool(f"{c} objective.paid", o_paid, [(c, f"objective.{o.code}.paid") for o in params.objectives])

        into_effect[c] = [C, deducted, o_deducted]
        earned_total[c] = paid + o_paid

    # Step 5: effect pool per scope (the county, or each medical community), ranked by δ.
    scopes: dict[str, list[Unit]] = {}
    for u in inputs.units:
        scopes.setdefault("county" if params.effect_scope == "county" else u.community, []).append(u)
    tiers = [(exact(cut), exact(share)) for cut, share in params.effect_tiers]
    effect_paid: dict[str, Decimal] = {}
    undistributed_total = Decimal("0.00")
    for scope in sorted(scopes):
        units = scopes[scope]
        E = sum((x for u in units for x in into_effect[u.code]), Decimal("0.00"))
        deltas = {u.code: _delta(u) for u in units}
        eligible = [(k, d) for k, (d, _) in deltas.items() if d is not None]
        ranking = rank_tiers(eligible, tiers, E)
        n = ranking.n
        out.add(scope, "effect.pool", E, trace(
            "§2.1 step 5", "E = Σ_u (C_u + process.deducted_u + objective.deducted_u)",
            {u.code: {"C_u": plain(into_effect[u.code][0]), "process.deducted": plain(into_effect[u.code][1]),
                      "objective.deducted": plain(into_effect[u.code][2])} for u in units},
            {"effect_tiers": plain(params.effect_tiers), "effect_scope": params.effect_scope},
            eligible_n=n, tier_amounts=plain(ranking.tier_amounts),
            tier_ranks=[[lo, hi] if lo <= hi else [] for lo, hi in ranking.tier_ranks]))
        out.add(scope, "effect.undistributed", ranking.undistributed, trace(
            "§2.1 step 5", "the amounts of tiers that hold no rank (ceil(cut_k·N) = ceil(cut_k−1·N))",
            {"eligible_n": n}, {"effect_tiers": plain(params.effect_tiers)},
            empty_tiers=[k + 1 for k, (lo, hi) in enumerate(ranking.tier_ranks) if hi < lo]))
        undistributed_total += ranking.undistributed
        for u in units:
            d, why = deltas[u.code]
            if d is None:
                effect_paid[u.code] = Decimal("0.00")
                out.add(u.code, "effect.paid", effect_paid[u.code], trace(
                    "§2.1 step 5", "0: not eligible for the ranking", {"spending_per_capita": plain(
                        u.spending_per_capita.model_dump() if u.spending_per_capita else None)},
                    reason=why, scope=scope))
                continue
            r = ranking.entries[u.code]
            effect_paid[u.code] = r.amount
            out.add(u.code, "effect.paid", r.amount, trace(
                "§2.1 step 5", "the fen amount of its position in its tier; a tie group shares the "
                "amounts of the positions it occupies equally (largest remainder, smaller code first)",
                {"spending_per_capita": plain(u.spending_per_capita.model_dump())},
                {"effect_tiers": plain(params.effect_tiers)},
                delta=show(d, 10), rank=r.rank, eligible_n=n,
                tier=None if r.tier is None else r.tier + 1,
                tie_group=list(r.tie_group), positions=list(r.positions),
                scope=scope, pool=plain(E)))
        out.pool(f"effect {scope}", E, [(u.code, "effect.paid") for u in units] + [(scope, "effect.undistributed")])
        out.pool(f"effect {scope} sources", E, [(u.code, code) for u in units for code in
                                                ("effect.contribution", "process.deducted", "objective.deducted")])
    if params.effect_scope == "community":
        out.add("county", "effect.pool", sum((out.value(k, "effect.pool") for k in scopes), Decimal("0.00")),
                trace("§2.1 step 5", "Σ of the medical communities' effect pools", communities=sorted(scopes)))
        out.add("county", "effect.undistributed", undistributed_total,
                trace("§2.1 step 5", "Σ of the medical communities' undistributed amounts",
                      communities=sorted(scopes)))
        out.pool("effect.undistributed", undistributed_total,
                 [(k, "effect.undistributed") for k in sorted(scopes)])

    # Step 6: total per unit; the county's packages all accounted for.
    for u in inputs.units:
        c = u.code
        total = earned_total[c] + effect_paid[c]
        out.add(c, "total", total, trace(
            "§2.1 step 6", "process.paid + objective.paid + effect.paid",
            {"process.paid": plain(out.value(c, "process.paid")), "objective.paid": plain(out.value(c, "objective.paid")),
             "effect.paid": plain(effect_paid[c])}))
        out.pool(f"{c} total", total, [(c, "process.paid"), (c, "objective.paid"), (c, "effect.paid")])
    packages = sum((u.package for u in inputs.units), Decimal("0.00"))
    out.pool("packages", packages, [(u.code, "total") for u in inputs.units] + [("county", "effect.undistributed")])

    _village_share(inputs, params, packages, out)
    return out


def _village_share(inputs: PublicHealthInputs, params: PublicHealthParameters, packages: Decimal,
                   out: Outcome) -> None:
    """The village level must get at least `village_share_min` of the year's BPHS subsidies."""
    out.add("county", "package.total", packages, trace(
        "§2.1 compliance", "Σ_u P_u", {"units": len(inputs.units)}))
    if inputs.bphs_subsidies is None:
        out.flag("county", "village_share",
                 "village share not checked: bphs_subsidies (the year's central + provincial + county "
                 "BPHS subsidies) was not given", "info")
        return
    S, m = inputs.bphs_subsidies, exact(params.village_share_min)
    required = fen(exact(S) * m)
    shortfall = max(fen(exact(S) * m - exact(packages)), Decimal("0.00"))
    share = exact(packages) / exact(S) if S else None
    used = {"bphs_subsidies": plain(S), "package.total": plain(packages)}
    out.add("county", "village_share.required", required, trace(
        "§2.1 compliance", "bphs_subsidies × village_share_min, half-up", used,
        {"village_share_min": plain(params.village_share_min)}))
    out.add("county", "village_share.shortfall", shortfall, trace(
        "§2.1 compliance", "max(bphs_subsidies × village_share_min − Σ P_u, 0), half-up", used,
        {"village_share_min": plain(params.village_share_min)}))
    pct = "n/a" if share is None else f"{show(share * 100, 2)} %"
    if exact(packages) < exact(S) * m:
        out.flag("county", "village_share",
                 f"the village level receives {packages} of {S} BPHS subsidies ({pct}), less than "
                 f"{show(m * 100, 2)} %: short by {shortfall}")
    else:
        out.flag("county", "village_share",
                 f"the village level receives {packages} of {S} BPHS subsidies ({pct}), at least "
                 f"{show(m * 100, 2)} %", "info")


# ---------------------------------------------------------------- gather

def gather(facts: Facts, params: PublicHealthParameters, period: Period) -> dict:
    """The inputs of `settle` from stored facts (the table in the module docstring)."""
    year = str(period)
    events = sorted(set(VETO_EVENTS) | {e for o in params.objectives for e in o.vetoes})
    units = []
    for unit in sorted(facts.units, key=lambda x: x["code"]):
        code = unit["code"]
        package = facts.fund(FUND_PACKAGE, code, year)
        if package is None:
            continue
        entry: dict = {
            "code": code,
            "package": package,
            "quarter_scores": [facts.value("quarter_score", code, q) for q in period.quarters()],
            "credits": found(**{sp.code: facts.value(f"credits.{sp.code}", code, year)
                                for sp in params.subprojects if sp.two_card}),
            "attainment": found(**{o.code: facts.value(o.code, code, year) for o in params.objectives}),
            "vetoes": [e for e in events if (facts.value(f"veto.{e}", code, year) or 0) > 0],
            **found(community=unit.get("community") or None),
        }
        spending = found(previous=facts.value("spending_per_capita", code, period.previous_year()),
                         current=facts.value("spending_per_capita", code, year))
        if spending:
            entry["spending_per_capita"] = spending
        units.append(entry)
    return {"units": units, **found(bphs_subsidies=facts.fund(FUND_SUBSIDY, "county", year))}


COMPONENT = Component.declare(__file__, "public_health", inputs=PublicHealthInputs,
                              parameters=PublicHealthParameters, settle=settle, gather=gather,
                              benchmarks=lambda params: {o.code: o.benchmark for o in params.objectives})
