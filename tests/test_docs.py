"""The documentation's examples run as written."""
import re
import shlex
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from countypay.cli import app

ROOT = Path(__file__).parents[1]


def commands(doc: str) -> list[str]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    return [line[2:] for block in re.findall(r"```console\n(.*?)```", text, re.S)
            for line in block.splitlines() if line.startswith("$ ")]


def test_the_county_teams_round_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'countypay.db'}")
    steps = commands("county-teams.md")
    assert [s.split()[1] for s in steps] == ["db", "load", "parameter", "settle", "load", "settle", "load", "settle",
                                             "settle", "approve", "token", "token", "db"]
    outputs = []
    for step in steps:
        argv = shlex.split(step)
        assert argv[0] == "countypay"
        result = CliRunner().invoke(app, argv[1:])
        assert result.exit_code == 0, (step, result.output)
        outputs.append(result.output)
    assert "risk_fund_rate" in outputs[2]
    assert "run 1" in outputs[3] and "approved by Head of finance" in outputs[9]
    assert outputs[0].strip() == f"created the database at sqlite:///{tmp_path / 'countypay.db'} (schema " \
                                 f"{outputs[0].strip().split('(schema ')[-1]}"
    secret = outputs[10].strip().splitlines()[-1]
    assert secret.startswith("cp_")
    assert "│ 1  │ county │ haiyan" in outputs[11] and secret not in outputs[11]
    assert (tmp_path / "backups" / "countypay-2024-12-31.db").stat().st_size > 0


def cli_commands(command=None, prefix=()) -> set[str]:
    """Every command `countypay --help` lists, with its group's name: `db upgrade`, `plugins`, ..."""
    command = command or typer.main.get_command(app)
    if hasattr(command, "commands"):
        return {c for name, sub in command.commands.items() for c in cli_commands(sub, prefix + (name,))}
    return {" ".join(prefix)}


def test_the_readme_command_table_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    listed = set()
    for row in table.splitlines()[2:]:
        words = row.split("`")[1].split()
        assert words[0] == "countypay", row
        listed.add(" ".join(w for w in words[1:3] if re.fullmatch(r"[a-z][a-z-]*", w)))
    assert listed == cli_commands()


def test_a_usage_error_is_reported_by_the_framework_not_as_an_unexpected_error(tmp_path):
    result = CliRunner().invoke(app, ["load", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "Invalid value" in result.output
    assert "unexpected" not in result.output and "Traceback" not in result.output
