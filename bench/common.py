"""Shared helpers of the benchmark scripts: the database to measure, the synthetic province in
it, timing, memory and the one-line report each measure prints."""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DEFAULT_DB = "sqlite:///bench.db"


def arguments(description: str, **extra) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--db", default=os.environ.get("DATABASE_URL", DEFAULT_DB),
                   help="database URL (SQLite file or postgresql+psycopg://...)")
    p.add_argument("--units", type=int, default=232, help="units per county")
    p.add_argument("--institutions", type=int, default=300, help="institutions per county")
    p.add_argument("--months", type=int, default=12, help="months of service counts")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=3, help="repetitions; the median is reported")
    for name, kw in extra.items():
        p.add_argument(f"--{name.replace('_', '-')}", **kw)
    return p


def report(measure: str, value: float, unit: str, limit: float | None = None, limit_name: str = "",
           goal: str = "") -> None:
    """One line per measure: the figure, its limit, the ratio and the goal."""
    line = f"{measure:<44} {value:>12.3f} {unit:<8}"
    if limit is not None:
        line += f" {limit_name} {limit:.3f} {unit}  ratio {value / limit if limit else float('inf'):.2f}"
    if goal:
        line += f"  (goal {goal})"
    print(line, flush=True)


def median_of(runs: int, fn) -> float:
    """Median seconds of `runs` calls of fn (fn returns seconds, or None to be timed here)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        got = fn()
        times.append(got if isinstance(got, float) else time.perf_counter() - t)
    return statistics.median(times)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process now, from /proc (`VmHWM`: its peak since it started its
    program; getrusage's peak would also count the parent it was forked from)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fresh_postgres(url: str) -> tuple[str, str]:
    """A URL on a new empty schema of the PostgreSQL database (dropped with `drop_schema`)."""
    from countypay.db import make_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as c:
        c.execute(text(f"create schema {schema}"))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(url: str, schema: str) -> None:
    from countypay.db import make_engine

    admin = make_engine(url)
    with admin.begin() as c:
        c.execute(text(f"drop schema if exists {schema} cascade"))
    admin.dispose()


def ensure_province(db: str, counties: int, args) -> None:
    """Make sure the store holds synthetic counties c001..cNNN (synthesized when missing)."""
    from countypay.models import County
    from countypay.store import open_store
    from countypay.synth import synthesize

    engine = open_store(db)
    with engine.connect() as c:
        have = c.execute(select(func.count()).select_from(County).where(County.code.like("c%"))).scalar_one()
    engine.dispose()
    if have < counties:
        print(f"# synthesizing {counties} counties into {db.split('?')[0]}", file=sys.stderr, flush=True)
        synthesize(counties, args.units, args.institutions, args.months, args.seed, db)


_engines: dict = {}


def engine_of(db: str):
    """One engine per process and database (a worker process settles many counties)."""
    from countypay.store import open_store

    if db not in _engines:
        _engines[db] = open_store(db, migrate=False)
    return _engines[db]


def settle_county(db: str, county: str, keep: bool = False) -> tuple[list[int], int]:
    """Settle every 2024 component of a county as a settlement job does (jobs.settle_one: all
    its components in one transaction, its facts read once); returns the run ids and the lines
    written. Unless `keep`, the transaction is rolled back: a stored run would be found and
    returned by the next repetition instead of computed and written."""
    from sqlmodel import Session

    from countypay import jobs
    from countypay.models import SettleJobCounty
    from countypay.settle import county_by_code

    with Session(engine_of(db)) as session:
        row = SettleJobCounty(county=county, settles=jobs.plan(session, county_by_code(session, county)))
        jobs.settle_one(session, row, "2024", "bench")
        if row.state != "done":
            raise RuntimeError(f"{county}: {row.error}")
        if keep:
            session.commit()
        else:
            session.flush()  # written, then rolled back as the session closes
        return row.runs, row.lines


def settle_counties(db: str, counties: list[str], keep: bool = False) -> int:
    """Settle the given synthetic counties one after the other (see settle_county); returns the
    number of runs."""
    return sum(len(settle_county(db, county, keep)[0]) for county in counties)
