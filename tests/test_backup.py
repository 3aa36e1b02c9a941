"""Backup and restore of the SQLite store, through the command line as a county team uses it."""
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from countypay import models
from countypay.cli import app
from countypay.db import make_engine

BUNDLE = Path(__file__).parent / "data" / "haiyan-bundle"


def runs(url):
    engine = make_engine(url)
    with Session(engine) as s:
        n = s.execute(select(func.count()).select_from(models.SettlementRun)).scalar_one()
    engine.dispose()
    return n


def test_backup_then_restore_brings_back_what_was_there(tmp_path):
    cli = CliRunner()
    url = f"sqlite:///{tmp_path / 'live.db'}"
    settle = ["settle", "--county", "haiyan", "--policy", "haiyan", "--component", "work_equivalent",
              "--period", "2024", "--db", url]
    assert cli.invoke(app, ["load", str(BUNDLE), "--db", url]).exit_code == 0
    assert cli.invoke(app, settle).exit_code == 0
    result = cli.invoke(app, ["db", "backup", str(tmp_path / "b.db"), "--db", url])
    assert result.exit_code == 0, result.output
    assert cli.invoke(app, settle[:-2] + ["--db", url, "--user", "x"]).exit_code == 0  # same inputs: same run
    assert cli.invoke(app, ["token", "create", "--role", "supervisor", "--db", url]).exit_code == 0
    # the store is lost; the backup brings back the settled county
    for f in tmp_path.glob("live.db*"):
        f.unlink()
    result = cli.invoke(app, ["db", "restore", str(tmp_path / "b.db"), "--db", url])
    assert result.exit_code == 0, result.output
    assert runs(url) == 1
    assert "run 1" in cli.invoke(app, settle).output


def test_restore_refuses_a_file_that_is_not_a_countypay_store(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\0" + b"\0" * 100)
    result = CliRunner().invoke(app, ["db", "restore", str(junk), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 1
