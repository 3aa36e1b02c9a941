"""Settle the synthetic province as a settlement job does (each county's components in one
transaction, its facts read once), at several sizes and with several worker processes, against
the floor measured in the same run: the analysed, indexed aggregation of the same service counts
to (institution, month) plus a bulk write of as many settlement lines as the settlement wrote
(PostgreSQL COPY, SQLite executemany) into a plain table of the lines' columns.

    .venv/bin/python bench/settle.py --db URL --sizes 1,10,100 [--workers 1,2,4]

Each repetition runs in a fresh process (as a worker starts); with N workers, N processes take
counties one at a time from a shared queue, as `countypay worker` processes do. Every county's
transaction is rolled back, so each repetition does the whole work.
"""
from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import text

from common import arguments, engine_of, ensure_province, report, rss_mb, settle_county

FLOOR_TABLE = "bench_floor_lines"
COLUMNS = "run_id, seq, entity, code, unit, amount, quantity, trace"


def counties_of(n: int) -> list[str]:
    return [f"c{i:03d}" for i in range(1, n + 1)]


def aggregation_seconds(db: str, n: int) -> float:
    """The service counts of the first n counties summed to (county, institution, month), after
    ANALYZE, through the store's own indexes."""
    engine = engine_of(db)
    with engine.begin() as c:
        c.execute(text("analyze servicecount"))
    ids = f"(select id from county where code between 'c001' and 'c{n:03d}')"
    with engine.connect() as c:
        t = time.perf_counter()
        c.execute(text(f"select county_id, institution, month, sum(count) from servicecount "
                       f"where county_id in {ids} group by county_id, institution, month")).all()
        return time.perf_counter() - t


def sample_lines(db: str) -> list[tuple]:
    """One county's settlement lines as they are stored (rolled back after reading)."""
    from sqlmodel import Session

    from countypay import jobs
    from countypay.models import SettleJobCounty
    from countypay.settle import county_by_code

    with Session(engine_of(db)) as session:
        row = SettleJobCounty(county="c001", settles=jobs.plan(session, county_by_code(session, "c001")))
        jobs.settle_one(session, row, "2024", "bench")
        trace = "trace::text" if session.get_bind().dialect.name == "postgresql" else "trace"
        return [tuple(r) for r in session.execute(text(
            f"select seq, entity, code, unit, amount, quantity, {trace} from settlementline "
            f"where run_id in ({', '.join(map(str, row.runs))}) order by run_id, seq"))]


def write_seconds(db: str, sample: list[tuple], lines: int) -> float:
    """Seconds to write `lines` rows cut from the sample (their real sizes and traces) into a plain
    table of the settlement lines' columns: no key, index, trigger or constraint. PostgreSQL:
    COPY of ready CSV; SQLite: one executemany. Dropped after."""
    engine = engine_of(db)
    with engine.connect() as c:
        raw = c.connection.driver_connection
        c.execute(text(f"create temp table {FLOOR_TABLE} as select {COLUMNS} from settlementline where 1 = 0"))
        if c.dialect.name == "postgresql":
            block = io.StringIO()
            csv.writer(block).writerows((1, *r) for r in sample)
            data = block.getvalue().encode()  # the sample as CSV, sent as many times as it takes
            whole, rest = divmod(lines, len(sample))
            tail = b"".join(data.splitlines(keepends=True)[:rest])
            t = time.perf_counter()
            with raw.cursor() as cur, cur.copy(f"COPY {FLOOR_TABLE} ({COLUMNS}) FROM STDIN (FORMAT csv)") as copy:
                for _ in range(whole):
                    copy.write(data)
                copy.write(tail)
        else:
            ready = [(1, *r) for r in itertools.islice(itertools.cycle(sample), lines)]
            t = time.perf_counter()
            raw.executemany(f"insert into {FLOOR_TABLE} ({COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?)", ready)
        seconds = time.perf_counter() - t
        c.execute(text(f"drop table {FLOOR_TABLE}"))
        c.commit()
    return seconds


def _settle(db: str, county: str) -> tuple[int, float]:
    """A county settled in this process: its lines, and the process's peak memory so far."""
    return settle_county(db, county)[1], rss_mb(os.getpid(), "VmHWM")


def one(db: str, counties: int, workers: int) -> None:
    """Child process: settle the counties with `workers` processes; print seconds, the peak RSS
    of a settling process and the lines as JSON."""
    codes = counties_of(counties)
    t = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(min(workers, counties)) as pool:
            done = list(pool.map(_settle, [db] * counties, codes, chunksize=1))
    else:
        done = [_settle(db, c) for c in codes]
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "rss": max(r for _, r in done), "lines": sum(n for n, _ in done)}))


def main() -> None:
    args = arguments(__doc__, sizes={"default": "1,10,100", "help": "counties, comma-separated"},
                     workers={"default": "1", "help": "worker processes, comma-separated (e.g. 1,2,4)"},
                     one={"type": int, "default": 0, "help": argparse.SUPPRESS}).parse_args()
    if args.one:
        return one(args.db, args.one, int(args.workers))
    sizes = [int(x) for x in args.sizes.split(",")]
    workers = [int(x) for x in args.workers.split(",")]
    ensure_province(args.db, max(sizes), args)
    with engine_of(args.db).connect() as c:
        stored = c.execute(text(f"select count(*) from settlementrun r join county c on c.id = r.county_id "
                                f"where c.code between 'c001' and 'c{max(sizes):03d}'")).scalar_one()
    if stored:  # left by api.py, load.py or stall.py: settling again would find those runs, not compute them
        sys.exit(f"the store holds {stored} runs of the counties to settle: measure on a store without them")
    sample = sample_lines(args.db)
    per_county: dict[tuple[int, int], float] = {}
    for n in sizes:
        for w in workers:
            if w > 1 and n == 1:
                continue
            got, floors = [], []
            for _ in range(args.runs):  # settlement and floor alternate, so both see the same machine
                out = subprocess.run([sys.executable, __file__, "--db", args.db, "--one", str(n), "--workers", str(w)],
                                     check=True, capture_output=True, text=True).stdout
                got.append(json.loads(out.strip().splitlines()[-1]))
                aggregate = aggregation_seconds(args.db, n)
                floors.append((aggregate, write_seconds(args.db, sample, got[-1]["lines"])))
            seconds = sorted(g["seconds"] for g in got)[len(got) // 2]
            aggregate, write = sorted(floors, key=sum)[len(floors) // 2]
            per_county[n, w] = seconds / n
            name = "COPY" if args.db.startswith("postgresql") else "executemany"
            report(f"settle {n} counties ({got[0]['lines']} lines, {w} proc)", seconds, "s", aggregate + write,
                   f"floor (GROUP BY {aggregate:.2f} s + {name} {write:.2f} s)", "≤ 3× the floor")
            report(f"settle {n} counties peak RSS of a process ({w} proc)", max(g["rss"] for g in got), "MB")
    for w in workers:
        done = [n for n in sizes if (n, w) in per_county]
        for lo, hi in zip(done, done[1:]):
            slope = (per_county[hi, w] * hi - per_county[lo, w] * lo) / (hi - lo)
            report(f"slope {lo}→{hi} counties ({w} proc), s per county", slope, "s", per_county[lo, w],
                   f"per county at {lo}:", "≈ 1 (linear in counties)")


if __name__ == "__main__":
    main()
