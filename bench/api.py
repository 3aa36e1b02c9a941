"""GraphQL: 10,000 settlement lines with their traces over HTTP (in-process), against fetching
the same rows with SQLAlchemy Core and serialising them with json. With --what-if: the demo's
Suixi public-health what-if (one parameter changed) through HTTP to a running `countypay serve`,
against the component's own computation on the same inputs, in the same run.

    .venv/bin/python bench/api.py --db URL [--lines 10000]
    .venv/bin/python bench/api.py --db URL --what-if
"""
from __future__ import annotations

import gc
import json
import time
import warnings

from sqlalchemy import select

from common import arguments, ensure_province, median_of, report

PAGE = 1000
FIELDS = "nodes { entity code unit value amount trace }"


def pages(runs: list[tuple[int, int]], lines: int) -> list[tuple[int, int, int]]:
    """(run id, offset, size) of the pages that make `lines` lines over the runs."""
    out, left = [], lines
    for run, n in runs:
        for offset in range(0, n, PAGE):
            size = min(PAGE, n - offset, left)
            if size <= 0:
                return out
            out.append((run, offset, size))
            left -= size
    return out


def query_of(plan) -> str:
    from countypay.schema.pagination import encode

    parts = []
    for k, (run, offset, size) in enumerate(plan):
        after = f', after: "{encode((offset - 1,))}"' if offset else ""  # lines are keyed by seq
        parts.append(f'r{k}: settlement(id: "{run}") {{ lines(first: {size}{after}) {{ {FIELDS} }} }}')
    return "{ " + " ".join(parts) + " }"


def core_seconds(engine, plan) -> float:
    from countypay.models import SettlementLine as L

    t = time.perf_counter()
    cols = (L.entity, L.code, L.unit, L.amount, L.quantity, L.trace)
    out = []
    with engine.connect() as c:
        for run, offset, size in plan:
            rows = c.execute(select(*cols).where(L.run_id == run).order_by(L.seq).offset(offset).limit(size))
            out.append([{"entity": e, "code": k, "unit": u, "value": str(a if a is not None else q),
                         "amount": None if a is None else str(a), "trace": tr} for e, k, u, a, q, tr in rows])
    json.dumps(out, default=str)
    return time.perf_counter() - t


def setup(db: str, args) -> list[tuple[int, int]]:
    """Runs with their line counts, biggest first (settling c001 when none is stored)."""
    from sqlalchemy import func
    from sqlmodel import Session

    from countypay.models import SettlementLine as L
    from countypay.settle import settle
    from countypay.store import open_store
    from countypay.synth import components

    ensure_province(db, 1, args)
    engine = open_store(db)
    with Session(engine) as s:
        runs = s.execute(select(L.run_id, func.count()).group_by(L.run_id)).all()
        if sum(n for _, n in runs) < args.lines:
            for county, policy, component in components(1):
                settle(s, county, policy, component, "2024", user="bench")
            s.commit()
            runs = s.execute(select(L.run_id, func.count()).group_by(L.run_id)).all()
    engine.dispose()
    return sorted(runs, key=lambda r: -r[1])


# what the console's what-if form asks (server/console/static/console/settlement.js)
WHAT_IF = ('{ simulateSettlement(county: "suixi", policy: "suixi", component: "public_health", period: "2024", '
           'parameterOverrides: {ratios: ["0.6", "0.3", "0.1"]}) { latestRun { id } '
           'entities { entity changed lines { code unit stored simulated difference } } } }')


def what_if(db: str, runs: int) -> None:
    """The what-if through HTTP against `component.settle` on the inputs and parameters it used."""
    import urllib.request

    from sqlmodel import Session

    from countypay import demo
    from countypay.settle import prepare
    from countypay.store import open_store
    from server import serving, token

    engine = open_store(db)
    demo.build(engine)  # the demo's counties and runs, where the store lacks them
    with Session(engine) as s:
        _, c = prepare(s, "suixi", "suixi", "public_health", "2024", {"ratios": ["0.6", "0.3", "0.1"]})
    engine.dispose()

    def computation() -> None:
        c.component.settle(c.inputs, c.parameters.model, c.period)
    compute = median_of(runs, computation)
    secret = token(db, "supervisor")
    with serving(db) as (base, _):
        body = json.dumps({"query": WHAT_IF}).encode()

        def ask() -> float:
            request = urllib.request.Request(f"{base}/graphql", body, {"Content-Type": "application/json",
                                                                        "Authorization": f"Bearer {secret}"})
            t = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as r:
                answer = json.loads(r.read())
            seconds = time.perf_counter() - t
            assert "errors" not in answer and any(e["changed"] for e in answer["data"]["simulateSettlement"]["entities"]), \
                str(answer)[:500]
            return seconds
        ask()  # warm: the schema, the connection, the plugin's first call
        http = median_of(runs, ask)
    report(f"what-if Suixi public health ({len(c.outcome.lines)} lines) via HTTP", http, "s", compute,
           "component's computation", "≤ 2×")


def main() -> None:
    args = arguments(__doc__, lines={"type": int, "default": 10000},
                     what_if={"action": "store_true", "help": "the demo's what-if instead (see above)"}).parse_args()
    if args.what_if:
        return what_if(args.db, args.runs)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

    from countypay.app import Settings, create_app
    from countypay.store import open_store

    plan = pages(setup(args.db, args), args.lines)
    engine = open_store(args.db, migrate=False)
    client = TestClient(create_app(engine, Settings(public_read=True)))
    # The same app on graphql-core's own executor, to weigh schema/execution.py against it.
    import countypay.schema
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext as ExecutionContext

    ours_executor, countypay.schema.PlainFieldsExecutor = countypay.schema.PlainFieldsExecutor, ExecutionContext
    stock = TestClient(create_app(engine, Settings(public_read=True)))
    countypay.schema.PlainFieldsExecutor = ours_executor
    gc.collect()
    gc.freeze()  # as every `countypay serve` worker does once its app is built (app.from_environment)
    body = {"query": query_of(plan)}

    def fetch(via=client) -> bytes:
        r = via.post("/graphql", json=body)
        assert r.status_code == 200, r.text[:500]
        return r.content

    # The first answer (which also warms the schema and connections) is checked in full; the
    # timed ones must be the same bytes. Parsing them is the client's cost, not the server's (the
    # Core side parses nothing), and its allocations would bring on collections in the next run.
    expected = fetch()
    data = json.loads(expected)
    assert "errors" not in data, expected[:500]
    got = sum(len(v["lines"]["nodes"]) for v in data["data"].values())
    assert got == sum(p[2] for p in plan), got
    del data

    def graphql() -> float:
        t = time.perf_counter()
        content = fetch()
        seconds = time.perf_counter() - t
        assert content == expected
        return seconds

    def stock_graphql() -> float:
        t = time.perf_counter()
        content = fetch(stock)
        seconds = time.perf_counter() - t
        assert content == expected
        return seconds

    fetch(stock)
    ours = median_of(args.runs, graphql)
    plain = median_of(args.runs, stock_graphql)
    core = median_of(args.runs, lambda: core_seconds(engine, plan))
    report(f"GraphQL {sum(p[2] for p in plan)} lines with traces", ours, "s", core, "Core+json", "≤ 2×")
    report("  the same on graphql-core's own executor", plain, "s", core, "Core+json", "≤ 2×")
    engine.dispose()


if __name__ == "__main__":
    main()
