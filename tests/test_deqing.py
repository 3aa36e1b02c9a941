"""Deqing plugin: conformance of both components, gathering from stored facts, the recorded
budget history, and the edges of POLICIES.md §4.1."""
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import strategies as st

from countypay import cases, conformance
from countypay.compute import compute
from countypay.errors import InputError
from countypay.host import registry
from countypay.params import resolve
from countypay.period import Period
from countypay.plugins.deqing import POLICY
from countypay.plugins.deqing.global_budget import GROUPS, assessment_score
from countypay.plugins.deqing.history import history, retained_ratio, retention
from countypay.policy import Facts

CASES = Path(POLICY.parameter_file).parent / "cases"
GB = POLICY.component("global_budget")
WE = POLICY.component("work_equivalent")

money = st.integers(0, 2 * 10**11).map(lambda n: f"{n // 100}.{n % 100:02d}")
score = st.integers(0, 1000).map(lambda n: f"{n // 10}.{n % 10}")
member_months = st.fixed_dictionaries({}, optional={g: st.integers(0, 3 * 10**6) for g in GROUPS})
community = st.builds(lambda i, s, a, mm: {"code": f"C{i}", "assessment_score": s, "actual": a, "member_months": mm},
                      st.integers(1, 3), score, money, member_months)


def budget_inputs(weighted=GROUPS):
    """Valid inputs: some member-months in a group whose weight is above 0, or B could not be priced."""
    return st.builds(
        lambda prev, funding, cs: {"previous_spending": prev, **({"funding": funding} if funding else {}),
                                   "communities": cs},
        money, st.none() | money,
        st.lists(community, min_size=1, max_size=3, unique_by=lambda c: c["code"]),
    ).filter(lambda x: any(n > 0 for c in x["communities"] for g, n in c["member_months"].items() if g in weighted))


ONE_BUDGET = {"previous_spending": "1000000.00", "funding": "1100000.00",
              "communities": [{"code": "wukang", "assessment_score": "70", "actual": "900000.00",
                               "member_months": {"employee.le60": 1000, "resident.gt60": 200}}]}


def run(inputs, period="2022", component=GB, **overrides):
    return compute(POLICY, component, inputs, Period.parse(period), run_overrides=overrides or None)


def lines(computation):
    return {(l.entity, l.code): l.value for l in computation.outcome.lines}


# ---------------------------------------------------------------- conformance

def test_global_budget_conforms_with_the_dated_defaults():
    conformance.check_component("deqing", "global_budget", "2022", budget_inputs())


def test_global_budget_conforms_capped_by_funding_with_other_weights():
    weighted = ("employee.le60", "resident.le60", "resident.gt60")
    conformance.check_component("deqing", "global_budget", "2023", budget_inputs(weighted), {
        "cap_by_funding": True, "growth_rate": "-0.1",
        "group_weights": {"employee.le60": "1", "employee.gt60": "0", "resident.le60": "7", "resident.gt60": "2.5"}},
        max_examples=30)


def test_global_budget_rejects_malformed_input():
    # The kit reads a leaf's path by splitting on dots, so the default group keys (employee.le60)
    # cannot be walked by it: the same rule with dotless group keys stands in for them here.
    one = {"previous_spending": "1000000.00", "funding": "1100000.00",
           "communities": [{"code": "wukang", "assessment_score": "70", "actual": "900000.00",
                            "member_months": {"employees": 1000, "residents": 200}}]}
    weights = {"group_weights": {"employees": "4000", "residents": "1500"}}
    assert conformance.check_rejects_malformed("deqing", "global_budget", "2022", one, weights) == 7
    for group in ("employee.le60", "resident.gt60"):
        c = dict(ONE_BUDGET["communities"][0], member_months={**ONE_BUDGET["communities"][0]["member_months"],
                                                              group: [["?"]]})
        with pytest.raises(InputError, match=rf"communities\[0\].member_months.{group}"):
            run(dict(ONE_BUDGET, communities=[c]))


ITEMS = ["outpatient_visit", "outpatient_treatment", "inpatient_surgery", "nursing_procedure", "bphs_vaccination"]
ratio = st.integers(0, 100).map(lambda n: f"{n / 100:.2f}")
month = st.builds(lambda m, c, r, q: {"month": f"2023-{m:02d}", "counts": c, "noncompliant_ratio": r, "quality": q},
                  st.integers(1, 12), st.dictionaries(st.sampled_from(ITEMS), st.integers(0, 10**5)), ratio, ratio)
inst = st.builds(lambda i, perf, prev, ms: {"code": f"I{i:03d}", "performance": perf, "previous_payment": prev,
                                            "months": ms},
                 st.integers(0, 999), st.integers(0, 100), money,
                 st.lists(month, max_size=4, unique_by=lambda m: m["month"]))
work_inputs = st.builds(lambda f, xs: {"fund": f, "institutions": xs}, money,
                        st.lists(inst, min_size=1, max_size=6, unique_by=lambda i: i["code"]))


def test_work_equivalent_conforms_with_deqings_catalogue():
    conformance.check_component("deqing", "work_equivalent", "2023", work_inputs,
                                {"floor_rate": "0.9", "cap_rate": "1.2"})


def test_work_equivalent_rejects_malformed_input():
    one = {"fund": "1000.00", "institutions": [{"code": "T01", "performance": 90, "previous_payment": "10.00",
           "months": [{"month": "2023-01", "counts": {"inpatient_surgery": 3}, "quality": "0.9"}]}]}
    assert conformance.check_rejects_malformed("deqing", "work_equivalent", "2023", one) == 7


def test_work_equivalent_uses_deqings_catalogue_not_haiyans():
    codes = {item.code for item in resolve(POLICY, WE, Period.parse("2023")).model.catalog}
    assert {"outpatient_treatment", "inpatient_surgery", "nursing_procedure", "outpatient_visit"} <= codes
    haiyan = registry().policy("haiyan")
    assert {i.code for i in resolve(haiyan, haiyan.component("work_equivalent"), Period.parse("2023")).model.catalog} \
        != codes
    with pytest.raises(InputError, match="not in the catalogue"):
        run({"fund": "10.00", "institutions": [{"code": "T01", "months": [{"month": "2023-01", "counts": {"x": 1}}]}]},
            "2023", WE)


# ---------------------------------------------------------------- gather

def facts_of_the_capped_case() -> Facts:
    """The stored facts behind cases/deqing-capped-by-funding.case.yaml."""
    mm = {"wukang": (1764321, 418877, 1523469, 912305), "xinshi": (1187654, 297531, 1312468, 688246)}
    values = {(f"member_months.{g}", c, "2020"): Decimal(n) for c, ns in mm.items() for g, n in zip(GROUPS, ns)}
    values[("assessment_score", "wukang", "2020")] = Decimal("88")
    # xinshi's score comes from its three dimensions: 0.4 × 55 + 0.3 × 60 + 0.3 × 70 = 61
    values.update({("assessment_score.payment", "xinshi", "2020"): Decimal("55"),
                   ("assessment_score.supply", "xinshi", "2020"): Decimal("60"),
                   ("assessment_score.patient", "xinshi", "2020"): Decimal("70")})
    funds = {("insurance_spending", "county", "2019"): Decimal("1000000000.00"),
             ("insurance_funding", "county", "2020"): Decimal("1031456789.13"),
             ("insurance_spending", "wukang", "2020"): Decimal("580000000.00"),
             ("insurance_spending", "xinshi", "2020"): Decimal("450000000.00"),
             ("insurance_spending", "county", "2020"): Decimal("1030000000.00")}
    communities = [{"code": "xinshi", "name_zh": "新市健保集团", "lead": "H02"},
                   {"code": "wukang", "name_zh": "武康健保集团", "lead": "H01"}]
    return Facts("deqing", Period.parse("2020"), communities=communities, values=values, funds=funds)


def test_gather_then_compute_gives_the_case_files_lines():
    case = cases.load(CASES / "deqing-capped-by-funding.case.yaml")
    expected = cases.run(case)
    assert expected.ok, expected.differences
    overrides = case.parameters["global_budget"]
    params = resolve(POLICY, GB, case.period, run=overrides).model
    inputs = GB.gather(facts_of_the_capped_case(), params, case.period)
    assert [c["code"] for c in inputs["communities"]] == ["wukang", "xinshi"]
    assert inputs["communities"][1]["assessment_score"] == Decimal("61")
    got = compute(POLICY, GB, inputs, case.period, run_overrides=overrides)
    assert [(l.entity, l.code, l.value) for l in got.outcome.lines] == \
           [(l.entity, l.code, l.value) for l in expected.computation.outcome.lines]


def test_gather_leaves_out_what_is_not_stored_so_validation_names_it():
    facts = facts_of_the_capped_case()
    del facts.values[("assessment_score.patient", "xinshi", "2020")]
    del facts.funds[("insurance_spending", "county", "2019")]
    params = resolve(POLICY, GB, Period.parse("2020")).model
    inputs = GB.gather(facts, params, Period.parse("2020"))
    with pytest.raises(InputError) as e:
        run(inputs, "2020")
    assert "previous_spending" in str(e.value) and "communities[1].assessment_score" in str(e.value)


def test_assessment_score_from_dimensions():
    w = {"payment": Decimal("0.4"), "supply": Decimal("0.3"), "patient": Decimal("0.3")}
    assert assessment_score({"payment": 80, "supply": 90, "patient": 100}, w) == Decimal("89")
    assert assessment_score({"payment": 80, "supply": 90}, w) is None
    with pytest.raises(InputError, match="add up to 1"):
        run(ONE_BUDGET, assessment_weights={"payment": "0.4", "supply": "0.4", "patient": "0.3"})


def test_indicators_are_declared_once_across_plugins():
    codes = {i.code for i in POLICY.indicators}
    assert {f"member_months.{g}" for g in GROUPS} | {"assessment_score", "assessment_score.payment",
                                                     "assessment_score.supply", "assessment_score.patient",
                                                     "performance_score"} <= codes
    assert all(i.name_zh and i.name_en for i in POLICY.indicators)
    assert set(registry().indicators) >= codes


# ---------------------------------------------------------------- history

def test_history_records_the_seed_table():
    h = history()
    assert sorted(h) == [2018, 2019, 2020, 2021, 2022, 2023]
    assert [h[y]["growth_rate"] for y in sorted(h)] == [Decimal(x) for x in ("0.07", "0.06", "0.06", "0.06", "0.06", "0.049")]
    assert (h[2018]["overspend_shared"], h[2019]["overspend_shared"]) == (657, 710)
    assert all(row["reference"].startswith("seeds/003") for row in h.values())


def test_history_growth_rates_match_the_dated_parameters():
    for year, row in history().items():
        assert resolve(POLICY, GB, Period.parse(str(year))).model.growth_rate == row["growth_rate"]


@pytest.mark.parametrize("year, surplus, retained, implied", [
    (2020, 14455, 12523, "55.4"), (2021, 12823, 11364, "62.1"), (2022, 9801, 8732, "63.6")])
def test_retention_implied_by_the_rule(year, surplus, retained, implied):
    r = retention(year)
    assert (r.surplus, r.retained, r.assessed_share) == (surplus, retained, Decimal("0.30"))
    assert r.recorded_ratio == Fraction(retained, surplus)
    assert r.recorded_ratio > Fraction(85, 100)  # the seed: 结余留用占比达85%以上
    assert r.fits_rule
    assert round(float(r.implied_score), 1) == float(implied)
    assert retained_ratio(r.implied_score, r.assessed_share) == r.recorded_ratio


def test_retention_is_none_without_a_recorded_surplus():
    assert retention(2018) is None and retention(2023) is None and retention(1999) is None
    assert retention(2020, Decimal("0.5")).implied_score == (Fraction(12523, 14455) - Fraction(1, 2)) * 200


# ---------------------------------------------------------------- edges of §4.1

@pytest.mark.parametrize("period, rate", [("2018", "0.07"), ("2019", "0.06"), ("2022", "0.06"),
                                          ("2023", "0.049"), ("2025", "0.049")])
def test_growth_rate_is_the_one_in_force(period, rate):
    assert lines(run(ONE_BUDGET, period))[("county", "budget")] == \
        (Decimal("1000000.00") * (1 + Decimal(rate))).quantize(Decimal("0.01"))


def test_no_growth_rate_before_2018():
    with pytest.raises(InputError, match="growth_rate"):
        run(ONE_BUDGET, "2017")


def test_only_a_year_is_settled():
    with pytest.raises(InputError, match="period"):
        run(ONE_BUDGET, "2022Q1")


def test_cap_without_funding_is_flagged_and_not_applied():
    inputs = dict(ONE_BUDGET)
    del inputs["funding"]
    got = run(inputs, cap_by_funding=True)
    assert lines(got)[("county", "budget")] == Decimal("1060000.00")
    assert [f.code for f in got.outcome.flags] == ["budget"]
    assert lines(run(dict(ONE_BUDGET, funding="1000.00"), cap_by_funding=False))[("county", "budget")] == \
        Decimal("1060000.00")
    assert lines(run(dict(ONE_BUDGET, funding="1000.00")))[("county", "budget")] == Decimal("1000.00")


def test_balance_of_zero_is_a_surplus_of_zero():
    got = lines(run(dict(ONE_BUDGET, communities=[dict(ONE_BUDGET["communities"][0], actual="1060000.00")])))
    assert got[("wukang", "surplus")] == got[("wukang", "surplus.retained")] == got[("wukang", "surplus.returned")] == 0
    assert ("wukang", "overspend") not in got


def test_half_up_on_a_tie():
    # surplus 0.10 at score 50: 0.10 × 0.85 = 0.085 → 0.09 retained, 0.01 returned
    inputs = {"previous_spending": "0.10", "communities": [
        {"code": "a", "assessment_score": "50", "actual": "0.00", "member_months": {"employee.le60": 1}}]}
    got = lines(run(inputs, growth_rate="0"))
    assert (got[("a", "surplus.retained")], got[("a", "surplus.returned")]) == (Decimal("0.09"), Decimal("0.01"))


def test_group_without_members_still_has_its_standard_and_divides_by_nothing():
    got = lines(run(ONE_BUDGET))  # no employee.gt60 or resident.le60 members anywhere
    # t_g = B × w_g / (2400 × 1000 + 3300 × 200) = 1060000 × w_g / 3060000
    assert got[("county", "standard.employee.gt60")] == Decimal("2113.07")
    assert got[("county", "standard.resident.le60")] == Decimal("311.76")
    assert got[("wukang", "budget")] == Decimal("1060000.00")


def test_no_members_at_all():
    empty = dict(ONE_BUDGET, communities=[dict(ONE_BUDGET["communities"][0], member_months={})])
    with pytest.raises(InputError, match="no member-months"):
        run(empty)
    got = lines(run(dict(empty, previous_spending="0.00")))
    assert got[("county", "standard.employee.le60")] == 0 and got[("wukang", "budget")] == 0


def test_member_months_of_an_unknown_group_or_a_repeated_community_are_refused():
    c = ONE_BUDGET["communities"][0]
    with pytest.raises(InputError, match=r"communities\[0\].member_months.employee.gt65"):
        run(dict(ONE_BUDGET, communities=[dict(c, member_months={"employee.gt65": 5})]))
    with pytest.raises(InputError, match=r"communities\[1\].code"):
        run(dict(ONE_BUDGET, communities=[c, c]))
    with pytest.raises(InputError, match="assessment_score"):
        run(dict(ONE_BUDGET, communities=[dict(c, assessment_score="100.5")]))


def test_every_line_explains_itself():
    got = run(ONE_BUDGET)
    assert all("formula" in l.trace for l in got.outcome.lines)
    assert {p.name for p in got.outcome.pools} == {"budget", "prepayment.wukang", "surplus.wukang", "balance.wukang"}


def test_the_recorded_history_as_indicator_values():
    from countypay.host import registry
    from countypay.plugins.deqing import history

    values = {(code, year): v for code, year, v in history.indicator_values()}
    assert values[("recorded_retained", "2020")] == Decimal("12523")
    assert values[("recorded_retention_ratio", "2020")] == Decimal("0.866344")  # 12523 / 14455
    assert values[("implied_assessment_score", "2021")] == Decimal("62.073358")
    assert values[("recorded_overspend_shared", "2019")] == Decimal("710")
    assert ("recorded_surplus", "2023") not in values  # 2023 records only an expected surplus
    assert {code for code, _ in values} <= set(registry().indicators)
