"""Chengwu's demo county (the `countypay_demo` hook of hookspecs.py).

The general hospital's medical community with the two county hospitals, 13 township and
subdistrict centres and 286 village clinics (demo.yaml), and what the two components read:

- `assessment`: for each indicator of the plugin's catalogue (catalogue.py) the county's 2023
  value and the 2024-2026 targets as the seed prints them, and the general hospital's synthetic
  values of the demo year (demo.yaml), which the county assesses (POLICIES.md §6.1). A cell
  keeps its text as written, and a number where it has one, for reports that compare values
  with targets: percentages as shares of 1, numbers, per-mille figures, the first term of x:1
  ratios; yes/no, two values in one cell and trends have none. The seed prints #32's 2023 value
  as the trend word 逐年提高, which is no value of a trend indicator (a value is a number): that
  cell stays out, and the hospital's own value of the year before (synthetic) is what its trend
  is judged against.
- `project_funds`: the seed's five tasks with their plan by year and source, and what was
  disbursed up to the demo year (synthetic, one task's county money short).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Optional

from countypay.hookspecs import ChainStep, DemoData, hookimpl
from countypay.toolkit import apportion, demo_county, read_value

from .catalogue import catalogue

FIGURES = Path(__file__).with_name("demo.yaml")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
BASELINE_YEAR = 2023  # the year of the catalogue's `value_2023`
SOURCES = ("province", "county")  # the plan's sources with money (市县 and other are 0)
WAN = 10000  # yuan in one 万


def cell(text: str, kind: str, target: bool = False) -> Optional[tuple[Optional[Decimal], str]]:
    """(number, text) of a cell of a catalogue value type, as the demo stores it; None when the
    text is no value (or target) of that type."""
    try:
        read_value(text, kind, target)
    except ValueError:
        return None
    t = text.strip()
    for sign, kinds, scale in (("%", ("percent",), -2), ("‰", ("permille",), 0), (":1", ("ratio",), 0),
                               ("", ("number",), 0)):
        number = t[:len(t) - len(sign)]
        if kind in kinds and t.endswith(sign) and NUMBER.fullmatch(number):
            return Decimal(number).scaleb(scale), t
    return None, t


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed)
    com = f["community"]["code"]
    rows.add("communities", county=c, **f["community"])
    for x in f["county_hospitals"]:
        rows.add("institutions", county=c, code=x["code"], community=com, kind="county_hospital", tier="county",
                 name_zh=x["name_zh"], name_en=x["name_en"])
    centres = [(f"CT{i:02d}", t, f"{t}卫生院", "township_health_centre", "Township")
               for i, t in enumerate(f["township_centres"], 1)]
    centres += [(f"CS{i:02d}", t, f"{t}社区卫生服务中心", "community_health_centre", "Subdistrict")
                for i, t in enumerate(f["street_centres"], 1)]
    for code, _, name, kind, label in centres:
        rows.add("institutions", county=c, code=code, community=com, kind=kind, tier="township", name_zh=name,
                 name_en=f"{label} centre {code}")
    n = 0
    for (centre, town, *_), k in zip(centres, apportion(f["village_clinics"], [rng.randint(15, 30) for _ in centres])):
        for j in range(1, k + 1):
            n += 1
            rows.add("institutions", county=c, code=f"CV{n:03d}", community=com, kind="village_clinic", tier="village",
                     name_zh=f"{town}第{j}村卫生室", name_en=f"Village clinic CV{n:03d}", parent=centre)

    # The catalogue's indicators are the plugin's own (declared by the policy): values and targets only.
    hospital = f["assessed"]
    for row in catalogue(date(year, 1, 1)):
        if (stored := cell(row["value_2023"], row["type"])) is not None:
            rows.add("indicator_values", county=c, indicator=row["indicator"], entity="county",
                     period=str(BASELINE_YEAR), value=stored[0], text=stored[1])
        for period, written in ((year - 1, f["values_2023"].get(row["code"])), (year, f["values_2024"][row["code"]])):
            if written is None:
                continue
            if (stored := cell(written, row["type"])) is None:
                raise ValueError(f"the {hospital} value of {row['code']}, {written!r}, is no {row['type']} value")
            rows.add("indicator_values", county=c, indicator=row["indicator"], entity=hospital,
                     period=str(period), value=stored[0], text=stored[1])
        for y, target in sorted(row["targets"].items()):
            if (stored := cell(target, row["type"], target=True)) is None:
                raise ValueError(f"the catalogue's {y} target of {row['code']}, {target!r}, is no {row['type']} target")
            rows.add("indicator_targets", indicator=row["indicator"], county=c, year=int(y), value=stored[0],
                     text=stored[1])
    # The project: each year's amount split province:county in the task's ratio, in yuan.
    for t in f["project"]:
        rows.add("project_tasks", county=c, code=t["code"], name_zh=t["name_zh"], name_en=t["name_en"])
        for y, amount in sorted(t["years"].items()):
            short = f["disbursed_short"].get(y, {}).get(t["code"], {})
            for source, yuan in zip(SOURCES, apportion(amount * WAN, [t[s] for s in SOURCES])):
                rows.add("project_plan", county=c, task=t["code"], year=y, source=source, amount=money(yuan))
                if y <= year:
                    paid = short[source] * WAN if source in short else yuan
                    rows.add("project_disbursements", county=c, task=t["code"], year=y, source=source,
                             amount=money(paid))
    # Up the chain: the assessment approved by the county and Heze, accepted by Shandong, reopened.
    reopened = (ChainStep("approve", "county"), ChainStep("approve", "prefecture"), ChainStep("approve", "province"),
                ChainStep("reopen", "province", f["reopen_reason"]))
    return DemoData(rows, chain={("chengwu", "assessment"): reopened}, examples=(
        ("Chengwu's performance indicators in 2024 against the year's targets",
         f'{{ indicatorValues(county: "chengwu", period: "{year}", first: 32) {{\n'
         '    nodes { entity indicator { code nameZh unit direction } value text\n'
         '      attainment { target meetsTarget } } } }'),
        (f"Chengwu's general hospital graded on the 32 indicators for {year}, and the project's money spent",
         f'{{ assessment: settlements(county: "chengwu", component: "assessment", period: "{year}") {{\n'
         f'    nodes {{ score: lines(entity: "{hospital}", code: "score") {{ nodes {{ value }} }}\n'
         f'      grade: lines(entity: "{hospital}", code: "grade") {{ nodes {{ value trace }} }} }} }}\n'
         f'  project: settlements(county: "chengwu", component: "project_funds", period: "{year}") {{\n'
         f'    nodes {{ lines(entity: "county", code: "execution.{year}") {{ nodes {{ value trace }} }} }} }} }}'),
    ))


def money(yuan: int) -> Decimal:
    return Decimal(yuan).quantize(Decimal("0.01"))
