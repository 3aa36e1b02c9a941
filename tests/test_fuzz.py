"""Hostile and random use of the API: generated queries and mutations never crash the server
nor leak a stack trace, and every error is one the client can act on."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes
from sqlmodel import Session
from starlette.testclient import TestClient

from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.load import import_bundle
from countypay.schema import schema

DATA = Path(__file__).parent / "data"
SCALARS = {
    "Money": st.decimals(min_value=-10**6, max_value=10**9, places=2, allow_nan=False).map(str).map(nodes.String),
    "Exact": st.sampled_from(["0", "0.5", "1", "-3", "1e400", "abc"]).map(nodes.String),
    "Period": st.sampled_from(["2024", "2024H1", "2024Q3", "2024-07", "2024Q9", "x"]).map(nodes.String),
    "JSON": st.sampled_from([nodes.Null, nodes.String("x"), nodes.Int(1)]),
    "Date": st.sampled_from(["2024-01-01", "2024-13-01", "soon"]).map(nodes.String),
    "DateTime": st.just(nodes.String("2024-01-01T00:00:00")),
}
LEAKS = ("Traceback", "File \"", "sqlalchemy", "psycopg", "sqlite3", "Error(")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from countypay.db import make_engine
    from countypay.store import upgrade

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    upgrade(engine)
    import_bundle(engine, DATA / "haiyan-bundle")
    import_bundle(engine, DATA / "other-bundle")
    with Session(engine) as s:
        token = create_token(s, "county", "haiyan")[1]
        s.commit()
    return TestClient(create_app(engine, Settings())), {"Authorization": f"Bearer {token}"}


def check(client, headers, query):
    r = client.post("/graphql", json={"query": query}, headers=headers)
    assert r.status_code < 500, (query, r.text)
    assert not any(leak in r.text for leak in LEAKS), (query, r.text)
    for err in r.json().get("errors", []):  # refused or failed for a reason the client can act on
        assert not err["message"].startswith("Internal error"), (query, err)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_queries_and_mutations(client, data):
    app, headers = client
    query = data.draw(from_schema(schema._schema, custom_scalars=SCALARS))
    check(app, headers, query)
