"""Suixi (POLICIES.md §2): conformance of the three components, traces, the 48 % flag, edge cases."""
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import strategies as st

from countypay import conformance
from countypay.compute import compute
from countypay.errors import InputError
from countypay.host import registry
from countypay.params import in_force
from countypay.period import Period
from countypay.plugins.suixi import POLICY
from countypay.plugins.suixi.public_health import VETO_EVENTS

CASES = Path(__file__).resolve().parents[1] / "plugins" / "suixi" / "cases"
Y2024 = Period.parse("2024")

money = st.integers(0, 10**8).map(lambda n: f"{n // 100}.{n % 100:02d}")
ratio = st.integers(0, 100).map(lambda n: f"{n // 100}.{n % 100:02d}")
TWO_CARD = ["ehr", "children", "maternal", "elderly", "chronic", "mental", "tb", "tcm"]
# The seed's objective table (seeds/000 §3.2): code → (benchmark, veto events).
SEED_OBJECTIVES = {
    "ehr_standard_coverage": ("0.64", ()), "health_education_task": ("1.00", ()),
    "immunization_rate": ("0.90", ()), "newborn_visit_rate": ("0.90", ("child_death",)),
    "child_health_management_rate": ("0.90", ("child_death",)), "postpartum_visit_rate": ("0.90", ("maternal_death",)),
    "maternal_system_management_rate": ("0.90", ("maternal_death",)),
    "elderly_standard_management_rate": ("0.64", ()), "hypertension_standard_management_rate": ("0.64", ()),
    "diabetes_standard_management_rate": ("0.64", ()), "severe_mental_management_rate": ("0.80", ("mental_incident",)),
    "tb_management_rate": ("0.90", ("tb_unreported", "tb_unmanaged")), "elderly_tcm_rate": ("0.74", ()),
    "child_tcm_rate": ("0.84", ()), "supervision_report_rate": ("0.90", ()), "emergency_report_rate": ("0.95", ()),
}
OBJECTIVE_CODES = list(SEED_OBJECTIVES)
PROJECTS = ["ehr", "health_education", "immunization", "children", "maternal", "elderly", "chronic", "mental",
            "tb", "tcm", "supervision", "emergency"]


def run(component, inputs, overrides=None, period=Y2024):
    return compute(POLICY, POLICY.component(component), inputs, period, run_overrides=overrides).outcome


def lines(outcome):
    return {(l.entity, l.code): l.value for l in outcome.lines}


# ---------------------------------------------------------------- public_health

spending = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"previous": st.sampled_from(["0", "900.00", "1000.00"]),
                                        "current": st.sampled_from(["900.00", "950.00", "1000.00", "1100.00"])}))
ph_unit = st.builds(
    lambda i, c, p, qs, cr, att, v, sp: {"code": f"U{i:02d}", "community": c, "package": p,
                                         "quarter_scores": qs, "credits": cr, "attainment": att,
                                         "vetoes": v, **({"spending_per_capita": sp} if sp is not None else {})},
    st.integers(0, 99), st.sampled_from(["C1", "C2"]), money,
    st.lists(st.integers(0, 100), min_size=4, max_size=4),
    st.dictionaries(st.sampled_from(TWO_CARD), st.integers(0, 20000)),
    st.dictionaries(st.sampled_from(OBJECTIVE_CODES), ratio),
    st.lists(st.sampled_from(sorted(VETO_EVENTS)), unique=True, max_size=2),
    spending)
ph_inputs = st.builds(
    lambda units, s: {"units": units, **({"bphs_subsidies": s} if s is not None else {})},
    st.lists(ph_unit, min_size=1, max_size=12, unique_by=lambda u: u["code"]),
    st.one_of(st.none(), money))


def test_public_health_conforms():
    conformance.check_component("suixi", "public_health", "2024", ph_inputs)


def test_public_health_conforms_per_community():
    conformance.check_component("suixi", "public_health", "2024", ph_inputs, {"effect_scope": "community"},
                                max_examples=30)


ONE_PH = {"bphs_subsidies": "100000.00", "units": [{
    "code": "U01", "community": "C1", "package": "1000.00", "quarter_scores": [90, 90, 90, 95],
    "credits": {"ehr": 100}, "attainment": {"immunization_rate": "0.95"}, "vetoes": ["child_death"],
    "spending_per_capita": {"previous": "1000.00", "current": "900.00"}}]}


def test_public_health_rejects_malformed_input():
    assert conformance.check_rejects_malformed("suixi", "public_health", "2024", ONE_PH) == 13


def test_effect_trace_names_delta_rank_tier_and_tie_group():
    from countypay import cases
    result = cases.run(cases.load(CASES / "public-health-12-units-ties-vetoes.case.yaml"))
    traces = {l.entity: l.trace["result"] for l in result.computation.outcome.lines if l.code == "effect.paid"}
    assert traces["U05"]["delta"] == "-0.1" and traces["U05"]["tier"] == 1
    assert traces["U05"]["tie_group"] == ["U05", "U09"] and traces["U05"]["positions"] == [1, 2]
    assert traces["U01"]["rank"] == 3 and traces["U01"]["tier"] == 2 and traces["U01"]["tie_group"] == []
    # U10 sits at position 6, past the 50 % line, and shares what positions 4-6 carry.
    assert traces["U10"]["rank"] == 6 and traces["U10"]["tier"] is None
    assert traces["U10"]["tie_group"] == ["U02", "U07", "U10"] and traces["U10"]["positions"] == [4, 5, 6]
    assert traces["U10"]["delta"] == "0" and traces["U10"]["eligible_n"] == 10
    assert "previous" in traces["U12"]["reason"] and "both" in traces["U11"]["reason"]


def _ph(package="1000.00", **unit):
    return {"units": [{"code": "U01", "package": package, "quarter_scores": [100, 100, 100, 100], **unit}]}


def test_village_share_flags():
    def flag(inputs):
        [f] = [f for f in run("public_health", inputs).flags if f.code == "village_share"]
        return f

    absent = flag(_ph())
    assert absent.severity == "info" and "not checked" in absent.message
    short = run("public_health", {**_ph(), "bphs_subsidies": "2100.00"})
    [f] = [f for f in short.flags if f.code == "village_share"]
    assert f.severity == "warning" and "less than 48 %" in f.message
    assert lines(short)[("county", "village_share.required")] == Decimal("1008.00")
    assert lines(short)[("county", "village_share.shortfall")] == Decimal("8.00")
    exactly = flag({**_ph(), "bphs_subsidies": "2083.33"})  # 48 % = 999.9984: 1000.00 is enough
    assert exactly.severity == "info"


def test_unknown_codes_are_flagged_not_silently_dropped():
    out = run("public_health", _ph(credits={"ehr": 5, "nonsense": 1, "immunization": 3},
                                   attainment={"typo_rate": "1"}, vetoes=["flood"]))
    codes = {f.code: f.severity for f in out.flags}
    assert codes["unknown_credits"] == "warning" and codes["unknown_objective"] == "warning"
    assert codes["unknown_veto"] == "warning" and codes["credits_not_used"] == "info"


def test_process_earning_is_rounded_half_up_then_capped():
    params = {"subprojects": [{"code": "a", "weight": 1, "two_card": True, "price_per_credit": "0.005"},
                              {"code": "b", "weight": 1, "two_card": True, "price_per_credit": "1"}]}
    # A = 700.00 → 350.00 each. a: 1 credit × 0.005 = 0.005 → 0.01; b: 400 credits → capped at 350.00.
    out = lines(run("public_health", _ph(credits={"a": 1, "b": 400}), params))
    assert out[("U01", "process.a.earned")] == Decimal("0.01")
    assert out[("U01", "process.b.earned")] == Decimal("350.00")
    assert out[("U01", "process.deducted")] == Decimal("349.99")


def test_objective_weights_default_to_one_and_default_table_shares_by_project():
    out = lines(run("public_health", _ph(package="2400.00", attainment={"newborn_visit_rate": "1"})))
    # B = 480.00 over 24 relative weight units: a half-project indicator gets 1/24 = 20.00.
    assert out[("U01", "objective.newborn_visit_rate.paid")] == Decimal("20.00")
    assert out[("U01", "objective.paid")] == Decimal("20.00")


def test_public_health_refuses():
    with pytest.raises(InputError, match=r"units\[0\].quarter_scores\[3\]"):
        run("public_health", {"units": [{"code": "U1", "package": "1.00", "quarter_scores": [1, 2, 3, 101]}]})
    with pytest.raises(InputError, match=r"units\[0\].package"):
        run("public_health", _ph(package="1.001"))
    with pytest.raises(InputError, match=r"units\[1\].code: 'U01' appears twice"):
        run("public_health", {"units": _ph()["units"] * 2})
    with pytest.raises(InputError, match=r"units\[0\].community: required"):
        run("public_health", _ph(), {"effect_scope": "community"})
    with pytest.raises(InputError, match=r"units\[0\].code"):
        run("public_health", {"units": [{**_ph()["units"][0], "code": "county"}]})
    with pytest.raises(InputError, match=r"public_health.quarter_weights"):
        run("public_health", _ph(), {"quarter_weights": ["0.25", "0.25", "0.25", "0.3"]})
    with pytest.raises(InputError, match=r"public_health.subprojects\[0\]"):
        run("public_health", _ph(), {"subprojects": [{"code": "a", "weight": 1, "two_card": True}]})
    with pytest.raises(InputError, match=r"public_health.effect_tiers"):
        run("public_health", _ph(), {"effect_tiers": [["0.5", "0.5"], ["0.25", "0.5"]]})


# ---------------------------------------------------------------- insurance_capitation

group = st.builds(
    lambda pop, hist, actual, a: {"population": pop, "per_capita_history": hist, "actual": actual, "assessment": a},
    st.integers(0, 5000), st.lists(money, min_size=1, max_size=4), money, st.lists(ratio, min_size=3, max_size=3))
team = st.fixed_dictionaries({}, optional={"instructor": st.sampled_from(["H1", "H2"]),
                                           "unit_head": st.sampled_from(["T1", "T2"]),
                                           "village_doctor": st.sampled_from(["V1", "V2", "V3"])})
ins_unit = st.builds(lambda i, t, g, c: {"code": f"U{i:02d}", "team": t, **({"general": g} if g else {}),
                                         **({"chronic": c} if c else {})},
                     st.integers(0, 99), team, st.one_of(st.none(), group), st.one_of(st.none(), group)
                     ).filter(lambda u: "general" in u or "chronic" in u)
ins_inputs = st.builds(lambda us: {"units": us},
                       st.lists(ins_unit, min_size=1, max_size=8, unique_by=lambda u: u["code"]))


def test_insurance_capitation_conforms():
    conformance.check_component("suixi", "insurance_capitation", "2024", ins_inputs)


def test_insurance_capitation_rejects_malformed_input():
    one = {"units": [{"code": "U01", "community": "C1", "team": {"instructor": "H1", "unit_head": "T1"},
                      "general": {"population": 10, "per_capita_history": ["1.00", "2.00", "3.00"],
                                  "actual": "5.00", "assessment": ["1", "0.5", "1"]}}]}
    assert conformance.check_rejects_malformed("suixi", "insurance_capitation", "2024", one) == 12


def test_insurance_absent_group_and_partial_team():
    out = run("insurance_capitation", {"units": [{"code": "U01", "team": {"instructor": "H1"},
                                                  "general": {"population": 12, "per_capita_history": ["100"],
                                                              "actual": "0.00"}}]})
    got = lines(out)
    assert not any(code.startswith("chronic.") for _, code in got)
    assert got[("U01", "general.budget")] == Decimal("1200.00")
    assert got[("H1", "insurance.general.county")] == Decimal("120.00")
    flags = {f.code for f in out.flags}
    assert {"general.unattributed", "general.short_history"} <= flags
    with pytest.raises(InputError, match=r"units\[0\].team.doctor"):
        run("insurance_capitation", {"units": [{"code": "U01", "team": {"doctor": "V1"}}]})
    with pytest.raises(InputError, match=r"units\[0\]: .*neither a general nor a chronic group"):
        run("insurance_capitation", {"units": [{"code": "U01"}]})


# ---------------------------------------------------------------- community_surplus

def _community(extra, ph):
    base = [{"code": "H00", "tier": "county", "lead": True}, {"code": "T00", "tier": "township"},
            {"code": "V00", "tier": "village"}]
    return {"surplus": "0.00", "institutions": base + extra, "public_health_institutions": ph}


inst = st.builds(lambda i, t, w: {"code": f"I{i:02d}", "tier": t, "weight": w},
                 st.integers(0, 99), st.sampled_from(["county", "township", "village"]), st.integers(0, 5))
cs_inputs = st.builds(lambda s, xs, ph: {**_community(xs, ph), "surplus": s}, money,
                      st.lists(inst, max_size=8, unique_by=lambda i: i["code"]),
                      st.lists(st.sampled_from(["CDC", "MCH", "HSI"]), min_size=1, unique=True))


def test_community_surplus_conforms():
    conformance.check_component("suixi", "community_surplus", "2024", cs_inputs)


def test_community_surplus_rejects_malformed_input():
    one = {"surplus": "100.00", "community": "C1", "public_health_institutions": ["CDC"],
           "institutions": [{"code": "H1", "tier": "county", "weight": 1, "lead": True},
                            {"code": "T1", "tier": "township"}, {"code": "V1", "tier": "village"}]}
    assert conformance.check_rejects_malformed("suixi", "community_surplus", "2024", one) == 11


def test_community_surplus_refuses():
    one = _community([], ["CDC"]) | {"surplus": "100.00"}
    with pytest.raises(InputError, match="exactly one institution must be the lead, not 2"):
        run("community_surplus", {**one, "institutions": one["institutions"] + [
            {"code": "H01", "tier": "county", "lead": True}]})
    with pytest.raises(InputError, match="must be in the county tier"):
        run("community_surplus", {**one, "institutions": [
            {"code": "H00", "tier": "township", "lead": True}, {"code": "V00", "tier": "village"}]})
    with pytest.raises(InputError, match="village tier's 10.00 has no institution"):
        run("community_surplus", {**one, "institutions": one["institutions"][:2]})
    with pytest.raises(InputError, match="public_health_institutions"):
        run("community_surplus", {**one, "public_health_institutions": []})
    # With no surplus there is nothing to transfer, so no public-health institution is needed.
    out = lines(run("community_surplus", {**one, "surplus": "0.00", "public_health_institutions": []}))
    assert out[("H00", "paid")] == Decimal("0.00")


# ---------------------------------------------------------------- the policy's declarations

def test_default_parameters_follow_the_seed_table():
    defaults = in_force(POLICY, "public_health", Y2024.start)
    objectives = defaults["objectives"].value
    assert [(o["code"], Decimal(o["benchmark"]), tuple(o.get("vetoes", ()))) for o in objectives] == \
           [(code, Decimal(b), vetoes) for code, (b, vetoes) in SEED_OBJECTIVES.items()]
    assert all(o["name_zh"] and o["name_en"] for o in objectives)
    weights: dict[str, Fraction] = {}
    total = sum(Fraction(o["weight"]) for o in objectives)
    for o in objectives:
        weights[o["project"]] = weights.get(o["project"], 0) + Fraction(o["weight"]) / total
    assert len(weights) == 12 and set(weights.values()) == {Fraction(1, 12)}
    assert [s["code"] for s in defaults["subprojects"].value] == PROJECTS
    assert {s["weight"] for s in defaults["subprojects"].value} == {1}
    assert defaults["subprojects"].reference.startswith("illustrative")


def test_indicator_definitions_come_from_the_parameter_file():
    """The objectives and sub-projects are written once, in parameters.yaml: the registered
    indicators (names, unit, benchmark) are derived from it."""
    from countypay.host import registry
    defaults = in_force(POLICY, "public_health", Y2024.start)
    indicators = registry().indicators
    for o in defaults["objectives"].value:
        ind = indicators[o["code"]]
        assert (ind.name_zh, ind.benchmark, ind.unit) == (o["name_zh"], Decimal(o["benchmark"]), o.get("unit", "ratio"))
    assert indicators["health_education_task"].unit == "share"
    assert all(f"credits.{s['code']}" in indicators for s in defaults["subprojects"].value if s["two_card"])


def test_a_share_of_the_task_may_exceed_one_but_a_rate_may_not():
    """health_education_task is the share of the year's task done (120 % sends 1.2); rates stay ≤ 1."""
    unit = {"code": "U01", "package": "1000.00", "quarter_scores": [100, 100, 100, 100]}
    out = run("public_health", {"units": [{**unit, "attainment": {"health_education_task": "1.2"}}]})
    assert lines(out)[("U01", "objective.health_education_task.paid")] > 0
    with pytest.raises(InputError, match=r"units\[0\]\.attainment\.immunization_rate: Input should be less than or equal to 1"):
        run("public_health", {"units": [{**unit, "attainment": {"immunization_rate": "1.2"}}]})


def test_indicators_are_registered_with_names():
    known = registry().indicators
    for code in ["quarter_score", "spending_per_capita", "credits.ehr", "veto.tb_unmanaged",
                 "insurance_per_capita.chronic", "insurance_assessment.general.village", "surplus_weight",
                 *OBJECTIVE_CODES]:
        assert known[code].name_zh and known[code].name_en
    assert known["tb_management_rate"].benchmark == Decimal("0.90")
    assert known["quarter_score"].period == "quarter"
