"""Qinghai (POLICIES.md §5): conformance of `package` and `transfers`, refused input, flags, and
`gather` from stored facts settling to the shared cases' lines."""
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from countypay import cases, conformance
from countypay.compute import compute
from countypay.errors import InputError
from countypay.host import registry
from countypay.params import in_force, resolve
from countypay.period import Period
from countypay.plugins.qinghai import POLICY
from countypay.plugins.qinghai.package import SOURCES
from countypay.plugins.qinghai.transfers import HOPS
from countypay.policy import Facts

SHARED = Path("/work/shared/cases")
D = Decimal
Y2024 = Period.parse("2024")

money = st.integers(0, 10**9).map(lambda n: f"{n // 100}.{n % 100:02d}")
score = st.integers(0, 10000).map(lambda n: f"{n // 100}.{n % 100:02d}")


def run(component, inputs, overrides=None, period=Y2024):
    return compute(POLICY, POLICY.component(component), inputs, period, run_overrides=overrides).outcome


def lines(outcome):
    return {(l.entity, l.code): l.value for l in outcome.lines}


def flags(outcome):
    return {(f.entity, f.code): f.severity for f in outcome.flags}


def test_registered_with_its_components_and_indicators():
    policy = registry().policy("qinghai")
    assert (policy.county, policy.version) == ("huangyuan", "0.1.0")
    assert [c.code for c in policy.components] == ["package", "transfers"]
    assert {(i.code, i.entity, i.period) for i in policy.indicators} == {
        ("community_evaluation", "county", "half"), ("member_weight", "institution", "year"),
        ("member_quarter_score", "institution", "quarter")}
    assert all(c.lines and c.name_zh and c.name_en for c in policy.components)


def test_defaults_are_in_force_for_the_notice_year():
    """The notice is of 2021-01-27; its rules hold for the whole of 2021, so a 2021 run finds them."""
    for component in ("package", "transfers"):
        dated = in_force(POLICY, component, date(2021, 1, 1))
        assert {d.since for d in dated.values()} == {date(2021, 1, 1)}
        assert not in_force(POLICY, component, date(2020, 12, 31))
    package = resolve(POLICY, POLICY.component("package"), Period.parse("2021")).model
    assert (package.half_shares, package.full_score) == ([D("0.5"), D("0.5")], D(90))
    assert package.quarter_shares == [D("0.25")] * 4 and package.community_reserve_rate == 0
    transfers = resolve(POLICY, POLICY.component("transfers"), Period.parse("2022")).model
    assert transfers.deadline_days == 30
    assert transfers.deadline_hops == ["prefecture_to_county", "county_to_hospital"]
    assert transfers.full_pass_through == ["county_to_hospital"]


# ---------------------------------------------------------------- package

member = st.builds(lambda i, w, qs: {"code": f"M{i:02d}", "weight": w, "quarter_scores": qs},
                   st.integers(0, 99), st.integers(0, 50000), st.lists(score, min_size=4, max_size=4))
package_inputs = st.builds(
    lambda funds, h1, h2, members: {"funds": funds, "half_scores": {"H1": h1, "H2": h2}, "members": members},
    st.fixed_dictionaries({}, optional={s: money for s in SOURCES}).filter(bool),
    score, score,
    st.lists(member, min_size=1, max_size=8, unique_by=lambda m: m["code"]).filter(
        lambda ms: any(m["weight"] for m in ms)))


def test_package_conforms():
    conformance.check_component("qinghai", "package", "2024", package_inputs)


def test_package_conforms_with_other_shares_and_a_reserve():
    conformance.check_component("qinghai", "package", "2024", package_inputs, {
        "half_shares": ["1", "2"], "full_score": "85.5", "quarter_shares": ["0.1", "0.2", "0.3", "0.4"],
        "community_reserve_rate": "0.033"}, max_examples=30)


ONE_PACKAGE = {"funds": {"central": "1000.00", "elderly_checkup": "200.01"},
               "half_scores": {"H1": "90", "H2": "75.5"},
               "members": [{"code": "M01", "weight": "3", "quarter_scores": ["90", "80", "100", "0"]}]}


def test_package_rejects_malformed_input():
    assert conformance.check_rejects_malformed("qinghai", "package", "2024", ONE_PACKAGE) == 10


def _package(**changes):
    return {**ONE_PACKAGE, **changes}


def test_package_refuses():
    m = ONE_PACKAGE["members"][0]
    with pytest.raises(InputError, match=r"members: weights must not all be zero"):
        run("package", _package(members=[{**m, "weight": 0}, {**m, "code": "M02", "weight": 0}]))
    with pytest.raises(InputError, match=r"members\[1\].code: 'M01' appears twice"):
        run("package", _package(members=[m, m]))
    with pytest.raises(InputError, match=r"members\[0\].quarter_scores: List should have at least 4"):
        run("package", _package(members=[{**m, "quarter_scores": ["90", "80", "100"]}]))
    with pytest.raises(InputError, match=r"members\[0\].quarter_scores\[2\]: .*less than or equal to 100"):
        run("package", _package(members=[{**m, "quarter_scores": ["90", "80", "100.01", "0"]}]))
    with pytest.raises(InputError, match=r"members\[0\].weight: .*greater than or equal to 0"):
        run("package", _package(members=[{**m, "weight": "-1"}]))
    with pytest.raises(InputError, match=r"members\[0\].code: .*'county'"):
        run("package", _package(members=[{**m, "code": "county"}]))
    with pytest.raises(InputError, match=r"funds: .*at least one source"):
        run("package", _package(funds={}))
    with pytest.raises(InputError, match=r"funds.lottery: Extra inputs"):
        run("package", _package(funds={"central": "1.00", "lottery": "2.00"}))
    with pytest.raises(InputError, match=r"funds.central: .*decimal places"):
        run("package", _package(funds={"central": "1.001"}))
    with pytest.raises(InputError, match=r"half_scores.H2: Field required"):
        run("package", _package(half_scores={"H1": "90"}))
    with pytest.raises(InputError, match=r"package.half_shares: .*must not all be zero"):
        run("package", ONE_PACKAGE, {"half_shares": [0, 0]})
    with pytest.raises(InputError, match=r"package.full_score: .*greater than 0"):
        run("package", ONE_PACKAGE, {"full_score": 0})
    with pytest.raises(InputError, match=r"package.community_reserve_rate"):
        run("package", ONE_PACKAGE, {"community_reserve_rate": "1.5"})


def test_package_flags_the_claw_back_and_a_weightless_member():
    m = ONE_PACKAGE["members"][0]
    out = run("package", _package(members=[m, {**m, "code": "M02", "weight": 0}]))
    assert flags(out) == {("county", "withheld.H2"): "info", ("M02", "weight_zero"): "info"}
    got = lines(out)
    # package 1200.01 → H1 600.01, H2 600.00; H2 earns 600 × 75.5 / 90 = 503.333… → 503.33.
    assert got[("county", "withheld.H1")] == D("0.00") and got[("county", "withheld.H2")] == D("96.67")
    assert got[("M02", "paid")] == D("0.00")
    full = run("package", _package(half_scores={"H1": "90", "H2": "100"}))
    assert not full.flags


def test_package_traces_name_step_and_exact_value():
    out = run("package", ONE_PACKAGE)
    t = {(l.entity, l.code): l.trace for l in out.lines}
    earned = t[("county", "earned.H2")]
    assert earned["step"] == "§5.1 step 2" and earned["parameters"] == {"full_score": "90"}
    assert earned["result"]["exact"] == "503.3333333333" and earned["inputs"]["half_scores.H2"] == "75.5"
    assert t[("M01", "q4.earned")]["step"] == "§5.1 step 3"
    assert t[("county", "withheld")]["result"]["by_member"] == {"M01": str(lines(out)[("county", "withheld")])}


def test_package_quarter_budgets_are_not_lines():
    got = lines(run("package", ONE_PACKAGE))
    assert not [k for k in got if k[1].startswith(("quarter", "budget")) or k[1].endswith(".withheld")]


# ---------------------------------------------------------------- transfers

day = st.dates(date(2023, 1, 1), date(2024, 12, 31))


def _transfer(hop, received_on, days, received, matching, short):
    due = D(received) + D(matching or 0)
    t = {"hop": hop, "received_on": received_on.isoformat(),
         "sent_on": (received_on + timedelta(days=days)).isoformat(), "amount_received": received,
         "amount_sent": str(due - min(D(short), due))}
    if matching is not None:
        t["matching"] = matching
    return t


transfer = st.builds(_transfer, st.sampled_from(HOPS), day, st.integers(0, 90), money,
                     st.none() | money, money)
task = st.builds(lambda i, due, done: {"code": f"T{i}", "body": "任务", "due": due.isoformat(),
                                       **({"done_on": done.isoformat()} if done else {})},
                 st.integers(0, 20), day, st.none() | day)
transfers_inputs = st.builds(
    lambda ts, tasks: {"transfers": ts, **({"tasks": tasks} if tasks else {})},
    st.lists(transfer, min_size=1, max_size=3, unique_by=lambda t: t["hop"]),
    st.lists(task, max_size=4, unique_by=lambda t: t["code"]))


def test_transfers_conform():
    conformance.check_component("qinghai", "transfers", "2024", transfers_inputs)


def test_transfers_conform_with_every_hop_on_the_clock_and_full():
    conformance.check_component("qinghai", "transfers", "2024", transfers_inputs, {
        "deadline_days": 15, "deadline_hops": list(HOPS), "full_pass_through": list(HOPS)}, max_examples=30)


ONE_TRANSFER = {"transfers": [{"hop": "county_to_hospital", "received_on": "2024-03-15", "sent_on": "2024-04-10",
                               "amount_received": "6000000.00", "matching": "750000.00",
                               "amount_sent": "6700000.00"}],
                "tasks": [{"code": "T01", "body": "签订目标责任书", "due": "2024-02-29", "done_on": "2024-03-01"}]}


def test_transfers_reject_malformed_input():
    assert conformance.check_rejects_malformed("qinghai", "transfers", "2024", ONE_TRANSFER) == 10


def _transfers(**changes):
    return {"transfers": [{**ONE_TRANSFER["transfers"][0], **changes}]}


def test_transfers_refuse():
    t = ONE_TRANSFER["transfers"][0]
    with pytest.raises(InputError, match=r"transfers\[0\].sent_on: 2024-03-14 is before received_on 2024-03-15"):
        run("transfers", _transfers(sent_on="2024-03-14"))
    with pytest.raises(InputError, match=r"transfers\[1\].hop: 'county_to_hospital' appears twice"):
        run("transfers", {"transfers": [t, t]})
    with pytest.raises(InputError, match=r"transfers\[0\].amount_sent: 6750000.01 is more than amount_received "
                                         r"\+ matching \(6750000.00\)"):
        run("transfers", _transfers(amount_sent="6750000.01"))
    with pytest.raises(InputError, match=r"transfers\[0\].hop: Input should be 'province_to_prefecture'"):
        run("transfers", _transfers(hop="county_to_village"))
    for bad in ("2024/03/15", "15.03.2024", "2024-03-15T00:00:00", 20240315):
        with pytest.raises(InputError, match=r"transfers\[0\].received_on: .*YYYY-MM-DD"):
            run("transfers", _transfers(received_on=bad))
    with pytest.raises(InputError, match=r"transfers\[0\].sent_on: .*valid date"):
        run("transfers", _transfers(sent_on="2024-02-30"))
    with pytest.raises(InputError, match=r"transfers\[0\].matching: .*greater than or equal to 0"):
        run("transfers", _transfers(matching="-1.00"))
    with pytest.raises(InputError, match=r"transfers: List should have at least 1 item"):
        run("transfers", {"transfers": []})
    task = ONE_TRANSFER["tasks"][0]
    with pytest.raises(InputError, match=r"tasks\[1\].code: 'T01' appears twice"):
        run("transfers", {**_transfers(), "tasks": [task, task]})
    with pytest.raises(InputError, match=r"tasks\[0\].code: 'county_to_hospital' is a hop's name"):
        run("transfers", {**_transfers(), "tasks": [{**task, "code": "county_to_hospital"}]})
    with pytest.raises(InputError, match=r"transfers.deadline_days"):
        run("transfers", _transfers(), {"deadline_days": -1})


def test_a_hop_off_the_full_pass_through_list_may_keep_money_back():
    # Sending more than received + matching is refused only where everything must pass on.
    got = lines(run("transfers", _transfers(amount_sent="7000000.00"), {"full_pass_through": []}))
    assert got[("county_to_hospital", "shortfall")] == D("0.00")
    assert got[("county", "compliant")] == D(1)


def test_transfer_flags_and_severities():
    out = run("transfers", {"transfers": [
        {"hop": "prefecture_to_county", "received_on": "2024-02-09", "sent_on": "2024-03-15",
         "amount_received": "5400000.00", "amount_sent": "5400000.00"},
        {**ONE_TRANSFER["transfers"][0]}]})
    assert flags(out) == {("prefecture_to_county", "late"): "error", ("county_to_hospital", "shortfall"): "error"}
    late = next(f for f in out.flags if f.code == "late")
    assert "35 days" in late.message and "5 past the 30-day deadline" in late.message and "5400000.00" in late.message
    short = next(f for f in out.flags if f.code == "shortfall")
    assert "50000.00" in short.message and "county_to_hospital" in short.message and "26 days" in short.message
    assert lines(out)[("county", "compliant")] == D(0)


def test_an_unreported_hop_is_a_warning_not_a_breach():
    out = run("transfers", {"transfers": [{"hop": "province_to_prefecture", "received_on": "2024-01-01",
                                           "sent_on": "2024-06-01", "amount_received": "100.00",
                                           "amount_sent": "100.00"}]})
    assert flags(out) == {("prefecture_to_county", "not_reported"): "warning",
                          ("county_to_hospital", "not_reported"): "warning"}
    got = lines(out)
    assert got[("province_to_prefecture", "days")] == D(152) and got[("province_to_prefecture", "late_days")] == 0
    assert got[("county", "compliant")] == D(1)


def test_tasks_late_open_and_on_time():
    tasks = [{"code": "late", "body": "b", "due": "2024-07-31", "done_on": "2024-08-02"},
             {"code": "undone", "body": "b", "due": "2024-07-31"},
             {"code": "early", "body": "b", "due": "2024-07-31", "done_on": "2024-07-01"},
             {"code": "next_year", "body": "b", "due": "2025-02-28"}]
    ok = {"hop": "county_to_hospital", "received_on": "2024-01-01", "sent_on": "2024-01-02",
          "amount_received": "1.00", "amount_sent": "1.00"}
    out = run("transfers", {"transfers": [ok], "tasks": tasks})
    got = lines(out)
    assert [got[(t["code"], "late_days")] for t in tasks] == [2, 153, 0, 0]
    assert flags(out) == {("late", "late"): "error", ("undone", "late"): "error", ("next_year", "open"): "info",
                          ("prefecture_to_county", "not_reported"): "warning"}
    assert "not done by 2024-12-31, 153 days late" in next(f.message for f in out.flags if f.entity == "undone")
    assert got[("county", "compliant")] == D(0)
    # A half-year period counts an open task to its own last day.
    h1 = lines(run("transfers", {"transfers": [ok], "tasks": tasks[1:2]}, period=Period.parse("2024H1")))
    assert h1[("undone", "late_days")] == 0


def test_transfers_pools_balance_per_full_hop_and_for_the_county():
    out = run("transfers", ONE_TRANSFER)
    pools = {p.name: (p.total, p.parts) for p in out.pools}
    assert pools["county_to_hospital: received + matching"] == (
        D("6750000.00"), (("county_to_hospital", "amount_sent"), ("county_to_hospital", "shortfall")))
    assert pools["shortfall"] == (D("50000.00"), (("county_to_hospital", "shortfall"),))


# ---------------------------------------------------------------- gather

def settle_both(case_file, facts):
    """The case's expected lines from gather on `facts`, and every line equal to the case inputs' lines."""
    case = cases.load(SHARED / case_file)
    component = POLICY.component(case.component)
    overrides = case.parameters.get(case.component)
    params = resolve(POLICY, component, case.period, run=overrides).model
    gathered = component.gather(facts, params, case.period)
    via = lines(compute(POLICY, component, gathered, case.period, run_overrides=overrides).outcome)
    direct = lines(compute(POLICY, component, case.inputs, case.period, run_overrides=overrides).outcome)
    for e in case.expected:
        assert via[(e.entity, e.line)] == e.value, (e.entity, e.line)
    assert via == direct
    return gathered


def package_facts(case):
    y = str(case.period)
    facts = Facts(county="huangyuan", period=case.period)
    for source, amount in case.inputs["funds"].items():
        facts.funds[(f"bphs_package.{source}", "county", y)] = D(amount)
    facts.funds[("bphs_package.central", "county", "2023")] = D("1.00")  # another year: ignored
    for h, s in case.inputs["half_scores"].items():
        facts.values[("community_evaluation", "county", f"{y}{h}")] = D(s)
    facts.institutions.append({"code": "P01", "name_zh": "县疾控中心", "kind": "public_health_institution",
                               "tier": "county", "community": None})  # no weight: not a member
    for m in reversed(case.inputs["members"]):  # stored out of order: gather sorts by code
        facts.institutions.append({"code": m["code"], "name_zh": m["code"], "kind": "township_health_centre",
                                   "tier": "township", "community": "C1"})
        facts.values[("member_weight", m["code"], y)] = D(m["weight"])
        for k, s in enumerate(m["quarter_scores"], 1):
            facts.values[("member_quarter_score", m["code"], f"{y}Q{k}")] = D(s)
    return facts


def test_package_gather_settles_to_the_shared_case():
    case = cases.load(SHARED / "qinghai-package-4-members.case.yaml")
    gathered = settle_both("qinghai-package-4-members.case.yaml", package_facts(case))
    assert [m["code"] for m in gathered["members"]] == ["M01", "M02", "M03", "M04"]
    assert list(gathered["funds"]) == list(SOURCES)


def test_package_gather_leaves_a_missing_quarter_for_validation_to_name():
    case = cases.load(SHARED / "qinghai-package-4-members.case.yaml")
    facts = package_facts(case)
    del facts.values[("member_quarter_score", "M03", "2024Q2")]
    del facts.values[("community_evaluation", "county", "2024H2")]
    component = POLICY.component("package")
    gathered = component.gather(facts, None, Y2024)
    assert gathered["members"][2]["quarter_scores"] == [D("75"), D("85.5"), D("90")]
    with pytest.raises(InputError) as e:
        compute(POLICY, component, gathered, Y2024, run_overrides=case.parameters["package"])
    assert "members[2].quarter_scores" in str(e.value) and "half_scores.H2" in str(e.value)


def transfers_facts(case):
    facts = Facts(county="huangyuan", period=case.period)
    facts.transfers = [{"hop": t["hop"], "received_on": date.fromisoformat(t["received_on"]),
                        "sent_on": date.fromisoformat(t["sent_on"]),
                        "amount_received": D(t["amount_received"]), "matching": D(t["matching"]),
                        "amount_sent": D(t["amount_sent"])} for t in reversed(case.inputs["transfers"])]
    facts.tasks = []
    return facts


def test_transfers_gather_settles_to_the_shared_case():
    case = cases.load(SHARED / "qinghai-transfers-late-and-short.case.yaml")
    gathered = settle_both("qinghai-transfers-late-and-short.case.yaml", transfers_facts(case))
    assert [t["hop"] for t in gathered["transfers"]] == list(HOPS)
    assert "tasks" not in gathered


def test_transfers_gather_reads_tasks_and_an_absent_matching():
    facts = Facts(county="huangyuan", period=Y2024)
    facts.transfers = [{"hop": "county_to_hospital", "received_on": date(2024, 3, 1), "sent_on": date(2024, 3, 2),
                        "amount_received": D("10.00"), "matching": None, "amount_sent": D("10.00")}]
    facts.tasks = [{"code": "T1", "body": "年度工作方案", "due": date(2024, 2, 29), "done_on": None}]
    gathered = POLICY.component("transfers").gather(facts, None, Y2024)
    assert "matching" not in gathered["transfers"][0] and "done_on" not in gathered["tasks"][0]
    got = lines(run("transfers", gathered))
    assert got[("county_to_hospital", "shortfall")] == D("0.00")
    assert got[("T1", "late_days")] == 306 and got[("county", "compliant")] == 0


def test_transfers_gather_without_stored_transfers():
    # Nothing recorded for the year: nothing to check, and validation says so rather than
    # reporting a county compliant on no evidence.
    facts = Facts(county="huangyuan", period=Y2024)
    gathered = POLICY.component("transfers").gather(facts, None, Y2024)
    assert gathered == {"transfers": []}
    with pytest.raises(InputError, match=r"transfers: List should have at least 1 item"):
        run("transfers", gathered)
