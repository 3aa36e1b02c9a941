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


def main() -> None:  # pragma: no cover - console script
    app()
