"""Chengwu from the store, on SQLite and PostgreSQL: each case file written as a bundle (indicator
texts and targets, the project plan and disbursements), imported, settled, and giving the case's
lines; texts that do not read as their indicator's type and other bad rows refused whole, naming
file, row, field and reason; a stored assessment read over GraphQL."""
import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel
from starlette.testclient import TestClient

from countypay import cases
from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.load import ImportFailed, import_bundle
from countypay.plugins.chengwu import POLICY, catalogue
from countypay.settle import line_values, settle

CASES = Path(POLICY.parameter_file).parent / "cases"
STORED = {r["code"]: r["indicator"] for r in catalogue()}  # i01 → chengwu_01
TYPE = {r["code"]: r["type"] for r in catalogue()}


def write(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def county(folder: Path, institutions) -> None:
    write(folder, "provinces.csv", [{"code": "shandong", "name_zh": "山东省", "name_en": "Shandong"}])
    write(folder, "counties.csv", [{"code": "chengwu", "province": "shandong", "name_zh": "成武县",
                                    "name_en": "Chengwu", "population": 720000}])
    if institutions:
        write(folder, "institutions.csv", [{"county": "chengwu", "code": c, "kind": "township_health_centre",
                                            "tier": "township", "name_zh": f"{c}分院"} for c in institutions])


def overrides(folder: Path, component: str, period, given: dict) -> None:
    if given:
        write(folder, "parameter_overrides.csv", [
            {"county": "chengwu", "policy": "chengwu", "component": component, "name": k,
             "effective": period.start.isoformat(), "value": json.dumps(v, default=str), "reference": "case"}
            for k, v in given.items()])


def assessment_bundle(case, folder: Path) -> None:
    inputs, year = case.inputs, case.period.year
    entities = inputs["entities"]
    county(folder, [e["code"] for e in entities])
    params = dict(case.parameters.get("assessment") or {})
    if any(not e.get("values") for e in entities):  # an entity with no value is named to be assessed
        params["entities"] = [e["code"] for e in entities]
    overrides(folder, "assessment", case.period, params)
    write(folder, "indicator_values.csv", [
        {"county": "chengwu", "indicator": STORED[c], "entity": e["code"], "period": y, "value": None, "text": t}
        for e in entities for key, y in (("values", year), ("previous", year - 1))
        for c, t in (e.get(key) or {}).items()])
    if inputs.get("targets"):
        write(folder, "indicator_targets.csv", [{"indicator": STORED[c], "county": "chengwu", "year": year,
                                                 "value": None, "text": t} for c, t in inputs["targets"].items()])


def project_bundle(case, folder: Path) -> None:
    tasks = case.inputs["tasks"]
    county(folder, [])
    overrides(folder, "project_funds", case.period, case.parameters.get("project_funds") or {})
    write(folder, "project_tasks.csv", [{"county": "chengwu", "code": t["code"], "name_zh": t.get("name") or "",
                                         "name_en": ""} for t in tasks])
    for table, key in (("project_plan", "plan"), ("project_disbursements", "disbursed")):
        write(folder, f"{table}.csv", [
            {"county": "chengwu", "task": t["code"], "year": y, "source": s, "amount": a}
            for t in tasks for y, by in (t.get(key) or {}).items() for s, a in by.items()])


def bundle_of(case, folder: Path) -> Path:
    (assessment_bundle if case.component == "assessment" else project_bundle)(case, folder)
    return folder


def row_counts(engine) -> dict:
    with Session(engine) as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def settled(engine, component: str, period: str) -> dict:
    with Session(engine) as s:
        run = settle(s, "chengwu", "chengwu", component, period)
        s.commit()
        return line_values(s, run.id)


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("*.case.yaml")))
def test_a_stored_county_settles_to_the_case_file(engine, tmp_path, name):
    case = cases.load(CASES / name)
    import_bundle(engine, bundle_of(case, tmp_path / "bundle"))
    got = settled(engine, case.component, str(case.period))
    expected = {(l.entity, l.code): l.value for l in cases.run(case).computation.outcome.lines}
    assert got == expected
    assert all(got[e.entity, e.line] == e.value for e in case.expected)


def test_disbursements_after_the_period_are_not_read(engine, tmp_path):
    case = cases.load(CASES / "project-funds-above-plan.case.yaml")
    bundle = bundle_of(case, tmp_path / "bundle")
    with open(bundle / "project_disbursements.csv", "a", encoding="utf-8") as f:
        f.write("chengwu,P1,2025,province,100000.00\n")
    import_bundle(engine, bundle)
    assert settled(engine, "project_funds", "2024") == {
        (l.entity, l.code): l.value for l in cases.run(case).computation.outcome.lines}


def test_the_countys_own_target_comes_before_the_general_one(engine, tmp_path):
    folder = tmp_path / "targets"
    county(folder, ["A01", "A02"])
    overrides(folder, "assessment", cases.load(CASES / "assessment-percent.case.yaml").period,
              {"indicators": ["i01"]})
    write(folder, "indicator_values.csv", [
        {"county": "chengwu", "indicator": "chengwu_01", "entity": "A01", "period": 2024, "value": None, "text": "37%"},
        {"county": "chengwu", "indicator": "chengwu_01", "entity": "A02", "period": 2024, "value": None, "text": "39%"}])
    write(folder, "indicator_targets.csv", [
        {"indicator": "chengwu_01", "county": "", "year": 2024, "value": None, "text": "38%"},
        {"indicator": "chengwu_01", "county": "chengwu", "year": 2024, "value": None, "text": "36.5%"},
        {"indicator": "chengwu_01", "county": "chengwu", "year": 2025, "value": None, "text": "40%"}])
    import_bundle(engine, folder)
    got = settled(engine, "assessment", "2024")
    assert (got["A01", "i01.met"], got["A02", "i01.met"]) == (1, 1)  # 36.5 %, not 38 % nor 37.1 %


# ---------------------------------------------------------------- bad rows, refused whole

def good(folder: Path) -> Path:
    """Values of each type for one institution, a target, and a project."""
    county(folder, ["A01"])
    write(folder, "indicator_values.csv", [
        {"county": "chengwu", "indicator": STORED[c], "entity": "A01", "period": 2024, "value": None, "text": t}
        for c, t in (("i01", "37.1%"), ("i27", "93%、96%"), ("i05", "8:1"), ("i08", "是"), ("i31", "4.5‰"),
                     ("i12", "0.9"), ("i32", "63.5%"))])
    write(folder, "indicator_targets.csv", [{"indicator": "chengwu_32", "county": "chengwu", "year": 2024,
                                             "value": None, "text": "逐年提高"}])
    write(folder, "project_tasks.csv", [{"county": "chengwu", "code": "P1", "name_zh": "5G急救", "name_en": ""}])
    write(folder, "project_plan.csv", [{"county": "chengwu", "task": "P1", "year": 2024, "source": "province",
                                        "amount": "100.00"},
                                       {"county": "chengwu", "task": "P1", "year": 2024, "source": "county",
                                        "amount": "50.00"}])
    write(folder, "project_disbursements.csv", [{"county": "chengwu", "task": "P1", "year": 2024,
                                                 "source": "province", "amount": "100.00"}])
    return folder


def replace_row(folder: Path, table: str, row: int, new: str) -> None:
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[row - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


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
def test_a_bad_row_refuses_the_whole_import(engine, tmp_path, table, row, new, message):
    import_bundle(engine, good(tmp_path / "good"))  # a county already stored ...
    before = row_counts(engine)
    bundle = good(tmp_path / "again")  # ... and the same bundle again with one bad row
    replace_row(bundle, table, row, new)
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle)
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems
    assert row_counts(engine) == before


def test_texts_are_kept_as_written(engine, tmp_path):
    from countypay.models import IndicatorValue
    import_bundle(engine, good(tmp_path / "good"))
    with Session(engine) as s:
        texts = set(s.exec(select(IndicatorValue.text)).scalars())
    assert {"37.1%", "93%、96%", "8:1", "是", "4.5‰", "0.9", "63.5%"} == texts


# ---------------------------------------------------------------- over GraphQL

def test_a_stored_assessment_reads_with_value_target_met_and_points(engine, tmp_path):
    case = cases.load(CASES / "assessment-yesno.case.yaml")
    import_bundle(engine, bundle_of(case, tmp_path / "bundle"))
    with Session(engine) as s:
        token = create_token(s, "county", "chengwu", name="chengwu team")[1]
        s.commit()
    settled(engine, "assessment", "2024")
    client = TestClient(create_app(engine, Settings()))
    r = client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={"query": """{
        settlements(county: "chengwu", component: "assessment", period: "2024") { nodes {
            lines(entity: "E02") { nodes { code unit value trace } } } } }"""})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    lines = {l["code"]: l for l in r.json()["data"]["settlements"]["nodes"][0]["lines"]["nodes"]}
    met, points = lines["i07.met"], lines["i07.points"]
    assert (met["unit"], met["value"], points["unit"], points["value"]) == ("flag", "0", "score", "45.00")
    for line in (met, points):
        assert line["trace"]["inputs"] == {"value": "90%", "target": "100%"}
    assert met["trace"]["result"]["parts"][0]["met"] is False and points["trace"]["result"]["attainment"] == "9/10"
    assert (lines["i08.met"]["value"], lines["i08.points"]["value"]) == ("0", "0.00")
    assert lines["i08.met"]["trace"]["inputs"] == {"value": "否", "target": "是"}
    assert (lines["score"]["value"], lines["grade"]["trace"]["result"]["grade"]) == ("45.00", "待改进")
