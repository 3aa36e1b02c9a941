"""Qinghai from the store, on SQLite and PostgreSQL: each case file of the plugin written as a
bundle (funds by source, half-year and quarter scores, member weights, transfers with their
dates, tasks), imported, settled, and giving the case's lines; bad transfer and task rows
refused whole, naming file, row, field and reason, and nothing written."""
from pathlib import Path

import pytest
import yaml

from countypay.load import ImportFailed
from countypay.plugins.qinghai import POLICY

CASES = Path(POLICY.parameter_file).parent / "cases"
DATA = Path(__file__).parent / "data"
COUNTY = "huangyuan"


def county(folder, members: list[str]) -> None:
    """Huangyuan, its one medical community led by the county hospital, and the members."""
    folder.write("provinces.csv", [{"code": "qinghai", "name_zh": "青海省", "name_en": "Qinghai"}])
    folder.write("counties.csv", [{"code": COUNTY, "province": "qinghai", "name_zh": "湟源县",
                                   "name_en": "Huangyuan", "population": 140000}])
    folder.write("communities.csv", [{"county": COUNTY, "code": "HY", "name_zh": "湟源县医共体",
                                      "name_en": "Huangyuan community", "lead": "HYH"}])
    folder.write("institutions.csv", [
        {"county": COUNTY, "code": "HYH", "community": "HY", "kind": "county_hospital", "tier": "county",
         "name_zh": "湟源县人民医院", "parent": None}] + [
        {"county": COUNTY, "code": m, "community": "HY", "kind": "township_health_centre", "tier": "township",
         "name_zh": f"{m}卫生院", "parent": None} for m in members])


def package_bundle(case, folder) -> None:
    inputs, year = case.inputs, str(case.period)
    county(folder, [m["code"] for m in inputs["members"]])
    folder.write("funds.csv", [{"county": COUNTY, "code": f"bphs_package.{source}", "entity": "county",
                                "period": year, "amount": amount} for source, amount in inputs["funds"].items()])
    values = [{"county": COUNTY, "indicator": "community_evaluation", "entity": "county", "period": f"{year}{h}",
               "value": score} for h, score in inputs["half_scores"].items()]
    for m in inputs["members"]:
        values.append({"county": COUNTY, "indicator": "member_weight", "entity": m["code"], "period": year,
                       "value": m["weight"]})
        values += [{"county": COUNTY, "indicator": "member_quarter_score", "entity": m["code"],
                    "period": f"{year}Q{k}", "value": s} for k, s in enumerate(m["quarter_scores"], start=1)]
    folder.write("indicator_values.csv", values)


def transfers_bundle(case, folder) -> None:
    inputs, year = case.inputs, str(case.period)
    county(folder, [])
    # A case leaves `matching` out where there is none (R8: 0); the bundle writes 0.00.
    folder.write("transfers.csv", [
        {"county": COUNTY, "period": year, "hop": t["hop"], "received_on": t["received_on"], "sent_on": t["sent_on"],
         "amount_received": t["amount_received"], "matching": t.get("matching", "0.00"),
         "amount_sent": t["amount_sent"]} for t in inputs["transfers"]])
    if inputs.get("tasks"):
        folder.write("tasks.csv", [{"county": COUNTY, "period": year, "code": t["code"], "body": t["body"],
                                    "due": t["due"], "done_on": t.get("done_on")} for t in inputs["tasks"]])


def bundle_of(case, folder):
    """The case's facts written into `folder` (a `BundleFolder`, tests/conftest.py)."""
    (package_bundle if case.component == "package" else transfers_bundle)(case, folder)
    folder.overrides(COUNTY, case)
    return folder


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("*.case.yaml")))
def test_a_stored_county_settles_to_the_case_file(store, name):
    store.settles_to_file(CASES / name, bundle_of)


def test_transfers_and_tasks_of_another_year_are_not_read(store):
    store.settles_to_file(CASES / "transfers-tasks-late-and-open.case.yaml", bundle_of, unread={
        "transfers.csv": f"{COUNTY},2025,county_to_hospital,2025-01-10,2025-03-25,500000.00,0.00,1.00\n",
        "tasks.csv": f"{COUNTY},2025,county_prepay_letter,足额预拨,2025-02-28,\n"})


# ---------------------------------------------------------------- bad rows, refused whole

def good(folder):
    """Two hops and two tasks of 2024, one task open."""
    county(folder, [])
    folder.write("transfers.csv", [
        {"county": COUNTY, "period": 2024, "hop": "prefecture_to_county", "received_on": "2024-03-01",
         "sent_on": "2024-03-20", "amount_received": "1000000.00", "matching": "100000.00",
         "amount_sent": "1100000.00"},
        {"county": COUNTY, "period": 2024, "hop": "county_to_hospital", "received_on": "2024-03-20",
         "sent_on": "2024-04-10", "amount_received": "1100000.00", "matching": "0.00", "amount_sent": "1100000.00"}])
    folder.write("tasks.csv", [
        {"county": COUNTY, "period": 2024, "code": "county_prepay_letter", "body": "足额预拨打包经费",
         "due": "2024-02-29", "done_on": "2024-03-12"},
        {"county": COUNTY, "period": 2024, "code": "county_evaluation_h2", "body": "下半年综合绩效评价",
         "due": "2024-12-31", "done_on": None}])
    return folder


BAD = yaml.safe_load((DATA / "test_qinghai_store.yaml").read_text(encoding="utf-8"))["bad rows"]


def names(problems, message: str) -> bool:
    """Whether a problem names `message`'s file, row and field and holds its reason."""
    where, reason = message.split(": ", 1)
    return any(p.startswith(where + ": ") and reason in p for p in problems)


@pytest.mark.parametrize("bad", BAD, ids=[b["name"] for b in BAD])
def test_a_bad_row_refuses_the_whole_import(store, bad):
    problems = store.refusal(good, bad["table"], bad["row"], bad["new"])  # over the same county, stored
    assert names(problems, bad["message"]), problems


def test_a_bad_row_in_a_first_import_leaves_the_store_empty(store):
    before = store.row_counts()
    bundle = good(store.bundle())
    bundle.replace_row("transfers", 2, f"{COUNTY},2024,prefecture_to_county,2024-03-01,2024-02-29,"
                                       "1000000.00,100000.00,1100000.00")
    with pytest.raises(ImportFailed) as err:
        store.load(bundle)
    assert len(err.value.problems) == 1
    assert names(err.value.problems, "transfers.csv row 2, field sent_on: 2024-02-29 is before received_on 2024-03-01")
    assert store.row_counts() == before
