"""`countypay demo`: four counties loaded, settled for 2024 and served, on one SQLite file.

The first start generates the demo bundle (generate.py), imports it through `import_bundle` like
any county's bundle, and settles every component of every installed policy whose county is in
the demo; later starts find the runs stored and go straight to serving.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..host import registry
from ..load import bundle_files, import_bundle
from ..models import County
from ..settle import latest_run, settle
from ..store import open_store
from .generate import sources, write_bundle

COUNTIES = ("suixi", "haiyan", "deqing", "chengwu")
PERIOD = str(sources()["year"])


@dataclass
class Prepared:
    """What a start did: whether it imported, the rows per table, the runs settled now."""

    imported: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    settled: list[tuple[str, str, str, int]] = field(default_factory=list)  # county, policy, component, run id
    flags: list[tuple[str, str, dict]] = field(default_factory=list)  # policy, component, flag
    seconds: float = 0.0


def components() -> list[tuple[str, str, str]]:
    """(county, policy, component) of every installed policy whose county is in the demo."""
    return [(p.county, p.code, c.code) for p in sorted(registry().policies.values(), key=lambda p: p.code)
            if p.county in COUNTIES for c in p.components if c.gather is not None]


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def prepare_demo(db: Path, console: Console | None = None, report: Prepared | None = None) -> Engine:
    """Open (or create) the demo file; import and settle what it does not hold yet."""
    console = console or Console(stderr=True, quiet=True)
    report = report if report is not None else Prepared()
    started = time.perf_counter()
    engine = open_store(f"sqlite:///{Path(db)}")
    with Session(engine) as session:
        present = set(session.exec(select(County.code).where(County.code.in_(COUNTIES))).scalars())
    if present != set(COUNTIES):
        with tempfile.TemporaryDirectory(prefix="countypay-demo-") as tmp, _progress(console) as bar:
            task = bar.add_task("generating the demo bundle", total=None)
            write_bundle(Path(tmp))
            tables = bundle_files(Path(tmp))
            bar.update(task, total=1, completed=1)
            task = bar.add_task("importing the bundle", total=len(tables))
            report.rows = import_bundle(engine, Path(tmp), lambda table, n: bar.advance(task))
        report.imported = True
    todo = []
    with Session(engine) as session:
        for county, policy, component in components():
            cid = session.exec(select(County.id).where(County.code == county)).scalars().first()
            if latest_run(session, cid, policy, component, PERIOD) is None:
                todo.append((county, policy, component))
    if todo:
        with _progress(console) as bar:
            task = bar.add_task(f"settling {PERIOD}", total=len(todo))
            for county, policy, component in todo:
                bar.update(task, description=f"settling {county} {policy}.{component} {PERIOD}")
                with Session(engine) as session:
                    run = settle(session, county, policy, component, PERIOD, user="demo")
                    session.commit()
                    report.settled.append((county, policy, component, run.id))
                    report.flags += [(policy, component, f) for f in run.flags or []]
                bar.advance(task)
            bar.update(task, description=f"settled {len(todo)} components for {PERIOD}")
        with engine.connect() as connection:  # fold the write-ahead log into the file
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    report.seconds = time.perf_counter() - started
    return engine


def summarise(flags: list[tuple[str, str, dict]]) -> dict[tuple[str, str, str, str], list[dict]]:
    """Flags grouped by component, severity and code, so 464 alike print as one line."""
    groups: dict[tuple[str, str, str, str], list[dict]] = {}
    for policy, component, f in flags:
        groups.setdefault((policy, component, f["severity"], f["code"]), []).append(f)
    return groups


EXAMPLES = (
    ("Suixi's health management units and one unit's five-role team",
     '{ county(code: "suixi") { nameZh units(first: 1) { totalCount nodes { code nameZh\n'
     '    team { role roleZh institution { code nameZh tier } } populations { group count } } } } }'),
    ("The effect pool of Suixi's 2024 public-health settlement, and each unit's rank and tier",
     '{ settlements(county: "suixi", policy: "suixi", component: "public_health", period: "2024") {\n'
     '    nodes { id flags { severity message }\n'
     '      pool: lines(entity: "county", code: "effect.pool") { nodes { amount } }\n'
     '      effect: lines(code: "effect.paid", first: 10) { nodes { entity amount trace } } } } }'),
    ("Haiyan's price per work equivalent, Deqing's retained surplus and Chengwu's 2024 attainment",
     '{ haiyan: settlements(county: "haiyan", component: "work_equivalent", period: "2024") {\n'
     '    nodes { lines(entity: "county", code: "price") { nodes { value trace } } } }\n'
     '  deqing: settlements(county: "deqing", component: "global_budget", period: "2024") {\n'
     '    nodes { lines(code: "surplus.retained") { nodes { entity amount } } } }\n'
     '  chengwu: indicatorValues(county: "chengwu", period: "2024", first: 32) {\n'
     '    nodes { indicator { code nameZh unit direction } value text attainment { target meetsTarget } } } }'),
)


def run_demo(db: Path, host: str, port: int) -> None:
    """Prepare the demo file, print where it is served and what to ask, then serve it."""
    import uvicorn

    from ..app import Settings, create_app

    console = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True, highlight=False)
    db = Path(db)
    report = Prepared()
    console.print(f"demo database: {db.resolve()}" + ("" if db.exists() else " (new)"), highlight=False)
    engine = prepare_demo(db, console, report)
    if report.imported:
        console.print(f"imported {sum(report.rows.values())} rows in {len(report.rows)} tables", highlight=False)
    if report.settled:
        console.print(f"settled {len(report.settled)} components for {PERIOD}", highlight=False)
    else:
        console.print(f"reusing the stored data and settlements ({', '.join(COUNTIES)})", highlight=False)
    for (policy, component, severity, code), found in summarise(report.flags).items():
        more = f" (and {len(found) - 1} more like it)" if len(found) > 1 else ""
        console.print(f"[yellow]{severity}[/yellow] {policy}.{component} {found[0]['entity']} {code}: "
                      f"{found[0]['message']}{more}", highlight=False, markup=True)
    console.print(f"ready in {report.seconds:.1f} s", highlight=False)
    url = f"http://{host}:{port}/graphql"
    out.print(f"\ncountypay demo at {url} (GraphiQL in a browser)")
    out.print("Anyone who can reach this address reads every county without a token: it is a local demo.\n")
    for title, query in EXAMPLES:
        out.print(f"# {title}")
        out.print(query + "\n", markup=False)
    uvicorn.run(create_app(engine, Settings(public_read=True)), host=host, port=port, log_level="warning")
