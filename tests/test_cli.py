"""What an operator sees when something is wrong: one line that says what and how to fix it, and a
non-zero exit; never a traceback (unless asked for with --debug)."""
import shutil
import socket
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from typer.testing import CliRunner

from countypay import host, policy
from countypay.cli import app
from countypay.db import database_url, make_engine
from countypay.schema import schema
from countypay.store import alembic_config

BUNDLE = Path(__file__).parent / "data" / "haiyan-bundle"
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def one_line(result, status: int = 1) -> str:
    """The single line an error prints, after checking the exit status and that nothing else came."""
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def empty_url(engine, tmp_path):
    """A URL of an empty database on the fixture's kind of server, spelt `postgres://` on
    PostgreSQL as hosting services write it."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as c:
        c.execute(text(f"create schema {name}"))
    try:
        url = engine.url.set(drivername="postgres").update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as c:
            c.execute(text(f"drop schema {name} cascade"))


# ---------------------------------------------------------------- database URLs

@pytest.mark.parametrize("url, says", [
    ("sqlite:/countypay.db", "sqlite:/countypay.db is not a database URL: an SQLite file is written sqlite:///"),
    ("sqlte:///countypay.db", "countypay keeps its data in SQLite or PostgreSQL, not 'sqlte'"),
    ("countypay.db", "countypay.db is not a database URL: write it as sqlite:///countypay.db or postgresql://"),
    ("mysql://ops:secret@db/countypay", "mysql://ops:***@db/countypay: countypay keeps its data in SQLite or PostgreSQL"),
])
def test_a_mistyped_database_url_is_one_line_and_makes_nothing(url, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_line(invoke("db", "upgrade", "--db", url))
    assert line.startswith("countypay: ") and says in line
    assert "secret" not in line
    assert not any(tmp_path.iterdir())  # no stray folder such as `sqlite:`


def test_the_postgres_and_postgresql_spellings_mean_postgresql_through_psycopg():
    assert database_url("postgres://ops@db:5432/countypay") == "postgresql+psycopg://ops@db:5432/countypay"
    assert database_url("postgresql://ops@db/countypay") == "postgresql+psycopg://ops@db/countypay"
    assert make_engine("postgres://ops@db/countypay").dialect.driver == "psycopg"


def test_a_database_that_does_not_answer_is_one_line():
    line = one_line(invoke("db", "upgrade", "--db", "postgres://ops@127.0.0.1:1/countypay"))
    assert line.startswith("countypay: the database refused: connection failed") and "port 1" in line


# ---------------------------------------------------------------- db upgrade, backup, tokens

def test_db_upgrade_says_whether_it_created_migrated_or_found_the_schema(empty_url):
    kind = "postgresql+psycopg://" if empty_url.startswith("postgres") else "sqlite:///"
    created = one_line(invoke("db", "upgrade", "--db", empty_url), 0)
    assert created.startswith(f"created the database at {kind}") and created.endswith(f"(schema {HEAD})")
    assert one_line(invoke("db", "upgrade", "--db", empty_url), 0).endswith(f"is already at schema {HEAD}")


def test_db_upgrade_says_from_which_schema_it_migrated(empty_url):
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        cfg = alembic_config(empty_url)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
    engine.dispose()
    assert one_line(invoke("db", "upgrade", "--db", empty_url), 0).endswith(f"from schema 0001 to {HEAD}")


def test_db_backup_of_postgresql_is_one_line():
    line = one_line(invoke("db", "backup", "b.db", "--db", "postgres://ops@127.0.0.1:1/countypay"))
    assert line == "countypay: backup and restore are for the SQLite file store; use pg_dump for PostgreSQL"


def test_db_backup_of_a_missing_file_and_restore_of_a_non_database_are_one_line(tmp_path):
    line = one_line(invoke("db", "backup", str(tmp_path / "b.db"), "--db", f"sqlite:///{tmp_path / 'none.db'}"))
    assert line == f"countypay: no database at {tmp_path / 'none.db'}"
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    line = one_line(invoke("db", "restore", str(junk), "--db", f"sqlite:///{tmp_path / 'x.db'}"))
    assert line == f"countypay: {junk} is not a countypay backup: file is not a database"


def test_token_list_shows_every_token_but_never_a_secret(db_url):
    assert invoke("load", str(BUNDLE), "--db", db_url).exit_code == 0
    created = invoke("token", "create", "--role", "county", "--county", "haiyan", "--name", "finance", "--no-expiry",
                     "--db", db_url)
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("cp_")
    assert invoke("token", "create", "--role", "supervisor", "--name", "province", "--days", "30",
                  "--db", db_url).exit_code == 0
    assert invoke("token", "revoke", "1", "--db", db_url).exit_code == 0
    result = invoke("token", "list", "--db", db_url)
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines() if "│" in line]
    assert [r[:4] for r in rows] == [["1", "county", "haiyan", "finance"], ["2", "supervisor", "", "province"]]
    assert rows[0][5] == "" and rows[0][6] != ""  # never expires; revoked
    assert rows[1][5] != "" and rows[1][6] == ""  # expires in 30 days; not revoked
    assert secret not in result.output and "cp_" not in result.output


# ---------------------------------------------------------------- load: problems grouped, encodings named

def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    shutil.copytree(BUNDLE, folder)
    return folder


def test_a_misspelt_column_is_one_line_for_the_file_not_two_per_row(db_url, tmp_path):
    folder = bundle(tmp_path)
    rows = [f"haiyan,A,2024-{m:02d},outpatient_visit,{m}" for m in range(1, 13)]
    (folder / "service_counts.csv").write_text("county,institution,month,item,cuont\n" + "\n".join(rows) + "\n")
    result = invoke("load", str(folder), "--db", db_url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"import refused, nothing was written ({folder})",
        "  service_counts.csv, column cuont: not a column of service_counts; did you mean count?"]


def test_many_bad_rows_are_grouped_by_field_with_a_count(db_url, tmp_path):
    folder = bundle(tmp_path)
    rows = [f"haiyan,A,2024-{m:02d},outpatient_visit,-{m}" for m in range(1, 13)] + \
           [f"haiyan,Z{i},2024-01,outpatient_visit,{i}" for i in range(70)]
    (folder / "service_counts.csv").write_text("county,institution,month,item,count\n" + "\n".join(rows) + "\n")
    result = invoke("load", str(folder), "--db", db_url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert lines[:3] == [
        f"import refused, nothing was written ({folder})",
        "  service_counts.csv, field count: Input should be greater than or equal to 0 (rows 2, 3, 4 and 9 more)",
        "  service_counts.csv, field institution: 70 problems"]  # all counted, though 50 are kept whole
    assert [line.split(":")[0] for line in lines[3:6]] == ["    row 14", "    row 15", "    row 16"]
    assert all("'Z" in line for line in lines[3:6])
    assert lines[6:] == ["    … and 67 more"]


def test_gbk_text_behind_a_utf8_mark_is_named_and_refused(db_url, tmp_path):
    folder = bundle(tmp_path)
    text_ = (BUNDLE / "institutions.csv").read_text(encoding="utf-8")
    (folder / "institutions.csv").write_bytes(b"\xef\xbb\xbf" + text_.encode("gbk"))
    result = invoke("load", str(folder), "--db", db_url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[1] == (
        "  institutions.csv: starts with a UTF-8 byte-order mark, but the text after it is GBK, not UTF-8: "
        "save it again as UTF-8 (or as GBK without the mark)")


def test_the_encoding_each_file_was_read_in_is_named(db_url, tmp_path):
    folder = bundle(tmp_path)
    text_ = (BUNDLE / "institutions.csv").read_text(encoding="utf-8")
    (folder / "institutions.csv").write_bytes(text_.encode("gbk"))
    result = CliRunner().invoke(app, ["load", str(folder), "--db", db_url], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "institutions                 4 rows  (institutions.csv, GBK)" in result.output
    assert "counties                     1 rows  (counties.csv, UTF-8)" in result.output


# ---------------------------------------------------------------- ports

@pytest.fixture
def taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.mark.parametrize("command", [["serve"], ["serve", "--workers", "2"], ["demo"]])
def test_a_taken_port_is_named_before_anything_is_printed(command, taken_port, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = ["--db", "countypay-demo.db"] if command == ["demo"] else ["--db", "sqlite:///countypay.db"]
    line = one_line(invoke(*command, *db, "--port", str(taken_port)))
    assert line == f"countypay: port {taken_port} on 127.0.0.1 is taken: stop what listens there, or choose another with --port"
    assert not any(tmp_path.iterdir())  # no database made, no demo prepared


# ---------------------------------------------------------------- schema export, plugins, settle, case run

def test_schema_export_outside_a_checkout_writes_here_or_where_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert one_line(invoke("schema", "export"), 0) == "wrote schema.graphql"
    assert (tmp_path / "schema.graphql").read_text(encoding="utf-8") == schema.as_str() + "\n"
    assert one_line(invoke("schema", "export", "--out", "api/v1/schema.graphql"), 0) == "wrote api/v1/schema.graphql"
    assert (tmp_path / "api" / "v1" / "schema.graphql").is_file()


def test_a_plugin_that_breaks_the_contract_is_one_line_and_exit_2(monkeypatch):
    def broken():
        raise host.PluginError("plugin 'typo': unknown hook 'countypay_polices'")

    monkeypatch.setattr(host, "registry", broken)
    assert one_line(invoke("plugins"), 2) == "countypay: plugin 'typo': unknown hook 'countypay_polices'"


def test_settling_a_component_without_gather_says_what_it_needs(monkeypatch):
    real = host.registry().policy("haiyan")
    bare = policy.Policy(**{**real.__dict__, "components": tuple(
        c.__class__(**{**c.__dict__, "gather": None}) for c in real.components)})

    class Only:
        def policy(self, code):
            return bare

    monkeypatch.setattr(host, "registry", lambda: Only())
    line = one_line(invoke("settle", "--county", "haiyan", "--policy", "haiyan", "--component", "work_equivalent",
                           "--period", "2024"))
    assert line.startswith("cannot settle: haiyan.work_equivalent has no `gather`") and "docs/plugins.md" in line


def test_a_case_whose_policy_lacks_its_parameter_file_is_invalid_not_a_crash(monkeypatch, tmp_path):
    from countypay import cases

    real = host.registry().policy("haiyan")
    lost = policy.Policy(**{**real.__dict__, "parameter_file": tmp_path / "parameters.yaml"})

    class Only:
        def policy(self, code):
            return lost

    monkeypatch.setattr(cases, "registry", lambda: Only())
    case = Path(host.registry().policy("haiyan").parameter_file).parent / "cases" / "no-floor-no-cap.case.yaml"
    line = one_line(invoke("case", "run", str(case)), 2)
    assert line == f"INVALID {case}: its policy cannot read {tmp_path / 'parameters.yaml'}: No such file or directory"


# ---------------------------------------------------------------- unexpected errors

def test_an_unexpected_error_is_one_line_and_its_traceback_only_under_debug(monkeypatch, tmp_path):
    import countypay.auth

    def boom(session):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(countypay.auth, "list_tokens", boom)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    line = one_line(invoke("token", "list", "--db", url))
    assert line == "countypay: unexpected error: RuntimeError: disk on fire (run `countypay --debug ...` to see where)"
    result = invoke("--debug", "token", "list", "--db", url)
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
