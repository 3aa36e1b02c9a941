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


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
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


def settle_counties(db: str, counties: list[str], keep: bool = False) -> int:
    """Settle and store every 2024 component of the given synthetic counties, a transaction
    each; returns the number of runs. Unless `keep`, each transaction is rolled back: a stored
    run would be found and returned by the next repetition instead of computed and written."""
    from sqlmodel import Session

    from countypay.settle import settle
    from countypay.store import open_store
    from countypay.synth import components

    engine = open_store(db, migrate=False)
    wanted = set(counties)
    n = 0
    for county, policy, component in components(int(max(counties)[1:])):
        if county in wanted:
            with Session(engine) as session:
                settle(session, county, policy, component, "2024", user="bench")
                if keep:
                    session.commit()
                else:
                    session.flush()  # written, then rolled back as the session closes
            n += 1
    engine.dispose()
    return n
