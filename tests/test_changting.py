"""Changting (POLICIES.md §7): conformance of the four components, refused input, flags, and the
health-points ledger's invariants over random event streams."""
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countypay import cases, conformance
from countypay.compute import compute
from countypay.errors import InputError
from countypay.params import in_force
from countypay.period import Period
from countypay.plugins.changting import POLICY
from countypay.plugins.changting.grid_index import DEFAULTS
from countypay.plugins.changting.health_points import KINDS

money = st.integers(0, 10**7).map(lambda n: f"{n // 100}.{n % 100:02d}")
rate = st.integers(0, 12000).map(lambda n: f"{n // 10000}.{n % 10000:04d}")


def run(component, inputs, overrides=None, period="2024"):
    return compute(POLICY, POLICY.component(component), inputs, Period.parse(period),
                   run_overrides=overrides).outcome


def lines(outcome):
    return {(l.entity, l.code): l.value for l in outcome.lines}


def flags(outcome, code=None):
    return [(f.entity, f.severity) for f in outcome.flags if code is None or f.code == code]


def refused(component, inputs, overrides=None, period="2024"):
    with pytest.raises(InputError) as e:
        run(component, inputs, overrides, period)
    return str(e.value)


# ---------------------------------------------------------------- the policy and its defaults

def test_policy_declares_names_lines_and_gathers():
    assert POLICY.version == "0.1.0" and POLICY.reference and POLICY.name_zh and POLICY.name_en
    assert [c.code for c in POLICY.components] == ["teams", "grid_index", "health_points", "reimbursement_bonus"]
    for c in POLICY.components:
        assert c.name_zh and c.name_en and c.lines and c.gather is not None
    assert {i.code for i in POLICY.indicators} == {code for code, _, _ in DEFAULTS}


def test_default_catalogues_are_illustrative_and_complete():
    on = date(2024, 1, 1)
    grid = in_force(POLICY, "grid_index", on)
    assert grid["indicators"].reference.startswith("illustrative") and grid["max_missing"].value == 2
    assert [i["code"] for i in grid["indicators"].value] == [code for code, _, _ in DEFAULTS]
    assert {i["weight"] for i in grid["indicators"].value} == {1}
    points = in_force(POLICY, "health_points", on)
    catalogue = points["catalogue"].value
    assert points["catalogue"].reference.startswith("illustrative") and len(catalogue) == 28
    assert {i["kind"] for i in catalogue} == set(KINDS)
    assert points["earning"].reference.startswith("illustrative")
    assert in_force(POLICY, "teams", on)["specialist_days"].value == 8
    bonus = in_force(POLICY, "reimbursement_bonus", on)
    assert bonus["bonus_rate"].value == "0.02" and bonus["streak_months"].value == 12


# ---------------------------------------------------------------- the case files' flags

CASES = Path(__file__).resolve().parents[1] / "plugins" / "changting" / "cases"


def case_flags(name):
    return [(f.entity, f.code, f.severity) for f in
            cases.run(cases.load(CASES / f"{name}.case.yaml")).computation.outcome.flags]


def test_case_files_raise_the_flags_their_headers_promise():
    assert case_flags("grid-missing-and-lower-zero") == [("G3", "no_index", "warning")]
    assert case_flags("teams-specialist-missing-and-short") == [
        ("S01", "specialist_days", "warning"),  # August, 7 days
        ("S02", "not_conformant", "warning"),
        ("S03", "specialist_days", "warning"), ("S03", "specialist_days", "warning"),
        ("S03", "specialist_days", "warning"),  # D307: no days in July, August, September
        ("S04", "not_conformant", "warning")]
    assert case_flags("points-overdraw-refused") == [("B01", "refused", "warning")] * 2 + [
        ("B02", "refused", "warning")]
    assert case_flags("points-filial-spend") == [("F01", "refused", "warning")] * 2
    assert case_flags("grid-ties-on-shown-index") == []


# ---------------------------------------------------------------- teams

ROLES = ["gp", "nurse", "public_health", "cdc", "specialist", "other"]
Q3 = ["2024-07", "2024-08", "2024-09"]
member = st.builds(lambda role, days: {"role": role, **({"days_at_grassroots": days} if days else {})},
                   st.sampled_from(ROLES), st.dictionaries(st.sampled_from(Q3), st.integers(0, 23)))
team = st.builds(lambda i, grids, members: {
    "code": f"T{i:03d}", "grids": grids,
    "members": [{**m, "person": f"P{i:03d}{j:02d}"} for j, m in enumerate(members)]},
    st.integers(0, 999), st.lists(st.sampled_from(["G1", "G2", "G3"]), unique=True),
    st.lists(member, max_size=8))
teams_inputs = st.builds(lambda ts: {"teams": ts}, st.lists(team, max_size=8, unique_by=lambda t: t["code"]))


def test_teams_conforms():
    conformance.check_component("changting", "teams", "2024Q3", teams_inputs)


ONE_TEAM = {"teams": [{"code": "T01", "grids": ["G0001"], "members": [
    {"role": "gp", "person": "P01"},
    {"role": "specialist", "person": "P02", "days_at_grassroots": {"2024-08": 8}}]}]}


def test_teams_rejects_malformed_input():
    assert conformance.check_rejects_malformed("changting", "teams", "2024-08", ONE_TEAM) == 7


def test_specialist_short_months_are_warnings_and_x_members_are_not_held_to_the_days():
    out = run("teams", {"teams": [{"code": "T01", "members": [
        {"role": "gp", "person": "P1"}, {"role": "nurse", "person": "P2"},
        {"role": "public_health", "person": "P3"}, {"role": "cdc", "person": "P4"},
        {"role": "specialist", "person": "P5", "days_at_grassroots": {"2024-07": 8, "2024-08": 7}},
        {"role": "other", "person": "P6"}]}]}, period="2024Q3")
    short = [f for f in out.flags if f.code == "specialist_days"]
    assert [(f.entity, f.severity) for f in short] == [("T01", "warning")] * 2  # August 7, September none
    assert "2024-08" in short[0].message and "2024-09" in short[1].message and "P5" in short[0].message
    assert lines(out)[("T01", "conformant")] == 1 and not flags(out, "not_conformant")


def test_a_team_without_its_specialist_is_flagged_and_not_conformant():
    out = run("teams", {"teams": [{"code": "T01", "members": [
        {"role": "gp", "person": "P1"}, {"role": "gp", "person": "P2"}, {"role": "nurse", "person": "P3"},
        {"role": "public_health", "person": "P4"}, {"role": "cdc", "person": "P5"},
        {"role": "other", "person": "P6", "days_at_grassroots": {"2024-08": 10}}]}]}, period="2024-08")
    assert lines(out)[("T01", "conformant")] == 0 and lines(out)[("T01", "members")] == 6
    assert flags(out) == [("T01", "warning")] and "specialist" in out.flags[0].message


def test_required_roles_are_a_parameter():
    inputs = {"teams": [{"code": "T01", "members": [{"role": "gp", "person": "P1"}]}]}
    out = run("teams", inputs, {"required_roles": {"gp": 1}, "specialist_days": 8}, period="2024-08")
    assert lines(out)[("T01", "conformant")] == 1
    out = run("teams", inputs, {"required_roles": {"gp": 2}, "specialist_days": 8}, period="2024-08")
    assert lines(out)[("T01", "conformant")] == 0


def test_teams_refuse():
    t = {"code": "T01", "members": [{"role": "gp", "person": "P1"}]}
    assert "teams[1].code: 'T01' appears twice" in refused("teams", {"teams": [t, t]})
    assert "teams[0].members[1].person" in refused("teams", {"teams": [
        {"code": "T01", "members": [{"role": "gp", "person": "P1"}, {"role": "gp", "person": "P1"}]}]})
    assert "teams[0].members[0].role" in refused("teams", {"teams": [
        {"code": "T01", "members": [{"role": "surgeon", "person": "P1"}]}]})
    assert "teams[0].members[0].days_at_grassroots.2024-08" in refused("teams", {"teams": [
        {"code": "T01", "members": [{"role": "specialist", "person": "P1", "days_at_grassroots": {"2024-08": -1}}]}]})


# ---------------------------------------------------------------- grid_index

GRID_OVERRIDES = {"max_missing": 2, "indicators": [
    {"code": "ht", "weight": 2, "target": "0.60", "direction": "higher"},
    {"code": "dm", "weight": 1, "target": "0.55", "direction": "higher"},
    {"code": "signing", "weight": 1, "target": "0.75", "direction": "higher"},
    {"code": "uncontrolled", "weight": 1, "target": "0.10", "direction": "lower"},
    {"code": "complaints", "weight": "0.5", "target": "0", "direction": "lower"}]}
GRID_CODES = [i["code"] for i in GRID_OVERRIDES["indicators"]]
grid_inputs = st.builds(
    lambda grids: {"grids": grids},
    st.lists(st.builds(lambda i, values: {"code": f"G{i:04d}", "values": values}, st.integers(0, 9999),
                       st.dictionaries(st.sampled_from(GRID_CODES), st.sampled_from(["0", "0.05", "0.1", "0.6", "0.99"]) | rate)),
             max_size=15, unique_by=lambda g: g["code"]))
default_grid_inputs = st.builds(
    lambda grids: {"grids": grids},
    st.lists(st.builds(lambda i, values: {"code": f"G{i:04d}", "values": values}, st.integers(0, 9999),
                       st.dictionaries(st.sampled_from([c for c, _, _ in DEFAULTS]), rate)),
             max_size=10, unique_by=lambda g: g["code"]))


def test_grid_index_conforms():
    conformance.check_component("changting", "grid_index", "2024-07", grid_inputs, GRID_OVERRIDES)
    conformance.check_component("changting", "grid_index", "2024-07", default_grid_inputs, max_examples=20)


ONE_GRID = {"grids": [{"code": "G0001", "values": {"grid_hypertension_control": "0.61",
                                                   "grid_diabetes_control": "0.50", "grid_contract_signing": "0.80",
                                                   "grid_key_population_signing": "0.9",
                                                   "grid_followup_on_time": "0.92"}}]}


def test_grid_index_rejects_malformed_input():
    assert conformance.check_rejects_malformed("changting", "grid_index", "2024-07", ONE_GRID) == 6


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(grid_inputs)
def test_ranks_follow_the_shown_index(inputs):
    out = run("grid_index", inputs, GRID_OVERRIDES, period="2024-07")
    got = lines(out)
    shown = {g["code"]: got[(g["code"], "index")] for g in inputs["grids"] if (g["code"], "index") in got}
    for code, value in shown.items():
        assert got[(code, "rank")] == 1 + sum(v > value for v in shown.values())
        assert Decimal(0) <= value <= 100
    no_index = [g["code"] for g in inputs["grids"] if (g["code"], "index") not in got]
    assert sorted(e for e, _ in flags(out, "no_index")) == sorted(no_index)
    assert all(len(set(GRID_CODES) - set(g["values"])) > 2 for g in inputs["grids"] if g["code"] in no_index)


def test_a_grid_missing_too_many_indicators_is_flagged_not_ranked():
    out = run("grid_index", {"grids": [{"code": "G1", "values": {"ht": "0.6", "dm": "0.55"}},
                                       {"code": "G2", "values": {"ht": "0.3", "dm": "0.55", "signing": "0.75"}}]},
              GRID_OVERRIDES, period="2024-07")
    got = lines(out)
    assert ("G1", "index") not in got and ("G1", "rank") not in got
    assert flags(out) == [("G1", "warning")] and "uncontrolled" in out.flags[0].message
    # G2: (2 × 0.5 + 1 + 1) / 4 = 0.75, two indicators missing = max_missing
    assert got[("G2", "index")] == Decimal("75.00") and got[("G2", "rank")] == 1
    assert got[("county", "indexed")] == 1 and got[("county", "grids")] == 2


def test_lower_is_better_target_zero_attains_only_at_zero():
    params = {"max_missing": 0, "indicators": [{"code": "complaints", "weight": 1, "target": "0", "direction": "lower"}]}
    got = lines(run("grid_index", {"grids": [{"code": "G1", "values": {"complaints": "0"}},
                                             {"code": "G2", "values": {"complaints": "0.01"}}]}, params, "2024-07"))
    assert got[("G1", "index")] == 100 and got[("G2", "index")] == 0 and got[("G2", "rank")] == 2


def test_grid_index_refuses():
    higher_zero = {"max_missing": 2, "indicators": [{"code": "ht", "weight": 1, "target": "0", "direction": "higher"}]}
    msg = refused("grid_index", {"grids": []}, higher_zero, "2024-07")
    assert msg.startswith("parameters") and "indicators[0].target" in msg and "R26" in msg
    assert "grids[0].values.typo" in refused("grid_index", {"grids": [{"code": "G1", "values": {"typo": "1"}}]},
                                             GRID_OVERRIDES, "2024-07")
    assert "period: the grid index is monthly" in refused("grid_index", {"grids": []}, GRID_OVERRIDES, "2024")
    assert "grids[0].values.ht" in refused("grid_index", {"grids": [{"code": "G1", "values": {"ht": "-0.1"}}]},
                                           GRID_OVERRIDES, "2024-07")
    g = {"code": "G1", "values": {}}
    assert "grids[1].code" in refused("grid_index", {"grids": [g, g]}, GRID_OVERRIDES, "2024-07")


# ---------------------------------------------------------------- health_points

CATALOGUE = [
    {"item": "check", "points": 30, "cost": "15.00", "kind": "medical"},
    {"item": "kit", "points": 50, "cost": "35.50", "kind": "product"},
    {"item": "oil", "points": 25, "cost": "18.90", "kind": "daily"},
    {"item": "nursing", "points": 60, "cost": "45.00", "kind": "filial_care"},
    {"item": "free_leaflet", "points": 0, "cost": "0.00", "kind": "product"},
]
EARNING = {"health_class": 5, "checkup_completed": 20, "followup_kept": 10}
POINTS_OVERRIDES = {"earning": EARNING, "catalogue": CATALOGUE}
ITEMS = {i["item"]: i for i in CATALOGUE}

day = st.integers(0, 365).map(lambda n: (date(2024, 1, 1) + timedelta(days=n)).isoformat())
quantity = st.one_of(st.none(), st.integers(1, 4))
event = st.one_of(
    st.builds(lambda d, a, q: {"date": d, "kind": "earn", "activity": a, **({"quantity": q} if q else {})},
              day, st.sampled_from(sorted(EARNING)), quantity),
    st.builds(lambda d, i, q: {"date": d, "kind": "redeem", "item": i, **({"quantity": q} if q else {})},
              day, st.sampled_from(sorted(ITEMS)), quantity),
    st.builds(lambda d, q: {"date": d, "kind": "filial", "item": "nursing", **({"quantity": q} if q else {})},
              day, quantity))
account = st.builds(lambda i, opening, events: {"code": f"A{i:04d}", "opening": opening, "events": events},
                    st.integers(0, 9999), st.integers(0, 200), st.lists(event, max_size=12))
points_inputs = st.builds(lambda accts: {"accounts": accts},
                          st.lists(account, max_size=8, unique_by=lambda a: a["code"]))


def test_health_points_conforms():
    conformance.check_component("changting", "health_points", "2024", points_inputs, POINTS_OVERRIDES)


def test_health_points_conforms_with_the_default_catalogue():
    catalogue = in_force(POLICY, "health_points", date(2024, 1, 1))["catalogue"].value
    filial = sorted(i["item"] for i in catalogue if i["kind"] == "filial_care")
    other = sorted(i["item"] for i in catalogue)
    ev = st.one_of(
        st.builds(lambda d: {"date": d, "kind": "earn", "activity": "checkup_completed", "quantity": 3}, day),
        st.builds(lambda d, i: {"date": d, "kind": "redeem", "item": i}, day, st.sampled_from(other)),
        st.builds(lambda d, i: {"date": d, "kind": "filial", "item": i}, day, st.sampled_from(filial)))
    inputs = st.builds(lambda accts: {"accounts": accts}, st.lists(
        st.builds(lambda i, o, e: {"code": f"H{i:03d}", "opening": o, "events": e},
                  st.integers(0, 999), st.integers(0, 500), st.lists(ev, max_size=10)),
        max_size=6, unique_by=lambda a: a["code"]))
    conformance.check_component("changting", "health_points", "2024", inputs, max_examples=20)


ONE_ACCOUNT = {"accounts": [{"code": "HH-0001", "opening": 40, "events": [
    {"date": "2024-03-01", "kind": "earn", "activity": "health_class", "quantity": 2},
    {"date": "2024-03-02", "kind": "filial", "item": "nursing"}]}]}


def test_health_points_rejects_malformed_input():
    assert conformance.check_rejects_malformed("changting", "health_points", "2024", ONE_ACCOUNT,
                                               POINTS_OVERRIDES) == 9


def replay(account):
    """The ledger rule read independently: (closing, earned, redeemed, refused)."""
    balance, earned, redeemed, refused_n = account["opening"], 0, 0, 0
    events = sorted(enumerate(account["events"]), key=lambda p: (p[1]["date"], p[0]))
    for _, e in events:
        q = e.get("quantity", 1)
        if e["kind"] == "earn":
            balance += EARNING[e["activity"]] * q
            earned += EARNING[e["activity"]] * q
        elif ITEMS[e["item"]]["points"] * q > balance:
            refused_n += 1
        else:
            balance -= ITEMS[e["item"]]["points"] * q
            redeemed += ITEMS[e["item"]]["points"] * q
        assert balance >= 0
    return balance, earned, redeemed, refused_n


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(points_inputs)
def test_ledger_never_overdraws_conserves_points_and_counts_every_refusal(inputs):
    out = run("health_points", inputs, POINTS_OVERRIDES)
    got = lines(out)
    by_line = {(l.entity, l.code): l for l in out.lines}
    for a in inputs["accounts"]:
        c = a["code"]
        closing, earned, redeemed, refused_n = replay(a)
        assert got[(c, "closing")] == closing >= 0
        assert (got[(c, "earned")], got[(c, "redeemed")], got[(c, "refused")]) == (earned, redeemed, refused_n)
        for applied in by_line[(c, "redeemed")].trace["inputs"]["events"]:
            assert applied["points"] <= applied["balance"]  # no balance went below 0 on the way
        assert sum(1 for f in out.flags if f.entity == c and f.code == "refused") == refused_n
    opening = sum(a["opening"] for a in inputs["accounts"])
    assert opening + got[("county", "points.issued")] - got[("county", "points.redeemed")] \
        == got[("county", "points.outstanding")]
    assert got[("county", "refused")] == sum(1 for f in out.flags if f.code == "refused")
    assert got[("county", "cost")] == sum(got[("county", f"cost.{k}")] for k in KINDS)


def test_refused_events_are_warnings_and_never_partly_applied():
    out = run("health_points", {"accounts": [{"code": "A1", "opening": 60, "events": [
        {"date": "2024-05-01", "kind": "redeem", "item": "oil", "quantity": 3}]}]}, POINTS_OVERRIDES)
    got = lines(out)
    assert (got[("A1", "redeemed")], got[("A1", "refused")], got[("A1", "closing")]) == (0, 1, 60)
    assert flags(out) == [("A1", "warning")] and got[("county", "cost")] == Decimal("0.00")


@pytest.mark.parametrize("code, why", [
    ("张三", "looks like a name"),
    ("户主王芳", "looks like a name"),
    ("110101199003077777", "national ID number"),
    ("11010119900307123X", "national ID number"),
    ("HH11010119900307123x", "national ID number"),
    ("110101900307123", "national ID number"),
    ("Zhang San", "letters, digits, _ or - only"),
    ("county", "the county's own entity code"),
])
def test_household_codes_must_be_pseudonyms(code, why):
    points = {"accounts": [{"code": code, "opening": 0}]}
    msg = refused("health_points", points, POINTS_OVERRIDES)
    assert "accounts[0].code" in msg and why in msg
    bonus = {"households": [{"code": code, "reimbursable": "1.00"}]}
    msg = refused("reimbursement_bonus", bonus)
    assert "households[0].code" in msg and why in msg


def test_pseudonyms_are_accepted():
    out = run("health_points", {"accounts": [{"code": c, "opening": 1} for c in
                                             ("HH-0001", "A_7", "1234567890")]}, POINTS_OVERRIDES)
    assert lines(out)[("county", "points.outstanding")] == 3


def test_health_points_refuses():
    def one(event):
        return refused("health_points", {"accounts": [{"code": "A1", "events": [event]}]}, POINTS_OVERRIDES)
    msg = one({"date": "2024-01-02", "kind": "filial", "item": "oil"})
    assert "accounts[0].events[0].item" in msg and "filial_care" in msg and "R25" in msg
    assert "accounts[0].events[0].activity: no activity 'jogging'" in one(
        {"date": "2024-01-02", "kind": "earn", "activity": "jogging"})
    assert "accounts[0].events[0].item: no item 'tv'" in one({"date": "2024-01-02", "kind": "redeem", "item": "tv"})
    assert "accounts[0].events[0]" in one({"date": "2024-01-02", "kind": "earn", "item": "oil"})
    assert "accounts[0].events[0]" in one({"date": "2024-01-02", "kind": "redeem", "activity": "health_class"})
    assert "accounts[0].events[0].quantity" in one({"date": "2024-01-02", "kind": "redeem", "item": "oil", "quantity": 0})
    assert "accounts[0].events[0].date" in one({"date": "2024-02-30", "kind": "redeem", "item": "oil"})
    assert "accounts[0].opening" in refused("health_points", {"accounts": [{"code": "A1", "opening": -5}]},
                                            POINTS_OVERRIDES)
    dup = {"code": "A1"}
    assert "accounts[1].code" in refused("health_points", {"accounts": [dup, dup]}, POINTS_OVERRIDES)


def test_every_event_given_is_applied_whatever_its_date():
    out = run("health_points", {"accounts": [{"code": "A1", "events": [
        {"date": "2023-12-31", "kind": "earn", "activity": "checkup_completed"},
        {"date": "2025-01-01", "kind": "redeem", "item": "check"}]}]}, POINTS_OVERRIDES)
    assert lines(out)[("A1", "closing")] == 20  # earned 20, then the 30-point check refused
    assert lines(out)[("A1", "refused")] == 1


# ---------------------------------------------------------------- reimbursement_bonus

MONTHS = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
household = st.builds(
    lambda i, compliant, r, base: {"code": f"H{i:05d}", "compliant": compliant, "reimbursable": r,
                                   **({"base_rate": base} if base else {})},
    st.integers(0, 99999),
    st.one_of(st.dictionaries(st.sampled_from(MONTHS), st.booleans()),
              st.builds(lambda start: {m: True for m in MONTHS[start:]}, st.integers(0, 30))),
    money, st.one_of(st.none(), st.sampled_from(["0.60", "0.7", "1"])))
bonus_inputs = st.builds(lambda hs: {"households": hs},
                         st.lists(household, max_size=10, unique_by=lambda h: h["code"]))


def test_reimbursement_bonus_conforms():
    conformance.check_component("changting", "reimbursement_bonus", "2024", bonus_inputs)
    conformance.check_component("changting", "reimbursement_bonus", "2024Q2", bonus_inputs,
                                {"bonus_rate": "0.035", "streak_months": 6}, max_examples=30)


ONE_HOUSEHOLD = {"households": [{"code": "H001", "compliant": {"2023-11": True, "2023-12": True},
                                 "reimbursable": "1000.00", "base_rate": "0.70"}]}


def test_reimbursement_bonus_rejects_malformed_input():
    assert conformance.check_rejects_malformed("changting", "reimbursement_bonus", "2024", ONE_HOUSEHOLD) == 5


def test_streak_is_uncapped_and_ends_before_the_period():
    compliant = {m: True for m in MONTHS}
    got = lines(run("reimbursement_bonus", {"households": [
        {"code": "H1", "compliant": compliant, "reimbursable": "100.25"}]}, period="2024-07"))
    assert got[("H1", "streak")] == 30  # 2022-01 … 2024-06
    assert got[("H1", "bonus")] == Decimal("2.01")  # 100.25 × 0.02 = 2.005, half-up


def test_reimbursement_bonus_refuses():
    assert "households[0].compliant.2024-13" in refused("reimbursement_bonus", {"households": [
        {"code": "H1", "compliant": {"2024-13": True}, "reimbursable": "1.00"}]})
    assert "households[0].reimbursable" in refused("reimbursement_bonus", {"households": [
        {"code": "H1", "reimbursable": "1.005"}]})
    h = {"code": "H1", "reimbursable": "1.00"}
    assert "households[1].code" in refused("reimbursement_bonus", {"households": [h, h]})
    assert "streak_months" in refused("reimbursement_bonus", {"households": []},
                                      {"bonus_rate": "0.02", "streak_months": 0})
