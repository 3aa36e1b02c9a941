"""`countypay synth`: a synthetic province of any size, for benchmarks.

Each county is shaped like the demo's Suixi (communities, institutions of each kind and tier,
units with five-role teams and populations) and carries the facts every bundled component reads:
Suixi's three components, the work equivalents component (two counties in three on Haiyan's
catalogue, the third on Deqing's) and Deqing's global budget. A policy is found by its code, so
synthetic county C is settled with policy P as `settle(session, C, P, component, period)`.

The rows come from the demo's generator (demo/generate.py), one county at a time from its own
`random.Random(f"{seed}:{county}")`: the same seed gives the same files, and memory holds one
county. The files are then imported through `import_bundle`, like any county's bundle.
"""
from __future__ import annotations

import copy
import random
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from .demo.generate import (
    Bundle,
    apportion,
    global_budget_year,
    ratio,
    service_items,
    sources,
    suixi,
    work_equivalent_year,
)

YEAR = 2024
PROVINCE = {"code": "synth", "name_zh": "合成省", "name_en": "Synthetic province"}
PER_UNIT = 3957  # residents per unit, as in Suixi (918 000 / 232)


def county_code(i: int) -> str:
    return f"c{i:03d}"


def work_policy(i: int) -> str:
    """The policy whose work equivalents catalogue county i is bought by."""
    return "deqing" if i % 3 == 0 else "haiyan"


def components(counties: int) -> list[tuple[str, str, str]]:
    """(county, policy, component) of every settlement of the synthetic province."""
    out = []
    for i in range(1, counties + 1):
        c = county_code(i)
        out += [(c, "suixi", "public_health"), (c, "suixi", "insurance_capitation"),
                (c, "suixi", "community_surplus"), (c, work_policy(i), "work_equivalent"),
                (c, "deqing", "global_budget")]
    return out


def shape(units: int, institutions: int) -> dict[str, int]:
    """How many of each kind a county has: 3 county hospitals and 2 public-health institutions
    as in Suixi, township centres and community stations in Suixi's proportion to units, the
    rest village clinics; every unit needs its own station or clinic."""
    if units < 4:
        raise ValueError("a county needs at least 4 units (four of them carry a veto)")
    towns = min(18, max(2, units // 13))
    stations = min(20, units // 12)
    clinics = institutions - 3 - 2 - towns - stations
    if stations + clinics < units:
        raise ValueError(f"{units} units need at least {units + 5 + towns} institutions per county")
    return {"towns": towns, "stations": stations, "clinics": clinics}


def county_bundle(i: int, units: int, institutions: int, months: int, seed: int) -> Bundle:
    """The rows of synthetic county i."""
    rng = random.Random(f"{seed}:{i}")
    base = sources()
    s = copy.deepcopy(base["suixi"])
    n = shape(units, institutions)
    code = county_code(i)
    residents = units * PER_UNIT
    s["county"] = {"code": code, "province": PROVINCE["code"], "name_zh": f"合成第{i}县",
                   "name_en": f"Synthetic county {i}"}
    s.update(residents=residents, units=units, community_stations=n["stations"], village_clinics=n["clinics"],
             township_centres=s["township_centres"][:n["towns"]])
    chronic_people = residents * 5476 // 100000
    s["insurance"] = {**s["insurance"], "big_package": f"{residents * 853}.00",
                      "chronic_package": str(Decimal(s["insurance"]["chronic_per_head"]) * chronic_people)}
    b = Bundle()
    suixi(b, {"suixi": s}, rng, YEAR)

    coms = [x["code"] for x in s["communities"]]
    d = base["deqing"]
    global_budget_year(b, code, {
        "residents": residents, "aged_60_plus": residents * 25 // 100,
        "communities": [{"code": com, "share": share} for com, share in zip(coms, ("0.58", "0.42"))],
        "employee_share": d["employee_share"],
        "assessment": {com: {dim: str(Decimal(rng.randint(800, 950)).scaleb(-1))
                             for dim in ("payment", "supply", "patient")} for com in coms},
        "spending_2024_ratio": {com: ratio(rng.randint(960, 1010)) for com in coms},
    }, rng, YEAR)

    centres = [r["code"] for r in b.rows["institutions"]
               if r["kind"] not in ("county_hospital", "public_health_institution")]
    served = apportion(residents, [rng.randint(30, 70) for _ in centres])
    policy = work_policy(i)
    per_capita = Fraction("101.05") if policy == "haiyan" else Fraction(str(d["work_equivalent_per_capita"]))
    work_equivalent_year(b, code, rng, YEAR, policy, list(zip(centres, served)), per_capita=per_capita,
                         months=months)
    return b


def province_bundle() -> Bundle:
    """The province and the service catalogue (both policies' work equivalents items)."""
    b = Bundle()
    b.add("provinces", **PROVINCE)
    service_items(b, YEAR)
    return b


def write_province(folder: Path, counties: int, units: int, institutions: int, months: int, seed: int,
                   advance=lambda: None) -> Path:
    """Write the bundle's CSV files into `folder`, a county at a time."""
    folder = Path(folder)
    for f in folder.glob("*.csv"):
        f.unlink()
    province_bundle().write(folder)
    for i in range(1, counties + 1):
        county_bundle(i, units, institutions, months, seed).write(folder, append=True)
        advance()
    return folder


def synthesize(counties: int, units_per_county: int, institutions_per_county: int, months: int, seed: int,
               db_url: str | None, folder: Path | None = None, console: Console | None = None) -> dict[str, int]:
    """Generate the province and import it through the normal import; returns rows per table."""
    from .load import bundle_files, import_bundle
    from .store import open_store

    shape(units_per_county, institutions_per_county)  # refuse an impossible shape before any work
    console = console or Console(stderr=True)
    engine = open_store(db_url)
    with tempfile.TemporaryDirectory(prefix="countypay-synth-") as tmp, \
            Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                     console=console) as bar:
        where = Path(folder or tmp)
        task = bar.add_task("generating counties", total=counties)
        write_province(where, counties, units_per_county, institutions_per_county, months, seed,
                       lambda: bar.advance(task))
        task = bar.add_task("importing tables", total=len(bundle_files(where)))
        counts = import_bundle(engine, where, lambda table, n: bar.advance(task), actor="synth")
    engine.dispose()
    for table, n in counts.items():
        console.print(f"{table:20} {n:>10} rows", highlight=False)
    return counts
