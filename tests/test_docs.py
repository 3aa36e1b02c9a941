"""The documentation's examples run as written."""
import re
import shlex
from pathlib import Path

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
    assert [s.split()[1] for s in steps] == ["db", "load", "parameter", "settle", "approve", "token", "db"]
    outputs = []
    for step in steps:
        argv = shlex.split(step)
        assert argv[0] == "countypay"
        result = CliRunner().invoke(app, argv[1:])
        assert result.exit_code == 0, (step, result.output)
        outputs.append(result.output)
    assert "risk_fund_rate" in outputs[2]
    assert "run 1" in outputs[3] and "approved by Head of finance" in outputs[4]
    assert outputs[5].strip().splitlines()[-1].startswith("cp_")
    assert (tmp_path / "backups" / "countypay-2024-12-31.db").stat().st_size > 0
