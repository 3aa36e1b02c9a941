"""Chengwu (POLICIES.md §6): conformance of both components, the catalogue, refused input and
the flags that case files cannot express."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from countypay import cases, conformance
from countypay.compute import compute
from countypay.errors import InputError
from countypay.host import registry
from countypay.period import Period
from countypay.plugins.chengwu import POLICY, catalogue

CASES = Path(POLICY.parameter_file).parent / "cases"
ROWS = catalogue()
TYPE = {r["code"]: r["type"] for r in ROWS}


def run(component, inputs, period="2024", **overrides):
    return compute(POLICY, POLICY.component(component), inputs, Period.parse(period),
                   run_overrides=overrides or None).outcome


def lines(outcome):
    return {(l.entity, l.code): l.value for l in outcome.lines}


def flags(outcome):
    return {(f.entity, f.code): f.severity for f in outcome.flags}


# ---------------------------------------------------------------- strategies

def decimal(lo, hi, places=2):
    """A decimal string between lo and hi (in units of 10^-places), never a float."""
    def text(n):
        sign, n = ("-", -n) if n < 0 else ("", n)
        return f"{sign}{n // 10**places}.{n % 10**places:0{places}d}" if places else f"{sign}{n}"
    return st.integers(lo, hi).map(text)


CELL = {
    "percent": decimal(0, 10000).map(lambda x: f"{x}%"),
    "number": decimal(0, 10000),
    "permille": decimal(0, 1000).map(lambda x: f"{x}‰"),
    "ratio": decimal(500, 1000).map(lambda x: f"{x}:1"),
    "yesno": st.sampled_from(["是", "否"]),
    "trend": decimal(0, 10000).map(lambda x: f"{x}%"),
}
growth_pair = st.builds(lambda a, b, sep, end: f"门诊次均增幅{a}%{sep}住院次均增幅{b}%{end}",
                        decimal(-300, 300), decimal(-300, 300), st.sampled_from(["、", "。"]),
                        st.sampled_from(["", "。"]))
share_pair = st.builds(lambda a, b: f"{a}%、{b}%", decimal(0, 10000), decimal(0, 10000))


def cell(code):
    if TYPE[code] == "pair":
        return growth_pair if code == "i19" else share_pair
    return CELL[TYPE[code]]


def entities(codes):
    entity = st.builds(
        lambda i, values, prev: {"code": f"H{i:02d}", "values": values, "previous": prev},
        st.integers(0, 20),
        st.fixed_dictionaries({}, optional={c: cell(c) for c in codes}),
        st.fixed_dictionaries({}, optional={c: cell(c) for c in codes if TYPE[c] == "trend"}))
    return st.lists(entity, min_size=1, max_size=4, unique_by=lambda e: e["code"])


SUBSET = ["i05", "i08", "i13", "i16", "i19", "i27", "i31", "i32"]
target_cells = {c: cell(c) for c in SUBSET if TYPE[c] != "trend"}
target_cells["i13"] = st.sampled_from(["0", "0.5"])


def test_assessment_conforms_on_the_whole_catalogue():
    """Default parameters: the 32 indicators, equal weights, targets from the catalogue for 2024."""
    conformance.check_component("chengwu", "assessment", "2024",
                                entities([r["code"] for r in ROWS]).map(lambda es: {"entities": es}))


def test_assessment_conforms_proportional_on_a_subset_with_given_targets():
    inputs = st.builds(lambda t, es: {"targets": t, "entities": es},
                       st.fixed_dictionaries(target_cells), entities(SUBSET))
    conformance.check_component("chengwu", "assessment", "2025", inputs,
                                {"indicators": SUBSET, "scoring": "proportional"})


money = st.integers(0, 10**9).map(lambda n: f"{n // 100}.{n % 100:02d}")
by_source = st.fixed_dictionaries({}, optional={s: money for s in ("province", "county", "other")})
by_year = st.dictionaries(st.sampled_from(["2023", "2024", "2025", "2026", "2027"]), by_source, max_size=4)
task = st.builds(lambda i, plan, paid: {"code": f"T{i}", "name": "任务", "plan": plan, "disbursed": paid},
                 st.integers(1, 9), by_year.filter(bool), by_year)


def test_project_funds_conforms():
    conformance.check_component("chengwu", "project_funds", "2025",
                                st.lists(task, min_size=1, max_size=5, unique_by=lambda t: t["code"])
                                .map(lambda ts: {"tasks": ts}))


def test_assessment_rejects_malformed_input():
    one = {"targets": {"i01": "37.1%"},
           "entities": [{"code": "H01", "values": {"i01": "38%", "i32": "5%"}, "previous": {"i32": "4%"}}]}
    assert conformance.check_rejects_malformed("chengwu", "assessment", "2024", one,
                                               {"indicators": ["i01", "i32"]}) == 5


def test_project_funds_rejects_malformed_input():
    one = {"tasks": [{"code": "T1", "name": "智慧医院建设",
                      "plan": {"2024": {"province": "100.00", "county": "100.00"}},
                      "disbursed": {"2024": {"province": "50.00"}}}]}
    assert conformance.check_rejects_malformed("chengwu", "project_funds", "2024", one) == 5


# ---------------------------------------------------------------- the catalogue

def test_catalogue_is_the_seeds_table():
    assert [r["n"] for r in ROWS] == list(range(1, 33))
    assert {r["code"]: r["type"] for r in ROWS if r["type"] not in ("percent", "number")} == {
        "i05": "ratio", "i08": "yesno", "i19": "pair", "i27": "pair", "i31": "permille", "i32": "trend"}
    assert {r["code"] for r in ROWS if r["direction"] == "lower"} == {
        "i05", "i13", "i16", "i18", "i19", "i21", "i30", "i31"}
    by = {r["n"]: r for r in ROWS}
    assert by[12]["targets"] == {"2024": "0.90", "2025": "0.92", "2026": "0.95"}
    assert by[14]["targets"]["2026"] == "69.56%"  # the table, not the text's 69.6 %
    assert by[19]["value_2023"] == "门诊次均增幅-0.31%。住院次均增幅-1.44%"
    assert by[31]["value_2023"] == "4.97‰" and by[32]["targets"]["2024"] == "逐年提高"
    assert (by[16]["level1"], by[16]["level2"]) == ("产出指标", "成本指标")
    assert (by[32]["level1"], by[32]["level2"]) == ("总体健康指标", "协同提升指标")
    assert by[10]["remark"] == "目前尚无标准的，鼓励先行探索" and by[1]["remark"] is None
    assert all(r["why"] for r in ROWS)
    assert catalogue(date(2023, 12, 31)) == []


def test_policy_declares_its_indicators_and_lines():
    assert POLICY.version == "0.1.0" and POLICY.name_zh and POLICY.name_en and POLICY.reference
    known = registry().indicators
    assert known["chengwu_31"].direction == "lower" and known["chengwu_31"].unit == "per_mille"
    assert known["chengwu_05"].unit == "ratio_to_1" and known["chengwu_19"].name_zh == "公立医院门诊和住院次均费用增幅"
    assert len([c for c in known if c.startswith("chengwu_")]) == 32
    for component in POLICY.components:
        assert component.lines and component.name_zh and component.name_en and component.gather is not None


# ---------------------------------------------------------------- assessment

def test_points_keep_the_exact_weight_and_the_grade_names_its_label():
    out = run("assessment", {"entities": [{"code": "H01", "values": {"i01": "40%", "i02": "90%"}}]},
              indicators=["i01", "i02", "i03"], weights={"i01": "45", "i02": "40", "i03": "15"})
    got = {(l.entity, l.code): l for l in out.lines}
    assert got["H01", "score"].value == Decimal("85.00")
    assert got["H01", "grade"].value == Decimal("80.00") and got["H01", "grade"].trace["result"]["grade"] == "良好"
    default = run("assessment", {"entities": [{"code": "H01", "values": {"i01": "40%"}}]},
                  indicators=["i01", "i02", "i03"]).lines
    points = next(l for l in default if l.code == "i01.points")
    assert points.value == Decimal("33.33") and points.trace["result"]["exact"] == "100/3"
    assert points.trace["parameters"]["weight"] == "100/3"


def test_missing_value_and_trend_without_previous_are_flagged_as_warnings():
    out = run("assessment", {"entities": [{"code": "H01", "values": {"i32": "63.5%"}},
                                          {"code": "H02", "values": {"i01": "40%", "i32": "63.5%"},
                                           "previous": {"i32": "60%"}}]},
              indicators=["i01", "i32"])
    assert flags(out) == {("H01", "i01.missing"): "warning", ("H01", "i32.no_previous"): "warning"}
    assert lines(out)["H01", "i32.met"] == 0 and lines(out)["H02", "i32.met"] == 1


def test_weights_not_adding_to_100_are_reported():
    out = run("assessment", {"entities": [{"code": "H01", "values": {"i01": "40%", "i02": "90%"}}]},
              indicators=["i01", "i02"], weights={"i01": "2", "i02": "1"})
    assert lines(out)["H01", "score"] == Decimal("3.00")
    assert flags(out) == {("county", "weights"): "info"}


@pytest.mark.parametrize("code, text, field", [
    ("i01", "40", "entities[0].values.i01"),          # a percent without %
    ("i05", "8.1", "entities[0].values.i05"),         # a ratio without :1
    ("i05", "8:2", "entities[0].values.i05"),         # a ratio not to 1
    ("i08", "yes", "entities[0].values.i08"),
    ("i12", "0.9%", "entities[0].values.i12"),        # a number with a %
    ("i31", "4.5%", "entities[0].values.i31"),        # a permille written as a percent
    ("i19", "门诊次均增幅-1.4%", "entities[0].values.i19"),  # a pair with one part
    ("i27", "93%、96", "entities[0].values.i27"),      # parts in different units from the target
    ("i27", "93%、96%、97%", "entities[0].values.i27"),  # three parts against two
    ("i32", "较上年提高", "entities[0].values.i32"),     # a trend value must be a number
])
def test_a_value_that_does_not_read_as_its_type_is_refused(code, text, field):
    with pytest.raises(InputError) as e:
        run("assessment", {"entities": [{"code": "H01", "values": {code: text}, "previous": {"i32": "1%"}}]},
            indicators=[code])
    assert field in str(e.value) and repr(text) in str(e.value) and code in str(e.value)


def test_stray_full_stops_and_full_width_signs_are_tolerated():
    out = run("assessment", {"entities": [{"code": "H01", "values": {
        "i08": "是。", "i05": "7.9：1", "i01": "37.1％", "i19": "。门诊次均增幅-1.5%。。住院次均增幅-1.4%。"}}]},
        indicators=["i01", "i05", "i08", "i19"])
    assert all(lines(out)["H01", f"{c}.met"] == 1 for c in ("i01", "i05", "i08", "i19"))


def test_bad_targets_and_previous_values_are_refused_by_name():
    with pytest.raises(InputError, match=r"targets\.i05: '8' is not a ratio target"):
        run("assessment", {"targets": {"i05": "8"}, "entities": [{"code": "H01"}]}, indicators=["i05"])
    with pytest.raises(InputError, match=r"targets\.i01: no target for 2027"):
        run("assessment", {"entities": [{"code": "H01"}]}, period="2027", indicators=["i01"])
    with pytest.raises(InputError, match=r"targets\.i32: '逐年降低' says lower, the direction is higher"):
        run("assessment", {"targets": {"i32": "逐年降低"}, "entities": [{"code": "H01"}]}, indicators=["i32"])
    with pytest.raises(InputError, match=r"entities\[0\]\.previous\.i32: 'n/a'"):
        run("assessment", {"entities": [{"code": "H01", "values": {"i32": "5%"}, "previous": {"i32": "n/a"}}]},
            indicators=["i32"])
    with pytest.raises(InputError, match=r"entities\[0\]\.values\.i32: '5%' for i32 part 1 is 5%, the previous"):
        run("assessment", {"entities": [{"code": "H01", "values": {"i32": "5%"}, "previous": {"i32": "0.04"}}]},
            indicators=["i32"])
    with pytest.raises(InputError, match=r"entities\[1\]\.code: 'H01' appears twice"):
        run("assessment", {"entities": [{"code": "H01"}, {"code": "H01"}]}, indicators=["i01"])
    with pytest.raises(InputError, match=r"entities: List should have at least 1 item"):
        run("assessment", {"entities": []})


@pytest.mark.parametrize("overrides, message", [
    ({"indicators": ["i01", "x99"]}, "types.x99: no type"),
    ({"indicators": ["x99"], "types": {"x99": "number"}}, "direction.x99: no direction"),
    ({"indicators": ["i01", "i01"]}, "indicators[1]: 'i01' appears twice"),
    ({"indicators": []}, "indicators: no indicator to assess"),
    ({"indicators": ["i01", "i02"], "weights": {"i01": "50"}}, "weights.i02: no weight"),
    ({"grades": [[90, "优秀"], [60, "合格"]]}, "one of them be 0"),
    ({"grades": [["90.005", "优秀"], [0, "待改进"]]}, "at most 2 decimals"),
    ({"scoring": "linear"}, "scoring"),
])
def test_bad_parameters_are_refused(overrides, message):
    with pytest.raises(InputError) as e:
        run("assessment", {"entities": [{"code": "H01"}]}, **overrides)
    assert message in str(e.value)


def test_a_yes_no_indicator_needs_no_direction():
    out = run("assessment", {"targets": {"y1": "否"}, "entities": [{"code": "H01", "values": {"y1": "否"}}]},
              indicators=["y1"], types={"y1": "yesno"}, direction={})
    assert lines(out)["H01", "y1.met"] == 1 and lines(out)["H01", "score"] == 100


# ---------------------------------------------------------------- project_funds

def test_disbursement_above_plan_is_an_error_and_below_plan_a_warning_up_to_the_period():
    above = cases.run(cases.load(CASES / "project-funds-above-plan.case.yaml")).computation.outcome
    assert flags(above) == {("P1", "disbursed.2024.over_plan"): "error",
                            ("P1", "disbursed.2024.county.over_plan"): "error"}
    below = cases.run(cases.load(CASES / "project-funds-below-plan.case.yaml")).computation.outcome
    assert flags(below) == {("Q1", "disbursed.2024.below_plan"): "warning",
                            ("Q1", "disbursed.2024.county.below_plan"): "warning",
                            ("Q1", "disbursed.2025.below_plan"): "warning",
                            ("Q1", "disbursed.2025.province.below_plan"): "warning",
                            ("Q1", "disbursed.2025.county.below_plan"): "warning"}


def test_no_execution_where_nothing_was_planned():
    got = lines(cases.run(cases.load(CASES / "project-funds-above-plan.case.yaml")).computation.outcome)
    assert ("P1", "planned.2024.other") in got and ("P1", "execution.2024.other") not in got
    assert ("P2", "planned.2025") in got and ("P2", "execution.2025") not in got
    assert ("county", "execution.other") not in got and got["county", "share.other"] == 0


# The seed's plan (万 yuan → yuan): task, province, county, and the yearly amounts 2024-2026, each
# year split province:county in the task's own ratio.
SEED_PLAN = [("T1", 300, 300, (200, 200, 200)), ("T2", 200, 300, (300, 100, 100)), ("T3", 100, 100, (100, 50, 50)),
             ("T4", 1000, 1000, (1000, 500, 500)), ("T5", 400, 400, (300, 300, 200))]


def seed_plan():
    return {"tasks": [{"code": code, "plan": {str(y): {"province": f"{a * 10000 * p // (p + c)}.00",
                                                       "county": f"{a * 10000 * c // (p + c)}.00"}
                                              for y, a in zip((2024, 2025, 2026), years)}}
                      for code, p, c, years in SEED_PLAN]}


def test_the_seeds_printed_shares_are_reported_never_used():
    out = run("project_funds", seed_plan(), period="2024")
    got = lines(out)
    assert got["county", "planned"] == Decimal("41000000.00")
    assert (got["county", "share.province"], got["county", "share.county"]) == (Decimal("0.4878"), Decimal("0.5122"))
    stated = {f.code: f for f in out.flags if f.code.startswith("share.")}
    assert set(stated) == {"share.province.stated", "share.county.stated"}
    assert stated["share.province.stated"].severity == "info" and "0.4778" in stated["share.province.stated"].message
    # Nothing disbursed by the end of 2024: a warning for each planned 2024 figure, none for 2025-2026.
    assert {c for (_, c), sev in flags(out).items() if sev == "warning"} == {
        "disbursed.2024.below_plan", "disbursed.2024.province.below_plan", "disbursed.2024.county.below_plan"}


def test_money_pools_declare_the_county_from_the_tasks():
    out = run("project_funds", seed_plan(), period="2024")
    pools = {p.name: p for p in out.pools}
    assert pools["county planned by task"].total == Decimal("41000000.00")
    assert pools["county planned by task"].parts == tuple((t, "planned") for t, *_ in SEED_PLAN)
    assert pools["county planned 2025 province"].parts == tuple((t, "planned.2025.province") for t, *_ in SEED_PLAN)


def test_project_funds_refuses_unknown_sources_and_repeated_tasks():
    plan = {"2024": {"province": "100.00"}}
    with pytest.raises(InputError, match=r"tasks\[0\]\.disbursed\.2024\.city: 'city' is not a source"):
        run("project_funds", {"tasks": [{"code": "T1", "plan": plan, "disbursed": {"2024": {"city": "1.00"}}}]})
    with pytest.raises(InputError, match=r"tasks\[1\]\.code: 'T1' appears twice"):
        run("project_funds", {"tasks": [{"code": "T1", "plan": plan}, {"code": "T1", "plan": plan}]})
    with pytest.raises(InputError, match=r"tasks\[0\]\.plan\.2024\.province"):
        run("project_funds", {"tasks": [{"code": "T1", "plan": {"2024": {"province": "-1.00"}}}]})
    with pytest.raises(InputError, match=r"tasks\[0\]\.plan\.24"):
        run("project_funds", {"tasks": [{"code": "T1", "plan": {"24": {"province": "1.00"}}}]})
    with pytest.raises(InputError, match=r"tasks\[0\]\.plan"):
        run("project_funds", {"tasks": [{"code": "T1", "plan": {}}]})
    # A source the county adds (the seed's 市县 column) is a parameter, not a code change.
    out = run("project_funds", {"tasks": [{"code": "T1", "plan": {"2024": {"city": "100.00"}}}]},
              sources=["province", "city", "county", "other"])
    assert lines(out)["county", "share.city"] == 1
