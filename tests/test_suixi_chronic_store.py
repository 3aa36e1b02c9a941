"""Suixi's small package (`chronic_package`) from the store, on SQLite and PostgreSQL: each
`chronic-*` case file written as a bundle (centres with enrolments, spending and scores, village
clinics under their centre, the community's lead hospital, the big package, the case's
parameters as county overrides, a dated one as one override per date), imported, settled, and
giving the case's lines; an institution whose parent is no institution of its county refused
whole, naming file, row, field and reason."""
import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from countypay import cases
from countypay.load import ImportFailed, import_bundle
from countypay.plugins.suixi import POLICY
from countypay.settle import line_values, settle

CASES = Path(POLICY.parameter_file).parent / "cases"
COUNTY = "suixi"


def write(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def institution(code: str, kind: str, tier: str, community: str | None, parent: str | None = None,
                county: str = COUNTY) -> dict:
    return {"county": county, "code": code, "community": community, "kind": kind, "tier": tier,
            "name_zh": f"{code}院", "name_en": code, "parent": parent}


def place(folder: Path) -> None:
    write(folder, "provinces.csv", [{"code": "anhui", "name_zh": "安徽省", "name_en": "Anhui"}])
    write(folder, "counties.csv", [{"code": COUNTY, "province": "anhui", "name_zh": "濉溪县", "name_en": "Suixi",
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


def bundle_of(case, folder: Path) -> Path:
    inputs, year = case.inputs, str(case.period)
    centres = inputs["centres"]
    place(folder)
    leads = sorted({c["county_institution"] for c in centres})
    write(folder, "communities.csv", [{"county": COUNTY, "code": f"MC.{lead}", "name_zh": f"{lead}医共体",
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
    write(folder, "institutions.csv", institutions)
    write(folder, "indicator_values.csv", [{"county": COUNTY, "indicator": v["indicator"], "entity": v["entity"],
                                            "period": year, "value": v["value"]} for v in values])
    write(folder, "funds.csv", [{"county": COUNTY, "code": f["code"], "entity": f["entity"], "period": year,
                                 "amount": f["amount"]} for f in funds])
    if rows := overrides(case):
        write(folder, "parameter_overrides.csv", rows)
    return folder


def row_counts(engine) -> dict:
    with Session(engine) as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def settled(engine, period: str) -> dict:
    with Session(engine) as s:
        run = settle(s, COUNTY, "suixi", "chronic_package", period)
        s.commit()
        return line_values(s, run.id)


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("chronic-*.case.yaml")))
def test_a_stored_county_settles_to_the_case_file(engine, tmp_path, name):
    case = cases.load(CASES / name)
    import_bundle(engine, bundle_of(case, tmp_path / "bundle"))
    got = settled(engine, str(case.period))
    expected = {(l.entity, l.code): l.value for l in cases.run(case).computation.outcome.lines}
    assert got == expected
    assert all(got[e.entity, e.line] == e.value for e in case.expected)


def test_the_standard_in_force_is_the_stored_override_of_its_date(engine, tmp_path):
    """The dated case stored as two overrides: 2022 reads the 2021 standard, 2024 the 2024 one."""
    case = cases.load(CASES / "chronic-dated-standard-2022.case.yaml")
    bundle = bundle_of(case, tmp_path / "bundle")
    with open(bundle / "indicator_values.csv", "a", encoding="utf-8") as f:
        f.write(f"{COUNTY},chronic_enrolled,C01,2024,250\n{COUNTY},chronic_assessment_score,C01,2024,90\n")
    import_bundle(engine, bundle)
    assert settled(engine, "2022")["C01", "budget"] == case.expected[0].value == 250 * 1000
    assert settled(engine, "2024")["C01", "budget"] == 250 * 3700


# ---------------------------------------------------------------- bad rows, refused whole

def good(folder: Path) -> Path:
    """A centre with two village clinics, and a second county with a centre of its own."""
    case = cases.load(CASES / "chronic-village-tie.case.yaml")
    bundle_of(case, folder)
    with open(folder / "counties.csv", "a", encoding="utf-8") as f:
        f.write("huaibei,anhui,淮北市辖区,Huaibei,100\n")
    with open(folder / "institutions.csv", "a", encoding="utf-8") as f:
        f.write("huaibei,H01,,township_health_centre,township,H01院,H01,\n")
    return folder


def replace_row(folder: Path, table: str, row: int, new: str) -> None:
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[row - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("parent", ["C99", "H01", "c01"])
def test_a_parent_that_is_no_institution_of_the_county_refuses_the_whole_import(engine, tmp_path, parent):
    """Unknown anywhere, an institution of another county, and a code that differs in case only."""
    import_bundle(engine, good(tmp_path / "good"))
    before = row_counts(engine)
    bundle = good(tmp_path / "again")
    lines = (bundle / "institutions.csv").read_text(encoding="utf-8").splitlines()
    row = next(n for n, line in enumerate(lines, start=1) if line.startswith(f"{COUNTY},V06,"))
    replace_row(bundle, "institutions", row, f"{COUNTY},V06,,village_clinic,village,V06院,V06,{parent}")
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle)
    assert f"institutions.csv row {row}, field parent: unknown institution {parent!r} in county" \
           in err.value.problems, err.value.problems
    assert row_counts(engine) == before
