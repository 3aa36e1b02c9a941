"""The GraphQL API on SQLite and PostgreSQL: reads, drill-down, access, mutations, limits."""
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session

from countypay.app import Settings
from countypay.auth import create_token
from countypay.models import now


@pytest.fixture
def api(graphql_api):
    return graphql_api("haiyan-bundle", "other-bundle", supervisor=dict(role="supervisor", name="province"),
                       haiyan=dict(role="county", county_code="haiyan", name="haiyan team"),
                       other=dict(role="county", county_code="other", name="other team"))


def data(result):
    assert "errors" not in result, result["errors"]
    return result["data"]


def codes(result):
    return [e["extensions"]["code"] for e in result["errors"]]


def test_anonymous_callers_see_only_the_public_catalogues(api):
    r = api("{ indicators(first: 500) { totalCount nodes { code } } policies { code } counties { totalCount } }")
    assert "performance_score" in [n["code"] for n in r["data"]["indicators"]["nodes"]]
    assert "haiyan" in [p["code"] for p in r["data"]["policies"]]
    # county data tells a signed-out screen to sign in, rather than answering an empty list
    assert r["data"]["counties"] is None and codes(r) == ["UNAUTHENTICATED"]
    assert r["errors"][0]["path"] == ["counties"]
    assert codes(api('{ county(code: "haiyan") { code } }')) == ["UNAUTHENTICATED"]
    for field in ('provinces { totalCount }', 'prefectures { totalCount }', 'units { totalCount }',
                  'institutions { totalCount }', 'settlements { totalCount }', 'pendingApprovals { totalCount }',
                  'compareCounties(indicator: "visits_total", period: "2024") { totalCount }'):
        assert codes(api("{ %s }" % field)) == ["UNAUTHENTICATED"], field


def test_drill_down_province_to_institution(api):
    d = data(api("""{ provinces(first: 5) { nodes { code counties(first: 10) { nodes { code communities { code lead { code kind kindZh } }
        units(first: 20) { totalCount nodes { code team { role roleZh institution { code tier community { code } } }
        populations { group count } } } } } } } }""", as_="supervisor"))
    provinces = {p["code"]: p for p in d["provinces"]["nodes"]}
    assert set(provinces) == {"anhui", "zhejiang"}
    other = provinces["anhui"]["counties"]["nodes"][0]
    assert other["communities"] == [{"code": "north", "lead": {"code": "H1", "kind": "COUNTY_HOSPITAL", "kindZh": "县级医院"}}]
    u1 = other["units"]["nodes"][0]
    assert u1["code"] == "U01" and u1["populations"] == [{"group": "residents", "count": 600}]
    assert [(m["role"], m["roleZh"], m["institution"]["code"]) for m in u1["team"]] == [
        ("UNIT_HEAD", "单元长", "T1"), ("INSTRUCTOR", "指导员", "H1"), ("VILLAGE_DOCTOR", "村医", "V1")]
    assert u1["team"][0]["institution"]["tier"] == "TOWNSHIP"


def test_drill_down_costs_the_same_number_of_queries_for_more_rows(api):
    query = """{ counties { nodes { code province { code } units { nodes { code county { code }
        community { code } team { role institution { code community { code } } } populations { count } } } } } }"""
    counts = []
    for first in (1, 2):
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(api.engine, "before_cursor_execute", listener)
        try:
            data(api(query.replace("units {", f"units(first: {first}) {{"), as_="supervisor"))
        finally:
            event.remove(api.engine, "before_cursor_execute", listener)
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


def test_pagination_with_cursors(api):
    q = """query($after: String) { institutions(county: "haiyan", first: 3, after: $after) {
        totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }"""
    first = data(api(q, as_="supervisor"))["institutions"]
    assert first["totalCount"] == 4 and [e["node"]["code"] for e in first["edges"]] == ["A", "B", "C"]
    assert first["pageInfo"]["hasNextPage"]
    rest = data(api(q, {"after": first["pageInfo"]["endCursor"]}, as_="supervisor"))["institutions"]
    assert [e["node"]["code"] for e in rest["edges"]] == ["D"] and not rest["pageInfo"]["hasNextPage"]
    assert codes(api(q, {"after": "garbage"}, as_="supervisor")) == ["BAD_INPUT"]


def test_pages_of_a_newest_first_list_do_not_shift_while_a_client_pages(api):
    """Cursors hold the item's place in the order (a keyset), not an offset: an event recorded
    between two pages neither repeats an item on the next page nor hides one."""
    q = """query($after: String) { auditEvents(first: 2, after: $after) {
        edges { node { subject action } } pageInfo { endCursor hasNextPage } } }"""
    everything = [(e["node"]["action"], e["node"]["subject"])
                  for e in data(api(q.replace("first: 2", "first: 100"), as_="supervisor"))["auditEvents"]["edges"]]
    first = data(api(q, as_="supervisor"))["auditEvents"]
    with Session(api.engine) as s:
        create_token(s, "county", "haiyan", name="a newer event")  # lands before the first page
        s.commit()
    rest = data(api(q.replace("first: 2", "first: 100"), {"after": first["pageInfo"]["endCursor"]},
                    as_="supervisor"))["auditEvents"]
    seen = [(e["node"]["action"], e["node"]["subject"]) for e in first["edges"] + rest["edges"]]
    assert seen == everything and len(seen) > 2


def test_filters_and_order(api):
    d = data(api("""{ institutions(county: "other", tier: VILLAGE, order: CODE_DESC) { nodes { code } }
        units(county: "other", community: "north") { totalCount } }""", as_="supervisor"))
    assert [n["code"] for n in d["institutions"]["nodes"]] == ["V2", "V1"]
    assert d["units"]["totalCount"] == 2


def test_indicator_values_with_attainment_and_county_comparison(api):
    d = data(api("""{ indicatorValues(county: "other", indicator: "visits_total") { nodes { entity value
        attainment { target meetsTarget } } }
        compareCounties(indicator: "visits_total", period: "2024") { totalCount nodes { county { code } value
        entities population perCapita attainment { target meetsTarget } } } }""", as_="supervisor"))
    assert [(n["entity"], n["value"]) for n in d["indicatorValues"]["nodes"]] == [("U01", "900"), ("U02", "700")]
    assert d["compareCounties"]["totalCount"] == 2
    comp = {c["county"]["code"]: c for c in d["compareCounties"]["nodes"]}
    assert comp["other"]["value"] == "1600" and comp["other"]["entities"] == 2
    assert comp["other"]["perCapita"] == "1.6" and comp["other"]["attainment"]["meetsTarget"] is True
    assert comp["haiyan"]["perCapita"] == "0.125" and comp["haiyan"]["attainment"]["meetsTarget"] is False


RUN = """mutation($o: JSON) { runSettlement(input: {county: "haiyan", policy: "haiyan", component: "work_equivalent",
    period: "2024", parameterOverrides: $o}) { run { id status current inputHash supersedes { id }
    lines(entity: "B") { nodes { code value amount trace } } totalsByCode { nodes { key amount } } }
    previousRun { id current } county { code } } }"""


def settled(result) -> dict:
    return data(result)["runSettlement"]["run"]


def test_run_approve_and_supersede(api):
    answer = data(api(RUN, as_="haiyan"))["runSettlement"]
    first = answer["run"]
    assert answer["previousRun"] is None and answer["county"] == {"code": "haiyan"}
    paid = {n["code"]: n for n in first["lines"]["nodes"]}["paid"]
    assert paid["amount"] == "2222.22" and paid["trace"]["formula"].startswith("paid =")
    again = data(api(RUN, as_="haiyan"))["runSettlement"]
    assert again["run"]["id"] == first["id"] and again["previousRun"] is None  # same inputs, same run
    approved = data(api('mutation($id: ID!) { approveSettlement(input: {id: $id}) { run { status approvedBy } '
                        'county { code } } }', {"id": first["id"]}, as_="haiyan"))
    assert approved["approveSettlement"] == {"run": {"status": "APPROVED", "approvedBy": "haiyan team"},
                                             "county": {"code": "haiyan"}}
    answer = data(api(RUN, {"o": {"risk_fund_rate": "0.2"}}, as_="haiyan"))["runSettlement"]
    second = answer["run"]
    assert second["supersedes"] == {"id": first["id"]} and second["id"] != first["id"] and second["current"]
    # the run no longer current comes back too, so a client cache updates itself
    assert answer["previousRun"] == {"id": first["id"], "current": False}
    runs = data(api('{ settlements(county: "haiyan") { totalCount nodes { id status } } }', as_="supervisor"))
    assert runs["settlements"]["nodes"] == [{"id": second["id"], "status": "DRAFT"},
                                            {"id": first["id"], "status": "APPROVED"}]
    only = data(api('{ settlements(county: "haiyan", status: APPROVED) { nodes { id } } }', as_="supervisor"))
    assert only["settlements"]["nodes"] == [{"id": first["id"]}]


def test_only_the_latest_run_can_be_approved(api):
    first = settled(api(RUN, as_="haiyan"))
    data(api(RUN, {"o": {"risk_fund_rate": "0.2"}}, as_="haiyan"))
    r = api('mutation { approveSettlement(input: {id: "%s"}) { run { status } } }' % first["id"], as_="haiyan")
    assert codes(r) == ["CONFLICT"]


def test_bad_settlement_input_names_the_field(api):
    r = api(RUN, {"o": {"risk_fund_rate": "2"}}, as_="haiyan")
    assert codes(r) == ["BAD_INPUT"]
    assert r["errors"][0]["extensions"]["problems"] == [
        {"path": "work_equivalent.risk_fund_rate", "row": None, "code": "BAD_INPUT",
         "message": "Input should be less than or equal to 1"}]


def test_parameter_override_then_simulation(api):
    data(api(RUN, as_="haiyan"))
    set_ = data(api("""mutation { setParameterOverride(input: {county: "haiyan", policy: "haiyan",
        component: "work_equivalent", name: "floor_rate", effective: "2024-01-01", value: "0.5",
        reference: "county decision 2024-3"}) { override { name value createdBy } county { code } } }""",
                    as_="haiyan"))
    assert set_["setParameterOverride"] == {"override": {"name": "floor_rate", "value": "0.5",
                                                         "createdBy": "haiyan team"}, "county": {"code": "haiyan"}}
    params = data(api("""{ policies(county: "haiyan") { components { parameters(period: "2024", county: "haiyan") } } }""",
                      as_="haiyan"))["policies"][0]["components"][0]["parameters"]
    assert params["values"]["floor_rate"] == "0.5" and params["sources"]["floor_rate"] == "county override"
    sim = data(api("""{ simulateSettlement(county: "haiyan", policy: "haiyan", component: "work_equivalent",
        period: "2024", parameterOverrides: {floor_rate: "0.5"}) { latestRun { id }
        entities { entity changed lines { code simulated stored difference } } } }""", as_="haiyan"))
    by_entity = {e["entity"]: e for e in sim["simulateSettlement"]["entities"]}
    b = {l["code"]: l for l in by_entity["B"]["lines"]}["paid"]
    assert (b["stored"], b["simulated"], b["difference"]) == ("2222.22", "2000.00", "-222.22")
    assert by_entity["B"]["changed"] and not by_entity["A"]["changed"]
    count = data(api('{ settlements(county: "haiyan") { totalCount } }', as_="haiyan"))["settlements"]["totalCount"]
    assert count == 1  # simulating stored nothing


def test_unknown_parameter_override_is_refused(api):
    r = api("""mutation { setParameterOverride(input: {county: "haiyan", policy: "haiyan", component: "work_equivalent",
        name: "flor_rate", effective: "2024-01-01", value: "0.5"}) { override { name } } }""", as_="haiyan")
    assert codes(r) == ["BAD_INPUT"] and "has no parameter 'flor_rate'" in r["errors"][0]["message"]


def test_a_county_token_cannot_reach_another_county_by_any_path(api):
    other_run = settled(api("""mutation { runSettlement(input: {county: "haiyan", policy: "haiyan",
        component: "work_equivalent", period: "2024"}) { run { id } } }""", as_="haiyan"))["id"]
    as_other = lambda q: api(q, as_="other")  # noqa: E731
    assert codes(as_other('{ county(code: "haiyan") { code } }')) == ["NOT_FOUND"]
    assert codes(as_other('{ units(county: "haiyan") { totalCount } }')) == ["NOT_FOUND"]
    assert codes(as_other('{ institutions(county: "haiyan") { totalCount } }')) == ["NOT_FOUND"]
    assert codes(as_other('{ indicatorValues(county: "haiyan") { totalCount } }')) == ["NOT_FOUND"]
    assert codes(as_other('{ settlement(id: "%s") { id } }' % other_run)) == ["NOT_FOUND"]
    assert codes(as_other('{ settlements(county: "haiyan") { totalCount } }')) == ["NOT_FOUND"]
    assert codes(as_other("""{ simulateSettlement(county: "haiyan", policy: "haiyan",
        component: "work_equivalent", period: "2024") { entities { entity } } }""")) == ["NOT_FOUND"]
    assert codes(as_other("""{ policies { components { parameters(period: "2024", county: "haiyan") } } }""")) \
        == ["NOT_FOUND"]
    assert codes(as_other("""mutation { runSettlement(input: {county: "haiyan", policy: "haiyan",
        component: "work_equivalent", period: "2024"}) { run { id } } }""")) == ["NOT_FOUND"]
    assert codes(as_other('mutation { approveSettlement(input: {id: "%s"}) { run { id } } }' % other_run)) \
        == ["NOT_FOUND"]
    d = data(as_other("""{ units { nodes { code county { code } } } institutions { nodes { code } }
        counties { nodes { code } } provinces { nodes { code counties { nodes { code } } } }
        settlements { totalCount } compareCounties(indicator: "visits_total", period: "2024") { nodes { county { code } } }
        indicators(search: "visits") { nodes { targets { nodes { year county { code } } } } } }"""))
    assert {u["county"]["code"] for u in d["units"]["nodes"]} == {"other"}
    assert {n["code"] for n in d["institutions"]["nodes"]} == {"H1", "T1", "V1", "V2"}
    assert d["counties"]["nodes"] == [{"code": "other"}]
    assert d["provinces"]["nodes"] == [{"code": "anhui", "counties": {"nodes": [{"code": "other"}]}}]
    assert d["settlements"]["totalCount"] == 0
    assert d["compareCounties"]["nodes"] == [{"county": {"code": "other"}}]
    assert {t["county"]["code"] for n in d["indicators"]["nodes"] for t in n["targets"]["nodes"] if t["county"]} \
        <= {"other"}


def test_supervisors_read_but_do_not_write(api):
    r = api("""mutation { runSettlement(input: {county: "haiyan", policy: "haiyan", component: "work_equivalent",
        period: "2024"}) { run { id } } }""", as_="supervisor")
    assert codes(r) == ["FORBIDDEN"]


def test_unknown_expired_and_revoked_tokens_are_refused(api):
    client = api.client
    q = {"query": "{ indicators { totalCount } }"}
    for header in ("Bearer cp_forged", "Bearer nonsense", "Basic abc"):
        r = client.post("/graphql", json=q, headers={"Authorization": header})
        assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    with Session(api.engine) as s:
        expired, secret_e = create_token(s, "supervisor", days=1)
        expired.expires_at = now() - timedelta(minutes=1)
        revoked, secret_r = create_token(s, "supervisor")
        revoked.revoked_at = now()
        s.commit()
    for secret in (secret_e, secret_r):
        assert client.post("/graphql", json=q, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_hostile_queries_are_refused_before_they_run(api):
    deep = "{ counties { nodes { province { code } } } }"
    for _ in range(4):
        deep = deep.replace("province { code }", "province { counties { nodes { province { code } } } }")
    assert "exceeds maximum operation depth" in api(deep, as_="supervisor")["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: indicators {{ totalCount }}" for i in range(40)) + " }"
    assert "aliases" in api(aliases, as_="supervisor")["errors"][0]["message"]
    big = {"query": "{ indicators { totalCount } }" + " " * 300_000}
    assert api.client.post("/graphql", json=big).status_code == 413


def test_introspection_can_be_turned_off(graphql_api):
    r = graphql_api(settings=Settings(introspection=False))("{ __schema { types { name } } }", status=None)
    assert "introspection" in r["errors"][0]["message"].lower()


def test_graphiql_in_the_browser(api):
    r = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


def test_sql_looking_strings_are_data(api):
    d = data(api("""{ units(county: "other", community: "north' OR '1'='1") { totalCount }
        indicators(search: "%' OR 1=1 --") { totalCount } }""", as_="supervisor"))
    assert d == {"units": {"totalCount": 0}, "indicators": {"totalCount": 0}}


def test_audit_trail_over_graphql(api):
    run = settled(api(RUN, as_="haiyan"))["id"]
    data(api('mutation { approveSettlement(input: {id: "%s"}) { run { status } } }' % run, as_="haiyan"))
    q = "{ auditEvents { nodes { action actor subject county { code } } } }"
    own = [(e["action"], e["actor"], e["subject"]) for e in data(api(q, as_="haiyan"))["auditEvents"]["nodes"]]
    assert own[:2] == [("SETTLEMENT_APPROVE", "haiyan team", f"run {run}"),
                       ("SETTLEMENT_RUN", "haiyan team", f"run {run}")]
    approvals = data(api("{ auditEvents(action: SETTLEMENT_APPROVE) { nodes { subject } } }", as_="haiyan"))
    assert approvals["auditEvents"]["nodes"] == [{"subject": f"run {run}"}]
    assert all(e["county"]["code"] == "other" for e in data(api(q, as_="other"))["auditEvents"]["nodes"])
    everyone = data(api(q, as_="supervisor"))["auditEvents"]["nodes"]
    assert {e["county"]["code"] for e in everyone if e["county"]} == {"haiyan", "other"}
    assert codes(api(q)) == ["UNAUTHENTICATED"]


def test_every_entity_has_a_global_id_that_node_refetches(api):
    d = data(api("""{ county(code: "other") { id code communities { id } institutions(first: 1) { nodes { id code } }
        units(first: 1) { nodes { id code } } province { id code } } indicators(first: 1) { nodes { id code } } }""",
                 as_="supervisor"))
    county = d["county"]
    ids = {county["id"]: ("County", "other"), county["institutions"]["nodes"][0]["id"]: ("Institution", "H1"),
           county["units"]["nodes"][0]["id"]: ("Unit", "U01"), county["province"]["id"]: ("Province", "anhui"),
           d["indicators"]["nodes"][0]["id"]: ("Indicator", d["indicators"]["nodes"][0]["code"])}
    assert len(set(ids)) == 5
    for id_, (kind, code) in ids.items():
        got = data(api('query($id: ID!) { node(id: $id) { __typename id ... on County { code } ... on Institution '
                       '{ code } ... on Unit { code } ... on Province { code } ... on Indicator { code } } }',
                       {"id": id_}, as_="supervisor"))["node"]
        assert got == {"__typename": kind, "id": id_, "code": code}
    run = settled(api(RUN, as_="haiyan"))["id"]
    assert data(api('query($id: ID!) { node(id: $id) { id ... on SettlementRun { policy } } }', {"id": run},
                    as_="haiyan"))["node"] == {"id": run, "policy": "haiyan"}
    assert codes(api('query($id: ID!) { node(id: $id) { id } }', {"id": county["id"]}, as_="haiyan")) == ["NOT_FOUND"]
    assert codes(api('query($id: ID!) { node(id: $id) { id } }', {"id": county["id"]})) == ["UNAUTHENTICATED"]
    assert codes(api('{ node(id: "not an id") { id } }', as_="supervisor")) == ["NOT_FOUND"]
    both = data(api('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {"ids": [county["id"], "x"]}, as_="supervisor"))
    assert both["nodes"] == [{"id": county["id"]}, None]


def test_an_unknown_county_nulls_only_its_own_field(api):
    r = api('{ county(code: "nowhere") { code } indicators(first: 1) { totalCount } }', as_="supervisor")
    assert codes(r) == ["NOT_FOUND"] and r["data"]["county"] is None and r["data"]["indicators"]["totalCount"] > 0
