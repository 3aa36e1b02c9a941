"""Haiyan's demo county, and its part in synthetic counties (the `countypay_demo` and
`countypay_synth` hooks of hookspecs.py).

The demo county: nine township and subdistrict centres (demo.yaml) buying services by work
equivalents on the catalogue in force, a year of synthetic service counts, checks, quality and
performance (`countypay.toolkit.work_equivalent_rows`), and the year's fund sized so that what
the centres are paid averages the seed's 101.05 yuan a head. Synthetic counties buy their
services on Haiyan's catalogue two counties in three; the third is left to another catalogue
(Deqing's), since two catalogues cannot price the same service counts.
"""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from countypay.hookspecs import ChainStep, DemoData, Rows, SyntheticCounty, SyntheticData, hookimpl
from countypay.toolkit import (defaults_in_force, demo_county, read_yaml, synthetic_work_equivalents,
                               work_equivalent_rows)

POLICY = "haiyan"
FIGURES = Path(__file__).with_name("demo.yaml")
PARAMETERS = Path(__file__).with_name("parameters.yaml")


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed, population=lambda f: sum(x["population"] for x in f["centres"]))
    params = defaults_in_force(PARAMETERS, "work_equivalent", date(year, 1, 1))
    if len(params["catalog"]) != f["catalogue_size"]:
        raise ValueError(f"haiyan's catalogue in force for {year} has {len(params['catalog'])} items, "
                         f"not the seed's {f['catalogue_size']}")
    for x in f["centres"]:
        kind = "community_health_centre" if "街道" in x["name_zh"] else "township_health_centre"
        rows.add("institutions", county=c, code=x["code"], kind=kind, tier="township", name_zh=x["name_zh"],
                 name_en=x["name_en"])
    work_equivalent_rows(rows, c, rng, year, params,
                         [(x["code"], x["population"]) for x in f["centres"]], per_capita=f["per_capita_average"])
    return DemoData(rows, chain={(POLICY, "work_equivalent"): sent_back_and_corrected(rows, f["correction"], year)},
                    examples=((
        f"Haiyan's {year} price per work equivalent and what each centre was paid",
        f'{{ settlements(county: "haiyan", component: "work_equivalent", period: "{year}", current: true) {{\n'
        '    nodes { price: lines(entity: "county", code: "price") { nodes { value trace } }\n'
        '      paid: lines(code: "paid") { nodes { entity amount } } } } }'),))


def sent_back_and_corrected(rows: Rows, correction: dict, year: int) -> tuple[ChainStep, ...]:
    """The county approves; Jiaxing sends the run back, a month's count of one item having been
    reported twice at a centre; the county loads the count halved, settles again and approves
    the new version, which then awaits Jiaxing."""
    key = (correction["centre"], f"{year}-{correction['month']:02d}", correction["item"])
    (reported,) = [r for r in rows.tables["service_counts"] if (r["institution"], r["month"], r["item"]) == key]
    corrected = Rows()
    corrected.add("service_counts", **{**reported, "count": reported["count"] // 2})
    return (ChainStep("approve", "county"), ChainStep("send_back", "prefecture", correction["reason"]),
            ChainStep("correct", rows=corrected), ChainStep("approve", "county"))


@hookimpl
def countypay_synth(number: int) -> SyntheticData | None:
    if number % 3 == 0:
        return None
    return SyntheticData(settles=((POLICY, "work_equivalent"),), rows=synthetic)


def synthetic(county: SyntheticCounty) -> Rows:
    """Work-equivalent facts for every institution below the county tier, their served
    people sharing the county's residents, the fund for the seed's 101.05 yuan a head."""
    rows = Rows()
    synthetic_work_equivalents(rows, county, random.Random(f"{county.seed}:{county.code}:{POLICY}"), PARAMETERS,
                               read_yaml(FIGURES)["per_capita_average"])
    return rows
