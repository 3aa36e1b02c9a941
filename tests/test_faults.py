"""The server rides out a PostgreSQL restart: requests fail cleanly while the database is
down, and succeed again once it is back, without restarting countypay.

The test starts a PostgreSQL cluster of its own in a temporary folder (initdb, pg_ctl), so it
stops no server anyone else uses and runs beside the other tests. It skips where PostgreSQL's
programs are not installed (COUNTYPAY_REQUIRE_POSTGRES=1 makes that a failure)."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.db import make_engine
from countypay.load import import_bundle
from countypay.store import upgrade

QUERY = {"query": '{ county(code: "haiyan") { institutions { totalCount } } }'}
BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)


@pytest.fixture
def cluster():
    """A throwaway PostgreSQL on a free loopback port: yields (url, pg_ctl action runner). Its
    folder is made in the system's temporary folder, which the postgres user can reach."""
    if BIN is None:
        if os.environ.get("COUNTYPAY_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL's programs (initdb, pg_ctl) are not installed")
        pytest.skip("PostgreSQL's programs (initdb, pg_ctl) are not installed")
    home = Path(tempfile.mkdtemp(prefix="countypay-pg-"))
    as_owner = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(home, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = home / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_owner, *args], check=True, capture_output=True, timeout=120)

    def pg_ctl(action: str) -> None:
        run(f"{BIN}/pg_ctl", "-D", str(data), "-w", "-l", str(home / "log"), action,
            *(["-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"]
              if action == "start" else ["-m", "fast"] if action == "stop" else []))

    run(f"{BIN}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    pg_ctl("start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", pg_ctl
    finally:
        subprocess.run([*as_owner, f"{BIN}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def answer(client, headers):
    r = client.post("/graphql", json=QUERY, headers=headers)
    return r.status_code, r.json()


def test_requests_fail_cleanly_while_postgres_is_down_then_recover(cluster):
    url, pg_ctl = cluster
    engine = make_engine(url)
    upgrade(engine)
    import_bundle(engine, Path(__file__).parent / "data" / "haiyan-bundle")
    with Session(engine) as s:
        token = create_token(s, "county", "haiyan")[1]
        s.commit()
    client, headers = TestClient(create_app(engine, Settings())), {"Authorization": f"Bearer {token}"}
    assert answer(client, headers)[1]["data"]["county"]["institutions"]["totalCount"] == 4
    pg_ctl("stop")
    try:
        status, body = answer(client, headers)
        assert status == 503 and body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert "Traceback" not in str(body)
    finally:
        pg_ctl("start")
    deadline = time.monotonic() + 60
    while True:
        status, body = answer(client, headers)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200 and body["data"]["county"]["institutions"]["totalCount"] == 4
    engine.dispose()
