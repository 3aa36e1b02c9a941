"""Qinghai's demo county, Huangyuan (湟源县, a pilot of seed 002), through the `countypay_demo`
hook of hookspecs.py.

From demo.yaml: the county's medical community, its lead hospital and nine member township
centres; the year's package on the county by source (`bphs_package.<source>`: the BPHS money of
four levels at 94 yuan a head served, and the 65+ health-check money); the county's two
half-year evaluations of the community; each member's weight (the people it serves) and four
quarterly scores (drawn, synthetic); the three hops of the transfer chain, the prefecture's
late and the county's passing everything on; and the notice's tasks, one done late.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from countypay.hookspecs import DemoData, hookimpl
from countypay.toolkit import demo_county, exact, fen

FIGURES = Path(__file__).with_name("demo.yaml")
LEVELS = ("central", "provincial", "prefecture", "county")


def served(f: dict) -> int:
    """The people the members serve, the county's population in the demo."""
    return sum(m["served"] for m in f["members"])


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed, population=served)
    period = str(year)
    com = f["community"]["code"]
    rows.add("communities", county=c, **f["community"])
    rows.add("institutions", county=c, community=com, kind="county_hospital", tier="county", **f["lead_hospital"])
    for m in f["members"]:
        rows.add("institutions", county=c, code=m["code"], community=com, kind="township_health_centre",
                 tier="township", name_zh=m["name_zh"], name_en=m["name_en"])

    # package: the funds by source, the half-year evaluations, the members' weights and quarter scores.
    funds = {level: fen(served(f) * exact(f["bphs_per_head"]) * exact(f["level_shares"][level])) for level in LEVELS}
    funds["elderly_checkup"] = Decimal(f["elderly_checkup"])
    for source, amount in funds.items():
        rows.add("funds", county=c, code=f"bphs_package.{source}", entity="county", period=period, amount=amount)
    for half, score in f["community_evaluation"].items():
        rows.add("indicator_values", county=c, indicator="community_evaluation", entity="county",
                 period=f"{year}{half}", value=Decimal(score))
    low, high = (int(Decimal(x) * 10) for x in f["member_quarter_score"])
    for m in f["members"]:
        rows.add("indicator_values", county=c, indicator="member_weight", entity=m["code"], period=period,
                 value=m["served"])
        for q in range(1, 5):
            rows.add("indicator_values", county=c, indicator="member_quarter_score", entity=m["code"],
                     period=f"{year}Q{q}", value=Decimal(rng.randint(low, high)).scaleb(-1))

    # transfers: the province's money (central, provincial and the health checks) down the chain,
    # each level adding its own; the county passes on everything it holds.
    matching = {"province_to_prefecture": Decimal("0.00"), "prefecture_to_county": funds["prefecture"],
                "county_to_hospital": funds["county"]}
    amount = funds["central"] + funds["provincial"] + funds["elderly_checkup"]
    for t in f["transfers"]:
        sent = amount + matching[t["hop"]]
        rows.add("transfers", county=c, period=period, hop=t["hop"], received_on=t["received_on"],
                 sent_on=t["sent_on"], amount_received=amount, matching=matching[t["hop"]], amount_sent=sent)
        amount = sent
    for t in f["tasks"]:
        rows.add("tasks", county=c, period=period, code=t["code"], body=t["body"], due=t["due"], done_on=t["done_on"])
    return DemoData(rows, examples=((
        f"Huangyuan's {year} BPHS package as its members earned it, and its transfers against the 30-day rule",
        f'{{ package: settlements(county: "huangyuan", component: "package", period: "{year}") {{\n'
        '    nodes { received: lines(entity: "county", code: "received") { nodes { amount } }\n'
        '      paid: lines(code: "paid") { nodes { entity amount } } } }\n'
        f'  transfers: settlements(county: "huangyuan", component: "transfers", period: "{year}") {{\n'
        '    nodes { flags { severity message }\n'
        '      compliant: lines(entity: "county", code: "compliant") { nodes { value trace } } } } }'),))
