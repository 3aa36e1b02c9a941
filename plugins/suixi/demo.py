"""Suixi's demo county, and its facts in synthetic counties (the `countypay_demo` and
`countypay_synth` hooks of hookspecs.py).

demo.yaml holds the figures, those from a seed marked so. `places` lays the county out as seed
000 describes it: two medical communities, three county hospitals, 18 township centres, 20
community stations and 250 village clinics (each naming its township centre as parent), and 232
units whose five-role teams are: 单元长 the unit's township centre, 指导员 a county hospital of its
community, 村医 its village clinic (or, for the 20 urban units, community station), 管理员 the CDC
or the maternal and child health centre, and 卫健专干 the village clinic too: the seed puts the
卫健专干 on the village's public-health committee, which is no institution; the clinic is the
unit's institution in the village, and no component pays this role.

`facts` adds what the four components read, for the demo county and for any synthetic county
(which gets Suixi's figures per resident). The chronic-disease fund is settled per township
centre by `chronic_package` from 2021 (POLICIES.md §2.4), so a county override sets
`insurance_capitation.chronic_group` false (from 2023, the first day the plugin's big-package
parameters are in force: an override is checked against them on its date) and the units'
insurance facts are for the general group only: one fund, one level. Everything drawn from the random generator (scores,
credits, attainments, spending, the split of people over units and centres) is synthetic.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from countypay.hookspecs import ChainStep, DemoData, Rows, SyntheticCounty, SyntheticData, hookimpl
from countypay.policy import CommunityRow, InstitutionRow, UnitRow
from countypay.toolkit import (apportion, defaults_in_force, demo_county, exact, from_fen, read_yaml, round_half_up,
                               to_fen)

POLICY = "suixi"
FIGURES = Path(__file__).with_name("demo.yaml")
PARAMETERS = Path(__file__).with_name("parameters.yaml")
COMPONENTS = ("public_health", "insurance_capitation", "community_surplus", "chronic_package")
VETOES = ("child_death", "maternal_death", "mental_incident", "tb_unreported")


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed, population=lambda f: f["residents"])
    facts(rows, c, *places(rows, f, rng), rng, year, f)
    # Up the chain: the small package approved by the county and Huaibei, accepted by Anhui.
    accepted = (ChainStep("approve", "county"), ChainStep("approve", "prefecture"), ChainStep("approve", "province"))
    return DemoData(rows, examples(year), chain={(POLICY, "chronic_package"): accepted})


@hookimpl
def countypay_synth(number: int) -> SyntheticData:
    return SyntheticData(settles=tuple((POLICY, c) for c in COMPONENTS), rows=synthetic)


def synthetic(county: SyntheticCounty) -> Rows:
    rows = Rows()
    facts(rows, county.code, list(county.communities), list(county.institutions), list(county.units),
          random.Random(f"{county.seed}:{county.code}:{POLICY}"), county.year, read_yaml(FIGURES))
    return rows


def whole_fen(x: Fraction) -> int:
    return int(round_half_up(x, 0))


def places(rows: Rows, f: dict, rng: random.Random) -> tuple[list[CommunityRow], list[InstitutionRow], list[UnitRow]]:
    """The county's communities, institutions and units with their teams and residents, as rows
    and as the plain places `facts` reads."""
    c = f["county"]["code"]
    communities = [CommunityRow(code=x["code"], name_zh=x["name_zh"], lead=x["lead"]) for x in f["communities"]]
    for x in f["communities"]:
        rows.add("communities", county=c, **x)
    institutions: list[InstitutionRow] = []

    def institution(code, name_zh, name_en, kind, tier, community=None, parent=None):
        rows.add("institutions", county=c, code=code, community=community, kind=kind, tier=tier, name_zh=name_zh,
                 name_en=name_en, parent=parent)
        institutions.append(InstitutionRow(code=code, name_zh=name_zh, kind=kind, tier=tier, community=community,
                                           parent=parent))

    coms = [x["code"] for x in f["communities"]]
    for x in f["county_hospitals"]:
        institution(x["code"], x["name_zh"], x["name_en"], "county_hospital", "county", x["community"])
    hospitals = {com: [x["code"] for x in f["county_hospitals"] if x["community"] == com] for com in coms}
    towns = f["township_centres"]
    centres = []  # (code, community, town)
    for i, town in enumerate(towns, start=1):
        code, com = f"T{i:02d}", coms[0] if i <= len(towns) // 2 else coms[1]
        institution(code, f"{town}卫生院" if town.endswith("镇") else f"{town}分院", f"Township health centre {code}",
                    "township_health_centre", "township", com)
        centres.append((code, com, town))
    for x in f["public_health_institutions"]:
        institution(x["code"], x["name_zh"], x["name_en"], "public_health_institution", "county")

    n_units = f["units"]
    per_centre = apportion(n_units, [1] * len(centres))
    unit_centre = [centres[k] for k, n in enumerate(per_centre) for _ in range(n)]
    village = []  # the 村医's institution of each unit: stations for the first (urban) units
    for i in range(f["community_stations"]):
        code, (tc, com, town) = f"S{i + 1:02d}", unit_centre[i]
        institution(code, f"{town}第{i + 1}社区卫生服务站", f"Community health station {code}",
                    "community_health_station", "village", com, tc)
        village.append(code)
    for j in range(f["village_clinics"]):
        code, u = f"V{j + 1:03d}", f["community_stations"] + j
        tc, com, town = unit_centre[u] if u < n_units else centres[(u - n_units) % len(centres)]
        institution(code, f"{town}第{j + 1}村卫生室", f"Village clinic {code}", "village_clinic", "village", com, tc)
        if u < n_units:
            village.append(code)

    admins = [x["code"] for x in f["public_health_institutions"]]
    residents = apportion(f["residents"], [rng.randint(2600, 5400) for _ in range(n_units)])
    units: list[UnitRow] = []
    for i in range(n_units):
        code, (tc, com, town) = f"U{i + 1:03d}", unit_centre[i]
        nth = i - sum(per_centre[:centres.index(unit_centre[i])]) + 1
        rows.add("units", county=c, code=code, community=com, name_zh=f"{town}第{nth}健康管理单元",
                 name_en=f"Health management unit {code}")
        team = {"unit_head": tc, "instructor": hospitals[com][i % len(hospitals[com])],
                "village_doctor": village[i], "administrator": admins[i % len(admins)], "commissioner": village[i]}
        for role, inst in team.items():
            rows.add("unit_members", county=c, unit=code, role=role, institution=inst)
        rows.add("unit_populations", county=c, unit=code, group="residents", count=residents[i])
        units.append(UnitRow(code=code, community=com, team=team, populations={"residents": residents[i]}))
    return communities, institutions, units


def facts(rows: Rows, c: str, communities: list[CommunityRow], institutions: list[InstitutionRow],
          units: list[UnitRow], rng: random.Random, year: int, f: dict) -> None:
    """What the four components read for `year`, for units whose teams and residents are given:
    population groups, public-health packages, scores, credits, attainments, vetoes and spending
    per head; three years of general-group insurance spending per head, the year's actual and
    tier coefficients; the communities' surplus; and the small package per township centre."""
    ph = defaults_in_force(PARAMETERS, "public_health", date(year, 1, 1))
    ins, cp = f["insurance"], f["chronic_package"]
    period = str(year)
    residents = [u["populations"]["residents"] for u in units]
    total = sum(residents)
    scale = Fraction(total, f["residents"])  # 1 for the demo county: its residents are the seed's
    big = whole_fen(to_fen(ins["big_package"]) * scale)
    per_head = to_fen(ins["chronic_per_head"])
    enrolled_total = int(to_fen(ins["chronic_package"]) * scale // per_head)
    general_total = int(total * exact(ins["general_insured_share"]))
    general = apportion(general_total, residents)
    chronic = apportion(enrolled_total, [r * rng.randint(80, 120) for r in residents])
    general_mean = (big - enrolled_total * per_head) // general_total  # fen a head: the big package less the small
    package_fen = to_fen(f["public_health"]["package_per_capita"])
    two_card = [sp for sp in ph["subprojects"] if sp.get("two_card")]
    last_spending = (0, 0)
    for i, u in enumerate(units):
        code, res = u["code"], residents[i]
        pops = {"red": res * rng.randint(20, 40) // 1000, "yellow": res * rng.randint(70, 110) // 1000,
                "green": res * rng.randint(180, 260) // 1000, "general": general[i], "chronic": chronic[i]}
        for group, n in pops.items():
            rows.add("unit_populations", county=c, unit=code, group=group, count=n)

        # public_health: package, quarterly scores, credits, attainments, spending per head.
        package = res * package_fen
        rows.add("funds", county=c, code="ph_package", entity=code, period=period, amount=from_fen(package))
        for q in range(1, 5):
            rows.add("indicator_values", county=c, indicator="quarter_score", entity=code, period=f"{year}Q{q}",
                     value=Decimal(rng.randint(700, 985)).scaleb(-1))
        sub_budget = package * 7 // 10 // len(ph["subprojects"])
        for sp in two_card:
            credits = sub_budget * rng.randint(950, 1300) // (to_fen(sp["price_per_credit"]) * 1000)
            rows.add("indicator_values", county=c, indicator=f"credits.{sp['code']}", entity=code, period=period,
                     value=credits)
        for o in ph["objectives"]:
            bench = int(exact(o["benchmark"]) * 1000)
            att = 1000 if bench >= 1000 and rng.random() < 0.75 else min(1000, max(0, bench + rng.randint(-60, 120)))
            rows.add("indicator_values", county=c, indicator=o["code"], entity=code, period=period,
                     value=Decimal(att).scaleb(-3))
        previous = rng.randint(95000, 140000)
        current = previous * (1000 + rng.randint(-60, 80)) // 1000
        if i == 11:  # U012 changes exactly as U011 did, to show a tie in the ranking
            previous, current = last_spending
        last_spending = (previous, current)
        rows.add("indicator_values", county=c, indicator="spending_per_capita", entity=code, period=str(year - 1),
                 value=from_fen(previous))
        rows.add("indicator_values", county=c, indicator="spending_per_capita", entity=code, period=period,
                 value=from_fen(current))

        # insurance_capitation, general group: three years of spending per head, this year's actual, coefficients.
        base = general_mean * rng.randint(900, 1100) // 1000
        history = [base * 100 // 103, base, base * 103 // 100]
        for y, v in zip(range(year - 3, year), history):
            rows.add("indicator_values", county=c, indicator="insurance_per_capita.general", entity=code,
                     period=str(y), value=from_fen(v))
        budget = whole_fen(Fraction(sum(history) * general[i], 3))
        rows.add("funds", county=c, code="insurance_actual.general", entity=code, period=period,
                 amount=from_fen(budget * rng.randint(880, 1020) // 1000))
        for tier in ("county", "township", "village"):
            rows.add("indicator_values", county=c, indicator=f"insurance_assessment.general.{tier}", entity=code,
                     period=period, value=Decimal(rng.randint(85, 100)).scaleb(-2))

    for code, event in zip(rng.sample([u["code"] for u in units], len(VETOES)), VETOES):
        rows.add("indicator_values", county=c, indicator=f"veto.{event}", entity=code, period=period, value=1)
    rows.add("funds", county=c, code="bphs_subsidy", entity="county", period=period,
             amount=from_fen(total * to_fen(f["public_health"]["bphs_per_capita"])))
    for com in communities:  # community_surplus
        rows.add("funds", county=c, code="community_surplus", entity=com["code"], period=period,
                 amount=from_fen(rng.randint(2_400_000, 3_600_000) * 100))

    # chronic_package: a centre enrols the chronic patients of its units, a village clinic follows
    # those of the units its doctor serves (others 20 to 80); the big package for the share report.
    rows.add("parameter_overrides", county=c, policy=POLICY, component="insurance_capitation", name="chronic_group",
             effective=cp["since"], value=False,
             reference="POLICIES.md §2.4 reading (one fund, one level): the chronic-disease fund is settled per "
                       "township centre by chronic_package (seeds/001 Suixi §2: 自2021年起)")
    rows.add("funds", county=c, code="insurance_big_package", entity="county", period=period, amount=from_fen(big))
    patients: Counter = Counter()
    for u, n in zip(units, chronic):
        patients[u["team"]["unit_head"]] += n
        patients[u["team"]["village_doctor"]] += n
    low, high = (int(Decimal(x) * 10) for x in cp["assessment_score"])
    for inst in sorted(institutions, key=lambda x: x["code"]):
        code = inst["code"]
        if inst["kind"] == "township_health_centre" and patients[code]:
            budget = patients[code] * per_head
            rows.add("indicator_values", county=c, indicator="chronic_enrolled", entity=code, period=period,
                     value=patients[code])
            rows.add("funds", county=c, code="chronic_actual", entity=code, period=period,
                     amount=from_fen(budget * rng.randint(*cp["actual_permille"]) // 1000))
            rows.add("indicator_values", county=c, indicator="chronic_assessment_score", entity=code, period=period,
                     value=Decimal(rng.randint(low, high)).scaleb(-1))
        elif inst["kind"] == "village_clinic":
            rows.add("indicator_values", county=c, indicator="chronic_village_weight", entity=code, period=period,
                     value=patients[code] or rng.randint(20, 80))


def examples(year: int) -> tuple[tuple[str, str], ...]:
    return (
        ("Suixi's health management units and one unit's five-role team",
         '{ county(code: "suixi") { nameZh units(first: 1) { totalCount nodes { code nameZh\n'
         '    team { role roleZh institution { code nameZh tier } } populations { group count } } } } }'),
        (f"The effect pool of Suixi's {year} public-health settlement with each unit's rank and tier, and the "
         "chronic-disease small package's share of the big package",
         f'{{ publicHealth: settlements(county: "suixi", component: "public_health", period: "{year}") {{\n'
         '    nodes { flags { severity message }\n'
         '      pool: lines(entity: "county", code: "effect.pool") { nodes { amount } }\n'
         '      effect: lines(code: "effect.paid", first: 10) { nodes { entity amount trace } } } }\n'
         f'  smallPackage: settlements(county: "suixi", component: "chronic_package", period: "{year}") {{\n'
         '    nodes { share: lines(entity: "county", code: "small_package_share") { nodes { value trace } }\n'
         '      centres: lines(code: "distributable", first: 5) { nodes { entity amount trace } } } } }'),
    )
