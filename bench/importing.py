"""Import a year of service counts: rows per second of `import_bundle` (every row validated,
references checked, repeats refused, all in one transaction) against the bare bulk path of the
database: PostgreSQL `COPY` of the same CSV into a table of the same columns and key, or SQLite
`executemany` of the same rows.

    .venv/bin/python bench/importing.py --db URL --counties 100 [--ceiling]

--ceiling adds the same bulk write of ready rows (county ids, nothing checked) into the store's
own table, with its id, foreign key and unique key: what no import into that table can beat.
"""
from __future__ import annotations

import csv
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from common import arguments, drop_schema, fresh_postgres, report

BASE = """create {temp} table copy_target (county varchar(64), institution varchar(64), month varchar(7),
          item varchar(64), count integer, unique (county, institution, month, item))"""


def fresh(db: str):
    """A URL of an empty store, and how to remove it."""
    if db.startswith("postgresql"):
        url, schema = fresh_postgres(db)
        return url, lambda: drop_schema(db, schema)
    tmp = Path(tempfile.mkdtemp(prefix="countypay-bench-"))
    return f"sqlite:///{tmp / 'import.db'}", lambda: shutil.rmtree(tmp)


def import_seconds(db: str, bundle: Path, counts: Path) -> float:
    """Seconds to import service_counts.csv into a store holding the rest of the bundle."""
    from countypay.load import import_bundle
    from countypay.store import open_store

    url, remove = fresh(db)
    try:
        engine = open_store(url)
        import_bundle(engine, bundle)
        t = time.perf_counter()
        import_bundle(engine, counts)
        seconds = time.perf_counter() - t
        engine.dispose()
    finally:
        remove()
    return seconds


def bulk_write(connection, table: str, path: Path, header: bool) -> float:
    """Seconds of the database's own bulk path for a CSV of five columns: COPY on PostgreSQL,
    executemany on SQLite; nothing is checked."""
    raw = connection.connection.driver_connection
    t = time.perf_counter()
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER {str(header).lower()})") \
                as cp, open(path, "rb") as f:
            while block := f.read(1 << 20):
                cp.write(block)
    else:
        with open(path, newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            if header:
                next(rows)
            raw.executemany(f"insert into {table} values (?, ?, ?, ?, ?)", rows)
    return time.perf_counter() - t


def bulk_seconds(db: str, counts: Path) -> float:
    """The database's own bulk path for the same file, with no validation at all."""
    from countypay.db import make_engine

    url, remove = fresh(db)
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text(BASE.format(temp="")))
            seconds = bulk_write(c, "copy_target", counts, header=True)
    finally:
        engine.dispose()
        remove()
    return seconds


def ceiling_seconds(db: str, bundle: Path, counts: Path) -> tuple[float, float | None]:
    """Seconds of COPY (SQLite: executemany) of the rows, county codes already turned into ids,
    into the service-count table of a store holding the rest of the bundle; and on PostgreSQL
    into a copy of that table with its id and indexes but not its foreign key to the county
    (checked row by row), to weigh what the key costs."""
    from countypay.load import import_bundle
    from countypay.store import open_store

    url, remove = fresh(db)
    try:
        engine = open_store(url)
        import_bundle(engine, bundle)
        ready = counts.with_name("ready.csv")
        with engine.begin() as c:
            ids = dict(c.execute(text("select code, id from county")).all())
        with open(counts, newline="") as f, open(ready, "w", newline="") as out:
            rows = csv.reader(f)
            next(rows)
            csv.writer(out).writerows([ids[r[0]], *r[1:]] for r in rows)
        columns = "(county_id, institution, month, item, count)"
        with engine.begin() as c:
            seconds = bulk_write(c, f"servicecount {columns}", ready, header=False)
        unchecked = None
        if url.startswith("postgresql"):
            with engine.begin() as c:
                c.execute(text("create table servicecount_unchecked (like servicecount including defaults "
                               "including indexes)"))
                unchecked = bulk_write(c, f"servicecount_unchecked {columns}", ready, header=False)
        engine.dispose()
    finally:
        remove()
    return seconds, unchecked


def main() -> None:
    args = arguments(__doc__, counties={"type": int, "default": 100},
                     ceiling={"action": "store_true", "help": "also measure the ceiling (see above)"}).parse_args()
    from countypay.synth import write_province

    with tempfile.TemporaryDirectory(prefix="countypay-bench-") as tmp:
        bundle = Path(tmp) / "bundle"
        write_province(bundle, args.counties, args.units, args.institutions, args.months, args.seed)
        counts = Path(tmp) / "counts" / "service_counts.csv"
        counts.parent.mkdir()
        (bundle / "service_counts.csv").rename(counts)
        with open(counts, "rb") as f:
            rows = sum(1 for _ in f) - 1

        def median(seconds) -> float:
            return sorted(seconds() for _ in range(args.runs))[args.runs // 2]

        ours = median(lambda: import_seconds(args.db, bundle, counts))
        bulk = median(lambda: bulk_seconds(args.db, counts))
        ceilings = [ceiling_seconds(args.db, bundle, counts) for _ in range(args.runs)] if args.ceiling else []
    name = "COPY" if args.db.startswith("postgresql") else "executemany"
    report(f"import {rows} service counts ({args.counties} counties)", rows / ours, "rows/s", rows / bulk,
           name, "≥ 0.5 of COPY on PostgreSQL")
    if ceilings:
        ceiling = sorted(c[0] for c in ceilings)[args.runs // 2]
        report("ceiling: ready rows into the store's table", rows / ceiling, "rows/s", rows / bulk, name)
        if ceilings[0][1] is not None:
            unchecked = sorted(c[1] for c in ceilings)[args.runs // 2]
            report("  the same table without its foreign key", rows / unchecked, "rows/s", rows / bulk, name)


if __name__ == "__main__":
    main()
