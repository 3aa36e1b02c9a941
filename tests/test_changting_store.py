"""Changting from the store, on SQLite and PostgreSQL: each component's case file written as a
bundle (teams, grids as units, households, points, compliance), imported, settled, and giving
the case's lines; bad rows in the new tables refused whole, naming file, row, field and reason;
a household's points read over GraphQL by its own county's token only."""
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from countypay import cases
from countypay.load import ImportFailed
from countypay.period import Period
from countypay.plugins.changting import POLICY

CASES = Path(POLICY.parameter_file).parent / "cases"
DATA = Path(__file__).parent / "data"


def county(folder) -> None:
    folder.write("provinces.csv", [{"code": "fujian", "name_zh": "福建省", "name_en": "Fujian"}])
    folder.write("counties.csv", [{"code": "changting", "province": "fujian", "name_zh": "长汀县",
                                   "name_en": "Changting", "population": 400000}])


def units(folder, codes) -> None:
    folder.write("units.csv", [{"county": "changting", "code": c, "name_zh": f"网格{c}"} for c in codes])


def teams_bundle(folder, inputs: dict, period: Period) -> None:
    teams = inputs["teams"]
    units(folder, sorted({g for t in teams for g in t["grids"]}))
    folder.write("teams.csv", [{"county": "changting", "code": t["code"], "name_zh": f"团队{t['code']}"} for t in teams])
    folder.write("team_grids.csv", [{"county": "changting", "team": t["code"], "grid": g}
                                    for t in teams for g in t["grids"]])
    members = [m | {"team": t["code"]} for t in teams for m in t["members"]]
    folder.write("team_members.csv", [{"county": "changting", "team": m["team"], "role": m["role"],
                                       "staff": m["person"]} for m in members])
    folder.write("staff_days.csv", [{"county": "changting", "staff": m["person"], "month": month, "days": n}
                                    for m in members for month, n in (m.get("days_at_grassroots") or {}).items()])


def grid_bundle(folder, inputs: dict, period: Period, params: dict) -> None:
    folder.write("indicators.csv", [
        {"code": x["code"], "name_zh": x["code"], "unit": "ratio", "entity": "unit", "period_kind": "month",
         "direction": x["direction"]} for x in params["indicators"]])
    units(folder, [g["code"] for g in inputs["grids"]])
    folder.write("indicator_values.csv", [
        {"county": "changting", "indicator": k, "entity": g["code"], "period": str(period), "value": v}
        for g in inputs["grids"] for k, v in g["values"].items()])


def households(folder, codes) -> None:
    folder.write("households.csv", [{"county": "changting", "code": c} for c in codes])


def points_bundle(folder, inputs: dict, period: Period) -> None:
    accounts = inputs["accounts"]
    households(folder, [a["code"] for a in accounts])
    folder.write("points_openings.csv", [{"county": "changting", "household": a["code"],
                                          "date": period.start.isoformat(), "points": a.get("opening", 0)}
                                         for a in accounts])
    events = []
    for a in accounts:
        seq: dict = {}
        for e in a.get("events", []):
            seq[e["date"]] = seq.get(e["date"], 0) + 1
            events.append({"county": "changting", "household": a["code"], "seq": seq[e["date"]], **e})
    folder.write("points_events.json", events)  # one table as JSON, the others CSV


def bonus_bundle(folder, inputs: dict, period: Period) -> None:
    rows = inputs["households"]
    households(folder, [h["code"] for h in rows])
    folder.write("household_compliance.csv", [
        {"county": "changting", "household": h["code"], "month": m, "compliant": str(ok).lower()}
        for h in rows for m, ok in h["compliant"].items()])
    folder.write("household_reimbursements.csv", [
        {"county": "changting", "household": h["code"], "period": str(period), "reimbursable": h["reimbursable"],
         "base_rate": h.get("base_rate")} for h in rows])


def bundle_of(case, folder):
    """The case's facts written into `folder` (a `BundleFolder`, tests/conftest.py): what a county
    would load for the same settlement."""
    county(folder)
    folder.overrides("changting", case)
    if case.component == "teams":
        teams_bundle(folder, case.inputs, case.period)
    elif case.component == "grid_index":
        grid_bundle(folder, case.inputs, case.period, case.parameters["grid_index"])
    elif case.component == "health_points":
        points_bundle(folder, case.inputs, case.period)
    else:
        bonus_bundle(folder, case.inputs, case.period)
    return folder


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("*.case.yaml")))
def test_a_stored_county_settles_to_the_case_file(store, name):
    store.settles_to_file(CASES / name, bundle_of)


def test_the_opening_is_the_previous_periods_closing(store):
    """A stored opening, then events before the period, replayed by the rule (a refusal
    included): the 2024 opening is the 2023 closing, and the 2023 run says so too."""
    folder = store.bundle("ledger")
    county(folder)
    households(folder, ["A01", "A02"])
    folder.write("points_openings.csv", [{"county": "changting", "household": "A01", "date": "2023-01-01",
                                          "points": 40}])
    folder.write("points_events.csv", [
        {"county": "changting", "household": "A01", "date": "2022-12-05", "seq": 1, "kind": "earn",
         "activity": "health_class", "item": "", "quantity": 4},  # before the opening: not read
        {"county": "changting", "household": "A01", "date": "2023-05-01", "seq": 1, "kind": "earn",
         "activity": "checkup_completed", "item": "", "quantity": 1},  # 40 + 20 = 60
        {"county": "changting", "household": "A01", "date": "2023-06-01", "seq": 1, "kind": "redeem",
         "activity": "", "item": "bp_monitor", "quantity": 1},  # 300 > 60: refused
        {"county": "changting", "household": "A01", "date": "2023-06-01", "seq": 2, "kind": "redeem",
         "activity": "", "item": "eye_check", "quantity": 1},  # 60 − 30 = 30
        {"county": "changting", "household": "A01", "date": "2024-02-01", "seq": 1, "kind": "redeem",
         "activity": "", "item": "pill_box", "quantity": 2},  # 30 − 30 = 0
        {"county": "changting", "household": "A02", "date": "2023-12-31", "seq": 1, "kind": "earn",
         "activity": "vaccination", "item": "", "quantity": 1},  # no opening: 0 + 10
        {"county": "changting", "household": "A02", "date": "2025-01-01", "seq": 1, "kind": "earn",
         "activity": "vaccination", "item": "", "quantity": 1},  # after 2024: not read
    ])
    store.load(folder)
    y2023 = store.settled("changting", "health_points", "2023")
    y2024 = store.settled("changting", "health_points", "2024")
    assert (y2023["A01", "opening"], y2023["A01", "refused"], y2023["A01", "closing"]) == (40, 1, 30)
    assert y2023["A02", "closing"] == 10
    assert (y2024["A01", "opening"], y2024["A01", "redeemed"], y2024["A01", "closing"]) == (30, 30, 0)
    assert (y2024["A02", "opening"], y2024["A02", "earned"], y2024["A02", "closing"]) == (10, 0, 10)
    assert y2024["county", "points.opening"] == y2023["county", "points.outstanding"] == 40


def test_the_streak_reads_back_before_the_period(store):
    """The bonus reads compliance months before the period, and a household with no expenses
    stored for the period is listed with 0.00."""
    folder = store.bundle("streak")
    county(folder)
    households(folder, ["H1", "H2"])
    folder.write("household_compliance.csv", [
        {"county": "changting", "household": "H1", "month": f"{y}-{m:02d}", "compliant": "true"}
        for y in (2022, 2023) for m in range(1, 13)])
    folder.write("household_reimbursements.csv", [
        {"county": "changting", "household": "H1", "period": "2024", "reimbursable": "100.25", "base_rate": "0.7"},
        {"county": "changting", "household": "H1", "period": "2023", "reimbursable": "999.00", "base_rate": ""}])
    store.load(folder)
    got = store.settled("changting", "reimbursement_bonus", "2024")
    assert (got["H1", "streak"], got["H1", "bonus"]) == (24, Decimal("2.01"))  # 100.25 × 0.02 = 2.005 → 2.01
    assert (got["H2", "streak"], got["H2", "eligible"], got["H2", "bonus"]) == (0, 0, 0)
    assert (got["county", "households"], got["county", "bonus"]) == (2, Decimal("2.01"))


# ---------------------------------------------------------------- bad rows, refused whole

def good(folder):
    """A county with a team, a grid, households, compliance, expenses and points."""
    county(folder)
    units(folder, ["G01"])
    folder.write("teams.csv", [{"county": "changting", "code": "T1", "name_zh": "一队"}])
    folder.write("team_grids.csv", [{"county": "changting", "team": "T1", "grid": "G01"}])
    folder.write("team_members.csv", [{"county": "changting", "team": "T1", "role": "specialist", "staff": "D1"},
                                      {"county": "changting", "team": "T1", "role": "gp", "staff": "D2"}])
    folder.write("staff_days.csv", [{"county": "changting", "staff": "D1", "month": "2024-07", "days": 8}])
    households(folder, ["H1", "H2"])
    folder.write("household_compliance.csv", [
        {"county": "changting", "household": "H1", "month": "2023-12", "compliant": "true"},
        {"county": "changting", "household": "H2", "month": "2023-12", "compliant": "false"}])
    folder.write("household_reimbursements.csv", [
        {"county": "changting", "household": "H1", "period": "2024", "reimbursable": "10.00", "base_rate": "0.7"}])
    folder.write("points_openings.csv", [{"county": "changting", "household": "H1", "date": "2024-01-01",
                                          "points": 5}])
    folder.write("points_events.csv", [
        {"county": "changting", "household": "H1", "date": "2024-01-02", "seq": 1, "kind": "earn",
         "activity": "health_class", "item": "", "quantity": 1},
        {"county": "changting", "household": "H2", "date": "2024-01-02", "seq": 1, "kind": "redeem",
         "activity": "", "item": "soap", "quantity": 2}])
    return folder


BAD = yaml.safe_load((DATA / "test_changting_store.yaml").read_text(encoding="utf-8"))["bad rows"]


@pytest.mark.parametrize("bad", BAD, ids=[f"{b['table']}-{i}" for i, b in enumerate(BAD)])
def test_a_bad_row_refuses_the_whole_import(store, bad):
    store.refuses(good, bad)  # over the same county, stored


def test_a_name_column_in_a_json_file_refuses_it(store):
    bundle = good(store.bundle())
    (bundle.path / "points_events.csv").unlink()
    bundle.write("points_events.json", [{"county": "changting", "household": "H1", "date": "2024-01-02", "seq": 1,
                                         "kind": "earn", "activity": "health_class", "户主姓名": "张三"}])
    before = store.row_counts()
    with pytest.raises(ImportFailed) as err:
        store.load(bundle)
    assert err.value.problems == ["points_events.json, column 户主姓名: looks like a person's name column: "
                                  "households are pseudonymous codes, nothing else"]
    assert store.row_counts() == before


# ---------------------------------------------------------------- over GraphQL

def test_a_households_points_are_read_by_its_own_county_only(store, graphql_api):
    case = cases.load(CASES / "points-overdraw-refused.case.yaml")
    store.load(bundle_of(case, store.bundle()))
    gql = graphql_api("haiyan-bundle", own=dict(role="county", county_code="changting", name="changting team"),
                      other=dict(role="county", county_code="haiyan", name="haiyan team"))
    run = gql('mutation { runSettlement(input: {county: "changting", policy: "changting", component: "health_points", '
              'period: "2024"}) { run { id } } }', as_="own")["data"]["runSettlement"]["run"]["id"]
    read = ('{ settlements(county: "changting", component: "health_points", period: "2024") { nodes { id '
            'lines(entity: "B01") { nodes { code value trace } } } } }')
    nodes = gql(read, as_="own")["data"]["settlements"]["nodes"]
    assert [n["id"] for n in nodes] == [run]
    balance = {l["code"]: l for l in nodes[0]["lines"]["nodes"]}
    assert (balance["opening"]["value"], balance["closing"]["value"], balance["refused"]["value"]) == ("100", "10", "2")
    assert balance["closing"]["trace"]["inputs"] == {"opening": 100, "earned": 20, "redeemed": 110}
    for query in (read, '{ settlement(id: "%s") { id } }' % run):
        assert [e["extensions"]["code"] for e in gql(query, as_="other")["errors"]] == ["NOT_FOUND"]
