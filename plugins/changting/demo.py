"""Changting's demo county, 长汀县 (the `countypay_demo` hook of hookspecs.py).

From demo.yaml, drawn from a `random.Random` seeded by the demo's seed and the county's code:

- the health micro-grids (the county's units) of its towns and the family-doctor teams serving
  them, "3+1+1+X", two teams short of a role all year and two specialists short of their 8
  working days in some months (`teams`);
- each grid's monthly values of the grid index's indicators (parameters.yaml) over the demo
  year; the index is monthly, so the demo settles it for each month (`DemoData.periods`);
- pseudonymous households with their compliance months from January of the year before, so
  that some carry the 12-month streak into the year and some break it, and the year's
  reimbursable expenses (`reimbursement_bonus`);
- their opening points and a year of points events: earning, redemptions of what the balance
  affords, filial spends, and a few redemptions asked beyond the balance, which the ledger
  refuses (`health_points`).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from countypay.hookspecs import DemoData, Rows, hookimpl
from countypay.toolkit import apportion, defaults_in_force, demo_county

FIGURES = Path(__file__).with_name("demo.yaml")
PARAMETERS = Path(__file__).with_name("parameters.yaml")
ROLES = ("gp", "nurse", "public_health", "cdc", "specialist")  # "3+1+1"; the X are `other`


@hookimpl
def countypay_demo(seed: int, year: int) -> DemoData:
    f, c, rng, rows = demo_county(FIGURES, seed)
    grids = _grids(rows, c, f)
    _teams(rows, c, f, rng, grids, year)
    _grid_values(rows, c, f, rng, grids, year)
    households = _households(rows, c, f, rng, year)
    _points(rows, c, f, rng, households, year)
    months = tuple(f"{year}-{m:02d}" for m in range(1, 13))
    return DemoData(rows, periods={("changting", "grid_index"): months}, examples=(
        (f"Changting's grids ranked by their health index for {months[-1]}",
         f'{{ settlements(county: "changting", component: "grid_index", period: "{months[-1]}") {{\n'
         '    nodes { rank: lines(code: "rank", first: 100) { nodes { entity value } }\n'
         '      index: lines(code: "index", first: 100) { nodes { entity value } } } } }'),
        (f"Changting's teams, points ledger and reimbursement bonus for {year}, county lines",
         f'{{ settlements(county: "changting", period: "{year}") {{\n'
         '    nodes { component lines(entity: "county", first: 20) { nodes { code value } }\n'
         '      flags { entity code } } } }'),
    ))


def _grids(rows: Rows, c: str, f: dict) -> list[str]:
    """The grids, town by town: G01, G02, …"""
    grids: list[str] = []
    for town in f["towns"]:
        for k in range(1, f["grids_per_town"] + 1):
            code = f"G{len(grids) + 1:02d}"
            rows.add("units", county=c, code=code, name_zh=f"{town}第{k}网格", name_en=f"Grid {code}")
            grids.append(code)
    return grids


def _teams(rows: Rows, c: str, f: dict, rng: random.Random, grids: list[str], year: int) -> None:
    """Teams serving runs of neighbouring grids, each "3+1+1+X" but where a post is vacant, and
    each specialist's working days at the grassroots in every month of the year."""
    start, staff = 0, 0
    for i, size in enumerate(apportion(len(grids), [1] * f["teams"]), start=1):
        team = f"T{i:02d}"
        town = f["towns"][start // f["grids_per_town"]]
        sub = f["sub_teams"].get(team)
        rows.add("teams", county=c, code=team, name_zh=f"{town}片区家庭医生团队" + (f"（{sub}）" if sub else ""))
        for grid in grids[start:start + size]:
            rows.add("team_grids", county=c, team=team, grid=grid)
        start += size
        roles = [r for r in ROLES if r != f["vacant"].get(team)] + ["other"] * rng.randint(*f["x_members"])
        for role in roles:
            staff += 1
            person = f"S{staff:03d}"
            rows.add("team_members", county=c, team=team, role=role, staff=person)
            if role == "specialist":
                short = f["short_days"].get(team, {})
                for m in range(1, 13):
                    days = short.get(f"{m:02d}", rng.randint(*f["specialist_days"]))
                    rows.add("staff_days", county=c, staff=person, month=f"{year}-{m:02d}", days=days)


def _grid_values(rows: Rows, c: str, f: dict, rng: random.Random, grids: list[str], year: int) -> None:
    """Each grid's share on each indicator in every month: its level (per mille of the target),
    rising over the year, with some monthly noise; 4 decimals (a percentage as 88.36 %), at most 1."""
    indicators = defaults_in_force(PARAMETERS, "grid_index", date(year, 1, 1))["indicators"]
    low, high = (10 * x for x in f["grid_level"])
    gain, noise = 10 * f["gain"], 10 * f["noise"]
    for grid in grids:
        for ind in indicators:
            target = int(Decimal(str(ind["target"])) * 10000)  # in ten-thousandths
            level = rng.randint(low, high)
            for m in range(1, 13):
                permille = level + gain * (m - 1) // 11 + rng.randint(-noise, noise)
                value = min(10000, target * permille // 1000)
                rows.add("indicator_values", county=c, indicator=ind["code"], entity=grid,
                         period=f"{year}-{m:02d}", value=Decimal(value).scaleb(-4))


def _households(rows: Rows, c: str, f: dict, rng: random.Random, year: int) -> list[str]:
    """Households H0001, … with their compliance months over the year before and the year, and
    the year's reimbursable expenses (none for a few)."""
    codes = [f"H{i:04d}" for i in range(1, f["households"] + 1)]
    months = [f"{y}-{m:02d}" for y in (year - 1, year) for m in range(1, 13)]
    for code in codes:
        rows.add("households", county=c, code=code)
        miss = f["miss_percent"]["steady" if rng.randrange(100) < f["steady_percent"] else "irregular"]
        for month in months:
            rows.add("household_compliance", county=c, household=code, month=month,
                     compliant=rng.randrange(100) >= miss)
        if rng.randrange(100) < f["no_expenses_percent"]:
            continue
        low, high = f["inpatient_yuan"] if rng.randrange(100) < f["inpatient_percent"] else f["outpatient_yuan"]
        rows.add("household_reimbursements", county=c, household=code, period=str(year),
                 reimbursable=Decimal(rng.randint(low * 100, high * 100)).scaleb(-2),
                 base_rate=Decimal(rng.choice(f["base_rates"])))
    return codes


def _points(rows: Rows, c: str, f: dict, rng: random.Random, households: list[str], year: int) -> None:
    """Each household's opening on the year's first day and its events over the year. The
    balance is followed as the ledger keeps it (date order, then `seq`), so that redemptions ask
    for what it affords, but for one redemption beyond it in each of a few households."""
    params = defaults_in_force(PARAMETERS, "health_points", date(year, 1, 1))
    earning = sorted(params["earning"])
    goods = [x for x in params["catalogue"] if x["kind"] != "filial_care"]
    care = [x for x in params["catalogue"] if x["kind"] == "filial_care"]
    dearest = max(goods, key=lambda x: x["points"])
    filial = set(rng.sample(households, len(households) * f["filial_households_percent"] // 100))
    overdraw = set(rng.sample(households, f["overdraws"]))
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    for code in households:
        balance = rng.randint(*f["opening"])
        if balance:
            rows.add("points_openings", county=c, household=code, date=first, points=balance)
        dates = sorted(first + timedelta(days=rng.randrange(days)) for _ in range(rng.randint(*f["events"])))
        seq: dict[date, int] = {}
        for i, day in enumerate(dates):
            seq[day] = seq.get(day, 0) + 1
            event = {"county": c, "household": code, "date": day, "seq": seq[day]}
            roll = rng.randrange(100)
            affordable = [x for x in goods if x["points"] <= balance]
            caring = [x for x in care if x["points"] <= balance]
            if code in overdraw and i == len(dates) // 2:  # asked beyond the balance: refused whole
                rows.add("points_events", **event, kind="redeem", item=dearest["item"],
                         quantity=balance // dearest["points"] + 1)
            elif code in filial and roll < 15 and caring:
                item = rng.choice(caring)
                rows.add("points_events", **event, kind="filial", item=item["item"], quantity=1)
                balance -= item["points"]
            elif roll < f["redeem_percent"] and affordable:
                item = rng.choice(affordable)
                rows.add("points_events", **event, kind="redeem", item=item["item"], quantity=1)
                balance -= item["points"]
            else:
                activity = rng.choice(earning)
                rows.add("points_events", **event, kind="earn", activity=activity, quantity=1)
                balance += params["earning"][activity]
