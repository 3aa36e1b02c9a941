"""The `countypay` command.

Every error an operator can cause (a bad URL, a taken port, a refused file) ends in one line
and a non-zero exit; an unexpected one in one line too, its traceback only under `--debug`.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from . import cases as case_files


class Commands(TyperGroup):
    """The top-level command: turns an exception into one line on stderr and an exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SIGNALS:
            raise
        except Exception as e:
            if ctx.params.get("debug"):
                raise
            message, status = explain(e)
            err.print(f"countypay: {message}", markup=False, highlight=False)
            raise typer.Exit(status) from None


SIGNALS = (typer.Exit, typer.Abort, next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"))
"""Exits, aborts and usage errors, which the command-line framework reports itself (whichever
click it runs on: typer brings its own from 0.2x)."""


def explain(e: Exception) -> tuple[str, int]:
    """One line saying what went wrong, and the exit status: 2 for a plugin that breaks the
    contract, else 1."""
    from sqlalchemy.exc import DBAPIError

    from .backup import BackupError
    from .db import DatabaseURLError
    from .errors import InputError
    from .host import PluginError
    from .scaffold import ScaffoldError
    from .settle import NotFound

    if isinstance(e, PluginError):
        return str(e), 2
    if isinstance(e, (DatabaseURLError, BackupError, ScaffoldError, PortTaken, InputError, NotFound)):
        return str(e), 1
    if isinstance(e, DBAPIError):
        reason = " ".join(line.strip() for line in str(e.orig).splitlines() if line.strip())
        return f"the database refused: {reason}", 1
    if isinstance(e, OSError) and e.filename:
        return f"{e.filename}: {e.strerror}", 1
    return f"unexpected error: {type(e).__name__}: {e} (run `countypay --debug ...` to see where)", 1


app = typer.Typer(cls=Commands, help="countypay: county primary-care payment settlements, served over GraphQL.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
case_app = typer.Typer(help="Worked case files (*.case.yaml).", no_args_is_help=True)
app.add_typer(case_app, name="case")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def options(debug: bool = typer.Option(False, "--debug", help="show the traceback of an unexpected error")) -> None:
    """countypay: county primary-care payment settlements, served over GraphQL."""


class PortTaken(OSError):
    """The address to listen on is in use or cannot be had."""


def check_port(host: str, port: int) -> None:
    """Bind the address as the server will, and let it go: a taken port is reported before
    anything is printed or prepared, naming the address."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise PortTaken(f"cannot listen on {host}: {e.strerror}") from None
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise PortTaken(f"port {port} on {host} is taken: stop what listens there, or choose "
                                f"another with --port") from None
            raise PortTaken(f"cannot listen on port {port} on {host}: {e.strerror}") from None


def store(db: str | None, migrate: bool = True):
    """The store a command works on (migrated to the newest schema)."""
    from .store import open_store

    return open_store(db, migrate)


@case_app.command("run")
def case_run(files: List[Path] = typer.Argument(..., help="case files to run")) -> None:
    """Run case files: exit 0 when every expected line is exact, 1 on differences, 2 on an invalid file."""
    status = 0
    for path in files:
        try:
            result = case_files.run(case_files.load(path))
        except case_files.InvalidCase as e:
            err.print(f"[red]INVALID[/red] {e}", markup=True, highlight=False)
            status = 2
            continue
        except OSError as e:  # a file the policy reads, such as its parameter file, is not there
            err.print(f"[red]INVALID[/red] {path}: its policy cannot read {e.filename}: {e.strerror}",
                      markup=True, highlight=False)
            status = 2
            continue
        if result.ok:
            out.print(f"[green]ok[/green]      {path} ({len(result.case.expected)} lines exact)", highlight=False)
        else:
            out.print(f"[red]DIFFERS[/red] {path}", highlight=False)
            for d in result.differences:
                out.print(f"    {d}", highlight=False, markup=False)
            status = max(status, 1)
    raise typer.Exit(status)


@app.command("plugins")
def plugins() -> None:
    """List the installed policies, their versions and components."""
    from .host import registry

    table = Table("policy", "county", "name", "version", "components")
    for p in sorted(registry().policies.values(), key=lambda p: p.code):
        table.add_row(p.code, p.county, f"{p.name_zh} / {p.name_en}", p.version,
                      ", ".join(c.code for c in p.components))
    out.print(table)


db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
DB = typer.Option(None, "--db", help="database URL (default: $DATABASE_URL, else sqlite:///countypay.db)")


@db_app.command("upgrade")
def db_upgrade(db: str = DB) -> None:
    """Create or migrate the database to the newest schema, and say which it did."""
    from .store import upgrade

    engine = store(db, migrate=False)
    before, after = upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before is None:
        out.print(f"created the database at {where} (schema {after})", highlight=False)
    elif before != after:
        out.print(f"migrated the database at {where} from schema {before} to {after}", highlight=False)
    else:
        out.print(f"the database at {where} is already at schema {after}", highlight=False)


@db_app.command("backup")
def db_backup(target: Path = typer.Argument(..., help="the backup file to write"), db: str = DB) -> None:
    """Write a consistent copy of the SQLite store (safe while the server runs)."""
    from .backup import backup
    from .db import database_url

    out.print(f"backed up to {backup(database_url(db), target)}")


@db_app.command("restore")
def db_restore(source: Path = typer.Argument(..., exists=True, help="a backup file"), db: str = DB) -> None:
    """Replace the SQLite store with a backup (stop the server first)."""
    from .backup import restore
    from .db import database_url

    out.print(f"restored {restore(source, database_url(db))}")


@app.command("load")
def load_bundle(path: Path = typer.Argument(..., exists=True, help="a bundle folder, or one table file"),
                db: str = DB) -> None:
    """Import a county bundle (CSV or JSON per table), all or nothing."""
    from rich.progress import Progress

    from .load import ImportFailed, bundle_files, import_bundle

    engine = store(db)
    try:
        tables = len(bundle_files(path))
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("importing", total=tables)
            imported = import_bundle(engine, path, lambda table, n: bar.advance(task))
    except ImportFailed as e:
        err.print(f"[red]import refused, nothing was written[/red] ({e.where})", highlight=False)
        for line in e.summary():
            err.print(f"  {line}", markup=False, highlight=False)
        raise typer.Exit(1)
    for table, (file, encoding) in imported.files.items():
        if table in imported:
            out.print(f"{table:20} {imported[table]:>9} rows  ({file}, {encoding})", highlight=False)


@app.command("settle")
def settle_cmd(county: List[str] = typer.Option(None, help="county code (repeat for several; none: every county)"),
               policy: str = typer.Option(None, help="policy code (with --component: settle that one component)"),
               component: str = typer.Option(None, help="component code"),
               period: str = typer.Option(..., help="2024, 2024H1, 2024Q3 or 2024-07"),
               user: str = typer.Option("", help="who runs it, for the record"),
               queue_only: bool = typer.Option(False, "--queue-only", help="queue the job for `countypay worker` "
                                               "processes and return"),
               db: str = DB) -> None:
    """Settle one component for a county and period from the store, and store the run; without
    --policy/--component, settle every component of the counties as a job (jobs.py)."""
    from rich.progress import Progress
    from sqlmodel import Session

    from .errors import InputError
    from .host import registry
    from .settle import NotFound, run_lines, settle

    if policy is None and component is None:
        return settle_job(county or [], period, user, queue_only, db)
    if policy is None or component is None or len(county or []) != 1:
        err.print("[red]cannot settle:[/red] one component takes one --county, --policy and --component; "
                  "leave out --policy and --component to settle whole counties", highlight=False)
        raise typer.Exit(1)
    county = county[0]
    try:
        gather = registry().policy(policy).component(component).gather
    except KeyError as e:
        err.print(f"[red]cannot settle:[/red] {e.args[0]}", highlight=False)
        raise typer.Exit(1)
    if gather is None:
        err.print(f"[red]cannot settle:[/red] {policy}.{component} has no `gather`, so it runs from given inputs "
                  f"(case files, the API) only; its plugin needs one to settle from the store (docs/plugins.md)",
                  highlight=False)
        raise typer.Exit(1)
    engine = store(db)
    with Progress(console=err, transient=True) as bar:
        bar.add_task(f"settling {county} {policy}.{component} {period}", total=None)
        with Session(engine) as session:
            try:
                run = settle(session, county, policy, component, period, user=user)
                session.commit()
            except (InputError, NotFound, KeyError, ValueError) as e:
                err.print(f"[red]cannot settle:[/red] {e.args[0] if isinstance(e, KeyError) else e}", highlight=False)
                raise typer.Exit(1)
            lines = run_lines(session, run.id)
    table = Table("entity", "line", "value", title=f"run {run.id} ({run.status}, inputs {run.input_hash[:12]})")
    for line in lines:
        table.add_row(line.entity, line.code, str(line.value))
    out.print(table)
    for flag in run.flags or []:
        err.print(f"[yellow]{flag['severity']}[/yellow] {flag['entity']} {flag['code']}: {flag['message']}")


def settle_job(counties: list[str], period: str, user: str, queue_only: bool, db: str | None) -> None:
    """Queue a job for the counties and, unless `queue_only`, work on it here with a progress
    bar while any `countypay worker` processes pointed at the same database help."""
    import time

    from rich.progress import Progress
    from sqlmodel import Session

    from . import jobs
    from .errors import InputError
    from .settle import NotFound

    engine = store(db)
    with Session(engine) as session:
        try:
            job = jobs.start(session, period, counties, user)
        except (InputError, NotFound, ValueError) as e:
            err.print(f"[red]cannot settle:[/red] {e}", highlight=False)
            raise typer.Exit(1)
        session.commit()
        job_id, total = job.id, jobs.pending(session, job.id)
    out.print(f"settlement job {job_id}: {total} counties, period {period}", highlight=False)
    if queue_only:
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"settling job {job_id}", total=total)
        with Session(engine) as session:
            while jobs.pending(session, job_id):
                jobs.work(engine, job_id, user, on_done=lambda row: bar.advance(task))
                bar.update(task, completed=total - jobs.pending(session, job_id))
                session.commit()
                time.sleep(0.2)  # counties other workers hold: wait for them to finish
    with Session(engine) as session:
        result = jobs.status(session, job_id)
    for row in result["counties"]:
        if row["state"] == "failed":
            err.print(f"[red]{row['county']} failed:[/red] {row['error']}", highlight=False)
    out.print(f"job {job_id} {result['state']}: {result['done']} settled, {result['failed']} failed",
              highlight=False)
    if result["failed"]:
        raise typer.Exit(1)


@app.command("worker")
def worker_cmd(job: int = typer.Option(None, help="work on this job only"),
               exit_when_idle: bool = typer.Option(False, "--exit-when-idle", help="stop when no county is pending"),
               poll: float = typer.Option(1.0, help="seconds between looks for new counties"),
               db: str = DB) -> None:
    """Settle the counties of queued jobs, on as many machines as point at the same PostgreSQL."""
    from . import jobs

    engine = store(db)
    done = jobs.work(engine, job, wait=0 if exit_when_idle else poll,
                     on_done=lambda row: out.print(f"job {row.job_id} {row.county} {row.state}", highlight=False))
    out.print(f"{done} counties settled", highlight=False)


parameter_app = typer.Typer(help="A county's parameter overrides.", no_args_is_help=True)
app.add_typer(parameter_app, name="parameter")


@parameter_app.command("set")
def parameter_set(county: str = typer.Option(..., help="county code"),
                  policy: str = typer.Option(..., help="policy code"),
                  component: str = typer.Option(..., help="component code"),
                  name: str = typer.Option(..., help="parameter name"),
                  effective: str = typer.Option(..., help="the date it takes effect, YYYY-MM-DD"),
                  value: str = typer.Option(..., help='the value as JSON, e.g. \'"0.05"\' or \'[4, 4, 2]\''),
                  reference: str = typer.Option("", help="the document it comes from"),
                  user: str = typer.Option("", help="who sets it, for the record"), db: str = DB) -> None:
    """Set the county's value of one parameter from a date on (checked and audited as the import
    and the API do): it replaces the plugin's default whole."""
    import json
    from datetime import date
    from decimal import Decimal

    from sqlmodel import Session

    from . import overrides
    from .errors import InputError
    from .settle import NotFound, county_by_code

    try:
        when = date.fromisoformat(effective)
        parsed = json.loads(value, parse_float=Decimal)
    except ValueError as e:
        err.print(f"[red]cannot set:[/red] {'--effective' if 'date' in str(e) else '--value'}: {e}", highlight=False)
        raise typer.Exit(1)
    with Session(store(db)) as session:
        try:
            row = county_by_code(session, county)
            overrides.put(session, row.id, policy, component, name, when, parsed, reference, user)
        except (InputError, NotFound) as e:
            err.print(f"[red]cannot set:[/red] {e}", highlight=False)
            raise typer.Exit(1)
        session.commit()
    out.print(f"{county}: {policy}.{component}.{name} = {value} from {when}")


@app.command("approve")
def approve_cmd(run_id: int = typer.Argument(..., help="the run's number"),
                user: str = typer.Option(..., help="who approves it, for the record"),
                level: str = typer.Option(None, help="county, prefecture or province (default: the level the run awaits)"),
                reason: str = typer.Option("", help="a note for the record"), db: str = DB) -> None:
    """Approve a settlement run at a level of its chain (the last level accepts it and closes the
    period). The county's approval locks it: the database refuses any change from then on."""
    from sqlmodel import Session

    from . import approval

    with Session(store(db)) as session:
        run = _run(session, run_id)
        chain = approval.chain_of(session, run)
        try:
            approval.approve(session, run, level or chain.stage or chain.levels[-1], user, reason)
        except approval.Conflict as e:
            err.print(f"[red]{e}[/red]", highlight=False)
            raise typer.Exit(1)
        session.commit()
        chain = approval.chain_of(session, run)
        step = chain.steps[-1]
        then = f"it awaits the {chain.stage}" if chain.stage else "its period is closed"
        out.print(f"run {run_id} {approval.AFTER[step.action]} by {step.actor} ({step.level}); {then}",
                  highlight=False)


def _run(session, run_id: int):
    from .models import SettlementRun

    run = session.get(SettlementRun, run_id)
    if run is None:
        err.print(f"[red]no run {run_id}[/red]")
        raise typer.Exit(1)
    return run


@app.command("send-back")
def send_back_cmd(run_id: int = typer.Argument(..., help="the run's number"),
                  user: str = typer.Option(..., help="who sends it back, for the record"),
                  reason: str = typer.Option(..., help="what the county must correct"),
                  level: str = typer.Option(None, help="prefecture or province (default: the level the run awaits)"),
                  db: str = DB) -> None:
    """Send a run back to its county with a reason: the run stays as it is; the county corrects
    its facts or parameters and settles a new version."""
    from sqlmodel import Session

    from . import approval

    with Session(store(db)) as session:
        run = _run(session, run_id)
        chain = approval.chain_of(session, run)
        level = level or chain.stage or chain.levels[-1]
        try:
            approval.send_back(session, run, level, user, reason)
        except approval.Conflict as e:
            err.print(f"[red]{e}[/red]", highlight=False)
            raise typer.Exit(1)
        session.commit()
        out.print(f"run {run_id} sent back by {user} ({level}): {reason}", highlight=False)


@app.command("reopen")
def reopen_cmd(county: str = typer.Option(..., help="county code"),
               policy: str = typer.Option(..., help="policy code"),
               component: str = typer.Option(..., help="component code"),
               period: str = typer.Option(..., help="2024, 2024H1, 2024Q3 or 2024-07"),
               user: str = typer.Option(..., help="who reopens it, for the record"),
               reason: str = typer.Option(..., help="why the accepted period is reopened"), db: str = DB) -> None:
    """Reopen an accepted (closed) period, as its chain's last level: the county may settle it again."""
    from sqlmodel import Session

    from . import approval
    from .period import Period
    from .settle import NotFound, county_by_code

    with Session(store(db)) as session:
        try:
            row = county_by_code(session, county)
            period = str(Period.parse(period))
            level = approval.levels_of(session, [row.id])[row.id][-1]
            run = approval.reopen(session, row.id, policy, component, period, level, user, reason)
        except (approval.Conflict, NotFound, ValueError) as e:
            err.print(f"[red]cannot reopen:[/red] {e}", highlight=False)
            raise typer.Exit(1)
        session.commit()
        out.print(f"{county} {policy}.{component} {period} reopened by {user} ({level}); run {run.id} awaits the county",
                  highlight=False)


@app.command("chain")
def chain_cmd(run_id: int = typer.Argument(..., help="the run's number"), db: str = DB) -> None:
    """Show a run's way up the chain: each step (level, action, who, when, why) and where it stands."""
    from sqlmodel import Session

    from . import approval

    with Session(store(db)) as session:
        run = _run(session, run_id)
        chain = approval.chain_of(session, run)
        table = Table("step", "level", "action", "who", "when (UTC)", "reason",
                      title=f"run {run.id}: {chain.status}{', awaits the ' + chain.stage if chain.stage else ''}"
                            f"{'' if chain.current else ' (not current)'}; chain {' → '.join(chain.levels)}")
        for step in chain.steps:
            table.add_row(str(step.seq), step.level, step.action, step.actor, f"{step.at:%Y-%m-%d %H:%M}", step.reason)
    out.print(table, highlight=False)


@app.command("levels")
def levels_cmd(province: str = typer.Argument(..., help="province code"),
               levels: str = typer.Argument(None, help="the chain to set, e.g. county,province (default: show it)"),
               user: str = typer.Option("", help="who sets it, for the record"), db: str = DB) -> None:
    """Show or set the levels a province's settlements go up (default county,prefecture,province)."""
    from sqlalchemy import select
    from sqlmodel import Session

    from . import approval
    from .models import Province

    with Session(store(db)) as session:
        if levels:
            try:
                approval.set_levels(session, province, levels, user)
            except (approval.Conflict, ValueError) as e:
                err.print(f"[red]cannot set:[/red] {e}", highlight=False)
                raise typer.Exit(1)
            session.commit()
        row = session.exec(select(Province).where(Province.code == province)).scalars().first()
        if row is None:
            err.print(f"[red]no province {province!r} in the store[/red]", highlight=False)
            raise typer.Exit(1)
        out.print(f"{province}: {' → '.join(approval.parse_levels(row.approval_levels))}", highlight=False)


@app.command("demo")
def demo(db: Path = typer.Option(Path("countypay-demo.db"), help="the demo's SQLite file (made on first start)"),
         host: str = typer.Option("127.0.0.1", help="address to listen on"),
         port: int = typer.Option(8000, help="port to listen on")) -> None:
    """Load a province of four demo counties, settle them, and serve them (GraphiQL at /graphql)."""
    check_port(host, port)
    from .demo import run_demo

    run_demo(db, host, port)


@app.command("synth")
def synth(counties: int = typer.Option(1, min=1, help="how many counties"),
          units_per_county: int = typer.Option(232, min=1, help="health management units per county"),
          institutions_per_county: int = typer.Option(300, min=4, help="institutions per county"),
          months: int = typer.Option(12, min=1, max=12, help="months of service counts"),
          seed: int = typer.Option(1, help="random seed: the same seed gives the same province"),
          db: str = DB) -> None:
    """Generate a synthetic province of the asked size and load it through the normal import."""
    from .synth import synthesize

    synthesize(counties, units_per_county, institutions_per_county, months, seed, db)


@app.command("serve")
def serve(db: str = DB, host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="port to listen on"),
          public_read: bool = typer.Option(False, help="let callers without a token read every county "
                                                       "(for a demo on your own machine only)"),
          introspection: bool = typer.Option(True, help="allow schema introspection (turn off in production)"),
          workers: int = typer.Option(1, min=1, help="worker processes (one per core)")) -> None:
    """Serve the console (in a browser at /), the GraphQL API (GraphiQL at /graphql) and the exports;
    every file the pages load comes from this server, so they work without internet."""
    import os

    import uvicorn

    from .db import database_url

    url = database_url(db)
    check_port(host, port)
    store(url).dispose()  # migrate once, before any worker starts
    os.environ.update(COUNTYPAY_SERVE_DB=url, COUNTYPAY_SERVE_PUBLIC_READ="1" if public_read else "0",
                      COUNTYPAY_SERVE_INTROSPECTION="1" if introspection else "0")
    out.print(f"countypay at http://{host}:{port}/ (console; GraphiQL at /graphql; {workers} worker"
              f"{'s' if workers > 1 else ''})", highlight=False)
    uvicorn.run("countypay.app:from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


TOKEN_DAYS = 90  # a token nobody renews lapses by itself; one that never does is asked for by --no-expiry


@token_app.command("create")
def token_create(role: str = typer.Option(..., help="supervisor, prefecture, county, auditor or institution"),
                 county: str = typer.Option(None, help="the county of a county or institution token"),
                 prefecture: str = typer.Option(None, help="the prefecture of a prefecture token"),
                 institution: str = typer.Option(None, help="the institution's code, for an institution token"),
                 name: str = typer.Option("", help="who holds it"),
                 days: int = typer.Option(None, help=f"valid for this many days, 1 or more (default {TOKEN_DAYS})"),
                 no_expiry: bool = typer.Option(False, "--no-expiry", help="valid until revoked"),
                 db: str = DB) -> None:
    """Create a bearer token; its secret is printed once and never stored."""
    from sqlmodel import Session

    from .auth import create_token

    if no_expiry and days is not None:
        err.print("[red]give --days N or --no-expiry, not both[/red]")
        raise typer.Exit(1)
    lifetime = None if no_expiry else TOKEN_DAYS if days is None else days
    with Session(store(db)) as session:
        try:
            token, secret = create_token(session, role, county, name, lifetime, prefecture, institution)
        except ValueError as e:
            err.print(f"[red]{e}[/red]")
            raise typer.Exit(1)
        session.commit()
        scope = " ".join(x for x in (institution, "of" if institution else None, county or prefecture) if x)
        err.print(f"token {token.id} ({role}{' of ' + scope if scope else ''}); keep the secret, it is shown once:")
    out.print(secret, highlight=False)


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="the token's number"), db: str = DB) -> None:
    """Revoke a token at once."""
    from sqlmodel import Session

    from .auth import revoke_token
    from .models import ApiToken

    with Session(store(db)) as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            err.print(f"[red]no token {token_id}[/red]")
            raise typer.Exit(1)
        revoke_token(session, token)
        session.commit()
    out.print(f"token {token_id} revoked")


@token_app.command("list")
def token_list(db: str = DB) -> None:
    """List the tokens: number, role, scope (county, prefecture or institution), holder, when made,
    when it expires or was revoked (never a secret: only its hash is kept)."""
    from sqlmodel import Session

    from .auth import list_tokens

    def when(t):
        return t.strftime("%Y-%m-%d") if t else ""

    table = Table("id", "role", "scope", "name", "created", "expires", "revoked",
                  title="tokens (dates in UTC; scope: a county, a prefecture, or an institution of a county)")
    with Session(store(db)) as session:
        for token, county, prefecture in list_tokens(session):
            scope = f"{county}/{token.institution}" if token.institution else county or prefecture or ""
            table.add_row(str(token.id), token.role, scope, token.name, when(token.created_at),
                          when(token.expires_at), when(token.revoked_at))
    out.print(table if table.row_count else "no tokens", highlight=False)


schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("export")
def schema_export(path: Path = typer.Option(None, "--out", "--path", help="where to write the SDL (default: "
                                            "schema/schema.graphql in a checkout of countypay, else ./schema.graphql)")) -> None:
    """Write the installed countypay's schema as SDL, the file front-end developers and reviewers read."""
    from .schema import schema

    if path is None:
        checked_in = Path("schema/schema.graphql")
        path = checked_in if checked_in.is_file() else Path("schema.graphql")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema.as_str() + "\n", encoding="utf-8")
    out.print(f"wrote {path}", highlight=False)


@app.command("new-policy")
def new_policy(code: str = typer.Argument(..., help="the policy's code, e.g. qingshan: lowercase letters, digits, _"),
               parent: Path = typer.Option(Path("."), "--dir", help="the folder to write countypay-CODE/ in"),
               name_zh: str = typer.Option(None, help="the county's Chinese name, e.g. 青山县"),
               name_en: str = typer.Option(None, help="its English name, e.g. 'Qingshan County'")) -> None:
    """Write a working plugin package for a county's policy: install it, test it, settle with it."""
    from .scaffold import new_policy as write

    folder = write(code, parent, name_zh, name_en)
    out.print(f"wrote {folder}/ (policy {code}, component performance_bonus); next, in this environment:\n"
              f"  pip install -e {folder}\n  countypay plugins\n  python -m pytest {folder}/tests\n"
              f"and see {folder}/README.md", highlight=False)


def main() -> None:  # pragma: no cover - console script
    app()
