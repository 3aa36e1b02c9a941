"""Queries refused before they run (cost, NUL bytes, impossible ids, long patterns), error codes
that every answer carries and the docs list, and no field suggestions without introspection."""
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from countypay.app import _CODES, Settings
from countypay.load import import_bundle
from countypay.schema.context import CODES
from countypay.schema.limits import BUDGETS

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
DEEP = ("{ institutions(first: 1000) { nodes { community { institutions(first: 1000) { nodes { community { "
        "institutions(first: 1000) { nodes { code } } } } } } } } }")


@pytest.fixture
def api(graphql_api):
    """Haiyan's bundle, asked of the app with introspection or without."""
    shown = graphql_api("haiyan-bundle", supervisor=dict(role="supervisor", name="province"),
                        haiyan=dict(role="county", county_code="haiyan", name="haiyan team"))
    hidden = shown.served(Settings(introspection=False))

    def gql(query, variables=None, as_=None, introspection=True):
        return (shown if introspection else hidden)(query, variables, as_)

    gql.engine = shown.engine
    return gql


def statements(engine, run):
    seen = []
    listener = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, seen


@pytest.mark.parametrize("as_", [None, "haiyan", "supervisor"])
def test_the_deep_query_is_refused_before_any_sql_with_any_token(api, as_):
    api("{ policies { code } }", as_=as_)  # the token's own look-up and the caches, before counting
    start = time.perf_counter()
    r, seen = statements(api.engine, lambda: api(DEEP, as_=as_))
    elapsed = time.perf_counter() - start
    error = r["errors"][0]
    assert "data" not in r and error["extensions"]["code"] == "TOO_COSTLY"
    assert error["extensions"]["budget"] == BUDGETS[{None: "anonymous", "haiyan": "county"}.get(as_, as_)]
    assert error["extensions"]["cost"] > 10 ** 9 and str(error["extensions"]["cost"]) in error["message"]
    assert [s for s in seen if "apitoken" not in s] == [] and elapsed < 0.5


def test_aliases_of_simulations_are_refused_by_cost(api):
    sim = ('s{i}: simulateSettlement(county: "haiyan", policy: "haiyan", component: "work_equivalent", '
           'period: "2024") {{ entities {{ entity }} }}')
    q = "{ " + " ".join(sim.format(i=i) for i in range(30)) + " }"
    assert api(q, as_="haiyan")["errors"][0]["extensions"]["code"] == "TOO_COSTLY"


def test_a_page_size_passed_as_a_variable_counts(api):
    q = "query($n: Int) { institutions(first: $n) { nodes { community { institutions(first: $n) { nodes { code } } } } } }"
    assert "errors" not in api(q, {"n": 10}, as_="supervisor")
    assert api(q, {"n": 1000}, as_="supervisor")["errors"][0]["extensions"]["code"] == "TOO_COSTLY"


def test_nul_bytes_impossible_ids_and_long_patterns_are_bad_input_not_faults(api):
    r, seen = statements(api.engine, lambda: api('{ county(code: "hai\\u0000yan") { code } }', as_="supervisor"))
    assert r["errors"][0]["extensions"]["code"] == "BAD_INPUT" and not [s for s in seen if "apitoken" not in s]
    r = api("query($c: String!) { county(code: $c) { code } }", {"c": "x\x00"}, as_="supervisor")
    assert r["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    r = api('{ settlement(id: "99999999999999999999999") { id } }', as_="supervisor")
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    r = api("query($s: String) { indicators(search: $s) { totalCount } }", {"s": "%_" * 100_000})
    assert r["errors"][0]["extensions"]["code"] == "BAD_INPUT"


def test_no_field_suggestions_without_introspection(api):
    shown = api("{ countys { code } }")["errors"][0]
    assert "Did you mean" in shown["message"] and shown["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    hidden = api("{ countys { code } }", introspection=False)["errors"][0]
    assert "Did you mean" not in hidden["message"] and "counties" not in hidden["message"]
    assert hidden["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_every_error_carries_a_code(api):
    for query in ("{ countys { code } }", "{ county(code: ", DEEP, '{ county(code: "nowhere") { code } }',
                  "{ " + " ".join(f"a{i}: policies {{ code }}" for i in range(40)) + " }"):
        for e in api(query, as_="supervisor")["errors"]:
            assert e["extensions"]["code"] in CODES, (query, e)


def documented_codes() -> set[str]:
    text = (ROOT / "docs" / "front-end.md").read_text()
    table = text[text.index("## Errors"):text.index("### Cost")]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))


def emitted_codes() -> set[str]:
    """Every code literal of the GraphQL layer and the HTTP layer, and the HTTP layer's table."""
    found = set(_CODES.values())
    for path in [*(ROOT / "schema").glob("*.py"), ROOT / "server" / "app.py"]:
        found |= {c for c in re.findall(r'"([A-Z][A-Z_]{3,})"', path.read_text())
                  if not c.startswith("COUNTYPAY_") and c not in ("POST", "DENY")}  # env, methods, headers
    return found


def test_the_documented_codes_are_the_codes_the_server_emits():
    assert documented_codes() == set(CODES)
    assert emitted_codes() <= set(CODES), emitted_codes() - set(CODES)


NESTED = """{ provinces(first: 2) { nodes { counties(first: 2) { totalCount nodes { code
  communities { code lead { code } institutions(first: N) { totalCount nodes { code community { code
    units(first: N) { totalCount nodes { code team { institution { code } } } } } } } units(first: N) { nodes { code } } }
  institutions(first: N) { totalCount nodes { code } } units(first: N) { nodes { code county { code } } } } } } } }"""


def test_the_deepest_allowed_query_costs_one_statement_per_list_level(api):
    import_bundle(api.engine, DATA / "other-bundle")
    api("{ policies { code } }", as_="supervisor")
    counts = []
    for n in (1, 4):
        r, seen = statements(api.engine, lambda: api(NESTED.replace("N", str(n)), as_="supervisor"))
        assert "errors" not in r, r["errors"]
        counts.append(len([s for s in seen if "apitoken" not in s]))
        if n == 4:
            counties = [c for p in r["data"]["provinces"]["nodes"] for c in p["counties"]["nodes"]]
            assert len(counties) == 2 and any(c["communities"] for c in counties)
            assert sum(i["totalCount"] for c in counties for i in [c["institutions"]]) > 2
    assert counts[0] == counts[1] <= 16, counts  # one per relation and per totalCount, whatever the rows
