"""`countypay demo`: the installed plugins' demo counties, loaded, settled and served on one
SQLite file.

A plugin contributes its county through the `countypay_demo` hook (hookspecs.py), so the demo
is the sum of what the installed plugins contribute. Every start asks them (it takes a moment);
when the file lacks any of their counties, the rows of the plugins whose counties are missing are
written as one bundle (bundle.py) and imported through `import_bundle` like any county's bundle.
Then every component with a `gather` of every installed policy whose county is a demo county is
settled for the demo year (or for the periods its plugin's `DemoData.periods` names, as a
monthly index needs), unless its run is stored already; the runs settled then go up the
approval chain as far as the plugin's `DemoData.chain` says (chain.py), and the file is served.
So a plugin installed later joins the demo on the next start, and one uninstalled leaves the
others as they were.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..approval import Conflict
from ..errors import InputError
from ..host import registry
from ..load import bundle_files, import_bundle
from ..models import County
from ..settle import NotFound, latest_run, settle
from ..store import open_store
from .bundle import SEED, YEAR, Bundle, demo_data, write_bundle
from .chain import walk

__all__ = ["SEED", "YEAR", "Prepared", "build", "components", "prepare_demo", "run_demo", "write_bundle"]


@dataclass
class Prepared:
    """What a start did: the demo's counties and the periods the plugins settle a component in
    (beside the year), whether it imported (rows per table), the runs settled now, the
    components it could not settle and why, the flags of the runs, and the plugins' example
    queries."""

    counties: list[str] = field(default_factory=list)
    periods: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (policy, component): periods
    imported: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    # (county, policy, component, period, run id) settled, and (…, period, why) not
    settled: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    refused: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    chained: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (…, period, where it stands)
    flags: list[tuple[str, str, dict]] = field(default_factory=list)  # policy, component, flag
    examples: list[tuple[str, str]] = field(default_factory=list)  # title, GraphQL query
    seconds: float = 0.0


def components(counties: Iterable[str], periods: Mapping[tuple[str, str], Sequence[str]] | None = None,
               year: int = YEAR) -> list[tuple[str, str, str, str]]:
    """(county, policy, component, period) of every run the demo makes: each component with a
    `gather` of every installed policy whose county is one of `counties`, in the periods that
    `periods` names for its (policy, component), else in `year`."""
    wanted, periods = set(counties), periods or {}
    return [(p.county, p.code, c.code, period)
            for p in sorted(registry().policies.values(), key=lambda p: p.code) if p.county in wanted
            for c in p.components if c.gather is not None
            for period in periods.get((p.code, c.code), (str(year),))]


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def build(engine: Engine, console: Console | None = None, report: Prepared | None = None,
          seed: int = SEED, year: int = YEAR) -> Prepared:
    """Import the demo counties the store lacks, then settle what is not settled yet."""
    console = console or Console(stderr=True, quiet=True)
    report = report if report is not None else Prepared()
    contributed = demo_data(seed, year)
    report.examples = [example for _, data in contributed for example in data.examples]
    report.periods = {key: tuple(p) for _, data in contributed for key, p in data.periods.items()}
    report.counties = sorted({c for _, data in contributed for c in data.rows.codes("counties")})
    with Session(engine) as session:
        stored = set(session.exec(select(County.code)).scalars())
    missing = [(plugin, data) for plugin, data in contributed if not set(data.rows.codes("counties")) <= stored]
    if missing:
        bundle = Bundle()
        for plugin, data in missing:
            bundle.add(data.rows, plugin)
        with tempfile.TemporaryDirectory(prefix="countypay-demo-") as tmp, _progress(console) as bar:
            bundle.write(Path(tmp))
            task = bar.add_task("importing the demo bundle", total=len(bundle_files(Path(tmp))))
            report.rows = import_bundle(engine, Path(tmp), lambda table, n: bar.advance(task), actor="demo")
            bar.update(task, completed=len(report.rows))
        report.imported = True
    todo = []
    with Session(engine) as session:
        for county, policy, component, period in components(report.counties, report.periods, year):
            cid = session.exec(select(County.id).where(County.code == county)).scalars().first()
            if latest_run(session, cid, policy, component, period) is None:
                todo.append((county, policy, component, period))
    if todo:
        with _progress(console) as bar:
            task = bar.add_task(f"settling {year}", total=len(todo))
            for county, policy, component, period in todo:
                bar.update(task, description=f"settling {county} {policy}.{component} {period}")
                with Session(engine) as session:
                    try:
                        run = settle(session, county, policy, component, period, user="demo")
                    except (InputError, NotFound) as e:  # the plugin's demo data does not fit its rule
                        report.refused.append((county, policy, component, period, str(e)))
                    else:
                        session.commit()
                        report.settled.append((county, policy, component, period, run.id))
                        report.flags += [(policy, component, f) for f in run.flags or []]
                bar.advance(task)
            bar.update(task, description=f"settled {len(report.settled)} runs for {year}")
    steps = {key: chain for _, data in contributed for key, chain in data.chain.items()}
    for county, policy, component, period, _ in report.settled:
        if (policy, component) in steps:
            try:
                report.chained.append((county, policy, component, period,
                                       walk(engine, county, policy, component, period, steps[policy, component])))
            except (InputError, NotFound, Conflict) as e:  # a step its chain does not allow, a correction refused
                report.refused.append((county, policy, component, period, str(e)))
    return report


def prepare_demo(db: Path, console: Console | None = None, report: Prepared | None = None) -> Engine:
    """Open (or create) the demo file, build what it lacks, and return its engine."""
    report = report if report is not None else Prepared()
    started = time.perf_counter()
    engine = open_store(f"sqlite:///{Path(db)}")
    build(engine, console, report)
    if report.imported or report.settled:
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


def run_demo(db: Path, host: str, port: int) -> None:
    """Prepare the demo file, print where it is served and what to ask, then serve it."""
    import uvicorn

    from ..app import Settings, create_app

    console = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True, highlight=False)
    db = Path(db)
    report = Prepared()
    console.print(f"demo database: {db.resolve()}" + ("" if db.exists() else " (new)"), highlight=False)
    try:
        engine = prepare_demo(db, console, report)
    except InputError as e:
        console.print(f"[red]the demo could not be built[/red] ({e.where})", highlight=False)
        for problem in e.problems:
            console.print(f"  {problem}", markup=False, highlight=False)
        raise SystemExit(1) from None
    if report.imported:
        console.print(f"imported {sum(report.rows.values())} rows in {len(report.rows)} tables", highlight=False)
    if report.settled:
        console.print(f"settled {len(report.settled)} runs for {YEAR}", highlight=False)
    else:
        console.print(f"reusing the stored data and settlements ({', '.join(report.counties)})", highlight=False)
    for county, policy, component, period, where in report.chained:
        console.print(f"up the approval chain: {county} {policy}.{component} {period} {where}", highlight=False)
    for county, policy, component, period, why in report.refused:
        console.print(f"[red]not settled[/red] {county} {policy}.{component} {period}: {why}", highlight=False)
    for (policy, component, severity, code), found in summarise(report.flags).items():
        more = f" (and {len(found) - 1} more like it)" if len(found) > 1 else ""
        console.print(f"[yellow]{severity}[/yellow] {policy}.{component} {found[0]['entity']} {code}: "
                      f"{found[0]['message']}{more}", highlight=False, markup=True)
    console.print(f"ready in {report.seconds:.1f} s", highlight=False)
    url = f"http://{host}:{port}/"
    out.print(f"\ncountypay demo at {url} (the console in a browser; GraphiQL at {url}graphql)")
    out.print("Anyone who can reach this address reads every county without a token: it is a local demo.\n")
    for title, query in report.examples:
        out.print(f"# {title}")
        out.print(query + "\n", markup=False)
    uvicorn.run(create_app(engine, Settings(public_read=True)), host=host, port=port, log_level="warning")
