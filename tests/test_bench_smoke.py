"""The benchmark scripts run at their smallest size (so they keep working), and the drill-down
province → counties → units costs a bounded number of SQL statements (no query per unit)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from countypay.app import Settings, create_app
from countypay.load import import_bundle
from countypay.store import open_store
from countypay.synth import write_province

BENCH = Path(__file__).resolve().parents[1] / "bench"
TINY = ["--units", "6", "--institutions", "15", "--months", "1", "--runs", "1"]
# Pages small enough for the query's cost to fit any caller's budget; the province has 6 units a county.
DRILL = ('{ provinces(first: 5) { nodes { code counties(first: 10) { nodes { code units(first: 10) { nodes { code '
         'team { role institution { code tier } } populations { group count } } } } } } } }')


def bench(script: str, db: Path, *options: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), "--db", f"sqlite:///{db}", *TINY, *options],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("script,options,measure", [
    ("settle.py", ["--sizes", "1"], "settle 1 counties"),
    ("importing.py", ["--counties", "1"], "import"),
    ("api.py", ["--lines", "120"], "GraphQL 120 lines"),
    ("soak.py", ["--seconds", "3"], "soak: errors"),
    ("stall.py", ["--seconds", "1", "--rate", "10", "--clients", "1"], "small beside heavy: p99"),
])
def test_a_bench_script_runs_and_reports_its_ratio(tmp_path, script, options, measure):
    out = bench(script, tmp_path / "bench.db", *options)
    assert measure in out, out


def test_the_load_script_runs_under_wrk(tmp_path, need_tool):
    need_tool(None if shutil.which("wrk") else "wrk is not installed (apt-get install -y wrk)")
    out = bench("load.py", tmp_path / "bench.db", "--seconds", "1", "--connections", "2")
    assert "load county: errors" in out and "0.000" in out, out


def statements(tmp_path, counties: int) -> int:
    folder = write_province(tmp_path / f"p{counties}", counties, 6, 15, 1, 1)
    engine = open_store(f"sqlite:///{tmp_path / f'p{counties}.db'}")
    import_bundle(engine, folder)
    client = TestClient(create_app(engine, Settings(public_read=True)))
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    r = client.post("/graphql", json={"query": DRILL})
    assert r.status_code == 200 and "errors" not in r.json(), r.text[:500]
    units = sum(len(c["units"]["nodes"]) for p in r.json()["data"]["provinces"]["nodes"]
                for c in p["counties"]["nodes"])
    assert units == 6 * counties
    engine.dispose()
    return len(seen)


def test_the_drill_down_costs_no_query_per_unit(tmp_path):
    one, three = statements(tmp_path, 1), statements(tmp_path, 3)
    # Every level loads in one statement for all its parents (the counties' unit pages too, and
    # the units' teams, institutions and populations): two more counties cost nothing.
    assert three == one, (one, three)
