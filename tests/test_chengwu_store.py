"""Chengwu from the store, on SQLite and PostgreSQL: each case file written as a bundle (indicator
texts and targets, the project plan and disbursements), imported, settled, and giving the case's
lines; texts that do not read as their indicator's type and other bad rows refused whole, naming
file, row, field and reason; a stored assessment read over GraphQL."""
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session
from starlette.testclient import TestClient

from countypay import cases
from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.plugins.chengwu import POLICY, catalogue

CASES = Path(POLICY.parameter_file).parent / "cases"
STORED = {r["code"]: r["indicator"] for r in catalogue()}  # i01 → chengwu_01
TYPE = {r["code"]: r["type"] for r in catalogue()}


def county(folder, institutions) -> None:
    folder.write("provinces.csv", [{"code": "shandong", "name_zh": "山东省", "name_en": "Shandong"}])
    folder.write("counties.csv", [{"code": "chengwu", "province": "shandong", "name_zh": "成武县",
                                   "name_en": "Chengwu", "population": 720000}])
    if institutions:
        folder.write("institutions.csv", [{"county": "chengwu", "code": c, "kind": "township_health_centre",
                                           "tier": "township", "name_zh": f"{c}分院"} for c in institutions])


def assessment_bundle(case, folder) -> None:
    inputs, year = case.inputs, case.period.year
    entities = inputs["entities"]
    county(folder, [e["code"] for e in entities])
    params = dict(case.parameters.get("assessment") or {})
    if any(not e.get("values") for e in entities):  # an entity with no value is named to be assessed
        params["entities"] = [e["code"] for e in entities]
    folder.overrides("chengwu", case, params)
    folder.write("indicator_values.csv", [
        {"county": "chengwu", "indicator": STORED[c], "entity": e["code"], "period": y, "value": None, "text": t}
        for e in entities for key, y in (("values", year), ("previous", year - 1))
        for c, t in (e.get(key) or {}).items()])
    if inputs.get("targets"):
        folder.write("indicator_targets.csv", [{"indicator": STORED[c], "county": "chengwu", "year": year,
                                                "value": None, "text": t} for c, t in inputs["targets"].items()])


def project_bundle(case, folder) -> None:
    tasks = case.inputs["tasks"]
    county(folder, [])
    folder.overrides("chengwu", case)
    folder.write("project_tasks.csv", [{"county": "chengwu", "code": t["code"], "name_zh": t.get("name") or "",
                                        "name_en": ""} for t in tasks])
    for table, key in (("project_plan", "plan"), ("project_disbursements", "disbursed")):
        folder.write(f"{table}.csv", [
            {"county": "chengwu", "task": t["code"], "year": y, "source": s, "amount": a}
            for t in tasks for y, by in (t.get(key) or {}).items() for s, a in by.items()])


def bundle_of(case, folder):
    """The case's facts written into `folder` (a `BundleFolder`, tests/conftest.py)."""
    (assessment_bundle if case.component == "assessment" else project_bundle)(case, folder)
    return folder


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("*.case.yaml")))
def test_a_stored_county_settles_to_the_case_file(store, name):
    case = cases.load(CASES / name)
    store.settles_to(case, bundle_of(case, store.bundle()))


def test_disbursements_after_the_period_are_not_read(store):
    case = cases.load(CASES / "project-funds-above-plan.case.yaml")
    bundle = bundle_of(case, store.bundle())
    bundle.append("project_disbursements.csv", "chengwu,P1,2025,province,100000.00\n")
    store.load(bundle)
    assert store.settled("chengwu", "project_funds", "2024") == {
        (l.entity, l.code): l.value for l in cases.run(case).computation.outcome.lines}


def test_the_countys_own_target_comes_before_the_general_one(store):
    folder = store.bundle("targets")
    county(folder, ["A01", "A02"])
    folder.overrides("chengwu", cases.load(CASES / "assessment-percent.case.yaml"), {"indicators": ["i01"]})
    folder.write("indicator_values.csv", [
        {"county": "chengwu", "indicator": "chengwu_01", "entity": "A01", "period": 2024, "value": None, "text": "37%"},
        {"county": "chengwu", "indicator": "chengwu_01", "entity": "A02", "period": 2024, "value": None, "text": "39%"}])
    folder.write("indicator_targets.csv", [
        {"indicator": "chengwu_01", "county": "", "year": 2024, "value": None, "text": "38%"},
        {"indicator": "chengwu_01", "county": "chengwu", "year": 2024, "value": None, "text": "36.5%"},
        {"indicator": "chengwu_01", "county": "chengwu", "year": 2025, "value": None, "text": "40%"}])
    store.load(folder)
    got = store.settled("chengwu", "assessment", "2024")
    assert (got["A01", "i01.met"], got["A02", "i01.met"]) == (1, 1)  # 36.5 %, not 38 % nor 37.1 %


# ---------------------------------------------------------------- bad rows, refused whole

def good(folder):
    """Values of each type for one institution, a target, and a project."""
    county(folder, ["A01"])
    folder.write("indicator_values.csv", [
        {"county": "chengwu", "indicator": STORED[c], "entity": "A01", "period": 2024, "value": None, "text": t}
        for c, t in (("i01", "37.1%"), ("i27", "93%、96%"), ("i05", "8:1"), ("i08", "是"), ("i31", "4.5‰"),
                    ("i12", "0.9"), ("i32", "63.5%"))])
    folder.write("indicator_targets.csv", [{"indicator": "chengwu_32", "county": "chengwu", "year": 2024,
                                            "value": None, "text": "逐年提高"}])
    folder.write("project_tasks.csv", [{"county": "chengwu", "code": "P1", "name_zh": "5G急救", "name_en": ""}])
    folder.write("project_plan.csv", [{"county": "chengwu", "task": "P1", "year": 2024, "source": "province",
                                       "amount": "100.00"},
                                      {"county": "chengwu", "task": "P1", "year": 2024, "source": "county",
                                       "amount": "50.00"}])
    folder.write("project_disbursements.csv", [{"county": "chengwu", "task": "P1", "year": 2024,
                                                "source": "province", "amount": "100.00"}])
    return folder


BAD = [
    ("indicator_values", 2, "chengwu,chengwu_01,A01,2024,,37.1",
     "indicator_values.csv row 2, field text: '37.1' is not a percent value of chengwu_01 (expected a number ending in %)"),
    ("indicator_values", 2, "chengwu,chengwu_01,A01,2024,0.371,",
     "indicator_values.csv row 2, field text: chengwu_01 is read as percent: its value is the text as written"),
    ("indicator_values", 3, "chengwu,chengwu_27,A01,2024,,93%",
     "indicator_values.csv row 3, field text: '93%' is not a pair value of chengwu_27"),
    ("indicator_values", 4, "chengwu,chengwu_05,A01,2024,,8:2",
     "indicator_values.csv row 4, field text: '8:2' is not a ratio value of chengwu_05 (expected a ratio to 1"),
    ("indicator_values", 5, "chengwu,chengwu_08,A01,2024,,Y",
     "indicator_values.csv row 5, field text: 'Y' is not a yesno value of chengwu_08 (expected 是 or 否)"),
    ("indicator_values", 6, "chengwu,chengwu_31,A01,2024,,4.5%",
     "indicator_values.csv row 6, field text: '4.5%' is not a permille value of chengwu_31"),
    ("indicator_values", 8, "chengwu,chengwu_32,A01,2024,,逐年提高",
     "indicator_values.csv row 8, field text: '逐年提高' is not a trend value of chengwu_32 (expected a number"),
    ("indicator_values", 7, "chengwu,chengwu_12,Z9,2024,,0.9",
     "indicator_values.csv row 7, field entity: unknown institution 'Z9' in county chengwu"),
    ("indicator_targets", 2, "chengwu_32,chengwu,2024,,提高",
     "indicator_targets.csv row 2, field text: '提高' is not a trend target of chengwu_32 (expected a trend"),
    ("project_tasks", 2, "nowhere,P1,5G急救,", "project_tasks.csv row 2, field county: unknown county 'nowhere'"),
    ("project_plan", 2, "chengwu,P9,2024,province,100.00", "project_plan.csv row 2, field task: unknown task 'P9' in county"),
    ("project_plan", 2, "chengwu,P1,2024,province,-100.00",
     "project_plan.csv row 2, field amount: Input should be greater than or equal to 0"),
    ("project_plan", 2, "chengwu,P1,2024,province,100.001",
     "project_plan.csv row 2, field amount: Decimal input should have no more than 2 decimal places"),
    ("project_plan", 2, "chengwu,P1,1800,province,100.00",
     "project_plan.csv row 2, field year: Input should be greater than or equal to 1900"),
    ("project_plan", 2, "chengwu,P1,2024,province.fund,100.00", "project_plan.csv row 2, field source: String should match"),
    ("project_plan", 3, "chengwu,P1,2024,province,50.00", "project_plan.csv row 3: repeats the row at project_plan.csv row 2"),
    ("project_disbursements", 2, "chengwu,P2,2024,province,100.00",
     "project_disbursements.csv row 2, field task: unknown task 'P2' in county"),
]


@pytest.mark.parametrize("table,row,new,message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_a_bad_row_refuses_the_whole_import(store, table, row, new, message):
    problems = store.refusal(good, table, row, new)  # over the same county, stored
    assert any(p.startswith(message) for p in problems), problems


def test_texts_are_kept_as_written(engine, store):
    from countypay.models import IndicatorValue
    store.load(good(store.bundle()))
    with Session(engine) as s:
        texts = set(s.exec(select(IndicatorValue.text)).scalars())
    assert {"37.1%", "93%、96%", "8:1", "是", "4.5‰", "0.9", "63.5%"} == texts


# ---------------------------------------------------------------- over GraphQL

def test_a_stored_assessment_reads_with_value_target_met_and_points(engine, store):
    case = cases.load(CASES / "assessment-yesno.case.yaml")
    store.load(bundle_of(case, store.bundle()))
    with Session(engine) as s:
        token = create_token(s, "county", "chengwu", name="chengwu team")[1]
        s.commit()
    store.settled("chengwu", "assessment", "2024")
    client = TestClient(create_app(engine, Settings()))
    r = client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={"query": """{
        settlements(county: "chengwu", component: "assessment", period: "2024") { nodes {
            lines(entity: "E02") { nodes { code unit value trace } } } } }"""})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    lines = {l["code"]: l for l in r.json()["data"]["settlements"]["nodes"][0]["lines"]["nodes"]}
    met, points = lines["i07.met"], lines["i07.points"]
    assert (met["unit"], met["value"], points["unit"], points["value"]) == ("FLAG", "0", "SCORE", "45.00")
    for line in (met, points):
        assert line["trace"]["inputs"] == {"value": "90%", "target": "100%"}
    assert met["trace"]["result"]["parts"][0]["met"] is False and points["trace"]["result"]["attainment"] == "9/10"
    assert (lines["i08.met"]["value"], lines["i08.points"]["value"]) == ("0", "0.00")
    assert lines["i08.met"]["trace"]["inputs"] == {"value": "否", "target": "是"}
    assert (lines["score"]["value"], lines["grade"]["trace"]["result"]["grade"]) == ("45.00", "待改进")
