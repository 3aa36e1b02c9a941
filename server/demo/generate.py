"""The demo province as a bundle of CSV files, the same format `countypay load` imports.

Sourced figures come from sources.yaml (each marked with its seed); the rest is synthetic and made
here from one `random.Random(seed)`, drawn in a fixed order, so the same seed writes byte-identical
files. Money is made as integers of fen and written with two decimals; nothing passes through a
float. Codes of funds and indicators are those the plugins' `gather` functions read.
"""
from __future__ import annotations

import csv
import random
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ..host import registry
from ..load import TABLES
from ..params import in_force
from ..yamlio import load as read_yaml

SOURCES = Path(__file__).with_name("sources.yaml")
COLUMNS = {t.name: list(t.row.model_fields) for t in TABLES}


def sources() -> dict:
    return read_yaml(SOURCES)


# ---------------------------------------------------------------- small exact helpers

def yuan(fen: int) -> str:
    """Integer fen as a yuan string with two decimals."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def to_fen(amount: Any) -> int:
    return int(Decimal(str(amount)) * 100)


def fen_of(x: Fraction) -> int:
    """A non-negative exact amount in fen, half-up."""
    return int(x * 2 + 1) // 2


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split by integer weights, largest remainder, ties to the earlier position."""
    w = sum(weights)
    parts = [total * x // w for x in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % w), i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def ratio(permille: int) -> str:
    return str(Decimal(permille).scaleb(-3))


def defaults(policy: str, component: str, year: int) -> dict[str, Any]:
    """The installed plugin's default parameters in force on 1 January of the year."""
    return {k: d.value for k, d in in_force(registry().policy(policy), component, date(year, 1, 1)).items()}


class Bundle:
    """Rows per table, written as one CSV per table in the column order of the import's row models."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {t.name: [] for t in TABLES}

    def add(self, table: str, **fields: Any) -> None:
        unknown = set(fields) - set(COLUMNS[table])
        if unknown:
            raise KeyError(f"{table}: no column {', '.join(sorted(unknown))}")
        self.rows[table].append(fields)

    def write(self, folder: Path, append: bool = False) -> list[Path]:
        """Write one CSV per table; `append` adds the rows to files an earlier write began, so a
        large bundle is made a county at a time."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for table, rows in self.rows.items():
            if not rows:
                continue
            path = folder / f"{table}.csv"
            fresh = not (append and path.exists())
            with open(path, "w" if fresh else "a", encoding="utf-8", newline="") as f:
                out = csv.writer(f, lineterminator="\n")
                if fresh:
                    out.writerow(COLUMNS[table])
                for row in rows:
                    out.writerow([_cell(row.get(c)) for c in COLUMNS[table]])
            written.append(path)
        return written


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------- the counties

def county(b: Bundle, c: dict, population: int | None = None) -> str:
    b.add("counties", code=c["code"], province=c["province"], name_zh=c["name_zh"], name_en=c["name_en"],
          population=population if population is not None else c.get("population"))
    return c["code"]


def place(name: str) -> str:
    """The town part of a centre's name: 沈荡镇卫生院 → 沈荡镇."""
    for suffix in ("街道", "镇"):
        i = name.find(suffix)
        if i >= 0:
            return name[:i + len(suffix)]
    return name


def suixi(b: Bundle, src: dict, rng: random.Random, year: int) -> None:
    """232 units with five-role teams, populations, quarterly scores, credits, attainments,
    vetoes, spending per head, insurance history and actuals, packages and surpluses.

    Teams: 单元长 the unit's township centre, 指导员 a county hospital of its community, 村医 its
    village clinic (or, for the 20 urban units, community station), 管理员 the CDC or the maternal
    and child health centre, 卫健专干 the village clinic too: the seed puts the 卫健专干 on the
    village's public-health committee, which is no institution; the clinic is the unit's
    institution in the village, and no component pays this role."""
    s = src["suixi"]
    c = county(b, s["county"], s["residents"])
    ph = defaults("suixi", "public_health", year)
    coms = [x["code"] for x in s["communities"]]
    for x in s["communities"]:
        b.add("communities", county=c, code=x["code"], name_zh=x["name_zh"], name_en=x["name_en"], lead=x["lead"])
    for x in s["county_hospitals"]:
        b.add("institutions", county=c, code=x["code"], community=x["community"], kind="county_hospital",
              tier="county", name_zh=x["name_zh"], name_en=x["name_en"])
    hospitals = {com: [x["code"] for x in s["county_hospitals"] if x["community"] == com] for com in coms}
    towns = s["township_centres"]
    centres = []  # (code, community, town)
    for i, town in enumerate(towns, start=1):
        code, com = f"T{i:02d}", coms[0] if i <= len(towns) // 2 else coms[1]
        name = f"{town}卫生院" if town.endswith("镇") else f"{town}分院"
        b.add("institutions", county=c, code=code, community=com, kind="township_health_centre", tier="township",
              name_zh=name, name_en=f"Township health centre {code}")
        centres.append((code, com, town))
    for x in s["public_health_institutions"]:
        b.add("institutions", county=c, code=x["code"], community=None, kind="public_health_institution",
              tier="county", name_zh=x["name_zh"], name_en=x["name_en"])

    n_units, n_stations, n_clinics = s["units"], s["community_stations"], s["village_clinics"]
    per_centre = apportion(n_units, [1] * len(centres))
    unit_centre = [centres[k] for k, n in enumerate(per_centre) for _ in range(n)]
    village = []  # the 村医's institution of each unit: stations for the first (urban) units
    for i in range(n_stations):
        code, (tc, com, town) = f"S{i + 1:02d}", unit_centre[i]
        b.add("institutions", county=c, code=code, community=com, kind="community_health_station", tier="village",
              name_zh=f"{town}第{i + 1}社区卫生服务站", name_en=f"Community health station {code}")
        village.append(code)
    for j in range(n_clinics):
        code = f"V{j + 1:03d}"
        u = n_stations + j
        tc, com, town = unit_centre[u] if u < n_units else centres[(u - n_units) % len(centres)]
        b.add("institutions", county=c, code=code, community=com, kind="village_clinic", tier="village",
              name_zh=f"{town}第{j + 1}村卫生室", name_en=f"Village clinic {code}")
        if u < n_units:
            village.append(code)

    admins = [x["code"] for x in s["public_health_institutions"]]
    residents = apportion(s["residents"], [rng.randint(2600, 5400) for _ in range(n_units)])
    ins = s["insurance"]
    general_total = int(s["residents"] * Decimal(ins["general_insured_share"]))
    chronic_total = to_fen(ins["chronic_package"]) // to_fen(ins["chronic_per_head"])
    general = apportion(general_total, residents)
    chronic = apportion(chronic_total, [r * rng.randint(80, 120) for r in residents])
    general_mean = (to_fen(ins["big_package"]) - to_fen(ins["chronic_package"])) // general_total
    chronic_mean = to_fen(ins["chronic_per_head"])
    package_fen = to_fen(s["public_health"]["package_per_capita"])
    two_card = [sp for sp in ph["subprojects"] if sp.get("two_card")]
    n_sub = len(ph["subprojects"])
    units = []
    last_spending = (0, 0)
    for i in range(n_units):
        code = f"U{i + 1:03d}"
        tc, com, town = unit_centre[i]
        units.append(code)
        nth = i - sum(per_centre[:centres.index(unit_centre[i])]) + 1
        b.add("units", county=c, code=code, community=com, name_zh=f"{town}第{nth}健康管理单元",
              name_en=f"Health management unit {code}")
        team = {"unit_head": tc, "instructor": hospitals[com][i % len(hospitals[com])],
                "village_doctor": village[i], "administrator": admins[i % len(admins)],
                "commissioner": village[i]}
        for role, inst in team.items():
            b.add("unit_members", county=c, unit=code, role=role, institution=inst)
        res = residents[i]
        pops = {"residents": res, "red": res * rng.randint(20, 40) // 1000,
                "yellow": res * rng.randint(70, 110) // 1000, "green": res * rng.randint(180, 260) // 1000,
                "general": general[i], "chronic": chronic[i]}
        for group, n in pops.items():
            b.add("unit_populations", county=c, unit=code, group=group, count=n)

        # public_health: package, quarterly scores, credits, attainments, spending per head.
        package = res * package_fen
        b.add("funds", county=c, code="ph_package", entity=code, period=year, amount=yuan(package))
        for q in range(1, 5):
            b.add("indicator_values", county=c, indicator="quarter_score", entity=code, period=f"{year}Q{q}",
                  value=Decimal(rng.randint(700, 985)).scaleb(-1))
        sub_budget = package * 7 // 10 // n_sub
        for sp in two_card:
            credits = sub_budget * rng.randint(950, 1300) // (to_fen(sp["price_per_credit"]) * 1000)
            b.add("indicator_values", county=c, indicator=f"credits.{sp['code']}", entity=code, period=year,
                  value=credits)
        for o in ph["objectives"]:
            bench = int(Decimal(str(o["benchmark"])) * 1000)
            att = 1000 if bench >= 1000 and rng.random() < 0.75 else min(1000, max(0, bench + rng.randint(-60, 120)))
            b.add("indicator_values", county=c, indicator=o["code"], entity=code, period=year, value=ratio(att))
        previous = rng.randint(95000, 140000)
        current = previous * (1000 + rng.randint(-60, 80)) // 1000
        if i == 11:  # U012 changes exactly as U011 did, to show a tie in the ranking
            previous, current = last_spending
        last_spending = (previous, current)
        b.add("indicator_values", county=c, indicator="spending_per_capita", entity=code, period=year - 1,
              value=yuan(previous))
        b.add("indicator_values", county=c, indicator="spending_per_capita", entity=code, period=year,
              value=yuan(current))

        # insurance_capitation: three years of spending per head, this year's actual, coefficients.
        for g, mean, band in (("general", general_mean, (880, 1020)), ("chronic", chronic_mean, (870, 1030))):
            base = mean * rng.randint(900, 1100) // 1000
            history = [base * 100 // 103, base, base * 103 // 100]
            for y, v in zip(range(year - 3, year), history):
                b.add("indicator_values", county=c, indicator=f"insurance_per_capita.{g}", entity=code, period=y,
                      value=yuan(v))
            budget = fen_of(Fraction(sum(history) * pops[g], 3))
            b.add("funds", county=c, code=f"insurance_actual.{g}", entity=code, period=year,
                  amount=yuan(budget * rng.randint(*band) // 1000))
            for tier in ("county", "township", "village"):
                b.add("indicator_values", county=c, indicator=f"insurance_assessment.{g}.{tier}", entity=code,
                      period=year, value=str(Decimal(rng.randint(85, 100)).scaleb(-2)))

    vetoed = rng.sample(units, 4)
    for code, event in zip(vetoed, ("child_death", "maternal_death", "mental_incident", "tb_unreported")):
        b.add("indicator_values", county=c, indicator=f"veto.{event}", entity=code, period=year, value=1)
    b.add("funds", county=c, code="bphs_subsidy", entity="county", period=year,
          amount=yuan(s["residents"] * to_fen(s["public_health"]["bphs_per_capita"])))
    for com in coms:
        b.add("funds", county=c, code="community_surplus", entity=com, period=year,
              amount=yuan(rng.randint(2_400_000, 3_600_000) * 100))


# Monthly workload, percent of the year's mean month (winter busier), and a rate per 10 000
# people a month for the busiest items; the others draw theirs.
SEASON = (112, 104, 100, 96, 94, 92, 93, 95, 98, 101, 105, 110)
RATES = {"outpatient_visit": 1800, "inpatient_day": 140, "inpatient_surgery": 3}


def service_year(b: Bundle, c: str, rng: random.Random, year: int, centres: list[tuple[str, int]],
                 catalog: list[dict], months: int = 12) -> dict[str, Fraction]:
    """Twelve months of service counts, checks and quality per centre; returns each centre's
    equivalents Q as the engine computes them (for sizing the fund)."""
    rates = {item["code"]: RATES.get(item["code"], rng.randint(2, 400)) for item in catalog}
    equivalent = {item["code"]: Fraction(str(item["equivalent"])) for item in catalog}
    q: dict[str, Fraction] = {}
    for code, population in centres:
        intensity = rng.randint(82, 128)
        q[code] = Fraction(0)
        for m in range(1, months + 1):
            month = f"{year}-{m:02d}"
            raw = Fraction(0)
            for item in catalog:
                n = population * rates[item["code"]] * intensity * SEASON[m - 1] * rng.randint(90, 110) // 10**10
                b.add("service_counts", county=c, institution=code, month=month, item=item["code"], count=n)
                raw += n * equivalent[item["code"]]
            factor = Fraction(1)
            if rng.random() < 0.18:
                nc = rng.randint(5, 40)
                b.add("indicator_values", county=c, indicator="noncompliant_ratio", entity=code, period=month,
                      value=ratio(nc))
                factor *= 1 - Fraction(nc, 1000)
            if rng.random() < 0.10:
                quality = rng.randint(950, 995)
                b.add("indicator_values", county=c, indicator="service_quality", entity=code, period=month,
                      value=ratio(quality))
                factor *= Fraction(quality, 1000)
            q[code] += raw * factor
    return q


def work_equivalent_year(b: Bundle, c: str, rng: random.Random, year: int, policy: str,
                         centres: list[tuple[str, int]], per_capita: Fraction | None = None,
                         fund_fen: int | None = None, months: int = 12) -> None:
    """Service counts, performance, served population, last year's payments and the fund: sized
    so paid / population averages `per_capita`, or given as `fund_fen`."""
    params = defaults(policy, "work_equivalent", year)
    q = service_year(b, c, rng, year, centres, params["catalog"], months)
    perf = {code: rng.randint(860, 985) for code, _ in centres}  # tenths of a point
    for code, population in centres:
        b.add("indicator_values", county=c, indicator="performance_score", entity=code, period=year,
              value=Decimal(perf[code]).scaleb(-1))
        b.add("indicator_values", county=c, indicator="served_population", entity=code, period=year,
              value=population)
    total_q = sum(q.values(), Fraction(0))
    scored = sum((q[k] * perf[k] / 1000 for k in q), Fraction(0))  # Σ Q × performance / 100
    keep = 1 - Fraction(str(params["risk_fund_rate"]))
    if fund_fen is None:  # Σ paid ≈ F × (1 − rate) × scored / ΣQ
        population = sum(p for _, p in centres)
        fund_fen = fen_of(per_capita * 100 * population * total_q / (keep * scored))
    b.add("funds", county=c, code="work_equivalent_fund", entity="county", period=year, amount=yuan(fund_fen))
    for code, _ in centres:
        expected = fund_fen * keep * q[code] / total_q * perf[code] / 1000
        b.add("funds", county=c, code="work_equivalent_paid", entity=code, period=year - 1,
              amount=yuan(fen_of(expected * rng.randint(900, 1000) / 1000)))


def haiyan(b: Bundle, src: dict, rng: random.Random, year: int) -> None:
    """Nine centres, a year of counts over the catalogue in force, a fund for 101.05 yuan a head."""
    s = src["haiyan"]
    catalog = defaults("haiyan", "work_equivalent", year)["catalog"]
    if len(catalog) != s["catalogue_size"]:
        raise ValueError(f"haiyan's catalogue in force for {year} has {len(catalog)} items, not {s['catalogue_size']}")
    c = county(b, s["county"], sum(x["population"] for x in s["centres"]))
    for x in s["centres"]:
        kind = "community_health_centre" if "街道" in x["name_zh"] else "township_health_centre"
        b.add("institutions", county=c, code=x["code"], community=None, kind=kind, tier="township",
              name_zh=x["name_zh"], name_en=x["name_en"])
    work_equivalent_year(b, c, rng, year, "haiyan", [(x["code"], x["population"]) for x in s["centres"]],
                         per_capita=Fraction(str(s["per_capita_average"])))


def global_budget_year(b: Bundle, c: str, s: dict, rng: random.Random, year: int) -> None:
    """Deqing's global budget inputs for county `c`: member-months by scheme and age and the
    assessment per community, last year's spending, this year's funding and actuals."""
    gb = defaults("deqing", "global_budget", year)
    weights = {g: Fraction(str(w)) for g, w in gb["group_weights"].items()}
    shares = [int(Decimal(x["share"]) * 1000) for x in s["communities"]]
    young = apportion(s["residents"] - s["aged_60_plus"], shares)
    old = apportion(s["aged_60_plus"], shares)
    members: dict[str, dict[str, int]] = {}
    for x, le60, gt60 in zip(s["communities"], young, old):
        emp_le = int(le60 * Decimal(s["employee_share"]["le60"]))
        emp_gt = int(gt60 * Decimal(s["employee_share"]["gt60"]))
        persons = {"employee.le60": emp_le, "employee.gt60": emp_gt,
                   "resident.le60": le60 - emp_le, "resident.gt60": gt60 - emp_gt}
        members[x["code"]] = {g: p * 12 - rng.randint(0, p // 50) for g, p in persons.items()}
        for g, mm in members[x["code"]].items():
            b.add("indicator_values", county=c, indicator=f"member_months.{g}", entity=x["code"], period=year,
                  value=mm)
        for d, score in s["assessment"][x["code"]].items():
            b.add("indicator_values", county=c, indicator=f"assessment_score.{d}", entity=x["code"],
                  period=year, value=score)
    weighted = {com: sum((weights[g] * mm for g, mm in m.items()), Fraction(0)) for com, m in members.items()}
    total = sum(weighted.values(), Fraction(0))
    previous = fen_of(total / 12 * 100 * Fraction(100, 104))  # last year: a little under the weights
    growth = Fraction(str(gb["growth_rate"]))
    budget = fen_of(previous * (1 + growth))
    b.add("funds", county=c, code="insurance_spending", entity="county", period=year - 1, amount=yuan(previous))
    b.add("funds", county=c, code="insurance_funding", entity="county", period=year,
          amount=yuan(budget * 106 // 100))
    for com in members:
        actual = budget * weighted[com] / total * Fraction(s["spending_2024_ratio"][com])
        b.add("funds", county=c, code="insurance_spending", entity=com, period=year, amount=yuan(int(actual)))


def deqing(b: Bundle, src: dict, rng: random.Random, year: int) -> None:
    """Two health groups: member-months by scheme and age, last year's spending, this year's
    actuals and assessments; twelve centres bought by work equivalents."""
    s = src["deqing"]
    c = county(b, s["county"], s["residents"])
    for x in s["communities"]:
        b.add("communities", county=c, code=x["code"], name_zh=x["name_zh"], name_en=x["name_en"], lead=x["lead"])
    for x in s["county_hospitals"]:
        b.add("institutions", county=c, code=x["code"], community=x["community"], kind="county_hospital",
              tier="county", name_zh=x["name_zh"], name_en=x["name_en"])
    centres = s["township_centres"]
    for x in centres:
        kind = "community_health_centre" if "街道" in x["name_zh"] else "township_health_centre"
        b.add("institutions", county=c, code=x["code"], community=x["community"], kind=kind, tier="township",
              name_zh=x["name_zh"], name_en=x["name_en"])
    clinics = apportion(s["village_clinics"], [rng.randint(6, 16) for _ in centres])
    n = 0
    for x, k in zip(centres, clinics):
        for j in range(1, k + 1):
            n += 1
            b.add("institutions", county=c, code=f"DV{n:03d}", community=x["community"], kind="village_clinic",
                  tier="village", name_zh=f"{place(x['name_zh'])}第{j}村卫生室", name_en=f"Village clinic DV{n:03d}")

    global_budget_year(b, c, s, rng, year)

    # work_equivalent: the centres' served populations share the county's residents.
    served = apportion(s["residents"], [rng.randint(30, 70) for _ in centres])
    fund = s["residents"] * to_fen(s["work_equivalent_per_capita"])
    work_equivalent_year(b, c, rng, year, "deqing", [(x["code"], p) for x, p in zip(centres, served)],
                         fund_fen=fund)

    # The seed's recorded budget outcomes 2018-2023 (plugins/deqing/history.yaml, sourced), with the
    # retention ratio and assessment score they imply, for reports that set the rule beside the record.
    from countypay.plugins.deqing.history import indicator_values

    for code, period, value in indicator_values():
        b.add("indicator_values", county=c, indicator=code, entity="county", period=period, value=value)


# Values of the Chengwu table: how each unit's cells become a number and/or a text.
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def cell(raw: str, unit: str) -> tuple[Decimal | None, str | None]:
    """(value, text) of a table cell: percentages as ratios 0..1; per-mille and x:1 ratios keep
    their number and their text; yes/no, two values in one cell and words are text only."""
    raw = raw.strip()
    if unit == "ratio" and raw.endswith("%") and NUMBER.match(raw[:-1]):
        return Decimal(raw[:-1]).scaleb(-2), None
    if unit == "per_mille" and raw.endswith("‰") and NUMBER.match(raw[:-1]):
        return Decimal(raw[:-1]), raw
    m = re.match(r"^(\d+(?:\.\d+)?):1$", raw)
    if unit == "ratio_to_1" and m:
        return Decimal(m.group(1)), raw
    if unit not in ("text", "yes_no") and NUMBER.match(raw):
        return Decimal(raw), None
    if unit in ("text", "yes_no"):
        return None, raw
    raise ValueError(f"cell {raw!r} does not fit the unit {unit!r}")


def chengwu(b: Bundle, src: dict, rng: random.Random, year: int) -> None:
    """Indicator-only: the seed's 32 indicators with the 2023 value and 2024-2026 targets, a
    synthetic 2024 value each; the general hospital's community and its institutions."""
    s = src["chengwu"]
    c = county(b, s["county"])
    com = s["community"]
    b.add("communities", county=c, code=com["code"], name_zh=com["name_zh"], name_en=com["name_en"], lead=com["lead"])
    for x in s["county_hospitals"]:
        b.add("institutions", county=c, code=x["code"], community=com["code"], kind="county_hospital", tier="county",
              name_zh=x["name_zh"], name_en=x["name_en"])
    centres = [(f"CT{i:02d}", f"{t}卫生院", "township_health_centre") for i, t in enumerate(s["township_centres"], 1)]
    centres += [(f"CS{i:02d}", f"{t}社区卫生服务中心", "community_health_centre")
                for i, t in enumerate(s["street_centres"], 1)]
    for code, name, kind in centres:
        b.add("institutions", county=c, code=code, community=com["code"], kind=kind, tier="township",
              name_zh=name, name_en=f"{'Township' if kind.startswith('township') else 'Subdistrict'} centre {code}")
    n = 0
    for (code, name, _), k in zip(centres, apportion(s["village_clinics"], [rng.randint(15, 30) for _ in centres])):
        for j in range(1, k + 1):
            n += 1
            b.add("institutions", county=c, code=f"CV{n:03d}", community=com["code"], kind="village_clinic",
                  tier="village", name_zh=f"{place(name)}第{j}村卫生室", name_en=f"Village clinic CV{n:03d}")
    for row in s["indicators"]:
        code = f"chengwu_{row['n']:02d}"
        b.add("indicators", code=code, name_zh=row["name_zh"], name_en=row["name_en"], unit=row["unit"],
              entity="county", period_kind="year", direction=row["direction"], benchmark=None, per_capita=False,
              reference=f"seed 004 四 绩效目标申报表 row {row['n']} ({row['group']}); direction: {row['why']}; "
                        f"{year} value synthetic" + (f"; 备注: {row['remark']}" if row.get("remark") else ""))
        first, *targets = [cell(x, row["unit"]) for x in row["cells"]]
        b.add("indicator_values", county=c, indicator=code, entity="county", period=year - 1,
              value=first[0], text=first[1])
        for y, (value, text) in zip(range(year, year + len(targets)), targets):
            b.add("indicator_targets", indicator=code, county=c, year=y, value=value, text=text)
        value, text = cell(row["actual_2024"], row["unit"])
        b.add("indicator_values", county=c, indicator=code, entity="county", period=year, value=value, text=text)


# ---------------------------------------------------------------- the whole bundle

def generate(seed: int | None = None) -> Bundle:
    """The demo province's rows; the same seed gives the same rows."""
    src = sources()
    seed = src["random_seed"] if seed is None else seed
    year = int(src["year"])
    rng = random.Random(seed)
    b = Bundle()
    for p in src["provinces"]:
        b.add("provinces", **p)
    service_items(b, year)
    for make in (suixi, haiyan, deqing, chengwu):
        make(b, src, rng, year)
    return b


def service_items(b: Bundle, year: int) -> None:
    """The service items of every work-equivalents catalogue in force for the year."""
    items: dict[str, dict] = {}
    for policy in ("haiyan", "deqing"):
        for item in defaults(policy, "work_equivalent", year)["catalog"]:
            items.setdefault(item["code"], item)
    for code in sorted(items):
        b.add("service_items", code=code, name_zh=items[code].get("name_zh") or code,
              name_en=items[code].get("name_en") or code)


def write_bundle(folder: Path, seed: int | None = None) -> list[Path]:
    """Write the demo bundle's CSV files into `folder`."""
    return generate(seed).write(Path(folder))
