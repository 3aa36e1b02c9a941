"""Deqing's demo county, and its part in synthetic counties (the `countypay_demo` and
`countypay_synth` hooks of hookspecs.py).

The demo county (demo.yaml): two health groups with their hospitals, twelve centres and 127
village clinics; the global budget's facts (member-months by scheme and age, last year's
spending, this year's funding and actuals, the three assessment scores); the twelve centres
bought by work equivalents on Deqing's catalogue (`countypay.toolkit.work_equivalent_rows`)
from a fund of 92 yuan a resident; and the seed's recorded budget outcomes 2018-2023
(history.py) as the county's indicator values, for reports that set the rule beside the record.

Every synthetic county gets the global budget's facts for its communities; every third buys its
services by work equivalents on Deqing's catalogue (the others on Haiyan's).
"""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from countypay.hookspecs import ChainStep, DemoData, Rows, SyntheticCounty, SyntheticData, hookimpl
from countypay.toolkit import (apportion, defaults_in_force, demo_county, exact, from_fen, read_yaml,
                               round_half_up, synthetic_work_equivalents, work_equivalent_rows)

from .history import indicator_values

POLICY = "deqing"
FIGURES = Path(__file__).with_name("demo.yaml")
PARAMETERS = Path(__file__).with_name("parameters.yaml")


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed, population=lambda f: f["residents"])
    for x in f["communities"]:
        rows.add("communities", county=c, code=x["code"], name_zh=x["name_zh"], name_en=x["name_en"], lead=x["lead"])
    for x in f["county_hospitals"]:
        rows.add("institutions", county=c, code=x["code"], community=x["community"], kind="county_hospital",
                 tier="county", name_zh=x["name_zh"], name_en=x["name_en"])
    centres = f["township_centres"]
    for x in centres:
        kind = "community_health_centre" if "街道" in x["name_zh"] else "township_health_centre"
        rows.add("institutions", county=c, code=x["code"], community=x["community"], kind=kind, tier="township",
                 name_zh=x["name_zh"], name_en=x["name_en"])
    n = 0
    for x, k in zip(centres, apportion(f["village_clinics"], [rng.randint(6, 16) for _ in centres])):
        for j in range(1, k + 1):
            n += 1
            rows.add("institutions", county=c, code=f"DV{n:03d}", community=x["community"], kind="village_clinic",
                     tier="village", name_zh=f"{town(x['name_zh'])}第{j}村卫生室", name_en=f"Village clinic DV{n:03d}",
                     parent=x["code"])

    shares = [exact(x["share"]) for x in f["communities"]]
    young = apportion(f["residents"] - f["aged_60_plus"], shares)
    old = apportion(f["aged_60_plus"], shares)
    global_budget_rows(rows, c, rng, year, {x["code"]: (y, o) for x, y, o in zip(f["communities"], young, old)},
                       f["employee_share"], f["assessment"], f["spending_ratio"])

    # work_equivalent: the centres' served populations share the county's residents.
    served = apportion(f["residents"], [rng.randint(30, 70) for _ in centres])
    work_equivalent_rows(rows, c, rng, year, defaults_in_force(PARAMETERS, "work_equivalent", date(year, 1, 1)),
                         [(x["code"], p) for x, p in zip(centres, served)],
                         fund=f["residents"] * exact(f["work_equivalent_per_capita"]))

    for code, period, value in indicator_values():
        rows.add("indicator_values", county=c, indicator=code, entity="county", period=period, value=value)
    # Up the chain: the global budget approved by the county, awaiting Huzhou.
    return DemoData(rows, chain={(POLICY, "global_budget"): (ChainStep("approve", "county"),)}, examples=((
        f"Deqing's {year} global budget: what each health group keeps of its surplus, and the recorded years",
        f'{{ settlements(county: "deqing", component: "global_budget", period: "{year}") {{\n'
        '    nodes { retained: lines(code: "surplus.retained") { nodes { entity amount trace } } } }\n'
        '  history: indicatorValues(county: "deqing", indicator: "implied_assessment_score") '
        '{ nodes { period value } } }'),))


def town(name: str) -> str:
    """The town part of a centre's name: 新市镇卫生院 → 新市镇."""
    for suffix in ("街道", "镇"):
        i = name.find(suffix)
        if i >= 0:
            return name[:i + len(suffix)]
    return name


def global_budget_rows(rows: Rows, c: str, rng: random.Random, year: int, people: dict[str, tuple[int, int]],
                       employee_share: dict, assessment: dict, spending_ratio: dict) -> None:
    """The global budget's facts for county `c` whose communities hold `people` (under 60, 60
    and over): member-months by scheme and age (a few months missing), the assessment scores,
    last year's spending a little under the group weights, this year's funding 6 % above the
    budget, and each community's actual at `spending_ratio` of its share of the budget."""
    gb = defaults_in_force(PARAMETERS, "global_budget", date(year, 1, 1))
    weights = {g: exact(w) for g, w in gb["group_weights"].items()}
    members: dict[str, dict[str, int]] = {}
    for com, (le60, gt60) in people.items():
        emp_le, emp_gt = int(le60 * exact(employee_share["le60"])), int(gt60 * exact(employee_share["gt60"]))
        persons = {"employee.le60": emp_le, "employee.gt60": emp_gt,
                   "resident.le60": le60 - emp_le, "resident.gt60": gt60 - emp_gt}
        members[com] = {g: p * 12 - rng.randint(0, p // 50) for g, p in persons.items()}
        for g, months in members[com].items():
            rows.add("indicator_values", county=c, indicator=f"member_months.{g}", entity=com, period=str(year),
                     value=months)
        for dimension, score in assessment[com].items():
            rows.add("indicator_values", county=c, indicator=f"assessment_score.{dimension}", entity=com,
                     period=str(year), value=score)
    weighted = {com: sum((weights[g] * n for g, n in m.items()), Fraction(0)) for com, m in members.items()}
    total = sum(weighted.values(), Fraction(0))
    previous = int(round_half_up(total / 12 * 100 * Fraction(100, 104), 0))  # fen
    budget = int(round_half_up(previous * (1 + exact(gb["growth_rate"])), 0))
    rows.add("funds", county=c, code="insurance_spending", entity="county", period=str(year - 1),
             amount=from_fen(previous))
    rows.add("funds", county=c, code="insurance_funding", entity="county", period=str(year),
             amount=from_fen(budget * 106 // 100))
    for com in members:
        actual = budget * weighted[com] / total * exact(spending_ratio[com])
        rows.add("funds", county=c, code="insurance_spending", entity=com, period=str(year), amount=from_fen(int(actual)))


@hookimpl
def countypay_synth(number: int) -> SyntheticData:
    settles = ((POLICY, "global_budget"),) + (((POLICY, "work_equivalent"),) if number % 3 == 0 else ())
    return SyntheticData(settles=settles, rows=synthetic)


def synthetic(county: SyntheticCounty) -> Rows:
    """The global budget's facts for the county's communities, each holding the residents of its
    units (a quarter of them 60 or over); in every third county, work equivalents too."""
    f = read_yaml(FIGURES)
    rng = random.Random(f"{county.seed}:{county.code}:{POLICY}")
    rows = Rows()
    aged = exact(f["aged_60_plus_share"])
    people: dict[str, tuple[int, int]] = {com["code"]: (0, 0) for com in county.communities}
    for u in county.units:
        if u["community"] in people:
            n = u["populations"]["residents"]
            y, o = people[u["community"]]
            people[u["community"]] = (y + n - int(n * aged), o + int(n * aged))
    global_budget_rows(rows, county.code, rng, county.year, people, f["employee_share"],
                       {com: {d: Decimal(rng.randint(800, 950)).scaleb(-1) for d in ("payment", "supply", "patient")}
                        for com in people},
                       {com: Fraction(rng.randint(960, 1010), 1000) for com in people})
    if county.number % 3 == 0:
        synthetic_work_equivalents(rows, county, rng, PARAMETERS, f["work_equivalent_per_capita"])
    return rows
