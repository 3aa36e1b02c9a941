"""The plugin contract: the hooks a countypay policy plugin implements.

A plugin is a module or object with functions marked `@hookimpl`, registered under the
`countypay.policies` entry-point group in its package metadata::

    [project.entry-points."countypay.policies"]
    mycounty = "countypay_mycounty"

pluggy checks every implementation against the specifications below when it registers, so a
misspelt hook or argument fails at start-up rather than at settlement time.

Besides its policies, a plugin may contribute data: its county for `countypay demo`
(`countypay_demo`) and facts for the synthetic counties of `countypay synth`
(`countypay_synth`). The bundled plugins do so through these same hooks; the core names no
county. The plain types those hooks return (`Rows`, `DemoData`, `ChainStep`, `SyntheticCounty`,
`SyntheticData`) are defined here, so a plugin imports nothing else for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pluggy

from .policy import CommunityRow, IndicatorDef, InstitutionRow, Policy, UnitRow

hookspec = pluggy.HookspecMarker("countypay")
hookimpl = pluggy.HookimplMarker("countypay")


@hookspec
def countypay_policies() -> list[Policy]:
    """Declare the policies this plugin provides.

    Called once when countypay starts. Return a list of `countypay.policy.Policy`: code,
    county, Chinese and English names, version, components (each with its input and parameter
    shapes, its pure `settle` function and optionally `gather`), the YAML file of dated default
    parameters, and the indicators the policy reads. Codes must be unique across plugins.

    Example::

        @hookimpl
        def countypay_policies():
            return [Policy(code="mycounty", county="mycounty", name_zh="某县", name_en="Some County",
                           version="1.0", components=(BONUS,),
                           parameter_file=Path(__file__).with_name("parameters.yaml"))]
    """


@hookspec
def countypay_indicators() -> list[IndicatorDef]:
    """Declare indicator definitions that belong to no policy's settlement.

    For catalogues a county reports on before it pays by them (targets and attainment only).
    Indicators a policy reads are declared on the `Policy` itself, not here.

    Example::

        @hookimpl
        def countypay_indicators():
            return [IndicatorDef("avg_stay_days", "平均住院日", "Average length of stay", "day",
                                 entity="county", direction="lower")]
    """


@dataclass
class Rows:
    """Rows of bundle tables: per table (a bundle file's name without its suffix, such as
    `institutions`), rows as {column: value} with that file's columns (README, "Loading a
    county"). Values are plain: str, int, Decimal, date, bool or None; a parameter override's
    `value` any JSON value. The core checks every row as the import does."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    features: list[dict[str, Any]] = field(default_factory=list)
    """The map: GeoJSON features (WGS 84) of the bundle's geometry.geojson, added by `feature`."""

    @classmethod
    def placed(cls, figures: dict[str, Any], **county: Any) -> "Rows":
        """Rows that start with a demo county's place, from a plugin's figures (its demo.yaml):
        the `province`, the `prefecture` when given, and the `county` with the extra columns
        `county` names (e.g. population)."""
        rows = cls()
        rows.add("provinces", **figures["province"])
        if "prefecture" in figures:
            rows.add("prefectures", **figures["prefecture"])
        rows.add("counties", **figures["county"], **county)
        return rows

    def add(self, table: str, **row: Any) -> None:
        self.tables.setdefault(table, []).append(row)

    def feature(self, county: str, kind: str, code: str, geometry: dict[str, Any]) -> None:
        """A shape of a county's map: a grid (`unit`) or a town (`town`: named by its township
        health centre's code) as a Polygon or MultiPolygon, an `institution` as a Point; the
        geometry's coordinates are [longitude, latitude] in degrees (README, "Loading a county")."""
        self.features.append({"type": "Feature", "properties": {"county": county, "kind": kind, "code": code},
                              "geometry": geometry})

    def codes(self, table: str) -> list[str]:
        """The `code` of each row of a table, e.g. the counties these rows hold."""
        return [row["code"] for row in self.tables.get(table, [])]


@dataclass(frozen=True)
class ChainStep:
    """A step a demo run takes up the approval chain (county → prefecture → province) after the
    demo settles it: `approve` by `level` (the chain's last level accepts), `send_back` or
    `reopen` by `level` with a `reason`, or `correct`: the county loads `rows` (its corrected
    facts or parameters) and settles again, a new version that the steps after it act on."""

    action: str  # approve, send_back, reopen or correct
    level: str = "county"  # county, prefecture or province
    reason: str = ""
    rows: Optional[Rows] = None


@dataclass(frozen=True)
class DemoData:
    """A plugin's part in `countypay demo`: the rows of its demo county or counties, GraphQL
    queries (title, query) worth trying on them, printed when the demo starts, and the periods
    the demo settles a component in where the demo's year is not one it settles (a monthly
    index), by (policy, component): e.g. `{("mycounty", "monthly_index"): ("2024-11", "2024-12")}`.
    `chain` names, by (policy, component), the steps its runs take up the approval chain once
    settled, so the demo shows runs at each point of it: e.g. `{("mycounty", "bonus"):
    (ChainStep("approve"), ChainStep("send_back", "prefecture", "the March counts are twice"))}`;
    a component it does not name stays a draft."""

    rows: Rows
    examples: tuple[tuple[str, str], ...] = ()
    periods: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    chain: dict[tuple[str, str], tuple[ChainStep, ...]] = field(default_factory=dict)


@hookspec
def countypay_demo(seed: int, year: int) -> Optional[DemoData]:
    """Contribute the plugin's demo county (or counties) to `countypay demo`.

    Called on every start of `countypay demo` (and by tests of the demo), with the demo's random
    `seed` and the `year` it settles. Return a `DemoData`, or None. Its rows are those of a
    county bundle: the province and county, places, and the facts that the `gather` of each
    component of the plugin's policies reads for `year` (and for the years it looks back). The
    same seed and year must give the same rows: draw from a `random.Random` of your own, seeded
    from `seed` and your county's code, so that what one plugin makes does not depend on which
    others are installed (`countypay.toolkit.demo_county` starts a county so from its demo.yaml).
    Figures from a source document are marked so in the plugin's data file; everything else is
    synthetic and says so.

    The core writes every plugin's rows as one bundle and imports it through the normal import
    (every row checked, all or nothing) when the demo database lacks any of their counties. It
    then settles, for `year`, every component with a `gather` of every installed policy whose
    `county` is a demo county, and takes the runs it settled up the approval chain as
    `DemoData.chain` says (each step by the level's approval, audited as any). Rows of tables
    that belong to no county (provinces, prefectures, indicators, service items) may come from
    several plugins: the first row of each code is kept, plugins taken in name order.

    Example::

        @hookimpl
        def countypay_demo(seed, year):
            rng = random.Random(f"{seed}:mycounty")
            rows = Rows()
            rows.add("provinces", code="anhui", name_zh="安徽省", name_en="Anhui")
            rows.add("prefectures", code="huaibei", province="anhui", name_zh="淮北市", name_en="Huaibei")
            rows.add("counties", code="mycounty", province="anhui", prefecture="huaibei", name_zh="某县",
                     name_en="Some County")
            rows.add("funds", county="mycounty", code="bonus_fund", entity="county", period=str(year),
                     amount=Decimal(rng.randint(100_000, 200_000)))
            return DemoData(rows, examples=(("The bonus settlement", '{ settlements(county: "mycounty") '
                                                                     '{ nodes { id } } }'),))
    """


@dataclass(frozen=True)
class SyntheticCounty:
    """A county of the synthetic province, shaped by the core and written by it: communities,
    institutions of every kind and tier (village-tier ones name their township centre as
    `parent`) and health management units with five-role teams and their `residents`
    (`populations`). A plugin adds the facts its components read for `year`; monthly facts
    cover the first `months` months."""

    code: str
    number: int  # 1, 2, … : its place in the province
    seed: int
    year: int
    months: int
    communities: tuple[CommunityRow, ...]
    institutions: tuple[InstitutionRow, ...]
    units: tuple[UnitRow, ...]


@dataclass(frozen=True)
class SyntheticData:
    """A plugin's part in one synthetic county: the (policy, component) pairs its facts let
    settle there, and the function that makes those facts for the county."""

    settles: tuple[tuple[str, str], ...]
    rows: Callable[[SyntheticCounty], Rows]


@hookspec
def countypay_synth(number: int) -> Optional[SyntheticData]:
    """Take part in synthetic county `number` (1, 2, …) of `countypay synth`'s province.

    Called for every synthetic county when the province is written, and by
    `countypay.synth.components()` to list the province's settlements, which is why the rows are
    a function called only when the county is written. Return a `SyntheticData`, or None to stay
    out of that county. The rows function receives the county's places (`SyntheticCounty`) and
    returns the facts to add, drawn from a `random.Random` seeded from the county's `seed` and
    `code` and the plugin's name; the core has written the places already. Two plugins whose
    facts would collide in one county (two work-equivalents catalogues pricing the same service
    counts) share the counties by number.

    Example::

        @hookimpl
        def countypay_synth(number):
            def rows(county):
                rng, out = random.Random(f"{county.seed}:{county.code}:mycounty"), Rows()
                out.add("funds", county=county.code, code="bonus_fund", entity="county",
                        period=str(county.year), amount=Decimal(rng.randint(100_000, 200_000)))
                return out
            return SyntheticData(settles=(("mycounty", "bonus"),), rows=rows)
    """
