"""The demo: four counties generated, imported, settled for 2024 and read back over GraphQL."""
import time
from pathlib import Path
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from starlette.testclient import TestClient

import countypay.demo as demo
from countypay.app import Settings, create_app
from countypay.demo.generate import cell, write_bundle
from countypay.models import Fund, IndicatorValue, Institution, ServiceCount, SettlementLine, SettlementRun, Unit
from countypay.policy import ROLES


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


def run_of(gql, county, component, fields):
    nodes = gql(f'{{ settlements(county: "{county}", component: "{component}", period: "2024") '
                f'{{ nodes {{ id {fields} }} }} }}')["settlements"]["nodes"]
    assert len(nodes) == 1, nodes
    return nodes[0]


def test_first_start_imports_and_settles_every_component(prepared):
    _, _, report = prepared
    assert report.imported and report.rows["units"] == 232
    assert sorted((c, p, k) for c, p, k, _ in report.settled) == sorted(demo.components())
    assert {c for c, _, _ in demo.components()} == {"suixi", "haiyan", "deqing"}  # chengwu: indicators only


def test_suixi_has_232_units_each_with_a_five_role_team(gql):
    units = gql('{ units(county: "suixi", first: 1000) { totalCount nodes { code team { role institution '
                '{ kind tier } } populations { group count } } } }')["units"]
    assert units["totalCount"] == 232 and len(units["nodes"]) == 232
    for u in units["nodes"]:
        team = {m["role"]: m["institution"] for m in u["team"]}
        assert set(team) == set(ROLES), u["code"]
        assert team["unit_head"]["kind"] == "township_health_centre"
        assert team["instructor"]["kind"] == "county_hospital"
        assert team["administrator"]["kind"] == "public_health_institution"
        assert team["village_doctor"]["tier"] == "village"
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
    assert share and share[0]["severity"] == "info" and "at least 48" in share[0]["message"]


def test_haiyan_price_and_per_capita_funding_near_the_seed(gql):
    run = run_of(gql, "haiyan", "work_equivalent", """
        price: lines(entity: "county", code: "price") { nodes { unit value } }
        paid: lines(code: "paid", first: 100) { nodes { entity amount } }""")
    price = run["price"]["nodes"][0]
    assert price["unit"] == "yuan/equivalent" and Decimal(price["value"]) > 0
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
    rows = gql('{ indicatorValues(county: "chengwu", first: 100) { nodes { period value text '
               'indicator { code unit direction targets { year value text } } '
               'attainment { target meetsTarget } } } }')["indicatorValues"]["nodes"]
    by = {(r["indicator"]["code"], r["period"]): r for r in rows}
    assert len(rows) == 64 and {p for _, p in by} == {"2023", "2024"}
    cmi = by[("chengwu_12", "2023")]
    assert cmi["value"] == "0.88" and cmi["indicator"]["direction"] == "higher"
    assert [(t["year"], t["value"]) for t in cmi["indicator"]["targets"]] == [
        (2024, "0.9"), (2025, "0.92"), (2026, "0.95")]
    assert by[("chengwu_01", "2023")]["value"] == "0.367"
    assert (by[("chengwu_31", "2023")]["value"], by[("chengwu_31", "2023")]["text"]) == ("4.97", "4.97‰")
    assert by[("chengwu_31", "2023")]["indicator"]["direction"] == "lower"
    assert (by[("chengwu_05", "2023")]["value"], by[("chengwu_05", "2023")]["text"]) == ("8.1", "8.1:1")
    assert (by[("chengwu_08", "2023")]["value"], by[("chengwu_08", "2023")]["text"]) == (None, "是")
    assert (by[("chengwu_27", "2023")]["value"], by[("chengwu_27", "2023")]["text"]) == (None, "92%、95%")
    assert by[("chengwu_32", "2023")]["text"] == "逐年提高"
    now = [r for (code, period), r in by.items() if period == "2024" and r["value"] is not None]
    assert all(r["attainment"]["target"] is not None for r in now)
    met = [r["attainment"]["meetsTarget"] for r in now]
    assert True in met and False in met
    assert by[("chengwu_16", "2024")]["attainment"] == {"target": "6.55", "meetsTarget": False}  # 6.58 days


def test_cells_are_read_by_their_unit():
    assert cell("36.70%", "ratio") == (Decimal("0.3670"), None)
    assert cell("8:1", "ratio_to_1") == (Decimal("8"), "8:1")
    assert cell("是", "yes_no") == (None, "是")
    with pytest.raises(ValueError):
        cell("92%、95%", "ratio")


def test_every_component_has_a_run_and_the_runs_balance(prepared, gql):
    runs = gql('{ settlements(first: 100) { nodes { county { code } policy component period '
               'totalsByCode { key amount } } } }')["settlements"]["nodes"]
    assert sorted((r["county"]["code"], r["policy"], r["component"]) for r in runs) == sorted(demo.components())
    assert all(r["period"] == "2024" for r in runs)
    totals = {(r["county"]["code"], r["component"], t["key"]): Decimal(t["amount"])
              for r in runs for t in r["totalsByCode"]}
    assert totals[("suixi", "public_health", "total")] + totals[("suixi", "public_health", "effect.undistributed")] \
        == totals[("suixi", "public_health", "package")]
    for county in ("haiyan", "deqing"):
        assert totals[(county, "work_equivalent", "paid")] + totals[(county, "work_equivalent", "risk_fund.closing")] \
            == totals[(county, "work_equivalent", "fund")]


def test_the_generator_is_deterministic(tmp_path):
    first = {p.name: p.read_bytes() for p in write_bundle(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in write_bundle(tmp_path / "b")}
    assert first == second and len(first) == 13
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


def test_the_demo_settles_without_warnings(prepared):
    """Every flag of the demo's runs is informational: three years of insurance history reach the
    settlement, and the village share meets its 48 %."""
    _, _, report = prepared
    assert [f for _, _, f in report.flags if f["severity"] != "info"] == []
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


def test_the_demo_examples_answer(gql):
    for title, query in demo.EXAMPLES:
        assert gql(query), title
