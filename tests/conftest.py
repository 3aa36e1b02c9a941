"""Database fixtures: every test that takes `engine` runs on SQLite and on PostgreSQL.

PostgreSQL tests skip with the reason when no server answers at COUNTYPAY_TEST_POSTGRES_URL,
unless COUNTYPAY_REQUIRE_POSTGRES=1 (as in CI), where that is a failure.
"""
import contextlib
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from countypay.db import make_engine
from countypay.launch import ServerDidNotStart, serving
from countypay.store import upgrade

PG_URL = os.environ.get("COUNTYPAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_problem: list = []


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    if not _pg_problem:
        try:
            engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as c:
                c.execute(text("select 1"))
            engine.dispose()
            _pg_problem.append(None)
        except Exception as e:  # any failure to connect means: no server here
            _pg_problem.append(f"no PostgreSQL at {PG_URL}: {type(e).__name__}: {str(e).splitlines()[0]}")
    return _pg_problem[0]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'countypay.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    problem = postgres_problem()
    if problem:
        if os.environ.get("COUNTYPAY_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f"create schema {schema}"))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


def missing_tool(problem: str | None) -> None:
    """Skip for a missing tool (chromium, node, …), or fail where tools are required (CI)."""
    if problem:
        if os.environ.get("COUNTYPAY_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{problem} (COUNTYPAY_REQUIRE_TOOLS=1)")
        pytest.skip(problem)


@contextlib.contextmanager
def running_server(db: Path, *options: str):
    """`countypay serve` on a free loopback port until the block ends; yields its base URL."""
    try:
        with serving(f"sqlite:///{db}", *options) as (base, _):
            yield base
    except ServerDidNotStart as e:
        pytest.fail(str(e))


@pytest.fixture
def serve():
    """`with serve(db_path, *countypay_serve_options) as base_url:` runs the real server."""
    return running_server


@pytest.fixture
def need_tool():
    return missing_tool
