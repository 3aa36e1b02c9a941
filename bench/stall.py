"""Stall: the heaviest query the limits admit, sent again and again, beside a steady stream of
small queries. Reports the small queries' p50 and p99 alone and beside the heavy one (goal: p99
within 3× of alone), the heavy query's size and time, and the server's peak memory (goal: under
300 MB). All load stays on loopback and stops by itself.

    .venv/bin/python bench/stall.py --db URL [--seconds 20] [--rate 40] [--clients 4] [--budget N]
"""
from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import arguments, ensure_province, report, settle_counties
from server import serving, token

SMALL = [
    '{ county(code: "c001") { code nameZh population } }',
    '{ units(county: "c001", first: 10) { totalCount nodes { code nameZh } } }',
    '{ settlements(county: "c001", first: 5) { nodes { id component status } } }',
]
LINES = "lines(first: 1000) { nodes { entity code unit value amount trace } }"
BUDGET_ROLE = "supervisor"


def heaviest(runs: int, budget: int | None = None) -> tuple[str, str]:
    """The heaviest query of settlement lines a supervisor's budget admits (or `budget`, to see
    what a smaller one would bring), and how it was found: aliases of `settlements(first: runs)
    { nodes { lines(first: 1000) {…} } }` (every run's first thousand lines with their traces),
    as many as the schema's cost limit and alias limit allow."""
    from graphql import parse

    from countypay import schema as gql

    def query(k: int) -> str:
        return "{ " + " ".join(f"a{i}: settlements(county: \"c001\", first: {runs}) {{ nodes {{ id {LINES} }} }}"
                               for i in range(k)) + " }"
    try:
        from countypay.schema.limits import BUDGETS, cost
    except ImportError:  # a version without a cost limit: the heavy query of the issue
        return query(10), "no cost limit in this version: 10 aliases"
    budget = budget or BUDGETS[BUDGET_ROLE]
    k = max(k for k in range(1, gql.MAX_ALIASES + 1)
            if cost(gql.schema._schema, parse(query(k)), None, {}) <= budget)
    spent = cost(gql.schema._schema, parse(query(k)), None, {})
    return query(k), f"{k} aliases × {runs} runs × 1000 lines: cost {spent} of the {BUDGET_ROLE}'s {budget}"


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, base: str, secret: str):
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}

    def post(self, query: str) -> tuple[int, bytes]:
        self.conn.request("POST", "/graphql", json.dumps({"query": query}), self.headers)
        r = self.conn.getresponse()
        return r.status, r.read()


def stream(base: str, secret: str, seconds: float, rate: float, clients: int) -> tuple[list[float], int]:
    """Small queries at `rate` per second in all from `clients` connections for `seconds`:
    each request's latency in ms, and how many failed."""
    latencies: list[float] = []
    failed = [0]
    interval = clients / rate
    end = time.monotonic() + seconds

    def run(n: int) -> None:
        client = Client(base, secret)
        due = time.monotonic() + n * interval / clients
        i = n
        while due < end:
            time.sleep(max(0.0, due - time.monotonic()))
            t = time.perf_counter()
            status, body = client.post(SMALL[i % len(SMALL)])
            latencies.append((time.perf_counter() - t) * 1000)
            if status != 200 or b'"errors"' in body:
                failed[0] += 1
            due += interval
            i += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failed[0]


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of resident memory of the server and its worker processes (VmHWM)."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    args = arguments(__doc__, seconds={"type": float, "default": 20}, rate={"type": float, "default": 40},
                     clients={"type": int, "default": 4}, workers={"type": int, "default": 1},
                     budget={"type": int, "help": "pick the heavy query by this budget, not the schema's"}).parse_args()
    ensure_province(args.db, 1, args)
    runs = settle_counties(args.db, ["c001"], keep=True)
    secret = token(args.db, BUDGET_ROLE)
    query, how = heaviest(runs, args.budget)
    print(f"# heaviest admitted query: {how}", flush=True)
    with serving(args.db, args.workers) as (base, proc):
        for q in SMALL:  # warm up: plans, caches, the pool
            Client(base, secret).post(q)
        alone, failed_alone = stream(base, secret, args.seconds, args.rate, args.clients)
        heavy_times, heavy_size, stop = [], [0], threading.Event()
        heavy_failed, heavy_stopped = [0], [0]

        def heavy() -> None:
            client = Client(base, secret)
            while not stop.is_set():
                t = time.perf_counter()
                status, body = client.post(query)
                heavy_times.append(time.perf_counter() - t)
                if b'"code":"TIMEOUT"' in body[-2000:]:
                    heavy_stopped[0] += 1
                elif status != 200 or body.startswith(b'{"errors"'):
                    heavy_failed[0] += 1
                else:
                    heavy_size[0] = len(body)

        loop = threading.Thread(target=heavy)
        loop.start()
        time.sleep(1)  # the first heavy query is under way
        beside, failed_beside = stream(base, secret, args.seconds, args.rate, args.clients)
        stop.set()
        loop.join()
        peak = peak_rss_mb(proc.pid)
    report("small alone: p50", pct(alone, 50), "ms")
    report("small alone: p99", pct(alone, 99), "ms")
    report("small beside heavy: p50", pct(beside, 50), "ms", pct(alone, 50), "alone")
    report("small beside heavy: p99", pct(beside, 99), "ms", pct(alone, 99), "alone", "≤ 3× alone")
    report("small: requests alone", len(alone), "")
    report("small: requests beside heavy", len(beside), "")
    report("small: errors", failed_alone + failed_beside, "", goal="0")
    report("heavy: seconds per query (median)", statistics.median(heavy_times), "s")
    report("heavy: queries run", len(heavy_times), "")
    report("heavy: queries stopped by the time budget", heavy_stopped[0], "")
    report("heavy: queries refused or failed otherwise", heavy_failed[0], "", goal="0")
    report("heavy: response size", heavy_size[0] / 1e6, "MB")
    report("server peak RSS", peak, "MB", 300, "goal", "< 300 MB")


if __name__ == "__main__":
    main()
