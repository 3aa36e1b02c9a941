"""Suixi `gather`: stored facts holding the same data as a case file settle to the same lines."""
from decimal import Decimal
from pathlib import Path

import pytest

from countypay import cases
from countypay.compute import compute
from countypay.params import resolve
from countypay.policy import Facts
from countypay.plugins.suixi import POLICY

CASES = Path(__file__).resolve().parents[1] / "plugins" / "suixi" / "cases"
D = Decimal


def settle_both(case_file: str, facts: Facts):
    """(lines from the case's inputs, lines from gather on `facts`), as {(entity, code): value}."""
    case = cases.load(CASES / case_file)
    component = POLICY.component(case.component)
    overrides = case.parameters.get(case.component)
    params = resolve(POLICY, component, case.period, run=overrides).model
    gathered = component.gather(facts, params, case.period)
    direct = compute(POLICY, component, case.inputs, case.period, run_overrides=overrides).outcome
    via = compute(POLICY, component, gathered, case.period, run_overrides=overrides).outcome
    got = {(l.entity, l.code): l.value for l in via.lines}
    for e in case.expected:
        assert got[(e.entity, e.line)] == e.value, (e.entity, e.line)
    return {(l.entity, l.code): l.value for l in direct.lines}, got


def public_health_facts(case_file: str) -> Facts:
    case = cases.load(CASES / case_file)
    y = str(case.period)
    facts = Facts(county="suixi", period=case.period)
    facts.units.append({"code": "U99", "community": "C1", "team": {}, "populations": {}})  # no package: not settled
    if "bphs_subsidies" in case.inputs:
        facts.funds[("bphs_subsidy", "county", y)] = D(case.inputs["bphs_subsidies"])
    for u in case.inputs["units"]:
        c = u["code"]
        facts.units.append({"code": c, "community": u.get("community"), "team": {}, "populations": {}})
        facts.funds[("ph_package", c, y)] = D(u["package"])
        facts.funds[("ph_package", c, "2023")] = D("1.00")  # another year: ignored
        for q, score in zip(case.period.quarters(), u["quarter_scores"]):
            facts.values[("quarter_score", c, str(q))] = D(score)
        for code, n in u.get("credits", {}).items():
            facts.values[(f"credits.{code}", c, y)] = D(n)
        for code, rate in u.get("attainment", {}).items():
            facts.values[(code, c, y)] = D(rate)
        facts.values[("veto.child_death", c, y)] = D(0)  # a zero count is no event
        for event in u.get("vetoes", []):
            facts.values[(f"veto.{event}", c, y)] = D(1)
        for key, period in (("previous", "2023"), ("current", y)):
            value = (u.get("spending_per_capita") or {}).get(key)
            if value is not None:
                facts.values[("spending_per_capita", c, period)] = D(value)
    return facts


@pytest.mark.parametrize("case_file", ["public-health-12-units-ties-vetoes.case.yaml",
                                       "public-health-community-scope.case.yaml"])
def test_public_health_gather(case_file):
    direct, via = settle_both(case_file, public_health_facts(case_file))
    assert via == direct


def test_insurance_capitation_gather():
    case = cases.load(CASES / "insurance-capitation-team.case.yaml")
    facts = Facts(county="suixi", period=case.period)
    for u in case.inputs["units"]:
        c = u["code"]
        groups = [g for g in ("general", "chronic") if g in u]
        facts.units.append({"code": c, "community": "C1", "team": u["team"],
                            "populations": {g: u[g]["population"] for g in groups}})
        for g in groups:
            history = u[g]["per_capita_history"]
            for year, value in zip(range(2024 - len(history), 2024), history):
                facts.values[(f"insurance_per_capita.{g}", c, str(year))] = D(value)
            facts.funds[(f"insurance_actual.{g}", c, "2024")] = D(u[g]["actual"])
            for tier, coef in zip(("county", "township", "village"), u[g].get("assessment", [])):
                facts.values[(f"insurance_assessment.{g}.{tier}", c, "2024")] = D(coef)
    facts.units.append({"code": "U99", "community": "C1", "team": {}, "populations": {}})  # no group
    direct, via = settle_both("insurance-capitation-team.case.yaml", facts)
    assert via == direct


def community_facts(surplus_in: tuple[str, ...] = ("C1",)) -> Facts:
    case = cases.load(CASES / "community-surplus-weights.case.yaml")
    facts = Facts(county="suixi", period=case.period)
    facts.communities = [{"code": "C1", "name_zh": "一", "lead": "H01"},
                         {"code": "C2", "name_zh": "二", "lead": "H09"}]
    kinds = {"county": "county_hospital", "township": "township_health_centre", "village": "village_clinic"}
    for i in case.inputs["institutions"]:
        facts.institutions.append({"code": i["code"], "name_zh": i["code"], "kind": kinds[i["tier"]],
                                   "tier": i["tier"], "community": "C1"})
        if "weight" in i:
            facts.values[("surplus_weight", i["code"], "2024")] = D(i["weight"])
    for code in case.inputs["public_health_institutions"]:
        facts.institutions.append({"code": code, "name_zh": code, "kind": "public_health_institution",
                                   "tier": "county", "community": None})
    facts.institutions += [
        {"code": "P01", "name_zh": "民营", "kind": "private", "tier": "county", "community": "C1"},
        {"code": "H09", "name_zh": "二院", "kind": "county_hospital", "tier": "county", "community": "C2"}]
    for c in surplus_in:
        facts.funds[("community_surplus", c, "2024")] = D(case.inputs["surplus"])
    return facts


def test_community_surplus_gather():
    direct, via = settle_both("community-surplus-weights.case.yaml", community_facts())
    assert via == direct


def test_community_surplus_gather_takes_every_community_with_a_surplus():
    case = cases.load(CASES / "community-surplus-weights.case.yaml")
    component = POLICY.component("community_surplus")
    params = resolve(POLICY, component, case.period).model
    got = component.gather(community_facts(("C1", "C2")), params, case.period)
    assert [c["community"] for c in got["communities"]] == ["C1", "C2"]
    assert [i["code"] for i in got["communities"][1]["institutions"]] == ["H09"]


def test_communities_settled_side_by_side_share_public_health_institutions():
    case = cases.load(CASES / "community-surplus-weights.case.yaml")
    c1 = dict(case.inputs)
    c2 = {**c1, "community": "C2", "surplus": "1000.00",
          "institutions": [{"code": "H09", "tier": "county", "lead": True}, {"code": "T09", "tier": "township"},
                           {"code": "V09", "tier": "village"}]}
    one = compute(POLICY, POLICY.component("community_surplus"), c1, case.period).outcome
    both = compute(POLICY, POLICY.component("community_surplus"), {"communities": [c1, c2]}, case.period).outcome
    assert both.value("C1", "surplus") == D("123456.78") and both.value("C2", "surplus") == D("1000.00")
    assert both.value("H01", "paid") == one.value("H01", "paid")
    # H09's share is 600.00, its 5 % transfer 30.00 splits 10.00 each over the three institutions
    assert both.value("CDC", "paid") == one.value("CDC", "paid") + D("10.00")
    assert sum(l.value for l in both.lines if l.code == "paid") == D("124456.78")
