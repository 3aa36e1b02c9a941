"""The demo: the installed plugins' counties generated, imported, settled for 2024 (Changting's
monthly grid index for each month of it) and read back over GraphQL; and built as well with a
plugin left out."""
import time
from pathlib import Path
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from starlette.testclient import TestClient

import countypay.demo as demo
import countypay.host as host
from countypay import approval
from countypay.app import Settings, create_app
from countypay.demo import write_bundle
from countypay.hookspecs import Rows
from countypay.models import (AuditEvent, County, Fund, IndicatorValue, Institution, Prefecture, Province,
                             ServiceCount, SettlementLine, SettlementRun, Unit)
from countypay.plugins.chengwu.demo import cell
from countypay.policy import ROLES

COUNTIES = {"suixi", "haiyan", "deqing", "chengwu", "huangyuan", "changting", "shouguang"}  # of the bundled plugins
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    report = demo.Prepared()
    engine = demo.prepare_demo(db, report=report)
    yield db, engine, report
    engine.dispose()


@pytest.fixture(scope="module")
def gql(prepared):
    client = TestClient(create_app(prepared[1], Settings(public_read=True)))

    def run(query):
        r = client.post("/graphql", json={"query": query})
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    return run


def run_of(gql, county, component, fields, period="2024"):
    """The current run of a county's component and period."""
    nodes = gql(f'{{ settlements(county: "{county}", component: "{component}", period: "{period}", current: true) '
                f'{{ nodes {{ id {fields} }} }} }}')["settlements"]["nodes"]
    assert len(nodes) == 1, nodes
    return nodes[0]


def test_first_start_imports_and_settles_every_component(prepared):
    _, _, report = prepared
    assert set(report.counties) == COUNTIES
    assert report.imported and report.rows["units"] == 232 + 54 + 620 and report.rows["counties"] == 7
    assert report.rows["geometry"] == 16 + 620 + 505  # Shouguang's map: towns, grids, institutions
    assert report.refused == []
    runs = demo.components(report.counties, report.periods)
    assert sorted(s[:4] for s in report.settled) == sorted(runs)
    assert {(c, p) for c, p, _, _ in runs} >= {
        ("suixi", "suixi"), ("haiyan", "haiyan"), ("deqing", "deqing"), ("huangyuan", "qinghai"),
        ("chengwu", "chengwu"), ("changting", "changting")}
    assert report.periods == {("changting", "grid_index"): tuple(MONTHS)}  # monthly: every month of the year
    assert sorted(per for c, p, k, per in runs if k == "grid_index") == MONTHS
    assert {per for c, p, k, per in runs if k != "grid_index"} == {"2024"}


def test_suixi_has_232_units_each_with_a_five_role_team(gql):
    units = gql('{ units(county: "suixi", first: 1000) { totalCount nodes { code team { role institution '
                '{ kind tier } } populations { group count } } } }')["units"]
    assert units["totalCount"] == 232 and len(units["nodes"]) == 232
    for u in units["nodes"]:
        team = {m["role"]: m["institution"] for m in u["team"]}
        assert set(team) == {r.upper() for r in ROLES}, u["code"]  # the enum's names
        assert team["UNIT_HEAD"]["kind"] == "TOWNSHIP_HEALTH_CENTRE"
        assert team["INSTRUCTOR"]["kind"] == "COUNTY_HOSPITAL"
        assert team["ADMINISTRATOR"]["kind"] == "PUBLIC_HEALTH_INSTITUTION"
        assert team["VILLAGE_DOCTOR"]["tier"] == "VILLAGE"
    residents = sum(p["count"] for u in units["nodes"] for p in u["populations"] if p["group"] == "residents")
    assert residents == 918000


def test_suixi_public_health_effect_pool_and_ranked_units(gql):
    run = run_of(gql, "suixi", "public_health", """
        pool: lines(entity: "county", code: "effect.pool") { nodes { amount } }
        undistributed: lines(entity: "county", code: "effect.undistributed") { nodes { amount } }
        effect: lines(code: "effect.paid", first: 1000) { totalCount nodes { entity amount trace } }
        flags { code severity message }""")
    pool = Decimal(run["pool"]["nodes"][0]["amount"])
    assert pool > 0
    effect = run["effect"]["nodes"]
    assert run["effect"]["totalCount"] == 232
    ranked = [n for n in effect if "rank" in n["trace"]["result"]]
    assert len(ranked) > 200
    assert all("tier" in n["trace"]["result"] for n in ranked)
    assert sorted({n["trace"]["result"]["tier"] for n in ranked} - {None}) == [1, 2, 3, 4]
    assert any(n["trace"]["result"]["tie_group"] for n in ranked)  # U011 and U012 changed alike
    paid = sum(Decimal(n["amount"]) for n in effect)
    assert paid + Decimal(run["undistributed"]["nodes"][0]["amount"]) == pool
    share = [f for f in run["flags"] if f["code"] == "village_share"]
    assert share and share[0]["severity"] == "INFO" and "at least 48" in share[0]["message"]


def test_suixi_small_package_per_township_centre(gql):
    """47 disease groups at 3,700 yuan a head (the parameter file's 2024 values) over the seed's
    1.86 亿 of patients, 23.75 % of the 7.83 亿 big package; the big package budgets no chronic
    group, since the county's override settles that fund here."""
    run = run_of(gql, "suixi", "chronic_package", """parameters parameterSources
        county: lines(entity: "county", first: 10) { nodes { code amount value } }
        centres: lines(code: "budget", first: 100) { totalCount nodes { entity amount trace } }
        surplus: lines(code: "surplus", first: 100) { nodes { entity amount } }
        county_share: lines(code: "county", first: 100) { nodes { entity amount } }
        township: lines(code: "township", first: 100) { nodes { entity amount } }
        village: lines(code: "village", first: 100) { nodes { entity amount } }
        retained: lines(code: "community_retained", first: 100) { nodes { entity amount } }
        flags { code severity message }""")
    assert Decimal(run["parameters"]["standard_per_head"]) == 3700
    assert len(run["parameters"]["disease_groups"]) == 47
    assert "47组" in run["parameterSources"]["disease_groups"]
    county = {n["code"]: n for n in run["county"]["nodes"]}
    assert county["budget"]["amount"] == "185999000.00"  # 50 270 patients × 3 700 yuan
    assert county["small_package_share"]["value"] == "0.2375"
    centres = [n for n in run["centres"]["nodes"] if n["entity"] != "county"]
    assert len(centres) == 18 and all(n["trace"]["parameters"]["standard_per_head"] == "3700.00" for n in centres)
    parts = {}
    for name in ("county_share", "township", "village", "retained"):
        for n in run[name]["nodes"]:
            if n["entity"] != "county":
                parts[n["entity"]] = parts.get(n["entity"], 0) + Decimal(n["amount"])
    surplus = {n["entity"]: Decimal(n["amount"]) for n in run["surplus"]["nodes"] if n["entity"] != "county"}
    assert surplus and parts == surplus  # county + township + village + retained = S, per centre
    assert [f["severity"] for f in run["flags"]] == ["INFO"] and "23.75 %" in run["flags"][0]["message"]
    big = run_of(gql, "suixi", "insurance_capitation", """parameters parameterSources
        chronic: lines(code: "chronic.budget") { totalCount }
        general: lines(code: "general.budget", first: 1000) { totalCount }""")
    assert big["parameters"]["chronic_group"] is False and big["parameterSources"]["chronic_group"] == "county override"
    assert big["chronic"]["totalCount"] == 0 and big["general"]["totalCount"] == 232


def test_huangyuan_package_and_its_compliance_line(gql):
    """The package is the five sources summed; members are paid by their quarter scores; the
    prefecture's hop took 41 days and one task was done late, so the county is not compliant,
    although the county passed everything on in full."""
    package = run_of(gql, "huangyuan", "package", """
        county: lines(entity: "county", first: 40) { nodes { code amount } }
        paid: lines(code: "paid") { totalCount nodes { amount } }""")
    county = {n["code"]: Decimal(n["amount"]) for n in package["county"]["nodes"]}
    assert county["package"] == sum(county[f"fund.{s}"] for s in
                                    ("central", "provincial", "prefecture", "county", "elderly_checkup"))
    assert county["received"] + county["withheld.H1"] + county["withheld.H2"] == county["package"]
    assert county["withheld.H1"] == 0 < county["withheld.H2"]  # H2 scored 86.5, under the full score 90
    assert package["paid"]["totalCount"] == 9
    assert sum(Decimal(n["amount"]) for n in package["paid"]["nodes"]) + county["ledger.closing"] == county["received"]
    transfers = run_of(gql, "huangyuan", "transfers", """
        lines(first: 100) { nodes { entity code value } }
        flags { entity code severity }""")
    lines = {(n["entity"], n["code"]): Decimal(n["value"]) for n in transfers["lines"]["nodes"]}
    assert lines[("county", "compliant")] == 0
    assert lines[("prefecture_to_county", "late_days")] == 11
    assert lines[("county_to_hospital", "late_days")] == 0 and lines[("county_to_hospital", "shortfall")] == 0
    assert lines[("county_to_hospital", "amount_sent")] == county["package"]
    assert lines[("internal_scheme", "late_days")] == 18
    assert sorted((f["entity"], f["code"], f["severity"]) for f in transfers["flags"]) == [
        ("internal_scheme", "late", "ERROR"), ("prefecture_to_county", "late", "ERROR")]


def test_haiyan_price_and_per_capita_funding_near_the_seed(gql):
    run = run_of(gql, "haiyan", "work_equivalent", """
        price: lines(entity: "county", code: "price") { nodes { unit value } }
        paid: lines(code: "paid", first: 100) { nodes { entity amount } }""")
    price = run["price"]["nodes"][0]
    assert price["unit"] == "YUAN_PER_EQUIVALENT" and Decimal(price["value"]) > 0
    served = gql('{ indicatorValues(county: "haiyan", indicator: "served_population", first: 100) '
                 '{ nodes { entity value } } }')["indicatorValues"]["nodes"]
    assert len(served) == len(run["paid"]["nodes"]) == 9
    average = sum(Decimal(n["amount"]) for n in run["paid"]["nodes"]) / sum(Decimal(n["value"]) for n in served)
    assert abs(average - Decimal("101.05")) < Decimal("0.05")


def test_deqing_communities_retain_part_of_their_surplus(gql):
    run = run_of(gql, "deqing", "global_budget", """
        retained: lines(code: "surplus.retained") { nodes { entity amount } }
        surplus: lines(code: "surplus") { nodes { entity amount } }""")
    retained = {n["entity"]: Decimal(n["amount"]) for n in run["retained"]["nodes"]}
    surplus = {n["entity"]: Decimal(n["amount"]) for n in run["surplus"]["nodes"]}
    assert set(retained) == {"wukang", "xinshi"}
    assert all(0 < retained[c] < surplus[c] for c in retained)


def test_chengwu_indicators_with_2023_values_and_attainment_against_2024_targets(gql):
    """The county's 2023 values as the seed prints them; the general hospital's 2024 values, and
    its 2023 value of the trend indicator #32, whose 2023 cell the seed fills with a trend word."""
    rows = gql('{ indicatorValues(county: "chengwu", first: 100) { nodes { entity period value text '
               'indicator { code unit direction targets { nodes { year value text } } } '
               'attainment { target meetsTarget } } } }')["indicatorValues"]["nodes"]
    assert len(rows) == 31 + 32 + 1
    assert {(r["entity"], r["period"]) for r in rows} == {("county", "2023"), ("CH01", "2023"), ("CH01", "2024")}
    assert [r["indicator"]["code"] for r in rows if r["entity"] == "CH01" and r["period"] == "2023"] == ["chengwu_32"]
    by = {(r["indicator"]["code"], r["period"]): r for r in rows if r["entity"] != "CH01" or r["period"] == "2024"}
    cmi = by[("chengwu_12", "2023")]
    assert cmi["value"] == "0.88" and cmi["indicator"]["direction"] == "HIGHER"
    assert [(t["year"], t["value"]) for t in cmi["indicator"]["targets"]["nodes"]] == [
        (2024, "0.9"), (2025, "0.92"), (2026, "0.95")]
    assert (by[("chengwu_01", "2023")]["value"], by[("chengwu_01", "2023")]["text"]) == ("0.367", "36.70%")
    assert (by[("chengwu_31", "2023")]["value"], by[("chengwu_31", "2023")]["text"]) == ("4.97", "4.97‰")
    assert by[("chengwu_31", "2023")]["indicator"]["direction"] == "LOWER"
    assert (by[("chengwu_05", "2023")]["value"], by[("chengwu_05", "2023")]["text"]) == ("8.1", "8.1:1")
    assert (by[("chengwu_08", "2023")]["value"], by[("chengwu_08", "2023")]["text"]) == (None, "是")
    assert (by[("chengwu_27", "2023")]["value"], by[("chengwu_27", "2023")]["text"]) == (None, "92%、95%")
    assert ("chengwu_32", "2023") not in by  # the seed prints the trend word 逐年提高 there, no value
    assert by[("chengwu_32", "2024")]["text"] == "62.5%"
    assert [t["text"] for t in by[("chengwu_32", "2024")]["indicator"]["targets"]["nodes"]] == ["逐年提高"] * 3
    now = [r for (code, period), r in by.items() if period == "2024" and r["value"] is not None]
    assert all(r["attainment"]["target"] is not None for r in now)
    met = [r["attainment"]["meetsTarget"] for r in now]
    assert True in met and False in met
    assert by[("chengwu_16", "2024")]["attainment"] == {"target": "6.55", "meetsTarget": False}  # 6.58 days


def test_cells_keep_their_text_and_a_number_by_their_type():
    assert cell("36.70%", "percent") == (Decimal("0.3670"), "36.70%")
    assert cell("8:1", "ratio") == (Decimal("8"), "8:1")
    assert cell("4.97‰", "permille") == (Decimal("4.97"), "4.97‰")
    assert cell("是", "yesno") == (None, "是")
    assert cell("92%、95%", "pair") == (None, "92%、95%")
    assert cell("92%、95%", "percent") is None
    assert cell("逐年提高", "trend") is None and cell("逐年提高", "trend", target=True) == (None, "逐年提高")


def test_chengwu_general_hospital_graded_on_the_32_indicators(gql):
    """24 of 32 met at 100/32 points each: 75.00, graded 合格; #32 rose from the 60.8 % of 2023."""
    run = run_of(gql, "chengwu", "assessment", """
        hospital: lines(entity: "CH01", first: 100) { totalCount nodes { code value trace } }
        county: lines(entity: "county") { nodes { code value } }
        flags { code }""")
    lines = {n["code"]: n for n in run["hospital"]["nodes"]}
    assert run["hospital"]["totalCount"] == 32 * 2 + 2
    unmet = sorted(code[:-4] for code, n in lines.items() if code.endswith(".met") and n["value"] == "0")
    assert unmet == ["i02", "i09", "i14", "i16", "i17", "i19", "i23", "i25"]
    assert lines["i01.met"]["trace"]["inputs"] == {"value": "37.4%", "target": "37.1%"}
    assert (lines["i01.points"]["value"], lines["i02.points"]["value"]) == ("3.13", "0.00")  # 3.125, shown
    assert lines["i32.met"]["value"] == "1" and lines["i32.met"]["trace"]["inputs"]["previous"] == "60.8%"
    assert lines["score"]["value"] == "75.00"
    assert lines["grade"]["value"] == "60.00" and lines["grade"]["trace"]["result"]["grade"] == "合格"
    assert {n["code"]: n["value"] for n in run["county"]["nodes"]} == {"entities": "1", "mean_score": "75.00"}
    assert run["flags"] == []


def test_chengwu_project_plan_against_2024_disbursements(gql):
    """The seed's 4,100 万 plan; in 2024 the talent programme's county money came 15 万 short."""
    run = run_of(gql, "chengwu", "project_funds", """
        county: lines(entity: "county", first: 100) { nodes { code value } }
        talent: lines(entity: "talent", first: 100) { nodes { code value } }
        flags { entity code severity }""")
    county = {n["code"]: Decimal(n["value"]) for n in run["county"]["nodes"]}
    assert (county["planned"], county["planned.province"], county["planned.county"]) == (41_000_000, 20_000_000,
                                                                                          21_000_000)
    assert (county["planned.2024"], county["disbursed.2024"]) == (19_000_000, 18_850_000)
    assert county["execution.2024"] == Decimal("0.9921") and county["execution"] == Decimal("0.4598")
    assert (county["share.province"], county["share.county"]) == (Decimal("0.4878"), Decimal("0.5122"))
    talent = {n["code"]: Decimal(n["value"]) for n in run["talent"]["nodes"]}
    assert talent["execution.2024"] == Decimal("0.9500") and talent["execution.2024.county"] == Decimal("0.9167")
    assert sorted((f["entity"], f["code"], f["severity"]) for f in run["flags"]) == [
        ("county", "share.county.stated", "INFO"), ("county", "share.province.stated", "INFO"),
        ("talent", "disbursed.2024.below_plan", "WARNING"), ("talent", "disbursed.2024.county.below_plan", "WARNING")]


def test_changting_grids_ranked_in_december(gql):
    """54 grids indexed; G08 and G32 tie on the shown 96.83 and share rank 6, the next is 8."""
    run = run_of(gql, "changting", "grid_index", """
        rank: lines(code: "rank", first: 100) { nodes { entity value trace } }
        index: lines(code: "index", first: 100) { nodes { entity value } }
        county: lines(entity: "county") { nodes { code value } }""", period="2024-12")
    index = {n["entity"]: Decimal(n["value"]) for n in run["index"]["nodes"]}
    rank = {n["entity"]: int(n["value"]) for n in run["rank"]["nodes"]}
    assert {n["code"]: n["value"] for n in run["county"]["nodes"]} == {"grids": "54", "indexed": "54"}
    assert all(rank[g] == 1 + sum(v > index[g] for v in index.values()) for g in index)
    top = sorted(rank, key=lambda g: (rank[g], g))[:9]
    assert [(g, rank[g]) for g in top] == [("G16", 1), ("G09", 2), ("G51", 3), ("G39", 4), ("G40", 5), ("G08", 6),
                                           ("G32", 6), ("G17", 8), ("G06", 9)]
    assert index["G16"] == Decimal("97.86") and index["G08"] == index["G32"] == Decimal("96.83")
    assert {n["entity"]: n["trace"]["result"]["tied_with"] for n in run["rank"]["nodes"]}["G08"] == ["G32"]


def test_changting_teams_points_and_bonus(gql):
    """Two teams short of a role; four redemptions asked beyond the balance refused; the bonus for
    exactly the households compliant in every month of 2023."""
    teams = run_of(gql, "changting", "teams", """
        county: lines(entity: "county") { nodes { code value } }
        flags { entity code }""")
    assert {n["code"]: n["value"] for n in teams["county"]["nodes"]} == {"teams": "10", "conformant_teams": "8"}
    assert sorted((f["entity"], f["code"]) for f in teams["flags"]) == [
        ("T02", "specialist_days"), ("T04", "not_conformant"), ("T06", "specialist_days"), ("T06", "specialist_days"),
        ("T09", "not_conformant")]

    points = run_of(gql, "changting", "health_points", """
        household: lines(entity: "H0007") { nodes { code value } }
        county: lines(entity: "county", first: 20) { nodes { code value } }
        flags { entity code }""")
    assert {n["code"]: n["value"] for n in points["household"]["nodes"]} == {
        "opening": "107", "earned": "90", "redeemed": "100", "refused": "1", "closing": "97"}
    county = {n["code"]: Decimal(n["value"]) for n in points["county"]["nodes"]}
    assert county["accounts"] == 240 and county["refused"] == 4
    assert county["points.opening"] + county["points.issued"] - county["points.redeemed"] \
        == county["points.outstanding"]
    assert county["cost"] == sum(county[f"cost.{k}"] for k in ("medical", "product", "daily", "filial_care"))
    assert county["cost.filial_care"] > 0
    assert sorted(f["entity"] for f in points["flags"]) == ["H0007", "H0010", "H0095", "H0145"]

    rows = dict(demo.demo_data())["changting"].rows.tables
    missed = {r["household"] for r in rows["household_compliance"]
              if r["month"].startswith("2023") and not r["compliant"]}
    bonus = run_of(gql, "changting", "reimbursement_bonus", """
        eligible: lines(code: "eligible", first: 300) { nodes { entity value } }
        county: lines(entity: "county") { nodes { code value amount } }""")
    eligible = {n["entity"] for n in bonus["eligible"]["nodes"] if n["entity"] != "county" and n["value"] == "1"}
    assert eligible == {r["code"] for r in rows["households"]} - missed and len(eligible) == 133
    county = {n["code"]: n for n in bonus["county"]["nodes"]}
    assert county["households"]["value"] == "240" and county["eligible"]["value"] == "133"
    assert county["bonus"]["amount"] == "17147.61"


def test_every_component_has_a_run_and_the_runs_balance(prepared, gql):
    runs = gql('{ settlements(first: 100, current: true) { nodes { county { code } policy component period '
               'totalsByCode(first: 1000) { nodes { key amount } } } } }')["settlements"]["nodes"]
    assert sorted((r["county"]["code"], r["policy"], r["component"], r["period"]) for r in runs) == \
        sorted(demo.components(prepared[2].counties, prepared[2].periods))
    totals = {(r["county"]["code"], r["component"], t["key"]): Decimal(t["amount"])
              for r in runs for t in r["totalsByCode"]["nodes"]}
    assert totals[("suixi", "public_health", "total")] + totals[("suixi", "public_health", "effect.undistributed")] \
        == totals[("suixi", "public_health", "package")]
    for county in ("haiyan", "deqing"):
        assert totals[(county, "work_equivalent", "paid")] + totals[(county, "work_equivalent", "risk_fund.closing")] \
            == totals[(county, "work_equivalent", "fund")]


PREFECTURES = {"suixi": ("huaibei", "淮北市"), "haiyan": ("jiaxing", "嘉兴市"), "deqing": ("huzhou", "湖州市"),
               "huangyuan": ("xining", "西宁市"), "chengwu": ("heze", "菏泽市"), "changting": ("longyan", "龙岩市"),
               "shouguang": ("weifang", "潍坊市")}


def test_each_demo_county_is_under_its_prefecture(prepared):
    with Session(prepared[1]) as s:
        found = s.execute(select(County.code, Prefecture.code, Prefecture.name_zh, Province.code)
                          .join(Prefecture, Prefecture.id == County.prefecture_id)
                          .join(Province, Province.id == Prefecture.province_id)).all()
        provinces = dict(s.execute(select(County.code, Province.code).join(Province)).all())
    assert {c: (p, name) for c, p, name, _ in found if c in PREFECTURES} == PREFECTURES
    assert all(provinces[c] == province for c, _, _, province in found)  # the county's own province


CHAIN = {  # (county, component): (status, stage) of each run, newest first
    ("suixi", "chronic_package"): [("accepted", None)],
    ("haiyan", "work_equivalent"): [("approved", "prefecture"), ("sent_back", "county")],
    ("chengwu", "assessment"): [("reopened", "county")],
    ("deqing", "global_budget"): [("approved", "prefecture")],
}


def test_the_demo_shows_runs_at_each_point_of_the_chain(prepared):
    """Suixi's small package accepted by Anhui; Haiyan's run sent back by Jiaxing, corrected and
    the new version approved by the county; Chengwu's assessment accepted and reopened; Deqing's
    budget approved by the county; every other run a draft. Each step by its level's actor."""
    with Session(prepared[1]) as s:
        runs = s.exec(select(SettlementRun).order_by(SettlementRun.id.desc())).scalars().all()
        codes = dict(s.execute(select(County.id, County.code)).all())
        chains = approval.chains(s, runs)
    found = {}
    for r in runs:
        found.setdefault((codes[r.county_id], r.component), []).append(chains[r.id])
    assert {key: [(c.status, c.stage) for c in found[key]] for key in CHAIN} == CHAIN
    drafts = {key for key, cs in found.items() if all(c.status == "draft" for c in cs)}
    assert drafts == set(found) - set(CHAIN) and ("huangyuan", "package") in drafts

    def steps(chain):
        return [(s.level, s.action, s.actor) for s in chain.steps]
    (suixi,) = found["suixi", "chronic_package"]
    assert steps(suixi) == [("county", "approve", "demo county suixi"),
                            ("prefecture", "approve", "demo prefecture huaibei"),
                            ("province", "accept", "demo province anhui")]
    corrected, sent_back = found["haiyan", "work_equivalent"]
    assert (corrected.current, sent_back.current) == (True, False)
    assert steps(sent_back) == [("county", "approve", "demo county haiyan"),
                                ("prefecture", "send_back", "demo prefecture jiaxing")]
    assert "重复上报" in sent_back.steps[1].reason
    assert steps(corrected) == [("county", "approve", "demo county haiyan")]
    (chengwu,) = found["chengwu", "assessment"]
    assert [s.action for s in chengwu.steps] == ["approve", "approve", "accept", "reopen"]
    assert chengwu.steps[-1].actor == "demo province shandong" and chengwu.steps[-1].reason
    assert sorted(c[:4] for c in prepared[2].chained) == sorted(
        (c, p, k, "2024") for (c, k), p in zip(CHAIN, ("suixi", "haiyan", "chengwu", "deqing")))


def test_the_audit_trail_tells_haiyan_s_way_up_the_chain(prepared):
    """Settled, approved, sent back with the reason, the one corrected count imported by the
    county, settled again, approved again: in that order, each with its actor."""
    with Session(prepared[1]) as s:
        haiyan = s.exec(select(County.id).where(County.code == "haiyan")).scalar_one()
        events = s.exec(select(AuditEvent).where(AuditEvent.county_id == haiyan)
                        .order_by(AuditEvent.id)).scalars().all()
    story = [(e.action, e.actor) for e in events if e.action != "import" or e.actor != "demo"]
    assert story == [("settlement_run", "demo"), ("settlement_approve", "demo county haiyan"),
                     ("settlement_send_back", "demo prefecture jiaxing"), ("import", "demo county haiyan"),
                     ("settlement_run", "demo county haiyan"), ("settlement_approve", "demo county haiyan")]
    sent_back, correction = events[-4], events[-3]
    assert "重复上报" in sent_back.detail["reason"] and sent_back.detail["level"] == "prefecture"
    assert correction.detail == {"tables": {"service_counts": 1}}


def test_two_plugins_counties_under_one_prefecture_make_one_prefecture_row(tmp_path):
    bundle = demo.Bundle()
    for county in ("suixi", "duji"):
        rows = Rows()
        rows.add("prefectures", code="huaibei", province="anhui", name_zh="淮北市", name_en="Huaibei")
        rows.add("counties", code=county, province="anhui", prefecture="huaibei", name_zh=county)
        bundle.add(rows, county)
    bundle.write(tmp_path)
    assert (tmp_path / "prefectures.csv").read_text(encoding="utf-8") == \
        "code,province,name_zh,name_en\nhuaibei,anhui,淮北市,Huaibei\n"
    assert len((tmp_path / "counties.csv").read_text(encoding="utf-8").splitlines()) == 3


def test_the_generator_is_deterministic(tmp_path):
    first = {p.name: p.read_bytes() for p in write_bundle(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in write_bundle(tmp_path / "b")}
    assert first == second
    # every table of a bundle but the indicators (the plugins declare theirs)
    assert {name[:-4] for name in first if name.endswith(".csv")} == set(demo.bundle.COLUMNS) - {"indicators"}
    other = {p.name: p.read_bytes() for p in write_bundle(tmp_path / "c", seed=7)}
    assert other["indicator_values.csv"] != first["indicator_values.csv"]


def counts(engine):
    with Session(engine) as s:
        return {m.__name__: s.exec(select(func.count()).select_from(m)).one()
                for m in (Unit, Institution, IndicatorValue, Fund, ServiceCount, SettlementRun, SettlementLine)}


def test_a_second_start_reuses_the_file(prepared, monkeypatch):
    db, engine, _ = prepared
    before = counts(engine)

    def refuse(*args, **kwargs):
        raise AssertionError("a second start must not import or settle again")

    monkeypatch.setattr(demo, "import_bundle", refuse)
    monkeypatch.setattr(demo, "settle", refuse)
    report = demo.Prepared()
    started = time.perf_counter()
    again = demo.prepare_demo(db, report=report)
    elapsed = time.perf_counter() - started
    try:
        assert not report.imported and report.settled == []
        assert counts(again) == before
        assert elapsed < 10, elapsed
    finally:
        again.dispose()


def test_the_demo_settles_without_warnings_but_those_it_shows(prepared):
    """Every flag of the demo's runs is informational but those the demo shows on purpose:
    Huangyuan's two late transfers, Chengwu's talent programme behind its 2024 plan, Changting's
    two teams short of a role and two specialists short of their days, and four redemptions
    refused. Three years of insurance history reach the settlement, and the village share meets
    its 48 %."""
    _, _, report = prepared
    shown = {  # (policy, component, severity): the flags' (entity, code), in order
        ("changting", "health_points", "warning"): [(h, "refused") for h in ("H0007", "H0010", "H0095", "H0145")],
        ("changting", "teams", "warning"): [("T02", "specialist_days"), ("T04", "not_conformant"),
                                            ("T06", "specialist_days"), ("T06", "specialist_days"),
                                            ("T09", "not_conformant")],
        ("chengwu", "project_funds", "warning"): [("talent", "disbursed.2024.below_plan"),
                                                  ("talent", "disbursed.2024.county.below_plan")],
        ("qinghai", "transfers", "error"): [("internal_scheme", "late"), ("prefecture_to_county", "late")]}
    assert sorted((p, k, f["entity"], f["code"], f["severity"]) for p, k, f in report.flags
                  if f["severity"] != "info") == [
        (p, k, entity, code, severity) for (p, k, severity), flags in shown.items() for entity, code in flags]
    assert not any("history" in f["message"] for _, _, f in report.flags)


QUERIES = sorted((Path(__file__).parents[1] / "docs" / "queries").glob("*.graphql"))


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_the_documented_queries_answer_on_the_demo(gql, path):
    data = gql(path.read_text(encoding="utf-8"))

    def leaves(x):
        if isinstance(x, dict):
            return [v for value in x.values() for v in leaves(value)]
        if isinstance(x, list):
            return [v for value in x for v in leaves(value)]
        return [x]
    assert [v for v in leaves(data) if v not in (None, [], {})], f"{path.name} returned nothing"


def test_the_demo_examples_answer(prepared, gql):
    examples = prepared[2].examples
    assert {county for county in COUNTIES if any(f'"{county}"' in q for _, q in examples)} == COUNTIES
    for title, query in examples:
        assert gql(query), title


@pytest.fixture
def leave_out(monkeypatch):
    """`leave_out(name)`: the registry from here on holds every installed plugin but that one."""
    def without(name):
        pm = host.plugin_manager()
        pm.unregister(name=name)
        monkeypatch.setattr(host, "plugin_manager", lambda load_entry_points=True: pm)
        host.registry.cache_clear()
    yield without
    host.registry.cache_clear()  # the next registry() is built again from every entry point


def test_the_demo_builds_with_a_plugin_left_out(engine, leave_out, prepared):
    """Without Suixi's plugin the demo holds the other counties, settled as in the full demo: each
    plugin's rows are its own, whatever else is installed."""
    leave_out("suixi")
    report = demo.build(engine)
    assert set(report.counties) == COUNTIES - {"suixi"} and report.imported and report.rows["units"] == 54 + 620
    assert report.refused == []
    assert sorted(s[:4] for s in report.settled) == sorted(demo.components(report.counties, report.periods))
    assert {p for _, p, _, _, _ in report.settled} >= {"haiyan", "deqing", "qinghai", "chengwu", "changting"}
    assert not any('"suixi"' in query for _, query in report.examples)

    def hashes(e):
        found = {}
        with Session(e) as s:
            for run in s.exec(select(SettlementRun).order_by(SettlementRun.id)).scalars():
                found.setdefault((run.policy, run.component, run.period), []).append(run.input_hash)
        return found
    alone, full = hashes(engine), hashes(prepared[1])
    assert alone and all(full[key] == h for key, h in alone.items())
    assert [k for k, h in alone.items() if len(h) > 1] == [("haiyan", "work_equivalent", "2024")]  # corrected
