"""The `countypay` command."""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer
from rich.console import Console
from rich.table import Table

from . import cases as case_files

app = typer.Typer(help="countypay: county primary-care payment settlements, served over GraphQL.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
case_app = typer.Typer(help="Worked case files (*.case.yaml).", no_args_is_help=True)
app.add_typer(case_app, name="case")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


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
    """Create or migrate the database to the newest schema."""
    from .store import open_store

    engine = open_store(db)
    out.print(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


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

    try:
        out.print(f"restored {restore(source, database_url(db))}")
    except ValueError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(1)


@app.command("load")
def load_bundle(path: Path = typer.Argument(..., exists=True, help="a bundle folder, or one table file"),
                db: str = DB) -> None:
    """Import a county bundle (CSV or JSON per table), all or nothing."""
    from rich.progress import Progress

    from .load import ImportFailed, bundle_files, import_bundle
    from .store import open_store

    engine = open_store(db)
    try:
        tables = bundle_files(path)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("importing", total=len(tables))
            counts = import_bundle(engine, path, lambda table, n: bar.advance(task))
    except ImportFailed as e:
        err.print(f"[red]import refused, nothing was written[/red] ({e.where})")
        for p in e.problems:
            err.print(f"  {p}", markup=False, highlight=False)
        raise typer.Exit(1)
    for table, n in counts.items():
        out.print(f"{table:20} {n:>9} rows")


@app.command("settle")
def settle_cmd(county: str = typer.Option(..., help="county code"),
               policy: str = typer.Option(..., help="policy code"),
               component: str = typer.Option(..., help="component code"),
               period: str = typer.Option(..., help="2024, 2024H1, 2024Q3 or 2024-07"),
               user: str = typer.Option("", help="who runs it, for the record"),
               db: str = DB) -> None:
    """Settle one component for a county and period from the store, and store the run."""
    from rich.progress import Progress
    from sqlmodel import Session

    from .errors import InputError
    from .settle import NotFound, run_lines, settle
    from .store import open_store

    engine = open_store(db)
    with Progress(console=err, transient=True) as bar:
        bar.add_task(f"settling {county} {policy}.{component} {period}", total=None)
        with Session(engine) as session:
            try:
                run = settle(session, county, policy, component, period, user=user)
                session.commit()
            except (InputError, NotFound, KeyError, ValueError) as e:
                err.print(f"[red]cannot settle:[/red] {e}", highlight=False)
                raise typer.Exit(1)
            lines = run_lines(session, run.id)
    table = Table("entity", "line", "value", title=f"run {run.id} ({run.status}, inputs {run.input_hash[:12]})")
    for line in lines:
        table.add_row(line.entity, line.code, str(line.value))
    out.print(table)
    for flag in run.flags or []:
        err.print(f"[yellow]{flag['severity']}[/yellow] {flag['entity']} {flag['code']}: {flag['message']}")


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
    from .store import open_store

    try:
        when = date.fromisoformat(effective)
        parsed = json.loads(value, parse_float=Decimal)
    except ValueError as e:
        err.print(f"[red]cannot set:[/red] {'--effective' if 'date' in str(e) else '--value'}: {e}", highlight=False)
        raise typer.Exit(1)
    with Session(open_store(db)) as session:
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
                user: str = typer.Option(..., help="who approves it, for the record"), db: str = DB) -> None:
    """Approve a settlement run: the database refuses any change to it from then on."""
    from sqlmodel import Session

    from .models import SettlementRun
    from .settle import Conflict, approve
    from .store import open_store

    with Session(open_store(db)) as session:
        run = session.get(SettlementRun, run_id)
        if run is None:
            err.print(f"[red]no run {run_id}[/red]")
            raise typer.Exit(1)
        try:
            approve(session, run, user)
        except Conflict as e:
            err.print(f"[red]{e}[/red]")
            raise typer.Exit(1)
        session.commit()
        out.print(f"run {run_id} approved by {user}")


@app.command("demo")
def demo(db: Path = typer.Option(Path("countypay-demo.db"), help="the demo's SQLite file (made on first start)"),
         host: str = typer.Option("127.0.0.1", help="address to listen on"),
         port: int = typer.Option(8000, help="port to listen on")) -> None:
    """Load a province of four demo counties, settle them, and serve them (GraphiQL at /graphql)."""
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
          graphiql_assets: Path = typer.Option(None, help="a node_modules folder with GraphiQL's files, to serve "
                                                          "them from here instead of a CDN (offline networks)"),
          workers: int = typer.Option(1, min=1, help="worker processes (one per core)")) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in a browser)."""
    import os

    import uvicorn

    from .db import database_url
    from .store import open_store

    url = database_url(db)
    open_store(url).dispose()  # migrate once, before any worker starts
    os.environ.update(COUNTYPAY_SERVE_DB=url, COUNTYPAY_SERVE_PUBLIC_READ="1" if public_read else "0",
                      COUNTYPAY_SERVE_INTROSPECTION="1" if introspection else "0",
                      COUNTYPAY_SERVE_GRAPHIQL_ASSETS=str(graphiql_assets or ""))
    out.print(f"countypay at http://{host}:{port}/graphql ({workers} worker{'s' if workers > 1 else ''})",
              highlight=False)
    uvicorn.run("countypay.app:from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(role: str = typer.Option(..., help="supervisor or county"),
                 county: str = typer.Option(None, help="the county a county token belongs to"),
                 name: str = typer.Option("", help="who holds it"),
                 days: int = typer.Option(None, help="valid for this many days (default: until revoked)"),
                 db: str = DB) -> None:
    """Create a bearer token; its secret is printed once and never stored."""
    from sqlmodel import Session

    from .auth import create_token
    from .store import open_store

    with Session(open_store(db)) as session:
        try:
            token, secret = create_token(session, role, county, name, days)
        except ValueError as e:
            err.print(f"[red]{e}[/red]")
            raise typer.Exit(1)
        session.commit()
        err.print(f"token {token.id} ({role}{' of ' + county if county else ''}); keep the secret, it is shown once:")
    out.print(secret, highlight=False)


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="the token's number"), db: str = DB) -> None:
    """Revoke a token at once."""
    from sqlmodel import Session

    from .auth import revoke_token
    from .models import ApiToken
    from .store import open_store

    with Session(open_store(db)) as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            err.print(f"[red]no token {token_id}[/red]")
            raise typer.Exit(1)
        revoke_token(session, token)
        session.commit()
    out.print(f"token {token_id} revoked")


schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("export")
def schema_export(path: Path = typer.Option(Path("schema/schema.graphql"), help="where to write the SDL")) -> None:
    """Write the schema's SDL, the file front-end developers and reviewers read."""
    from .schema import schema

    path.write_text(schema.as_str() + "\n", encoding="utf-8")
    out.print(f"wrote {path}")


def main() -> None:  # pragma: no cover - console script
    from .host import PluginError

    try:
        app()
    except PluginError as e:
        err.print(f"countypay: {e}", markup=False, highlight=False)
        raise SystemExit(2) from None
