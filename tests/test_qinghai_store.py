"""Qinghai from the store, on SQLite and PostgreSQL: each case file of the plugin written as a
bundle (funds by source, half-year and quarter scores, member weights, transfers with their
dates, tasks), imported, settled, and giving the case's lines; bad transfer and task rows
refused whole, naming file, row, field and reason, and nothing written."""
from pathlib import Path

import pytest

from countypay import cases
from countypay.load import ImportFailed
from countypay.plugins.qinghai import POLICY

CASES = Path(POLICY.parameter_file).parent / "cases"
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
    case = cases.load(CASES / name)
    store.settles_to(case, bundle_of(case, store.bundle()))


def test_transfers_and_tasks_of_another_year_are_not_read(store):
    case = cases.load(CASES / "transfers-tasks-late-and-open.case.yaml")
    bundle = bundle_of(case, store.bundle())
    bundle.append("transfers.csv", f"{COUNTY},2025,county_to_hospital,2025-01-10,2025-03-25,500000.00,0.00,1.00\n")
    bundle.append("tasks.csv", f"{COUNTY},2025,county_prepay_letter,足额预拨,2025-02-28,\n")
    store.load(bundle)
    assert store.settled("qinghai", "transfers", "2024") == {
        (l.entity, l.code): l.value for l in cases.run(case).computation.outcome.lines}


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


HOP = f"{COUNTY},2024,county_to_hospital"
TASK = f"{COUNTY},2024,county_evaluation_h2,下半年综合绩效评价"


def bad(name, table, row, new, message):
    """`message`: "FILE row N[, field F]: REASON"; a problem must start with the part before the
    reason and hold the reason (pydantic's own wording may come before it)."""
    return pytest.param(table, row, new, message, id=name)


def names(problems, message: str) -> bool:
    where, reason = message.split(": ", 1)
    return any(p.startswith(where + ": ") and reason in p for p in problems)


BAD = [
    bad("transfers-sent-before-received", "transfers", 3, f"{HOP},2024-03-20,2024-03-19,1100000.00,0.00,1100000.00",
        "transfers.csv row 3, field sent_on: 2024-03-19 is before received_on 2024-03-20"),
    bad("transfers-slashes", "transfers", 3, f"{HOP},2024/03/20,2024-04-10,1100000.00,0.00,1100000.00",
        "transfers.csv row 3, field received_on: Input should be a valid date"),
    bad("transfers-30-february", "transfers", 3, f"{HOP},2024-03-20,2024-02-30,1100000.00,0.00,1100000.00",
        "transfers.csv row 3, field sent_on: Input should be a valid date"),
    bad("transfers-unix-seconds", "transfers", 3, f"{HOP},1710892800,2024-04-10,1100000.00,0.00,1100000.00",
        "transfers.csv row 3, field received_on: Input should be a valid date written YYYY-MM-DD"),
    bad("transfers-negative", "transfers", 3, f"{HOP},2024-03-20,2024-04-10,-1100000.00,0.00,1100000.00",
        "transfers.csv row 3, field amount_received: Input should be greater than or equal to 0"),
    bad("transfers-negative-matching", "transfers", 3, f"{HOP},2024-03-20,2024-04-10,1100000.00,-0.01,1100000.00",
        "transfers.csv row 3, field matching: Input should be greater than or equal to 0"),
    bad("transfers-3-decimals", "transfers", 3, f"{HOP},2024-03-20,2024-04-10,1100000.00,0.00,1100000.001",
        "transfers.csv row 3, field amount_sent: Decimal input should have no more than 2 decimal places"),
    bad("transfers-unknown-county", "transfers", 3,
        "datong,2024,county_to_hospital,2024-03-20,2024-04-10,1100000.00,0.00,1100000.00",
        "transfers.csv row 3, field county: unknown county 'datong'"),
    bad("transfers-hop-twice", "transfers", 3,
        f"{COUNTY},2024,prefecture_to_county,2024-03-20,2024-04-10,1100000.00,0.00,1100000.00",
        "transfers.csv row 3: repeats the row at transfers.csv row 2"),
    bad("tasks-day-32", "tasks", 3, f"{TASK},2024-12-32,", "tasks.csv row 3, field due: Input should be a valid date"),
    bad("tasks-day-first", "tasks", 3, f"{TASK},31/12/2024,",
        "tasks.csv row 3, field due: Input should be a valid date"),
    bad("tasks-unix-seconds", "tasks", 3, f"{TASK},1735603200,",
        "tasks.csv row 3, field due: Input should be a valid date written YYYY-MM-DD"),
    bad("tasks-done-on-not-a-date", "tasks", 3, f"{TASK},2024-12-31,not yet",
        "tasks.csv row 3, field done_on: Input should be a valid date"),
    bad("tasks-code-twice", "tasks", 3, f"{COUNTY},2024,county_prepay_letter,足额预拨打包经费,2024-02-29,",
        "tasks.csv row 3: repeats the row at tasks.csv row 2"),
]


@pytest.mark.parametrize("table,row,new,message", BAD)
def test_a_bad_row_refuses_the_whole_import(store, table, row, new, message):
    problems = store.refusal(good, table, row, new)  # over the same county, stored
    assert names(problems, message), problems


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
