"""Chengwu's demo county (the `countypay_demo` hook of hookspecs.py).

The general hospital's medical community with the two county hospitals, 13 township and
subdistrict centres and 286 village clinics (demo.yaml), and the county's indicators: for each
indicator of the plugin's catalogue (catalogue.py) its 2023 value and 2024-2026 targets as the
seed prints them, and a synthetic 2024 value (demo.yaml). A cell keeps its text as written, and
a number where it has one, for reports that compare values with targets: percentages as shares
of 1, numbers, per-mille figures, the first term of x:1 ratios; yes/no, two values in one cell
and trends have none. The seed prints #32's 2023 value as the trend word 逐年提高, which is no
value of a trend indicator (a value is a number): that cell stays out.
"""
from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Optional

from countypay.hookspecs import DemoData, Rows, hookimpl
from countypay.toolkit import apportion, read_value, read_yaml

from .catalogue import catalogue

FIGURES = Path(__file__).with_name("demo.yaml")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
BASELINE_YEAR = 2023  # the year of the catalogue's `value_2023`


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
    f = read_yaml(FIGURES)
    c = f["county"]["code"]
    rng = random.Random(f"{seed}:{c}")
    rows = Rows()
    rows.add("provinces", **f["province"])
    rows.add("counties", **f["county"])
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
    for row in catalogue(date(year, 1, 1)):
        for period, written in ((BASELINE_YEAR, row["value_2023"]), (2024, f["values_2024"][row["code"]])):
            if (stored := cell(written, row["type"])) is not None:
                rows.add("indicator_values", county=c, indicator=row["indicator"], entity="county",
                         period=str(period), value=stored[0], text=stored[1])
        for y, target in sorted(row["targets"].items()):
            if (stored := cell(target, row["type"], target=True)) is None:
                raise ValueError(f"the catalogue's {y} target of {row['code']}, {target!r}, is no {row['type']} target")
            rows.add("indicator_targets", indicator=row["indicator"], county=c, year=int(y), value=stored[0],
                     text=stored[1])
    # Still to add here, as each component's `gather` reads them: for `assessment`, the levels it
    # grades (the general hospital, its branches, the central village clinics) with their own
    # indicator texts; for `project_funds`, the plan and disbursements by task, year and source.
    # Until then the demo reports both components as not settled.
    return DemoData(rows, examples=((
        "Chengwu's performance indicators in 2024 against the year's targets",
        '{ indicatorValues(county: "chengwu", period: "2024", first: 32) {\n'
        '    nodes { indicator { code nameZh unit direction } value text attainment { target meetsTarget } } } }'),))
