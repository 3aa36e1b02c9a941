"""Hostile clients over HTTP, on SQLite and PostgreSQL: a slow or heavy request starves no other
(health checks and small queries answer meanwhile), a request past its time budget is stopped
with TIMEOUT, every failure a client can cause is a coded 4xx and anything else a coded JSON 500
without a trace, every page and export carries the security headers, and token lifetimes mean
what they say."""
import json
import sqlite3
import threading
import time
import http.client
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import Session
from starlette.testclient import TestClient
from typer.testing import CliRunner

from countypay import jobs
from countypay.app import GRAPHQL_RESPONSE, JSON, MAX_JSON_DEPTH, Settings, TimeUp, budgeted, create_app, watch
from countypay.auth import create_token, viewer_for
from countypay.cli import app as cli
from countypay.db import make_engine
from countypay.launch import serving
from countypay.load import import_bundle
from countypay.models import ApiToken
from countypay.settle import county_by_code, settle
from countypay.synth import write_province

DATA = Path(__file__).parent / "data"
SECURITY = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


@pytest.fixture
def store(engine):
    """The Haiyan bundle settled, a supervisor token, and the app in process (server errors are
    answered, not raised, as a client sees them)."""
    import_bundle(engine, DATA / "haiyan-bundle")
    with Session(engine) as s:
        run_id = settle(s, "haiyan", "haiyan", "work_equivalent", "2024").id
        secret = create_token(s, "supervisor")[1]
        s.commit()
    client = TestClient(create_app(engine, Settings()), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {secret}"
    client.run_id, client.engine = run_id, engine
    return client


def call(base: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 60):
    """(status, parsed JSON) of a request to a running server."""
    headers = {"Content-Type": JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(base + path, json.dumps(body).encode() if body else None, headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Request(threading.Thread):
    """A GraphQL request in flight on its own thread: `started` is set when its answer begins to
    arrive (the server has done its work), `answer` is (status, JSON) once it is read."""

    def __init__(self, base: str, query: str, token: str):
        super().__init__(daemon=True)
        self.base, self.query, self.token = base, query, token
        self.started, self.answer = threading.Event(), None

    def run(self):
        parts = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        conn.request("POST", "/graphql", json.dumps({"query": self.query}),
                     {"Content-Type": JSON, "Authorization": f"Bearer {self.token}"})
        r = conn.getresponse()
        self.started.set()
        self.answer = r.status, json.loads(r.read())


def answers_meanwhile(base: str, token: str, busy: Request) -> None:
    """/health and a small query both answer before `busy` has even begun to answer."""
    status, body = call(base, "/health", timeout=30)
    assert status == 200 and body == {"status": "ok"}
    status, body = call(base, "/graphql", {"query": '{ county(code: "haiyan") { code } }'}, token, timeout=30)
    assert status == 200 and body == {"data": {"county": {"code": "haiyan"}}}, body
    assert not busy.started.is_set(), "the others were answered only after the busy request was done"


def test_a_request_waiting_on_the_database_stalls_no_other(engine, db_url):
    """A settlement that waits for a lock held elsewhere (as a heavy statement would hold the
    worker) leaves /health and small queries answering: GraphQL runs off the event loop."""
    import_bundle(engine, DATA / "haiyan-bundle")
    with Session(engine) as s:
        token = create_token(s, "county", "haiyan")[1]
        s.commit()
    with serving(db_url) as (base, _):
        if engine.dialect.name == "sqlite":
            lock = sqlite3.connect(engine.url.database, isolation_level=None)
            lock.execute("begin immediate")  # the store's one writer, for now
        else:
            lock = engine.connect()
            lock.begin()
            lock.execute(text("lock table settlementrun in exclusive mode"))  # reads go on, writes wait
        try:
            settling = Request(base, 'mutation { runSettlement(input: {county: "haiyan", policy: "haiyan", '
                                     'component: "work_equivalent", period: "2024"}) { run { id } } }', token)
            settling.start()
            time.sleep(0.5)  # it reaches the lock
            answers_meanwhile(base, token, settling)
        finally:
            lock.rollback() if engine.dialect.name != "sqlite" else lock.execute("rollback")
            lock.close()
        settling.join(30)
        status, body = settling.answer
        assert status == 200 and body["data"]["runSettlement"]["run"]["id"], body


def test_health_and_small_queries_answer_while_a_heavy_query_runs(engine, tmp_path, db_url):
    """A heavy query the limits admit (every run's thousand first lines with their traces, in
    aliases) runs on a worker thread: /health and a small query answer before it is done."""
    import_bundle(engine, write_province(tmp_path / "province", 1, 20, 40, 12, 1))
    import_bundle(engine, DATA / "haiyan-bundle")
    with Session(engine) as s:
        county = county_by_code(s, "c001")
        for policy, component in jobs.plan(s, county):  # every component it has: six runs
            settle(s, "c001", policy, component, "2024")
        token = create_token(s, "supervisor")[1]
        s.commit()
    heavy = "{ " + " ".join(f'a{k}: settlements(county: "c001", first: 6) {{ nodes {{ lines(first: 1000) '
                            f'{{ nodes {{ entity code value trace }} }} }} }}' for k in range(30)) + " }"
    with serving(db_url) as (base, _):
        running = Request(base, heavy, token)
        running.start()
        time.sleep(0.3)
        answers_meanwhile(base, token, running)
        running.join(120)
        status, body = running.answer
        assert status == 200 and "errors" not in body, str(body)[:500]
        assert sum(len(run["lines"]["nodes"]) for run in body["data"]["a29"]["nodes"]) > 1000


def test_a_dear_request_gives_way_while_cheap_ones_are_answered(monkeypatch):
    """Before each statement and each piece of its answer, a dear request waits while the loop
    answers cheap ones (up to GIVE_WAY), and goes on as soon as they are done; a cheap one never waits."""
    from countypay import app

    monkeypatch.setattr(app, "GIVE_WAY", 60)
    done = threading.Event()
    with app._cheap_in_flight():
        dear = threading.Thread(target=lambda: (app.give_way(True), done.set()), daemon=True)
        dear.start()
        assert not done.wait(0.3)
        app.give_way()  # this thread runs no dear request: it goes straight on
    assert done.wait(10)


def test_many_requests_at_once_are_all_answered(store, engine, db_url):
    """More requests at once than the connection pool holds: each waits its turn, none fails
    (the server admits a few at a time, so none waits on another for a connection)."""
    with Session(engine) as s:
        token = create_token(s, "supervisor")[1]
        s.commit()
    with serving(db_url) as (base, _):
        def one(i):
            if i % 4 == 0:
                with urllib.request.urlopen(urllib.request.Request(
                        f"{base}/export/settlements/{store.run_id}.xlsx",
                        headers={"Authorization": f"Bearer {token}"}), timeout=60) as r:
                    return r.status
            return call(base, "/graphql", {"query": "{ counties { nodes { code units { totalCount } } } }"}, token)[0]
        with ThreadPoolExecutor(40) as pool:
            assert set(pool.map(one, range(80))) == {200}


def test_a_request_past_its_time_budget_is_stopped_with_timeout(store, engine):
    client = TestClient(create_app(engine, Settings(public_read=True, time_budget=1e-9)))
    r = client.post("/graphql", json={"query": "{ counties { nodes { code } } }"})
    assert r.status_code == 200 and r.json()["data"] == {"counties": None}  # a root list of county data is nullable
    assert r.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    r = client.get(f"/export/settlements/{store.run_id}.csv")
    assert r.status_code == 503 and r.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert r.headers["retry-after"] and "Traceback" not in r.text
    assert client.get("/health").json() == {"status": "ok"}


def test_a_statement_running_past_the_deadline_is_stopped(engine, db_url):
    """SQLite's progress handler and PostgreSQL's statement_timeout stop a statement in its
    course, and the stop answers TIMEOUT (not 'the database is unavailable')."""
    if engine.dialect.name == "postgresql":
        engine = make_engine(db_url, statement_timeout=0.3)
        slow = "select pg_sleep(20)"
    else:
        slow = ("with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000000) "
                "select count(*) from c")
    watch(engine)
    started = time.monotonic()
    with budgeted(0.3), engine.connect() as c, pytest.raises(TimeUp) as stopped:
        c.execute(text(slow))
    assert time.monotonic() - started < 10 and stopped.value.extensions == {"code": "TIMEOUT"}
    with engine.connect() as c:  # the connection goes on serving, without the old deadline
        assert c.execute(text("select 1")).scalar() == 1
    if engine.dialect.name == "postgresql":
        engine.dispose()


DEEP = 60_000


ATTACKS = [  # what a client sends, the status and code it gets
    ("a body that is not UTF-8", lambda c: c.post("/graphql", content=b'{"query": "\xff{ __typename }"}',
                                                   headers={"Content-Type": JSON}), 400, "BAD_REQUEST"),
    ("a body in UTF-16", lambda c: c.post("/graphql", content='{"query": "{ __typename }"}'.encode("utf-16"),
                                          headers={"Content-Type": JSON}), 400, "BAD_REQUEST"),
    ("variables nested 60,000 deep", lambda c: c.post(
        "/graphql", content=b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * DEEP + b"]" * DEEP + b"}}",
        headers={"Content-Type": JSON}), 400, "BAD_REQUEST"),
    ("variables nested past the cap", lambda c: c.post("/graphql", json={
        "query": "{ __typename }", "variables": {"v": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)}}),
     400, "BAD_REQUEST"),
    ("a lone surrogate", lambda c: c.post("/graphql", content=b'{"query": "{ __typename }", "variables": '
                                                              b'{"v": "\\ud800"}}', headers={"Content-Type": JSON}),
     400, "BAD_REQUEST"),
    ("a body that is a number", lambda c: c.post("/graphql", content=b"42", headers={"Content-Type": JSON}),
     400, "BAD_REQUEST"),
    ("a body that is null", lambda c: c.post("/graphql", content=b"null", headers={"Content-Type": JSON}),
     400, "BAD_REQUEST"),
    ("a list of numbers", lambda c: c.post("/graphql", content=b"[1, 2]", headers={"Content-Type": JSON}),
     400, "BAD_REQUEST"),
    ("a batch", lambda c: c.post("/graphql", json=[{"query": "{ __typename }"}] * 2), 400, "BAD_REQUEST"),
    ("variables not UTF-8 in a GET", lambda c: c.get("/graphql?query=%7B__typename%7D&variables=%FF%FE",
                                                      headers={"Accept": JSON}), 400, "BAD_REQUEST"),
    ("a form post", lambda c: c.post("/graphql", data={"query": "{ __typename }"}), 400, "BAD_REQUEST"),
    ("a body over the limit", lambda c: c.post("/graphql", json={"query": "{ __typename }" + " " * 300_000}),
     413, "TOO_LARGE"),
    ("a Content-Length that is no number", lambda c: c.post("/graphql", content=b"{}", headers={
        "Content-Type": JSON, "Content-Length": "lots"}), 413, "TOO_LARGE"),
    ("a settlement number no row can have", lambda c: c.get("/export/settlements/99999999999999999999999.csv"),
     404, "NOT_FOUND"),
    ("a number past PostgreSQL's integer", lambda c: c.get(f"/export/settlements/{2**31}.xlsx"), 404, "NOT_FOUND"),
    ("a comparison with such a number", lambda c: c.get(f"/export/compare/1-{10**25}.csv"), 404, "NOT_FOUND"),
    ("a NUL byte in an export's parameter", lambda c: c.get("/export/indicator-values.csv?county=haiyan%00"),
     400, "BAD_INPUT"),
    ("a NUL byte in the path", lambda c: c.get("/static/console/%00.js"), 404, "NOT_FOUND"),
    ("an address that does not exist", lambda c: c.get("/wp-admin/setup.php"), 404, "NOT_FOUND"),
    ("a POST to an export", lambda c: c.post("/export/settlements/1.csv"), 405, "METHOD_NOT_ALLOWED"),
    ("a DELETE of GraphQL", lambda c: c.delete("/graphql"), 405, "METHOD_NOT_ALLOWED"),
    ("an Accept nothing can meet", lambda c: c.post("/graphql", json={"query": "{ __typename }"},
                                                    headers={"Accept": "text/plain"}), 406, "NOT_ACCEPTABLE"),
    ("a forged token", lambda c: c.post("/graphql", json={"query": "{ __typename }"},
                                        headers={"Authorization": "Bearer cp_forged"}), 401, "UNAUTHENTICATED"),
    ("a query nested past the parser's limit", lambda c: c.post(
        "/graphql", json={"query": "{" + "a{" * 600 + "b" + "}" * 601}, headers={"Accept": GRAPHQL_RESPONSE}),
     400, "GRAPHQL_PARSE_FAILED"),
]


def test_what_a_client_can_cause_is_a_coded_4xx(store):
    wrong = []
    for name, send, status, code in ATTACKS:
        r = send(store)
        try:
            got = r.json()["errors"][0]["extensions"]["code"]
        except (ValueError, KeyError, IndexError, TypeError):
            got = None
        if (r.status_code, got) != (status, code) or "Traceback" in r.text or \
                any(r.headers.get(k) != v for k, v in SECURITY.items()):
            wrong.append(f"{name}: {r.status_code} {r.text[:120]!r}")
    assert not wrong, "\n".join(wrong)


def test_an_unexpected_failure_is_a_coded_json_500_without_a_trace(store, monkeypatch):
    from countypay import exports

    def broken(*args):
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(exports, "run_lines", broken)
    r = store.get(f"/export/settlements/{store.run_id}.csv")
    assert r.status_code == 500 and r.json() == {"errors": [{"message": "Internal error: the request was not "
                                                                        "completed.", "extensions": {"code": "INTERNAL"}}]}
    assert r.headers["x-content-type-options"] == "nosniff"
    monkeypatch.setattr("countypay.app.viewer_for", broken)  # before any route: in the middleware
    r = store.post("/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 500 and r.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "secret" not in r.text and r.headers["x-frame-options"] == "DENY"


def test_every_page_and_export_carries_the_security_headers(store):
    answers = {
        "console": store.get("/"),
        "GraphiQL": store.get("/graphql", headers={"Accept": "text/html"}),
        "sign-in": store.get("/signin"),
        "xlsx": store.get(f"/export/settlements/{store.run_id}.xlsx"),
        "csv": store.get(f"/export/settlements/{store.run_id}.csv"),
        "values": store.get("/export/indicator-values.csv?county=haiyan"),
        "GraphQL": store.post("/graphql", json={"query": '{ county(code: "haiyan") { code } }'}),
        "refusal": store.get("/nowhere"),
        "health": store.get("/health"),
    }
    for name, r in answers.items():
        assert r.status_code in (200, 404), name
        assert all(r.headers.get(k) == v for k, v in SECURITY.items()), (name, dict(r.headers))
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
    for name in ("xlsx", "csv", "values", "GraphQL"):  # county data: never kept by a cache
        assert answers[name].headers["cache-control"] == "no-store", name
    for name in ("console", "GraphiQL", "sign-in"):  # pages load scripts from this server only
        assert "script-src 'self'" in answers[name].headers["content-security-policy"], name
    assert answers["xlsx"].headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    static = store.get("/static/console/console.js")
    assert static.headers["cache-control"] == "no-cache" and static.headers["x-frame-options"] == "DENY"


def test_token_lifetimes_mean_what_they_say(engine, tmp_path, db_url):
    with Session(engine) as s:
        for days in (0, -1, 10**12):
            with pytest.raises(ValueError, match="a token lasts 1 to"):
                create_token(s, "supervisor", days=days)
        forever, secret = create_token(s, "supervisor")
        day, _ = create_token(s, "supervisor", days=1)
        s.commit()
        assert forever.expires_at is None and viewer_for(s, f"Bearer {secret}").role == "supervisor"
        assert 86_000 < (day.expires_at - day.created_at).total_seconds() <= 86_400

    def create(*options):
        return CliRunner().invoke(cli, ["token", "create", "--role", "supervisor", "--db", db_url, *options])

    for options in (["--days", "0"], ["--days", "-5"], ["--days", "2", "--no-expiry"]):
        result = create(*options)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, (options, result.output)
    assert create("--no-expiry").exit_code == 0 and create().exit_code == 0
    with Session(engine) as s:
        never, default = s.exec(select(ApiToken).order_by(ApiToken.id.desc()).limit(2)).scalars().all()[::-1]
    assert never.expires_at is None
    assert default.expires_at is not None and 89 <= (default.expires_at - default.created_at).days <= 90
