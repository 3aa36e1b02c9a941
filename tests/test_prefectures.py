"""Prefectures and approval levels in a bundle, blank cells that take their column's default, and
dates written only as YYYY-MM-DD, on SQLite and PostgreSQL: good rows stored, each bad row
refused with its file, row, field and reason, and nothing written."""
import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from countypay import approval
from countypay.load import ImportFailed, import_bundle
from countypay.models import AuditEvent, County, Institution, Prefecture, Province, Task, Transfer

DATA = Path(__file__).parent / "data"
PROVINCES = [{"code": "anhui", "name_zh": "安徽省", "name_en": "Anhui", "approval_levels": ""},
             {"code": "qinghai", "name_zh": "青海省", "name_en": "", "approval_levels": "county, province"}]
PREFECTURES = [{"code": "huaibei", "province": "anhui", "name_zh": "淮北市", "name_en": "Huaibei"},
               {"code": "xining", "province": "qinghai", "name_zh": "西宁市", "name_en": ""}]
COUNTIES = [{"code": "suixi", "province": "anhui", "prefecture": "huaibei", "name_zh": "濉溪县", "name_en": "Suixi",
             "population": 918000},
            {"code": "huangyuan", "province": "qinghai", "prefecture": "xining", "name_zh": "湟源县",
             "name_en": "Huangyuan", "population": ""}]


def write(folder: Path, table: str, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    return folder


def places(folder: Path, counties=COUNTIES, prefectures=PREFECTURES, provinces=PROVINCES) -> Path:
    write(folder, "provinces", provinces)
    write(folder, "prefectures", prefectures)
    return write(folder, "counties", counties)


def row_counts(engine) -> dict:
    with Session(engine) as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def stored(engine) -> dict:
    """Each county's prefecture and its province's levels, as stored."""
    with Session(engine) as s:
        rows = s.execute(select(County.code, Prefecture.code, Province.approval_levels)
                         .join(Province, Province.id == County.province_id)
                         .outerjoin(Prefecture, Prefecture.id == County.prefecture_id)).all()
    return {county: (prefecture, levels) for county, prefecture, levels in rows}


def chains(engine) -> dict:
    with Session(engine) as s:
        ids = dict(s.execute(select(County.code, County.id)).all())
        levels = approval.levels_of(s, ids.values())
    return {code: levels[i] for code, i in ids.items()}


def test_prefectures_sit_between_provinces_and_counties(engine, tmp_path):
    counts = import_bundle(engine, places(tmp_path / "b"), actor="loader")
    assert (counts["provinces"], counts["prefectures"], counts["counties"]) == (2, 2, 2)
    assert stored(engine) == {"suixi": ("huaibei", "county,prefecture,province"),
                              "huangyuan": ("xining", "county,province")}
    assert chains(engine) == {"suixi": ("county", "prefecture", "province"), "huangyuan": ("county", "province")}
    with Session(engine) as s:
        xining = s.exec(select(Prefecture).where(Prefecture.code == "xining")).scalars().one()
        assert (xining.name_zh, xining.name_en) == ("西宁市", "")  # a blank name_en is no name
        assert s.exec(select(Province.name_en).where(Province.code == "qinghai")).scalars().one() == ""
        events = s.exec(select(AuditEvent.county_id, AuditEvent.detail).where(AuditEvent.action == "import")).all()
        ids = dict(s.execute(select(County.id, County.code)).all())
    # the places of no one county in an event of no county; each county's own row in its own
    assert sorted(((ids.get(c), d["tables"]) for c, d in events), key=str) == [
        ("huangyuan", {"counties": 1}), ("suixi", {"counties": 1}), (None, {"prefectures": 2, "provinces": 2})]


def test_a_counties_file_without_the_column_keeps_each_prefecture_and_a_blank_cell_clears_it(engine, tmp_path):
    import_bundle(engine, places(tmp_path / "first"))
    without = [{k: v for k, v in c.items() if k != "prefecture"} for c in COUNTIES]
    import_bundle(engine, write(tmp_path / "again", "counties", without))
    assert {c: p for c, (p, _) in stored(engine).items()} == {"suixi": "huaibei", "huangyuan": "xining"}
    import_bundle(engine, write(tmp_path / "direct", "counties", [{**COUNTIES[0], "prefecture": ""}]))
    assert stored(engine)["suixi"][0] is None  # governed by its province directly (省直管县) ...
    assert chains(engine)["suixi"] == ("county", "province")  # ... so its runs skip the prefecture


def test_approval_levels_blank_or_absent_keep_the_chain_and_a_change_is_audited(engine, tmp_path):
    import_bundle(engine, places(tmp_path / "first"))
    import_bundle(engine, write(tmp_path / "absent", "provinces", [{"code": "qinghai", "name_zh": "青海省"}]))
    assert stored(engine)["huangyuan"][1] == "county,province"
    import_bundle(engine, write(tmp_path / "blank", "provinces", [{**PROVINCES[1], "approval_levels": " "}]))
    assert stored(engine)["huangyuan"][1] == "county,province"
    import_bundle(engine, write(tmp_path / "whole", "provinces", [{**PROVINCES[1], "approval_levels":
                                                                    "county,prefecture,province"}]), actor="loader")
    assert chains(engine)["huangyuan"] == ("county", "prefecture", "province")
    with Session(engine) as s:
        changes = s.exec(select(AuditEvent.actor, AuditEvent.subject, AuditEvent.detail)
                         .where(AuditEvent.action == "approval_levels")).all()
    assert [tuple(c) for c in changes] == [("loader", "province qinghai", {
        "province": "qinghai", "levels": "county,prefecture,province", "before": "county,province"})]


BAD = yaml.safe_load((DATA / "test_prefectures.yaml").read_text(encoding="utf-8"))["bad rows"]


@pytest.mark.parametrize("bad", BAD, ids=[b["name"] for b in BAD])
def test_a_bad_place_row_refuses_the_whole_import(engine, tmp_path, bad):
    rows = {"provinces": list(PROVINCES), "prefectures": list(PREFECTURES), "counties": list(COUNTIES)}
    rows[bad["table"]][bad["index"]] = {**rows[bad["table"]][bad["index"]], **bad["change"]}
    bundle = places(tmp_path / "b", rows["counties"], rows["prefectures"], rows["provinces"])
    write(bundle, "institutions", [{"county": "suixi", "code": "A", "kind": "township_health_centre",
                                    "tier": "township", "name_zh": "甲卫生院"}])
    before = row_counts(engine)
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle)
    where, reason = bad["message"].split(": ", 1)
    assert any(p.startswith(where + ": ") and reason in p for p in err.value.problems), err.value.problems
    assert row_counts(engine) == before


HOP = {"county": "huangyuan", "period": "2024", "hop": "county_to_hospital", "received_on": "2024-03-20",
       "sent_on": "2024-04-10", "amount_received": "1100000.00", "matching": "", "amount_sent": "1100000.00"}
TASK = {"county": "huangyuan", "period": "2024", "code": "county_evaluation_h2", "body": "", "due": "2024-12-31",
        "done_on": ""}


def test_blank_optional_cells_take_their_defaults(engine, tmp_path):
    bundle = places(tmp_path / "b")
    write(bundle, "institutions", [{"county": "huangyuan", "code": "HYH", "community": "", "kind": "county_hospital",
                                    "tier": "county", "name_zh": "湟源县人民医院", "name_en": "", "parent": ""}])
    write(bundle, "transfers", [HOP])
    write(bundle, "tasks", [TASK])
    import_bundle(engine, bundle)
    with Session(engine) as s:
        hospital = s.exec(select(Institution)).scalars().one()
        assert (hospital.name_en, hospital.community_id, hospital.parent) == ("", None, None)
        assert s.exec(select(Transfer.matching)).scalars().one() == Decimal("0.00")
        task = s.exec(select(Task)).scalars().one()
        assert (task.body, task.done_on) == ("", None)


def test_blank_and_null_in_json_are_not_given_either(engine, tmp_path):
    bundle = places(tmp_path / "b")
    (bundle / "transfers.json").write_text(json.dumps([{**HOP, "matching": None}]), encoding="utf-8")
    (bundle / "tasks.json").write_text(json.dumps([{**TASK, "body": None, "done_on": ""}]), encoding="utf-8")
    import_bundle(engine, bundle)
    with Session(engine) as s:
        assert s.exec(select(Transfer.matching)).scalars().one() == Decimal("0.00")
        assert tuple(s.exec(select(Task.body, Task.done_on)).one()) == ("", None)


@pytest.mark.parametrize("table,row,field,value", [
    ("transfers", HOP, "sent_on", "1712707200"),
    ("transfers", HOP, "received_on", "2024-03-20T00:00:00"),
    ("transfers", HOP, "received_on", "20240320"),
    ("tasks", TASK, "due", "2024/12/31"),
    ("tasks", TASK, "done_on", "1735603200"),
], ids=["unix-seconds", "with-a-time", "no-dashes", "slashes", "unix-seconds-done-on"])
@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_date_is_iso_or_refused(engine, tmp_path, form, table, row, field, value):
    bundle = places(tmp_path / "b")
    import_bundle(engine, bundle)
    before = row_counts(engine)
    wrong = {**row, field: value}
    if form == "csv":
        write(bundle, table, [wrong])
    else:  # JSON may write the seconds as a number
        (bundle / f"{table}.json").write_text(json.dumps([{**wrong, field: int(value) if value.isdigit() else value}]),
                                              encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle)
    assert [str(p) for p in err.value.problems] == [
        f"{table}.{form} row {2 if form == 'csv' else 1}, field {field}: "
        "Input should be a valid date written YYYY-MM-DD, e.g. 2024-07-01"]
    assert row_counts(engine) == before


def test_a_parameter_override_s_effective_date_is_iso_too(engine, tmp_path):
    bundle = places(tmp_path / "b")
    write(bundle, "parameter_overrides", [{"county": "huangyuan", "policy": "qinghai", "component": "transfers",
                                           "name": "deadline_days", "effective": "1704067200", "value": "30",
                                           "reference": ""}])
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle)
    assert [str(p) for p in err.value.problems] == [
        "parameter_overrides.csv row 2, field effective: Input should be a valid date written YYYY-MM-DD, "
        "e.g. 2024-07-01"]
