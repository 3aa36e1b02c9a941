"""Database fixtures: every test that takes `engine` runs on SQLite and on PostgreSQL.

PostgreSQL tests skip with the reason when no server answers at COUNTYPAY_TEST_POSTGRES_URL,
unless COUNTYPAY_REQUIRE_POSTGRES=1 (as in CI), where that is a failure. Shared set-ups: `store`
(a county's facts written as a bundle, imported and settled, as a county team would),
`graphql_api` (bundles imported, tokens made, the app asked over GraphQL as a front end does),
`prefectures`, `db_url` (the database as a command reaches it) and `browser` (headless Chromium).
"""
import contextlib
import csv
import json
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session, SQLModel
from starlette.testclient import TestClient

from countypay import cases, models
from countypay.app import Settings, create_app
from countypay.auth import create_token
from countypay.db import make_engine
from countypay.host import registry
from countypay.launch import ServerDidNotStart, serving
from countypay.load import ImportFailed, import_bundle
from countypay.settle import line_values, settle
from countypay.store import upgrade

DATA = Path(__file__).parent / "data"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

PG_URL = os.environ.get("COUNTYPAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_problem: list = []


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    if not _pg_problem:
        try:
            engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as c:
                c.execute(text("select 1"))
            engine.dispose()
            _pg_problem.append(None)
        except Exception as e:  # any failure to connect means: no server here
            _pg_problem.append(f"no PostgreSQL at {PG_URL}: {type(e).__name__}: {str(e).splitlines()[0]}")
    return _pg_problem[0]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'countypay.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    problem = postgres_problem()
    if problem:
        if os.environ.get("COUNTYPAY_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f"create schema {schema}"))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


def missing_tool(problem: str | None) -> None:
    """Skip for a missing tool (chromium, node, …), or fail where tools are required (CI)."""
    if problem:
        if os.environ.get("COUNTYPAY_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{problem} (COUNTYPAY_REQUIRE_TOOLS=1)")
        pytest.skip(problem)


@contextlib.contextmanager
def running_server(db: Path, *options: str):
    """`countypay serve` on a free loopback port until the block ends; yields its base URL."""
    try:
        with serving(f"sqlite:///{db}", *options) as (base, _):
            yield base
    except ServerDidNotStart as e:
        pytest.fail(str(e))


@pytest.fixture
def serve():
    """`with serve(db_path, *countypay_serve_options) as base_url:` runs the real server."""
    return running_server


@pytest.fixture
def need_tool():
    return missing_tool


@pytest.fixture
def db_url(engine) -> str:
    """The URL a command or a server reaches the `engine` fixture's database by (on PostgreSQL,
    its own schema)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            schema = c.execute(text("select current_schema()")).scalar()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """The paths of headless Chromium and its driver, with selenium installed to drive them;
    without them, skip (or fail where tools are required)."""
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not os.access(path, os.X_OK):
            missing_tool(f"{what} is not installed (apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing_tool("the selenium package is not installed")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def browser_options(chromium, tmp_path):
    """Options of a headless Chromium with a profile of its own, every host but the loopback
    unresolvable (as on a county network without internet) and its console log kept; a module
    adds its own by overriding this fixture."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture
def browser(chromium, browser_options):
    """Headless Chromium driven by selenium, started with `browser_options`, quit when the test ends."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(options=browser_options, service=Service(executable_path=chromium[1]))
    try:
        yield driver
    finally:
        driver.quit()


# ---------------------------------------------------------------- counties written, loaded, settled

def twin(folder: Path, code: str) -> Path:
    """The Haiyan bundle as another county of Zhejiang (its own rows, the same figures)."""
    bundle = folder / code
    shutil.copytree(DATA / "haiyan-bundle", bundle)
    for name in ("provinces.csv", "service_items.csv"):
        (bundle / name).unlink()
    for f in bundle.iterdir():
        f.write_text(re.sub(r"^haiyan,", f"{code},", f.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    return bundle


@pytest.fixture
def prefectures(engine, tmp_path) -> None:
    """Three counties under two prefectures: Haiyan and Pinghu (Haiyan's bundle again) under
    Jiaxing (嘉兴市) in Zhejiang, `other` (tests/data) under Huaibei (淮北市) in Anhui."""
    import_bundle(engine, DATA / "haiyan-bundle")
    import_bundle(engine, twin(tmp_path, "pinghu"))
    import_bundle(engine, DATA / "other-bundle")
    with Session(engine) as s:
        for code, name_zh, province, counties in (("jiaxing", "嘉兴市", "zhejiang", ["haiyan", "pinghu"]),
                                                  ("huaibei", "淮北市", "anhui", ["other"])):
            pid = s.exec(select(models.Province.id).where(models.Province.code == province)).scalars().one()
            prefecture = models.Prefecture(code=code, province_id=pid, name_zh=name_zh)
            s.add(prefecture)
            s.flush()
            for county in s.exec(select(models.County).where(models.County.code.in_(counties))).scalars():
                county.prefecture_id = prefecture.id
        s.commit()


class BundleFolder:
    """A bundle a test writes table by table, as a county team would (README, "Loading a county")."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, name: str, rows: list[dict]) -> None:
        """One table file: JSON when `name` ends in .json, else CSV with the first row's columns
        (None as an empty cell)."""
        self.path.mkdir(parents=True, exist_ok=True)
        if name.endswith(".json"):
            (self.path / name).write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
            return
        with open(self.path / name, "w", encoding="utf-8", newline="") as f:
            out = csv.DictWriter(f, fieldnames=list(rows[0]))
            out.writeheader()
            out.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)

    def append(self, name: str, text: str) -> None:
        """Lines added at the end of a table file as written."""
        with open(self.path / name, "a", encoding="utf-8") as f:
            f.write(text)

    def replace_row(self, table: str, row: int, new: str) -> None:
        """Line `row` of a table's CSV file (1: its header) replaced by `new`."""
        path = self.path / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[row - 1] = new
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def overrides(self, county: str, case, given: dict | None = None) -> None:
        """The case's parameters of its component (or `given` ones) as the county's overrides
        from the start of the case's period."""
        given = (case.parameters.get(case.component) or {}) if given is None else given
        if given:
            self.write("parameter_overrides.csv", [
                {"county": county, "policy": case.policy, "component": case.component, "name": k,
                 "effective": case.period.start.isoformat(), "value": json.dumps(v, default=str),
                 "reference": "case"} for k, v in given.items()])


class Store:
    """The `engine` fixture's database, loaded with bundles a test writes and settled."""

    def __init__(self, engine, folder: Path):
        self.engine, self.folder = engine, folder

    def bundle(self, name: str = "bundle") -> BundleFolder:
        """A new bundle, in a folder of that name in the test's temporary folder."""
        return BundleFolder(self.folder / name)

    def load(self, bundle: BundleFolder) -> None:
        import_bundle(self.engine, bundle.path)

    def row_counts(self) -> dict[str, int]:
        """Rows of every table: what a refused import leaves as it was."""
        with Session(self.engine) as s:
            return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in SQLModel.metadata.sorted_tables}

    def settled(self, policy: str, component: str, period, county: str | None = None) -> dict:
        """The lines of a settlement run and stored now, (entity, code) → value; of the policy's
        own county unless another is named."""
        with Session(self.engine) as s:
            run = settle(s, county or registry().policy(policy).county, policy, component, str(period))
            s.commit()
            return line_values(s, run.id)

    def settles_to(self, case, bundle: BundleFolder) -> None:
        """`bundle`, the case's facts as its county would load them, imported and settled, gives
        every line the case computes and every figure it expects."""
        self.load(bundle)
        got = self.settled(case.policy, case.component, case.period)
        assert got == {(l.entity, l.code): l.value for l in cases.run(case).computation.outcome.lines}
        assert all(got[e.entity, e.line] == e.value for e in case.expected)

    def settles_to_file(self, path: Path, bundle_of, unread: dict[str, str] | None = None) -> None:
        """The case file at `path` settles to its lines (settles_to) from the bundle that
        `bundle_of(case, bundle)` writes, with `unread` lines (file → text) added that the
        settlement must not read."""
        case = cases.load(path)
        bundle = bundle_of(case, self.bundle())
        for name, text in (unread or {}).items():
            bundle.append(name, text)
        self.settles_to(case, bundle)

    def refusal(self, good, table: str, row: int, new: str) -> list[str]:
        """The problems of a bundle refused whole over a stored county: `good(bundle)` writes the
        county, which is loaded; written again with line `row` of `table` replaced by `new`, the
        bundle is refused and the store left as it was."""
        self.load(good(self.bundle("good")))
        before = self.row_counts()
        again = good(self.bundle("again"))
        again.replace_row(table, row, new)
        with pytest.raises(ImportFailed) as err:
            self.load(again)
        assert self.row_counts() == before
        return err.value.problems

    def refuses(self, good, bad: dict) -> None:
        """A bad row of a test's data file (its `table`, `row`, `new` line and `message`) refuses
        the bundle `good` writes over the stored county (refusal), a problem starting with `message`."""
        problems = self.refusal(good, bad["table"], bad["row"], bad["new"])
        assert any(p.startswith(bad["message"]) for p in problems), problems


@pytest.fixture
def store(engine, tmp_path) -> Store:
    return Store(engine, tmp_path)


# ---------------------------------------------------------------- the API as a front end asks it

class Api:
    """The app over the `engine` fixture's database: `api(query, variables, as_=name)` posts to
    /graphql with the token made under that name (signed out without one), checks the answer's
    status and returns its body."""

    def __init__(self, engine, tokens: dict[str, str], settings: Settings | None = None):
        self.engine, self.tokens = engine, tokens
        self.client = TestClient(create_app(engine, settings or Settings()))

    def headers(self, as_: str | None) -> dict:
        return {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}

    def __call__(self, query: str, variables: dict | None = None, as_: str | None = None,
                 status: int | None = 200) -> dict:
        r = self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                             headers=self.headers(as_))
        assert status is None or r.status_code == status, r.text
        return r.json()

    def get(self, path: str, as_: str | None = None, **params):
        """A GET of the app (an export, a page) with that name's token; `params` (if any) replace
        the path's query."""
        return self.client.get(path, params=params or None, headers=self.headers(as_))

    def served(self, settings: Settings) -> "Api":
        """The same store and tokens, the app run with other settings."""
        return Api(self.engine, self.tokens, settings)

    def settle(self, *args, **options) -> int:
        """A run settled and stored now (settle's arguments after the session); its id."""
        with Session(self.engine) as s:
            run = settle(s, *args, **options)
            s.commit()
            return run.id


@pytest.fixture
def graphql_api(engine):
    """`graphql_api(*bundles, settings=None, **tokens)`: the bundles (folders of tests/data, or
    paths) imported in order, a token made under each name with create_token's keywords
    (`haiyan=dict(role="county", county_code="haiyan", name="haiyan team")`), and an `Api`."""
    def make(*bundles, settings: Settings | None = None, **tokens: dict) -> Api:
        for bundle in bundles:
            import_bundle(engine, DATA / bundle)
        with Session(engine) as s:
            issued = {name: create_token(s, **spec)[1] for name, spec in tokens.items()}
            s.commit()
        return Api(engine, issued, settings)
    return make
