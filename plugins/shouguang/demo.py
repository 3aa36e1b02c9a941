"""Shouguang's demo county, 寿光市 (the `countypay_demo` hook of hookspecs.py).

From demo.yaml, drawn from a `random.Random` seeded by the demo's seed and the county's code:

- 16 towns and subdistricts, each with its township (or community) health centre, the county
  hospital, 488 village clinics and 620 grids (the county's units) with their residents;
- the map, schematic (shapes.py): the towns as polygons cut from a convex outline, each town's
  grids as polygons cut from it, the clinics as points inside their grids, the centres and the
  hospital as points;
- each grid's monthly hypertension and diabetes control rates over the demo year, with a few
  low areas.
"""
from __future__ import annotations

import math
import random
from decimal import Decimal
from pathlib import Path

from countypay.hookspecs import DemoData, Rows, hookimpl
from countypay.toolkit import apportion, demo_county

from . import shapes

FIGURES = Path(__file__).with_name("demo.yaml")


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed)
    grids = _places(rows, c, f, rng)
    _rates(rows, c, f, rng, grids, year)
    month = f"{year}-06"
    return DemoData(rows, examples=(
        (f"Shouguang's grids on a map: the hypertension control rate of {month} (GeoJSON)",
         f'{{ county(code: "shouguang") {{ nameZh mapFeatures\n'
         f'    map(indicator: "hypertension_control_rate", period: "{month}", level: GRID) }} }}'),
        (f"Shouguang's diabetes control rate by grid, {year}-12",
         f'{{ indicatorValues(county: "shouguang", indicator: "diabetes_control_rate", period: "{year}-12", '
         'first: 5) {\n    totalCount nodes { entity value } } }'),
    ))


def _places(rows: Rows, c: str, f: dict, rng: random.Random) -> list[tuple[str, int, list[float]]]:
    """Towns, institutions, grids and their shapes; returns (grid, town number, [lon, lat] of its seed)."""
    outline = [tuple(p) for p in f["outline"]]
    plane = shapes.Plane(outline[0])
    region = shapes.hull([plane.to(*p) for p in outline])
    towns = f["towns"]
    seeds = [plane.to(*t["at"]) for t in towns]
    assert all(shapes.inside(region, s) for s in seeds), "a town lies outside the outline"
    town_cells = shapes.cells(region, seeds)
    urban = [i for i, t in enumerate(towns) if t.get("subdistrict")]
    rural = [i for i, t in enumerate(towns) if not t.get("subdistrict")]
    n_grids, n_clinics = [0] * len(towns), [0] * len(towns)
    for group, key in ((urban, "subdistricts"), (rural, "towns")):
        weights = [round(shapes.area(town_cells[i]) * 10**6) for i in group]
        for i, g, k in zip(group, apportion(f["grids"][key], weights), apportion(f["clinics"][key], weights)):
            n_grids[i], n_clinics[i] = g, min(g, k)
    h = f["hospital"]
    rows.add("institutions", county=c, code=h["code"], kind="county_hospital", tier="county",
             name_zh=h["name_zh"], name_en=h["name_en"])
    rows.feature(c, "institution", h["code"], {"type": "Point", "coordinates": [round(float(x), 5) for x in h["at"]]})
    grids: list[tuple[str, int, list[float]]] = []
    clinic = 0
    for i, (town, cell) in enumerate(zip(towns, town_cells)):
        centre = f"T{i + 1:02d}"
        sub = bool(town.get("subdistrict"))
        rows.add("institutions", county=c, code=centre, tier="township",
                 kind="community_health_centre" if sub else "township_health_centre",
                 name_zh=town["name_zh"] + ("社区卫生服务中心" if sub else "卫生院"),
                 name_en=f"{town['name_en']} {'Community Health Centre' if sub else 'Health Centre'}")
        rows.feature(c, "town", centre, {"type": "Polygon", "coordinates": [plane.ring(cell)]})
        rows.feature(c, "institution", centre, {"type": "Point", "coordinates": plane.back(
            shapes.near(cell, seeds[i], rng, 0.25))})
        points, grid_cells = shapes.scatter(cell, n_grids[i], rng)
        with_clinic = set(rng.sample(range(n_grids[i]), n_clinics[i]))
        for k, (point, grid_cell) in enumerate(zip(points, grid_cells), start=1):
            code = f"G{len(grids) + 1:03d}"
            rows.add("units", county=c, code=code, name_zh=f"{town['name_zh']}第{k}网格", name_en=f"Grid {code}")
            rows.feature(c, "unit", code, {"type": "Polygon", "coordinates": [plane.ring(grid_cell)]})
            grids.append((code, i, plane.back(point)))
            if k - 1 in with_clinic:
                clinic += 1
                v = f"V{clinic:03d}"
                rows.add("institutions", county=c, code=v, kind="village_clinic", tier="village", parent=centre,
                         name_zh=f"{town['name_zh']}第{clinic}村卫生室", name_en=f"Village clinic {v}")
                rows.feature(c, "institution", v, {"type": "Point", "coordinates": plane.back(
                    shapes.near(grid_cell, point, rng))})
    low, high = f["residents_weight"]
    weights = [rng.randint(low, high) * (3 if towns[t].get("subdistrict") else 2) for _, t, _ in grids]
    for (code, _, _), people in zip(grids, apportion(f["county"]["population"], weights)):
        rows.add("unit_populations", county=c, unit=code, group="residents", count=people)
    return grids


def _rates(rows: Rows, c: str, f: dict, rng: random.Random, grids: list, year: int) -> None:
    """Each grid's monthly control rates: the county level rising over the year, the town's and
    the grid's shifts, the low areas nearby and some noise; 4 decimals (73.12 %)."""
    towns = len(f["towns"])
    spread = {k: float(f[k]) for k in ("gain", "town_shift", "grid_shift", "noise")}
    lows = [([float(x) for x in a["at"]], float(a["radius"]), float(a["depth"])) for a in f["low_areas"]]
    for indicator, level in f["levels"].items():
        shift = [rng.uniform(-1, 1) * spread["town_shift"] for _ in range(towns)]
        for code, town, (lon, lat) in grids:
            dip = sum(depth * math.exp(-((lon - x) ** 2 + (lat - y) ** 2) / radius ** 2)
                      for (x, y), radius, depth in lows)
            base = float(level) + shift[town] + rng.uniform(-1, 1) * spread["grid_shift"] - dip
            for m in range(1, 13):
                rate = base + spread["gain"] * (m - 1) / 11 + rng.uniform(-1, 1) * spread["noise"]
                rows.add("indicator_values", county=c, indicator=indicator, entity=code, period=f"{year}-{m:02d}",
                         value=Decimal(min(9800, max(500, round(rate * 10000)))).scaleb(-4))
