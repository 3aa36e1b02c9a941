"""Load: `countypay serve` under wrk on loopback for three small queries, each for a fixed time
(default 30 s; wrk stops by itself): requests per second, p50, p99 and errors.

    apt-get install -y wrk
    .venv/bin/python bench/load.py --db URL [--seconds 30] [--connections 16]
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import arguments, ensure_province, report, settle_counties
from server import serving, token

QUERIES = {
    "county": '{ county(code: "c001") { code nameZh population } }',
    "units page": '{ units(county: "c001", first: 10) { totalCount nodes { code nameZh } } }',
    "settlements": '{ settlements(county: "c001", first: 5) { nodes { id component status } } }',
}
LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, latency:percentile(50),
    latency:percentile(99), summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration))
end
"""


def main() -> None:
    args = arguments(__doc__, seconds={"type": int, "default": 30},
                     connections={"type": int, "default": 16}, workers={"type": int, "default": 2}).parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    ensure_province(args.db, 1, args)
    settle_counties(args.db, ["c001"], keep=True)  # the `settlements` query reads its runs
    secret = token(args.db, "supervisor")
    with serving(args.db, args.workers) as (base, _), tempfile.TemporaryDirectory() as tmp:
        for name, query in QUERIES.items():
            script = Path(tmp) / "post.lua"
            script.write_text(LUA.format(body=json.dumps(json.dumps({"query": query})), token=secret))
            out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "5s",
                                  "-s", str(script), f"{base}/graphql"], capture_output=True, text=True,
                                 timeout=args.seconds + 30).stdout
            n, p50, p99, errors, micros = map(int, re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out).groups())
            report(f"load {name}: requests/s", n / (micros / 1e6), "req/s", 1000, "goal", "≥ 1000 on 2 cores")
            report(f"load {name}: p50", p50 / 1000, "ms")
            report(f"load {name}: p99", p99 / 1000, "ms", 50, "goal", "< 50 ms")
            report(f"load {name}: errors", errors, "", goal="0")


if __name__ == "__main__":
    main()
