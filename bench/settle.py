"""Settle the whole synthetic province (every component of every county) at several sizes:
wall time and peak memory, against one SQL GROUP BY over the same input rows.

    .venv/bin/python bench/settle.py --db URL --sizes 1,10,100 [--workers 2]
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from common import arguments, ensure_province, median_of, peak_rss_mb, report, settle_counties


def group_by_seconds(db: str, counties: int) -> float:
    """One pass over the rows the settlements read: service counts by institution and item,
    indicator values and funds by entity."""
    from sqlalchemy import text

    from countypay.store import open_store

    engine = open_store(db, migrate=False)
    ids = f"(select id from county where code between 'c001' and 'c{counties:03d}')"
    sql = [f"select county_id, institution, item, sum(count) from servicecount where county_id in {ids} "
           f"group by county_id, institution, item",
           f"select county_id, indicator_id, entity, count(*), max(value) from indicatorvalue "
           f"where county_id in {ids} group by county_id, indicator_id, entity",
           f"select county_id, code, entity, sum(amount) from fund where county_id in {ids} "
           f"group by county_id, code, entity"]
    with engine.connect() as c:
        t = time.perf_counter()
        for q in sql:
            c.execute(text(q)).all()
        seconds = time.perf_counter() - t
    engine.dispose()
    return seconds


def one(db: str, counties: int, workers: int) -> None:
    """Child process: settle `counties` counties and print seconds and peak RSS as JSON."""
    codes = [f"c{i:03d}" for i in range(1, counties + 1)]
    t = time.perf_counter()
    if workers > 1:
        parts = [codes[i::workers] for i in range(min(workers, counties))]  # no worker without a county
        with ProcessPoolExecutor(len(parts)) as pool:
            list(pool.map(settle_counties, [db] * len(parts), parts))
    else:
        settle_counties(db, codes)
    seconds = time.perf_counter() - t
    import resource
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss": max(peak_rss_mb(), children)}))


def main() -> None:
    args = arguments(__doc__, sizes={"default": "1,10,100", "help": "counties, comma-separated"},
                     workers={"type": int, "default": 1, "help": "processes settling counties in parallel"},
                     one={"type": int, "default": 0, "help": argparse_hidden()}).parse_args()
    if args.one:
        return one(args.db, args.one, args.workers)
    sizes = [int(x) for x in args.sizes.split(",")]
    ensure_province(args.db, max(sizes), args)
    per_county = {}
    for n in sizes:
        got = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--db", args.db, "--one", str(n), "--workers",
                                  str(args.workers)], check=True, capture_output=True, text=True).stdout
            got.append(json.loads(out.strip().splitlines()[-1]))
        seconds = sorted(g["seconds"] for g in got)[len(got) // 2]
        rss = max(g["rss"] for g in got)
        base = median_of(args.runs, lambda: group_by_seconds(args.db, n))
        per_county[n] = seconds / n
        report(f"settle {n} counties ({5 * n} runs, {args.workers} proc)", seconds, "s", base, "GROUP BY",
               "≤ 3× GROUP BY; < 10 s at 100 on PostgreSQL")
        report(f"settle {n} counties peak RSS", rss, "MB")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        report(f"settle per county at {hi} vs at {lo}", per_county[hi], "s", per_county[lo], f"at {lo}:",
               "≈ 1 (linear in counties)")


def argparse_hidden():
    import argparse
    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
