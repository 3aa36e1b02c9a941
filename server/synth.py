"""`countypay synth`: a synthetic province of any size, for benchmarks.

Every county is shaped alike (`places`): two medical communities, three county hospitals and
two professional public-health institutions, township centres and community stations in
proportion to the units, the rest village clinics (each naming its township centre as parent),
and health management units with five-role teams and their residents. The installed plugins add
the facts their components read through the `countypay_synth` hook (hookspecs.py), each taking
part in the counties it chooses; `components()` lists the settlements that result, and a
county's component is settled as `settle(session, county, policy, component, period)`.

A county is written at a time, from random generators seeded by the seed, the county and the
plugin: the same seed gives the same files, and memory holds one county. The files are then
imported through `import_bundle`, like any county's bundle.
"""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from .demo.bundle import Bundle, call, contributions
from .hookspecs import Rows, SyntheticCounty
from .policy import CommunityRow, InstitutionRow, UnitRow
from .toolkit import apportion

YEAR = 2024
PROVINCE = {"code": "synth", "name_zh": "合成省", "name_en": "Synthetic province"}
PER_UNIT = 3957  # residents per unit on average (a county of 232 units has 918 000)
COMMUNITIES = 2
COUNTY_HOSPITALS = 3  # the first two lead a community each
PUBLIC_HEALTH_INSTITUTIONS = 2


def county_code(i: int) -> str:
    return f"c{i:03d}"


def components(counties: int) -> list[tuple[str, str, str]]:
    """(county, policy, component) of every settlement of the synthetic province."""
    return [(county_code(i), policy, component) for i in range(1, counties + 1)
            for _, data in contributions("countypay_synth", number=i) for policy, component in data.settles]


def shape(units: int, institutions: int) -> dict[str, int]:
    """How many of each kind a county has: 3 county hospitals and 2 public-health institutions,
    a township centre for about 13 units (2 to 18), a community station for about 12 (at most
    20), the rest village clinics; every unit needs its own station or clinic."""
    if units < 4:
        raise ValueError("a county needs at least 4 units (four of them carry a veto)")
    towns = min(18, max(2, units // 13))
    stations = min(20, units // 12)
    clinics = institutions - COUNTY_HOSPITALS - PUBLIC_HEALTH_INSTITUTIONS - towns - stations
    if stations + clinics < units:
        raise ValueError(f"{units} units need at least "
                         f"{units + COUNTY_HOSPITALS + PUBLIC_HEALTH_INSTITUTIONS + towns} institutions per county")
    return {"towns": towns, "stations": stations, "clinics": clinics}


def places(i: int, units: int, institutions: int, months: int, seed: int) -> tuple[Rows, SyntheticCounty]:
    """Synthetic county i's places, as bundle rows and as the plugins receive them."""
    n = shape(units, institutions)
    c = county_code(i)
    rng = random.Random(f"{seed}:{c}")
    rows = Rows()
    residents = apportion(units * PER_UNIT, [rng.randint(2600, 5400) for _ in range(units)])
    rows.add("counties", code=c, province=PROVINCE["code"], name_zh=f"合成第{i}县", name_en=f"Synthetic county {i}",
             population=sum(residents))
    communities = [CommunityRow(code=f"M{k}", name_zh=f"第{k}医共体", lead=f"H{k:02d}")
                   for k in range(1, COMMUNITIES + 1)]
    for com in communities:
        rows.add("communities", county=c, code=com["code"], name_zh=com["name_zh"], name_en=f"Medical community {com['code']}",
                 lead=com["lead"])
    insts: list[InstitutionRow] = []

    def institution(code, name_zh, kind, tier, community=None, parent=None):
        rows.add("institutions", county=c, code=code, community=community, kind=kind, tier=tier, name_zh=name_zh,
                 name_en=f"Institution {code}", parent=parent)
        insts.append(InstitutionRow(code=code, name_zh=name_zh, kind=kind, tier=tier, community=community,
                                    parent=parent))

    coms = [com["code"] for com in communities]
    for k in range(1, COUNTY_HOSPITALS + 1):
        institution(f"H{k:02d}", f"第{k}县级医院", "county_hospital", "county", coms[(k - 1) % len(coms)])
    hospitals = {com: [x["code"] for x in insts if x["community"] == com] for com in coms}
    centres = []  # (code, community)
    for k in range(1, n["towns"] + 1):
        com = coms[(k - 1) * len(coms) // n["towns"]]
        institution(f"T{k:02d}", f"第{k}乡镇卫生院", "township_health_centre", "township", com)
        centres.append((f"T{k:02d}", com))
    admins = [f"P{k:02d}" for k in range(1, PUBLIC_HEALTH_INSTITUTIONS + 1)]
    for k, code in enumerate(admins, start=1):
        institution(code, f"第{k}专业公共卫生机构", "public_health_institution", "county")

    per_centre = apportion(units, [1] * len(centres))
    unit_centre = [centres[k] for k, m in enumerate(per_centre) for _ in range(m)]
    village = []  # the 村医's institution of each unit: stations for the first units, then clinics
    for k in range(n["stations"]):
        tc, com = unit_centre[k]
        institution(f"S{k + 1:02d}", f"第{k + 1}社区卫生服务站", "community_health_station", "village", com, tc)
        village.append(f"S{k + 1:02d}")
    for j in range(n["clinics"]):
        u = n["stations"] + j
        tc, com = unit_centre[u] if u < units else centres[(u - units) % len(centres)]
        institution(f"V{j + 1:03d}", f"第{j + 1}村卫生室", "village_clinic", "village", com, tc)
        if u < units:
            village.append(f"V{j + 1:03d}")

    unit_rows: list[UnitRow] = []
    for k in range(units):
        code, (tc, com) = f"U{k + 1:03d}", unit_centre[k]
        rows.add("units", county=c, code=code, community=com, name_zh=f"第{k + 1}健康管理单元",
                 name_en=f"Health management unit {code}")
        team = {"unit_head": tc, "instructor": hospitals[com][k % len(hospitals[com])], "village_doctor": village[k],
                "administrator": admins[k % len(admins)], "commissioner": village[k]}
        for role, inst in team.items():
            rows.add("unit_members", county=c, unit=code, role=role, institution=inst)
        rows.add("unit_populations", county=c, unit=code, group="residents", count=residents[k])
        unit_rows.append(UnitRow(code=code, community=com, team=team, populations={"residents": residents[k]}))
    return rows, SyntheticCounty(code=c, number=i, seed=seed, year=YEAR, months=months,
                                 communities=tuple(communities), institutions=tuple(insts), units=tuple(unit_rows))


def write_province(folder: Path, counties: int, units: int, institutions: int, months: int, seed: int,
                   advance=lambda: None) -> Path:
    """Write the province's CSV files into `folder`, a county at a time: its places, then what
    each plugin taking part adds."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.csv"):
        f.unlink()
    bundle = Bundle()
    province = Rows()
    province.add("provinces", **PROVINCE)
    bundle.add(province, "synth")
    for i in range(1, counties + 1):
        rows, county = places(i, units, institutions, months, seed)
        bundle.add(rows, "synth")
        for plugin, data in contributions("countypay_synth", number=i):
            bundle.add(call(plugin, "countypay_synth rows", data.rows, county), plugin)
        bundle.write(folder, append=True)
        bundle.clear()
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
