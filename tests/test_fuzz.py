"""Hostile and random use of the API: generated queries and mutations never crash the server
nor leak a stack trace, and every error is one the client can act on."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes
from sqlalchemy import func, select
from sqlmodel import Session
from starlette.testclient import TestClient

from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.load import import_bundle
from countypay.models import County
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
    app = TestClient(create_app(engine, Settings()))
    app.engine = engine  # the data checked intact after hostile arguments
    return app, {"Authorization": f"Bearer {token}"}


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


def string_arguments():
    """(root field, argument) for every String argument of every root query field."""
    from graphql import GraphQLNonNull, GraphQLScalarType, get_named_type

    for name, f in schema._schema.query_type.fields.items():
        for arg, a in f.args.items():
            t = a.type.of_type if isinstance(a.type, GraphQLNonNull) else a.type
            if isinstance(t, GraphQLScalarType) and get_named_type(t).name in ("String", "ID"):
                yield name, arg


INJECTIONS = ["' OR '1'='1", "haiyan'; DROP TABLE county; --", "%", "_", "\\", "haiyan\" OR 1=1", "\u0000"]


@pytest.mark.parametrize("field,arg", list(string_arguments()))
def test_sql_looking_strings_in_every_argument_are_data(client, field, arg):
    from graphql import GraphQLNonNull

    app, headers = client
    f = schema._schema.query_type.fields[field]
    required = {n: a for n, a in f.args.items() if isinstance(a.type, GraphQLNonNull) and n != arg}
    fillers = {"county": '"haiyan"', "period": '"2024"', "indicator": '"performance_score"', "code": '"haiyan"',
               "policy": '"haiyan"', "component": '"work_equivalent"', "id": '"1"', "a": '"1"', "b": '"1"'}
    for value in INJECTIONS:
        args = {arg: '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\u0000", "\\u0000") + '"'}
        args.update({n: fillers[n] for n in required})
        rendered = ", ".join(f"{k}: {v}" for k, v in args.items())
        check(app, headers, f"{{ {field}({rendered}) {{ __typename }} }}")
    with Session(app.engine) as s:  # the data is intact
        assert s.execute(select(func.count()).select_from(County)).scalar_one() == 2


def test_batched_and_wide_queries_are_refused(client):
    app, headers = client
    r = app.post("/graphql", json=[{"query": "{ indicators { totalCount } }"}] * 50, headers=headers)
    assert 400 <= r.status_code < 500
    wide = "{ indicators { nodes { " + " ".join(["code nameZh nameEn unit"] * 600) + " } } }"
    r = app.post("/graphql", json={"query": wide}, headers=headers)
    assert "token" in r.json()["errors"][0]["message"].lower()
