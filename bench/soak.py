"""Soak: a bounded run (loopback, fixed duration, default 60 s, stops by itself) of mixed reads
and settlement runs with varying parameter overrides (each a new run). Fails (exit 1) on any
error, or when the server's resident memory grows by more than --max-growth MB after warm-up.

    .venv/bin/python bench/soak.py --db URL [--seconds 60] [--max-growth 64]
"""
from __future__ import annotations

import json
import random
import sys
import time
import urllib.request

from common import arguments, ensure_province, report, rss_mb
from server import serving, token

READS = ['{ county(code: "c001") { code units(first: 20) { nodes { code team { role institution { code } } } } } }',
         '{ settlements(county: "c001", first: 5) { nodes { id component lines(first: 50) { nodes { entity value } } } } }',
         '{ indicatorValues(county: "c001", first: 50) { nodes { entity period value indicator { code } } } }']
RUN = ('mutation($o: JSON) { runSettlement(input: {county: "c001", policy: "haiyan", component: "work_equivalent", '
       'period: "2024", parameterOverrides: $o}) { run { id } } }')


def post(base: str, secret: str, query: str, variables: dict | None = None) -> bool:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"{base}/graphql", body, {"Content-Type": "application/json",
                                                            "Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status == 200 and "errors" not in json.loads(r.read())
    except OSError:
        return False


def main() -> int:
    args = arguments(__doc__, seconds={"type": float, "default": 60.0},
                     max_growth={"type": float, "default": 64.0, "help": "MB of RSS growth allowed"}).parse_args()
    ensure_province(args.db, 1, args)
    secret = token(args.db, "county", "c001")
    rng = random.Random(args.seed)
    requests = errors = runs = 0
    with serving(args.db) as (base, proc):
        warm = time.monotonic() + min(10.0, args.seconds / 4)
        start_rss = None
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            if rng.random() < 0.1:
                rate = f"0.{rng.randint(1, 30):02d}"
                ok = post(base, secret, RUN, {"o": {"risk_fund_rate": rate}})
                runs += 1
            else:
                ok = post(base, secret, rng.choice(READS))
            requests += 1
            errors += not ok
            if start_rss is None and time.monotonic() > warm:
                start_rss = rss_mb(proc.pid)
        growth = rss_mb(proc.pid) - (start_rss or rss_mb(proc.pid))
    report(f"soak {args.seconds:.0f} s: requests ({runs} settlement runs)", requests, "")
    report("soak: errors", errors, "", goal="0")
    report("soak: server RSS growth after warm-up", growth, "MB", args.max_growth, "bound", f"< {args.max_growth} MB")
    return 0 if errors == 0 and growth < args.max_growth else 1


if __name__ == "__main__":
    sys.exit(main())
