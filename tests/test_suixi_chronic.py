"""Suixi `chronic_package` (POLICIES.md §2.4) and the §2.2 `chronic_group` switch: conformance,
refused input, flags, dated parameters, and `gather` from stored facts."""
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from countypay import cases, conformance
from countypay.compute import compute
from countypay.errors import InputError
from countypay.params import in_force, resolve
from countypay.period import Period
from countypay.policy import Facts
from countypay.plugins.suixi import POLICY

D = Decimal
SHARED = Path(__file__).resolve().parents[2] / "shared" / "cases" / "suixi-chronic-package-3-centres.case.yaml"
CASES = Path(__file__).resolve().parents[1] / "plugins" / "suixi" / "cases"
Y2024 = Period.parse("2024")


def run(inputs, overrides=None, period=Y2024, component="chronic_package"):
    return compute(POLICY, POLICY.component(component), inputs, period, run_overrides=overrides).outcome


def lines(outcome):
    return {(l.entity, l.code): l.value for l in outcome.lines}


def refused(inputs, overrides=None, period=Y2024) -> str:
    with pytest.raises(InputError) as e:
        run(inputs, overrides, period)
    return str(e.value)


def centre(**kw):
    return {"code": "C01", "enrolled": 10, "actual": "30000.00", "assessment_score": "90",
            "county_institution": "CH1", **kw}


# ---------------------------------------------------------------- conformance

money = st.integers(0, 2 * 10**9).map(lambda n: f"{n // 100}.{n % 100:02d}")
score = st.integers(0, 10000).map(lambda n: f"{n // 100}.{n % 100:02d}")
villages = st.lists(st.builds(lambda i, w: {"code": f"V{i:02d}", "weight": w}, st.integers(0, 30),
                              st.integers(0, 5)),
                    max_size=4, unique_by=lambda v: v["code"]).filter(
    lambda vs: not vs or any(v["weight"] for v in vs))
centres = st.builds(
    lambda i, n, a, s, h, vs: {"code": f"C{i:02d}", "enrolled": n, "actual": a, "assessment_score": s,
                               "county_institution": h, **({"villages": vs} if vs else {})},
    st.integers(0, 99), st.integers(0, 5000), money, score, st.sampled_from(["CH1", "CH2"]), villages)
chronic_inputs = st.builds(
    lambda cs, big: {"centres": cs, **({"big_package": big} if big else {})},
    st.lists(centres, min_size=1, max_size=6, unique_by=lambda c: c["code"]),
    st.one_of(st.none(), st.integers(1, 10**11).map(lambda n: f"{n // 100}.{n % 100:02d}")))


def test_chronic_package_conforms():
    conformance.check_component("suixi", "chronic_package", "2024", chronic_inputs)


def test_chronic_package_conforms_partly_linked_and_dated():
    overrides = {"standard_per_head": {"2021-01-01": "1000.00", "2023-07-01": "1234.57"},
                 "assessment_linked": "0.37", "split": [3, 5, 1]}
    conformance.check_component("suixi", "chronic_package", "2024", chronic_inputs, overrides, max_examples=30)


ONE = {"big_package": "5000000.00",
       "centres": [centre(villages=[{"code": "V01", "weight": "2"}])]}


def test_chronic_package_rejects_malformed_input():
    # big_package; code, enrolled, actual, assessment_score, county_institution; villages[0].code, .weight
    assert conformance.check_rejects_malformed("suixi", "chronic_package", "2024", ONE) == 8


# ---------------------------------------------------------------- refused input

def test_assessment_score_is_required():  # Reading R5
    c = centre()
    del c["assessment_score"]
    assert "centres[0].assessment_score: Field required" in refused({"centres": [c]})


@pytest.mark.parametrize("field, value", [("assessment_score", "100.01"), ("enrolled", -1),
                                          ("actual", "1.001"), ("county_institution", "county")])
def test_bad_centre_fields_are_named(field, value):
    assert f"centres[0].{field}:" in refused({"centres": [centre(**{field: value})]})


def test_repeated_codes_are_refused():
    text = refused({"centres": [centre(), centre(villages=[{"code": "V1"}, {"code": "V1"}])]})
    assert "centres[1].code: 'C01' appears twice" in text
    assert "centres[1].villages[1].code: 'V1' appears twice" in text


def test_village_money_needs_a_weight():
    zero = [{"code": "V01", "weight": 0}, {"code": "V02", "weight": 0}]
    assert "centres[0].villages: the village part" in refused({"centres": [centre(villages=zero)]})
    # an overspending centre has no village part to place: its zero weights are no problem
    out = lines(run({"centres": [centre(actual="40000.00", villages=zero)]}))
    assert out[("C01", "community_borne")] == D("3000.00")


def test_big_package_must_be_positive():
    assert "big_package:" in refused({"big_package": "0.00", "centres": [centre()]})


def test_no_standard_in_force_is_refused():
    text = refused({"centres": [centre()]}, {"standard_per_head": {"2025-01-01": "4000.00"}})
    assert "chronic_package.standard_per_head: no value in force on 2024-01-01" in text


def test_a_period_shorter_than_a_year_is_refused():
    with pytest.raises(InputError, match="set and settled for a year"):
        run({"centres": [centre()]}, period=Period.parse("2024H1"))


# ---------------------------------------------------------------- rules a case file cannot show

def test_overspend_has_no_surplus_or_tier_lines():
    out = lines(run({"centres": [centre(actual="37000.01", villages=[{"code": "V01"}])]}))
    assert out[("C01", "overspend")] == out[("C01", "community_borne")] == D("0.01")
    for code in ("surplus", "linked", "distributable", "county", "township", "village", "village.V01",
                 "community_retained"):
        assert ("C01", code) not in out


def test_without_villages_one_village_line():
    out = lines(run({"centres": [centre()]}))
    assert out[("C01", "village")] == D("1260.00")  # (37000 − 30000) × 0.9 × 2/10
    assert not [k for k in out if k[1].startswith("village.")]


def test_small_package_share_flag_is_info():
    outcome = run({"big_package": "370000.00", "centres": [centre()]})
    assert lines(outcome)[("county", "small_package_share")] == D("0.1000")
    [flag] = [f for f in outcome.flags if f.code == "small_package_share"]
    assert flag.entity == "county" and flag.severity == "info" and "10.00 %" in flag.message
    assert not run({"centres": [centre()]}).flags  # no big package, no share, no flag


def test_county_share_trace_names_the_county_institution():  # Reading R2
    outcome = run({"centres": [centre(county_institution="CH7")]})
    [county] = [l for l in outcome.lines if l.entity == "C01" and l.code == "county"]
    assert county.trace["result"]["institution"] == "CH7"
    assert county.trace["step"] == "§2.4 step 2"


@pytest.mark.parametrize("year, standard, since, groups",
                         [("2021", "1000.00", "2021-01-01", 30), ("2023", "1000.00", "2021-01-01", 30),
                          ("2024", "3700.00", "2024-01-01", 47), ("2025", "3700.00", "2024-01-01", 47)])
def test_default_standard_and_groups_by_year(year, standard, since, groups):
    period = Period.parse(year)
    defaults = in_force(POLICY, "chronic_package", period.start)
    assert defaults["standard_per_head"].since.isoformat() == since
    assert len(defaults["disease_groups"].value) == groups
    outcome = run({"centres": [centre(enrolled=2)]}, period=period)
    [budget] = [l for l in outcome.lines if l.entity == "C01" and l.code == "budget"]
    assert budget.value == 2 * D(standard)
    assert budget.trace["parameters"] == {"standard_per_head": standard, "in_force_from": None,
                                          "disease_groups": groups}


def test_no_default_before_2021():
    with pytest.raises(InputError, match="standard_per_head: Field required"):
        run({"centres": [centre()]}, period=Period.parse("2020"))


def test_a_dated_mapping_uses_the_value_in_force_at_the_start():
    dated = {"standard_per_head": {"2021-01-01": "1000.00", "2024-07-01": "3700.00"}}
    out = lines(run({"centres": [centre(enrolled=1)]}, dated))  # 2024 starts before 2024-07-01
    assert out[("C01", "budget")] == D("1000.00")


# ---------------------------------------------------------------- §2.2 chronic_group

def test_insurance_chronic_group_false_leaves_the_chronic_group_out():
    case = cases.load(CASES / "insurance-capitation-team.case.yaml")
    overrides = case.parameters.get("insurance_capitation") or {}
    on = run(case.inputs, overrides, case.period, "insurance_capitation")
    off = run(case.inputs, {**overrides, "chronic_group": False}, case.period, "insurance_capitation")
    with_chronic = [l for l in on.lines if ".chronic." in f".{l.code}"]
    assert with_chronic  # the default (true) budgets the chronic group
    assert not [l for l in off.lines if ".chronic." in f".{l.code}"]
    assert {k: v for k, v in lines(on).items() if ".chronic." not in f".{k[1]}"} == lines(off)
    [flag] = off.flags
    assert flag.code == "chronic.left_out" and flag.severity == "info"


def test_insurance_gather_skips_chronic_when_false():
    component = POLICY.component("insurance_capitation")
    facts = Facts(county="suixi", period=Y2024)
    facts.units.append({"code": "U01", "team": {}, "populations": {"general": 100, "chronic": 10}})
    for y in ("2021", "2022", "2023"):
        facts.values[("insurance_per_capita.general", "U01", y)] = D("500")
    facts.funds[("insurance_actual.general", "U01", "2024")] = D("40000.00")
    params = resolve(POLICY, component, Y2024, run={"chronic_group": False}).model
    gathered = component.gather(facts, params, Y2024)
    assert "chronic" not in gathered["units"][0] and "general" in gathered["units"][0]


# ---------------------------------------------------------------- gather

def shared_case_facts(case) -> Facts:
    """Stored facts holding the shared case's inputs, with rows `gather` must pass over."""
    y = str(case.period)
    facts = Facts(county="suixi", period=case.period)
    facts.communities += [{"code": "M1", "name_zh": "医共体一", "lead": "CH1"},
                          {"code": "M2", "name_zh": "医共体二", "lead": "CH2"}]
    facts.institutions += [
        {"code": "CH1", "name_zh": "县医院", "kind": "county_hospital", "tier": "county", "community": "M1"},
        {"code": "CH2", "name_zh": "中医院", "kind": "county_hospital", "tier": "county", "community": "M2"},
        # a centre with no enrolment stored for the year is not settled
        {"code": "C00", "name_zh": "卫生院零", "kind": "township_health_centre", "tier": "township",
         "community": "M1"},
    ]
    facts.values[("chronic_enrolled", "C00", "2023")] = D(5)
    facts.values[("chronic_enrolled", "CH1", y)] = D(9)  # not a township health centre
    community = {"C01": "M1", "C02": "M1", "C03": "M2"}
    for c in case.inputs["centres"]:
        code = c["code"]
        facts.institutions.append({"code": code, "name_zh": code, "kind": "township_health_centre",
                                   "tier": "township", "community": community[code], "parent": "CH1"})
        facts.values[("chronic_enrolled", code, y)] = D(c["enrolled"])
        facts.values[("chronic_assessment_score", code, y)] = D(c["assessment_score"])
        facts.funds[("chronic_actual", code, y)] = D(c["actual"])
        facts.funds[("chronic_actual", code, "2023")] = D("1.00")  # another year: ignored
        for v in c.get("villages", []):
            facts.institutions.append({"code": v["code"], "name_zh": v["code"], "kind": "village_clinic",
                                       "tier": "village", "community": community[code], "parent": code})
            if v["weight"] != 1:  # weight 1 is the default: stored only where it differs
                facts.values[("chronic_village_weight", v["code"], y)] = D(v["weight"])
    facts.institutions.append({"code": "V99", "name_zh": "村卫生室", "kind": "village_clinic", "tier": "village",
                               "community": "M2", "parent": None})  # reports to no centre
    facts.funds[("insurance_big_package", "county", y)] = D(case.inputs["big_package"])
    return facts


@pytest.mark.skipif(not SHARED.is_file(), reason=f"no shared case at {SHARED}")
def test_gather_settles_the_shared_case_alike():
    case = cases.load(SHARED)
    component = POLICY.component("chronic_package")
    overrides = case.parameters.get("chronic_package")
    params = resolve(POLICY, component, case.period, run=overrides).model
    gathered = component.gather(shared_case_facts(case), params, case.period)
    assert [c["code"] for c in gathered["centres"]] == ["C01", "C02", "C03"]
    assert [v["code"] for v in gathered["centres"][0]["villages"]] == ["V01", "V02", "V03"]
    assert gathered["centres"][2]["county_institution"] == "CH2" and "villages" not in gathered["centres"][2]
    direct = compute(POLICY, component, case.inputs, case.period, run_overrides=overrides).outcome
    via = compute(POLICY, component, gathered, case.period, run_overrides=overrides).outcome
    assert lines(via) == lines(direct)
    for e in case.expected:
        assert lines(via)[(e.entity, e.line)] == e.value, (e.entity, e.line)


def test_gather_defaults_and_missing_score():
    facts = Facts(county="suixi", period=Y2024)
    facts.communities.append({"code": "M1", "name_zh": "医共体", "lead": "CH1"})
    facts.institutions.append({"code": "C01", "name_zh": "卫生院", "kind": "township_health_centre",
                               "tier": "township", "community": "M1"})
    facts.values[("chronic_enrolled", "C01", "2024")] = D(3)
    component = POLICY.component("chronic_package")
    params = resolve(POLICY, component, Y2024).model
    gathered = component.gather(facts, params, Y2024)
    assert gathered == {"centres": [{"code": "C01", "enrolled": 3, "actual": D("0.00"),
                                     "county_institution": "CH1"}]}
    assert "centres[0].assessment_score: Field required" in refused(gathered)
    facts.values[("chronic_assessment_score", "C01", "2024")] = D(80)
    out = lines(run(component.gather(facts, params, Y2024)))
    assert out[("C01", "surplus")] == D("11100.00") and out[("C01", "distributable")] == D("8880.00")


def test_disease_groups_feed_no_figure():
    base = lines(run({"centres": [centre()]}))
    for groups in ([], ["CD01"], {"2025-01-01": ["CD01"]}):  # none in force is no problem either
        assert lines(run({"centres": [centre()]}, {"disease_groups": groups})) == base
