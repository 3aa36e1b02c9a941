"""Chengwu from the store, on SQLite and PostgreSQL: each case file written as a bundle (indicator
texts and targets, the project plan and disbursements), imported, settled, and giving the case's
lines; texts that do not read as their indicator's type and other bad rows refused whole, naming
file, row, field and reason; a stored assessment read over GraphQL."""
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlmodel import Session

from countypay import cases
from countypay.plugins.chengwu import POLICY, catalogue

CASES = Path(POLICY.parameter_file).parent / "cases"
DATA = Path(__file__).parent / "data"
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
    store.settles_to_file(CASES / name, bundle_of)


def test_disbursements_after_the_period_are_not_read(store):
    store.settles_to_file(CASES / "project-funds-above-plan.case.yaml", bundle_of,
                          unread={"project_disbursements.csv": "chengwu,P1,2025,province,100000.00\n"})


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


BAD = yaml.safe_load((DATA / "test_chengwu_store.yaml").read_text(encoding="utf-8"))["bad rows"]


@pytest.mark.parametrize("bad", BAD, ids=[f"{b['table']}-{i}" for i, b in enumerate(BAD)])
def test_a_bad_row_refuses_the_whole_import(store, bad):
    store.refuses(good, bad)  # over the same county, stored


def test_texts_are_kept_as_written(engine, store):
    from countypay.models import IndicatorValue
    store.load(good(store.bundle()))
    with Session(engine) as s:
        texts = set(s.exec(select(IndicatorValue.text)).scalars())
    assert {"37.1%", "93%、96%", "8:1", "是", "4.5‰", "0.9", "63.5%"} == texts


# ---------------------------------------------------------------- over GraphQL

def test_a_stored_assessment_reads_with_value_target_met_and_points(store, graphql_api):
    case = cases.load(CASES / "assessment-yesno.case.yaml")
    store.load(bundle_of(case, store.bundle()))
    api = graphql_api(chengwu=dict(role="county", county_code="chengwu", name="chengwu team"))
    store.settled("chengwu", "assessment", "2024")
    r = api("""{ settlements(county: "chengwu", component: "assessment", period: "2024") { nodes {
        lines(entity: "E02") { nodes { code unit value trace } } } } }""", as_="chengwu")
    assert "errors" not in r, r["errors"]
    lines = {l["code"]: l for l in r["data"]["settlements"]["nodes"][0]["lines"]["nodes"]}
    met, points = lines["i07.met"], lines["i07.points"]
    assert (met["unit"], met["value"], points["unit"], points["value"]) == ("FLAG", "0", "SCORE", "45.00")
    for line in (met, points):
        assert line["trace"]["inputs"] == {"value": "90%", "target": "100%"}
    assert met["trace"]["result"]["parts"][0]["met"] is False and points["trace"]["result"]["attainment"] == "9/10"
    assert (lines["i08.met"]["value"], lines["i08.points"]["value"]) == ("0", "0.00")
    assert lines["i08.met"]["trace"]["inputs"] == {"value": "否", "target": "是"}
    assert (lines["score"]["value"], lines["grade"]["trace"]["result"]["grade"]) == ("45.00", "待改进")
