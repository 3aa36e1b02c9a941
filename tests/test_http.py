"""GraphQL over HTTP: the graphql-http audit against a real server, and the media-type rules.

The audit needs node and `npm ci` in tests/http; without them it skips, unless
COUNTYPAY_REQUIRE_TOOLS=1 (as in CI), where that is a failure.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from countypay.app import GRAPHQL_RESPONSE, JSON, Settings, create_app, media_type
from countypay.auth import create_token
from countypay.db import make_engine
from countypay.load import import_bundle
from countypay.store import upgrade

HERE = Path(__file__).parent
AUDIT = HERE / "http"


def test_graphql_http_audit_passes_every_must_and_should(tmp_path, serve, need_tool):
    node = shutil.which("node")
    need_tool(None if node else "node is not installed")
    need_tool(None if (AUDIT / "node_modules" / "graphql-http").is_dir()
                 else "graphql-http is not installed: run `npm ci` in tests/http")
    with serve(tmp_path / "audit.db") as base:
        done = subprocess.run([node, "audit.mjs", f"{base}/graphql"], cwd=AUDIT, capture_output=True,
                              text=True, timeout=120)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout + done.stderr
    counts = dict((level, (int(ok), int(all_))) for level, ok, all_ in re.findall(r"(MUST|SHOULD) (\d+)/(\d+)", summary))
    assert counts["MUST"][0] == counts["MUST"][1] >= 13 and counts["SHOULD"][0] == counts["SHOULD"][1] >= 23, summary
    assert summary.endswith("0 MUST/SHOULD failures"), summary


# ---- the same rules without node


@pytest.fixture
def client(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'http.db'}")
    upgrade(engine)
    import_bundle(engine, HERE / "data" / "haiyan-bundle")
    with Session(engine) as s:
        _, secret = create_token(s, "supervisor")
        s.commit()
    client = TestClient(create_app(engine, Settings(max_body=64 * 1024)))
    client.secret = secret
    yield client
    engine.dispose()


def post(client, body, accept=None, token=None):
    headers = {"Accept": accept} if accept else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize("accept, expected", [
    (None, JSON), ("", JSON), ("*/*", JSON), ("application/*", JSON), (JSON, JSON),
    (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE), (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
    (f"{JSON}, {GRAPHQL_RESPONSE}", JSON), (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
    (f"text/html, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE), (f"{JSON};q=0, */*;q=0.1", GRAPHQL_RESPONSE),
    ("text/plain", None), (f"{JSON};q=0", None),
])
def test_accept_negotiation(accept, expected):
    assert media_type(accept) == expected


def test_results_come_in_the_media_type_asked_for(client):
    ok = {"query": "{ __typename }"}
    r = post(client, ok, GRAPHQL_RESPONSE)
    assert r.status_code == 200 and r.headers["content-type"] == GRAPHQL_RESPONSE
    assert r.json() == {"data": {"__typename": "Query"}}
    for accept in (None, "*/*", JSON):
        r = post(client, ok, accept)
        assert r.status_code == 200 and r.headers["content-type"] == JSON
    r = post(client, ok, "text/plain")
    assert r.status_code == 406 and r.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize("body", [
    {"query": "{"},  # does not parse
    {"query": "{ noSuchField }"},  # does not validate
    {"query": "query($id: ID!) { __typename }", "variables": {"id": None}},  # variables do not coerce
])
def test_requests_that_fail_before_execution_have_no_data(client, body):
    r = post(client, body, GRAPHQL_RESPONSE)
    assert r.status_code == 400 and "data" not in r.json() and r.json()["errors"]
    r = post(client, body, JSON)  # the older media type keeps 200
    assert r.status_code == 200 and "data" not in r.json() and r.json()["errors"]


def test_errors_during_execution_keep_200_and_data(client):
    r = post(client, {"query": '{ county(code: "nowhere") { code } }'}, GRAPHQL_RESPONSE, client.secret)
    assert r.status_code == 200 and r.json()["data"] == {"county": None}  # a lookup is nullable
    assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_malformed_requests_are_4xx_graphql_errors(client):
    r = client.post("/graphql", content=b'{"query": ', headers={"Content-Type": JSON, "Accept": GRAPHQL_RESPONSE})
    assert r.status_code == 400 and r.headers["content-type"] == GRAPHQL_RESPONSE
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for body in ({"query": 1}, {"query": "{ __typename }", "variables": "x"}, {"notquery": "{ __typename }"}):
        assert post(client, body).status_code == 400
    assert client.post("/graphql", content=b"{ __typename }").status_code == 400  # no content type
    r = client.get("/graphql", params={"query": "mutation { __typename }"}, headers={"Accept": JSON})
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = client.put("/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 405 and "POST" in r.headers["allow"]


def test_queries_by_get(client):
    r = client.get("/graphql", params={"query": "query($n: String!) { __type(name: $n) { name } }",
                                       "variables": '{"n": "Query"}'}, headers={"Accept": GRAPHQL_RESPONSE})
    assert r.status_code == 200 and r.json() == {"data": {"__type": {"name": "Query"}}}


def test_graphiql_tokens_and_size_limits_still_hold(client):
    r = client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()
    r = post(client, {"query": "{ __typename }"}, GRAPHQL_RESPONSE, "cp_forged")
    assert r.status_code == 401 and r.headers["content-type"] == GRAPHQL_RESPONSE
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert post(client, {"query": "{ __typename }" + " " * 70_000}).status_code == 413
    chunks = iter([b'{"query": "{ __typename }', b" " * 40_000, b" " * 40_000, b'"}'])  # no Content-Length
    r = client.post("/graphql", content=chunks, headers={"Content-Type": JSON})
    assert r.status_code == 413 and r.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"


def test_graphiql_comes_from_this_server(client):
    """GraphiQL's files are in the package: the page names no other host, and each file it loads is
    served here (networks without internet are the normal case)."""
    page = client.get("/graphql", headers={"Accept": "text/html"}).text
    assert "unpkg.com" not in page and "https://" not in page
    files = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(f.endswith("/graphiql.min.js") for f in files) and any(f.endswith("/react.production.min.js") for f in files)
    for f in files:
        assert client.get(f).status_code == 200, f
