"""Suixi's small package (`chronic_package`) from the store, on SQLite and PostgreSQL: each
`chronic-*` case file written as a bundle (centres with enrolments, spending and scores, village
clinics under their centre, the community's lead hospital, the big package, the case's
parameters as county overrides, a dated one as one override per date), imported, settled, and
giving the case's lines; an institution whose parent is no institution of its county refused
whole, naming file, row, field and reason."""
import json
from datetime import date
from pathlib import Path

import pytest

from countypay import cases
from countypay.plugins.suixi import POLICY

CASES = Path(POLICY.parameter_file).parent / "cases"
COUNTY = "suixi"


def institution(code: str, kind: str, tier: str, community: str | None, parent: str | None = None,
                county: str = COUNTY) -> dict:
    return {"county": county, "code": code, "community": community, "kind": kind, "tier": tier,
            "name_zh": f"{code}院", "name_en": code, "parent": parent}


def place(folder) -> None:
    folder.write("provinces.csv", [{"code": "anhui", "name_zh": "安徽省", "name_en": "Anhui"}])
    folder.write("counties.csv", [{"code": COUNTY, "province": "anhui", "name_zh": "濉溪县", "name_en": "Suixi",
                                   "population": 1100000}])


def overrides(case) -> list[dict]:
    """The case's parameters as county overrides: a plain value from the period's start, a dated
    one (`{date: value}`) as one override from each of its dates."""
    rows = []
    for name, given in (case.parameters.get("chronic_package") or {}).items():
        dated = given.items() if isinstance(given, dict) else [(case.period.start, given)]
        for since, value in dated:
            rows.append({"county": COUNTY, "policy": "suixi", "component": "chronic_package", "name": name,
                         "effective": date.fromisoformat(str(since)).isoformat(),
                         "value": json.dumps(value, default=str), "reference": "case"})
    return rows


def bundle_of(case, folder):
    """The case's facts written into `folder` (a `BundleFolder`, tests/conftest.py)."""
    inputs, year = case.inputs, str(case.period)
    centres = inputs["centres"]
    place(folder)
    leads = sorted({c["county_institution"] for c in centres})
    folder.write("communities.csv", [{"county": COUNTY, "code": f"MC.{lead}", "name_zh": f"{lead}医共体",
                                      "name_en": f"{lead} community", "lead": lead} for lead in leads])
    institutions = [institution(lead, "county_hospital", "county", f"MC.{lead}") for lead in leads]
    values, funds = [], []
    for c in centres:
        code = c["code"]
        institutions.append(institution(code, "township_health_centre", "township", f"MC.{c['county_institution']}"))
        values.append({"indicator": "chronic_enrolled", "entity": code, "value": c["enrolled"]})
        values.append({"indicator": "chronic_assessment_score", "entity": code, "value": c["assessment_score"]})
        funds.append({"code": "chronic_actual", "entity": code, "amount": c["actual"]})
        for v in c.get("villages") or []:
            institutions.append(institution(v["code"], "village_clinic", "village", None, parent=code))
            if "weight" in v:
                values.append({"indicator": "chronic_village_weight", "entity": v["code"], "value": v["weight"]})
    if inputs.get("big_package") is not None:
        funds.append({"code": "insurance_big_package", "entity": "county", "amount": inputs["big_package"]})
    folder.write("institutions.csv", institutions)
    folder.write("indicator_values.csv", [{"county": COUNTY, "indicator": v["indicator"], "entity": v["entity"],
                                           "period": year, "value": v["value"]} for v in values])
    folder.write("funds.csv", [{"county": COUNTY, "code": f["code"], "entity": f["entity"], "period": year,
                                "amount": f["amount"]} for f in funds])
    if rows := overrides(case):
        folder.write("parameter_overrides.csv", rows)
    return folder


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("chronic-*.case.yaml")))
def test_a_stored_county_settles_to_the_case_file(store, name):
    store.settles_to_file(CASES / name, bundle_of)


def test_the_standard_in_force_is_the_stored_override_of_its_date(store):
    """The dated case stored as two overrides: 2022 reads the 2021 standard, 2024 the 2024 one."""
    case = cases.load(CASES / "chronic-dated-standard-2022.case.yaml")
    bundle = bundle_of(case, store.bundle())
    bundle.append("indicator_values.csv",
                  f"{COUNTY},chronic_enrolled,C01,2024,250\n{COUNTY},chronic_assessment_score,C01,2024,90\n")
    store.load(bundle)
    assert store.settled("suixi", "chronic_package", "2022")["C01", "budget"] == case.expected[0].value == 250 * 1000
    assert store.settled("suixi", "chronic_package", "2024")["C01", "budget"] == 250 * 3700


# ---------------------------------------------------------------- bad rows, refused whole

def good(folder):
    """A centre with two village clinics, and a second county with a centre of its own."""
    case = cases.load(CASES / "chronic-village-tie.case.yaml")
    bundle_of(case, folder)
    folder.append("counties.csv", "huaibei,anhui,淮北市辖区,Huaibei,100\n")
    folder.append("institutions.csv", "huaibei,H01,,township_health_centre,township,H01院,H01,\n")
    return folder


@pytest.mark.parametrize("parent", ["C99", "H01", "c01"])
def test_a_parent_that_is_no_institution_of_the_county_refuses_the_whole_import(store, parent):
    """Unknown anywhere, an institution of another county, and a code that differs in case only."""
    lines = (good(store.bundle("written")).path / "institutions.csv").read_text(encoding="utf-8").splitlines()
    row = next(n for n, line in enumerate(lines, start=1) if line.startswith(f"{COUNTY},V06,"))
    problems = store.refusal(good, "institutions", row, f"{COUNTY},V06,,village_clinic,village,V06院,V06,{parent}")
    assert f"institutions.csv row {row}, field parent: unknown institution {parent!r} in county" in problems, problems
