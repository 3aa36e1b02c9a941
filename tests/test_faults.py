"""The server rides out a PostgreSQL restart: requests fail cleanly while the database is
down, and succeed again once it is back, without restarting countypay.

It stops and starts the machine's PostgreSQL cluster, so it runs only when asked:
COUNTYPAY_FAULT_TESTS=1 (CI sets it) and `pg_ctlcluster` is at hand."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.load import import_bundle

pytestmark = pytest.mark.skipif(
    os.environ.get("COUNTYPAY_FAULT_TESTS") != "1" or not shutil.which("pg_ctlcluster"),
    reason="stops the local PostgreSQL: set COUNTYPAY_FAULT_TESTS=1 on a machine where that is fine")

QUERY = {"query": '{ county(code: "haiyan") { institutions { totalCount } } }'}


def cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True,
                   capture_output=True, timeout=120)


def answer(client, headers):
    r = client.post("/graphql", json=QUERY, headers=headers)
    return r.status_code, r.json()


def test_requests_fail_cleanly_while_postgres_is_down_then_recover(engine, request):
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL fault")
    import_bundle(engine, Path(__file__).parent / "data" / "haiyan-bundle")
    with Session(engine) as s:
        token = create_token(s, "county", "haiyan")[1]
        s.commit()
    client, headers = TestClient(create_app(engine, Settings())), {"Authorization": f"Bearer {token}"}
    assert answer(client, headers)[1]["data"]["county"]["institutions"]["totalCount"] == 4
    cluster("stop")
    try:
        status, body = answer(client, headers)
        assert status == 503 and body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert "Traceback" not in str(body)
    finally:
        cluster("start")
    deadline = time.monotonic() + 60
    while True:
        status, body = answer(client, headers)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200 and body["data"]["county"]["institutions"]["totalCount"] == 4
