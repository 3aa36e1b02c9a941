"""The supervisors' console: its files, sign-in and the cookie's limits over HTTP, then every page in a
real browser (headless Chromium) against the demo, with every host but the server made unresolvable.

The browser tests need Debian's chromium and chromium-driver and the selenium package; without them
they skip, unless COUNTYPAY_REQUIRE_TOOLS=1 (as in CI), where that is a failure. They build the demo
once (COUNTYPAY_DEMO_DB names a demo file made by `countypay demo --db FILE` to copy instead), save a
screenshot of each page into the folder they print (COUNTYPAY_SCREENSHOTS, else a temporary one),
and print each page's weight and first paint.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from countypay.app import Settings, create_app
from countypay.auth import COOKIE, create_token, revoke_token
from countypay.console import static_files
from countypay.launch import serving
from countypay.load import import_bundle
from countypay.models import ApiToken
from countypay.settle import settle

HERE = Path(__file__).parent
ROOT = HERE.parent
STATIC = static_files.STATIC


# ---- the files


def test_every_vendored_file_is_the_registrys_with_its_licence():
    manifest = json.loads((STATIC / "vendor" / "manifest.json").read_text())
    assert set(manifest) == {"react", "react-dom", "graphiql", "echarts"}
    for name, entry in manifest.items():
        folder = STATIC / "vendor" / f"{name}-{entry['version']}"
        assert entry["source"] == f"https://registry.npmjs.org/{name}/-/{name}-{entry['version']}.tgz"
        assert "LICENSE" in entry["files"] and entry["licence"] in ("MIT", "Apache-2.0")
        for file, facts in entry["files"].items():
            body = (folder / file).read_bytes()
            assert hashlib.sha256(body).hexdigest() == facts["sha256"], file
        assert sorted(p.name for p in folder.iterdir()) == sorted(entry["files"])  # nothing unlisted
    assert "NOTICE" in manifest["echarts"]["files"]  # Apache-2.0 asks for it
    readme = (STATIC / "vendor" / "README.md").read_text()
    for name, entry in manifest.items():
        assert f"| {name} | {entry['version']} | {entry['licence']} |" in readme
        assert entry["tarball_sha256"] in readme


def test_the_consoles_own_files_name_no_other_host():
    own = [p for p in (STATIC / "console").rglob("*") if p.is_file()]
    assert {p.suffix for p in own} == {".js", ".css"} and len(own) >= 9
    for p in own:
        assert not re.search(r"(https?:)?//[a-z0-9-]+\.[a-z]", p.read_text(encoding="utf-8")), p


def test_the_wheel_carries_the_console(tmp_path):
    """What `pip install` gives (not the editable checkout) holds the pages' files and licences."""
    src = tmp_path / "src"
    src.mkdir()
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    for part in ("server", "schema", "plugins"):
        shutil.copytree(ROOT / part, src / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("countypay-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((STATIC / "vendor" / "manifest.json").read_text())
    expected = {f"countypay/console/static/vendor/{n}-{e['version']}/{f}" for n, e in manifest.items() for f in e["files"]}
    expected |= {f"countypay/console/{p.relative_to(STATIC.parent).as_posix()}" for p in STATIC.rglob("*") if p.is_file()}
    assert expected <= names, sorted(expected - names)
    assert {"countypay/console/pages.py", "countypay/console/strings.yaml",
            "countypay/console/static/vendor/manifest.json"} <= names


# ---- over HTTP


@pytest.fixture
def console(engine):
    """The app on a store with Haiyan's bundle settled, a supervisor token and a county token."""
    import_bundle(engine, HERE / "data" / "haiyan-bundle")
    with Session(engine) as s:
        run = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
        run_id = run.id
        supervisor = create_token(s, "supervisor", name="Provincial office")[1]
        s.commit()
    client = TestClient(create_app(engine, Settings()), base_url="http://127.0.0.1:8000")
    client.run_id, client.secret, client.engine = run_id, supervisor, engine
    return client


SAME = {"Origin": "http://127.0.0.1:8000"}
COUNTIES = {"query": "{ counties { nodes { code } } policies { code } }"}


def signed_in(client, secret):
    r = client.post("/signin", content=f"token={secret}&next=/counties/haiyan", headers={
        **SAME, "Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/counties/haiyan", r.text
    return r


def test_pages_are_chinese_first_with_an_english_switch_and_load_only_from_here(console):
    r = console.get("/")
    assert r.status_code == 200 and '<html lang="zh-CN"' in r.text and "<title>省级总览 · countypay</title>" in r.text
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    scripts = re.findall(r'<script defer src="([^"]+)"', r.text)
    assert scripts[0].startswith("/static/vendor/echarts-") and scripts[-1] == "/static/console/province.js"
    assert "/static/console/charts/ranked-tiers.js" in scripts and "/static/console/charts/generic.js" in scripts
    assert "未登录：只能看到目录" in r.text and 'href="/?lang=en"' in r.text
    en = console.get("/counties/haiyan?lang=en")
    assert '<html lang="en"' in en.text and '"code": "haiyan"' in en.text and en.cookies.get("countypay_lang") == "en"
    assert '<html lang="en"' in console.get("/settlements/1").text  # the choice is kept
    assert '<html lang="zh-CN"' in console.get("/settlements/1?lang=zh").text
    for path in ("/", "/counties/haiyan", f"/settlements/{console.run_id}", "/signin", "/graphql"):
        page = console.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "http://" not in page.text and "https://" not in page.text, path
        for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            assert console.get(url).status_code == 200, url


def test_static_files_are_compressed_cached_and_confined(console):
    manifest = json.loads((STATIC / "vendor" / "manifest.json").read_text())
    echarts = f"/static/vendor/echarts-{manifest['echarts']['version']}/echarts.min.js"
    r = console.get(echarts)
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and r.headers["content-type"].startswith("text/javascript")
    assert "immutable" in r.headers["cache-control"] and r.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(r.content).hexdigest() == manifest["echarts"]["files"]["echarts.min.js"]["sha256"]
    assert console.get(echarts, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    own = console.get("/static/console/console.js")
    assert own.status_code == 200 and own.headers["cache-control"] == "no-cache"
    licence = console.get(f"/static/vendor/echarts-{manifest['echarts']['version']}/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text
    for bad in ("/static/../pages.py", "/static/%2e%2e/pages.py", "/static/console/nothing.js", "/static/vendor",
                "/static/../../auth.py", "/static/console/../../strings.py"):
        assert console.get(bad).status_code == 404, bad


def test_a_page_names_the_file_its_package_lacks(console, tmp_path, monkeypatch):
    from countypay.console import pages

    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    manifest = json.loads((STATIC / "vendor" / "manifest.json").read_text())
    (copy / "vendor" / f"echarts-{manifest['echarts']['version']}" / "echarts.min.js").unlink()
    monkeypatch.setattr(static_files, "STATIC", copy)
    monkeypatch.setattr(pages, "STATIC", copy)
    r = console.get("/")
    assert r.status_code == 500 and "countypay 安装不完整" in r.text
    assert f"static/vendor/echarts-{manifest['echarts']['version']}/echarts.min.js" in r.text and "<script defer" not in r.text


def test_sign_in_keeps_the_token_in_a_strict_http_only_cookie(console):
    r = signed_in(console, console.secret)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={console.secret};") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Max-Age=43200" in cookie and "Secure" not in cookie  # plain http: see pages.py
    page = console.get("/")
    assert "已登录： Provincial office (督导)" in page.text and 'action="/signout"' in page.text
    out = console.post("/signout", headers=SAME, follow_redirects=False)
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert "未登录" in console.get("/").text
    https = TestClient(console.app, base_url="https://127.0.0.1:8000")
    r = https.post("/signin", content=f"token={console.secret}", follow_redirects=False, headers={
        "Origin": "https://127.0.0.1:8000", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_a_wrong_or_foreign_sign_in_sets_nothing(console):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for secret in ("cp_forged", "", "nonsense"):
        r = console.post("/signin", content=f"token={secret}", headers={**SAME, **form})
        assert r.status_code == 401 and "令牌无效、已过期或已被撤销" in r.text and "set-cookie" not in r.headers
    r = console.post("/signin", content=f"token={console.secret}", headers={"Origin": "http://evil.example", **form})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = console.post("/signin", content=f"token={console.secret}&next=//evil.example/x", headers={**SAME, **form},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_cookie_works_only_for_this_servers_own_requests(console):
    anonymous = console.post("/graphql", json=COUNTIES).json()
    assert anonymous["data"]["counties"] is None and anonymous["data"]["policies"]  # catalogues only
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    signed_in(console, console.secret)
    ok = console.post("/graphql", json=COUNTIES, headers=SAME)
    assert ok.status_code == 200 and ok.json()["data"]["counties"]["nodes"] == [{"code": "haiyan"}]
    assert console.post("/graphql", json=COUNTIES, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        r = console.post("/graphql", json=COUNTIES, headers=headers)
        assert r.status_code == 403 and r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN", headers
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = console.post("/graphql", content=json.dumps(COUNTIES), headers={**SAME, "Content-Type": content_type})
        assert r.status_code == 403, content_type
    assert console.get("/graphql", params={"query": "{ counties { nodes { code } } }"}).status_code == 403
    assert console.get("/graphql", headers={"Accept": "text/html"}).status_code == 200  # GraphiQL still opens
    xlsx = console.get(f"/export/settlements/{console.run_id}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert console.get(f"/export/settlements/{console.run_id}.csv", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 401
    header = {"Authorization": f"Bearer {console.secret}", "Origin": "http://elsewhere.example"}
    assert console.post("/graphql", json=COUNTIES, headers=header).status_code == 200  # the header needs no cookie rules


def test_a_revoked_sign_in_is_refused_by_the_api_and_offered_again_by_the_pages(console):
    signed_in(console, console.secret)
    with Session(console.engine) as s:
        revoke_token(s, s.exec(select(ApiToken)).first())
        s.commit()
    r = console.post("/graphql", json=COUNTIES, headers=SAME)
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert console.get(f"/export/settlements/{console.run_id}.csv").status_code == 401
    page = console.get("/")
    assert page.status_code == 200 and 'href="/signin"' in page.text


# ---- in a browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory, chromium):
    """The demo file, built once for the module (or copied from COUNTYPAY_DEMO_DB), with a
    supervisor token; its runs and figures as the API gives them."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    if os.environ.get("COUNTYPAY_DEMO_DB"):
        shutil.copy(os.environ["COUNTYPAY_DEMO_DB"], db)
        from countypay.store import open_store
        engine = open_store(f"sqlite:///{db}")
    else:
        from countypay.demo import prepare_demo
        engine = prepare_demo(db)
    with Session(engine) as s:
        secret = create_token(s, "supervisor", name="Provincial office")[1]
        s.commit()
    engine.dispose()
    return db, secret


@pytest.fixture(scope="module")
def public(demo):
    """The demo served as `countypay demo` serves it: anyone may read."""
    db = shutil.copy(demo[0], demo[0].with_name("public.db"))  # its own file: a server writes as it starts
    with serving(f"sqlite:///{db}", "--public-read") as (base, _):
        yield base


@pytest.fixture(scope="module")
def private(demo):
    """The same data served as a real server is: a token is needed."""
    db = shutil.copy(demo[0], demo[0].with_name("private.db"))
    with serving(f"sqlite:///{db}") as (base, _):
        yield base


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("COUNTYPAY_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser_options(browser_options, tmp_path):
    """The conftest's options, and downloads saved unasked into the test's folder."""
    (tmp_path / "downloads").mkdir()
    browser_options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path / "downloads"),
                                                      "download.prompt_for_download": False})
    return browser_options


@pytest.fixture
def browser(browser, tmp_path):
    """The conftest's browser, saving downloads into `browser.downloads`."""
    browser.downloads = tmp_path / "downloads"
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(browser.downloads)})
    return browser


def api(base: str, query: str, variables: dict | None = None, secret: str | None = None) -> dict:
    """A query as any client sends it, for the figures a page must show."""
    request = urllib.request.Request(f"{base}/graphql", json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     {"Content-Type": "application/json", **({"Authorization": f"Bearer {secret}"} if secret else {})})
    with urllib.request.urlopen(request, timeout=60) as r:
        body = json.load(r)
    assert "errors" not in body, body
    return body["data"]


def settled(base: str, county: str, component: str) -> str:
    return api(base, "query($c: String!, $k: String!) { settlements(county: $c, component: $k, first: 1) { nodes { id } } }",
               {"c": county, "k": component})["settlements"]["nodes"][0]["id"]


def ready(browser, timeout: float = 90) -> None:
    """Wait until the page says it is complete and nothing in it is loading; fail on an error notice."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = browser.execute_script(
            "const main = document.getElementById('main');"
            "return {state: main && main.dataset.state, loading: document.querySelectorAll('.loading').length,"
            " errors: [...document.querySelectorAll('.notice.error')].map(e => e.textContent)}")
        if state["errors"]:
            raise AssertionError(f"the page shows an error: {state['errors']}")
        if state["state"] == "ready" and not state["loading"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{browser.current_url} was still loading after {timeout:g} s: {state}")


def follow(browser, element) -> None:
    """Click what leads to another page and wait until that page is ready."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element("css selector", "main")
    element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(page))
    ready(browser)


def shown(browser, css: str, timeout: float = 60):
    """The elements matching `css`, once there are some."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda b: b.find_elements("css selector", css))


DRAWN = """return [...document.querySelectorAll('[data-chart]')].map(area => ({name: area.dataset.chart,
  charts: [...area.querySelectorAll('.chart')].map(el => echarts.getInstanceByDom(el).getModel().getSeries().map(s => {
    const d = s.getData(); let drawn = 0;
    for (let i = 0; i < d.count(); i++) if (d.getItemGraphicEl(i)) drawn++;
    return {type: s.subType, drawn, data: d.count()}; })),
  svg: area.querySelectorAll('svg path').length}))"""

MEASURE = """const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
const paint = Object.fromEntries(performance.getEntriesByType('paint').map(p => [p.name, p.startTime]));
const files = res.filter(r => r.initiatorType !== 'fetch');
const sum = (xs, k) => xs.reduce((a, r) => a + r[k], 0);
return {urls: [nav.name, ...res.map(r => r.name)], requests: 1 + res.length,
  shipped: nav.encodedBodySize + sum(files, 'encodedBodySize'), unpacked: nav.decodedBodySize + sum(files, 'decodedBodySize'),
  data: sum(res.filter(r => r.initiatorType === 'fetch'), 'encodedBodySize'),
  transferred: nav.transferSize + sum(res, 'transferSize'), firstPaint: paint['first-paint'],
  firstContentfulPaint: paint['first-contentful-paint']}"""


def screenshot(browser, path: Path) -> None:
    """The whole page, not only the window."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def visit(browser, base: str, path: str, shots: Path, name: str, metrics: list) -> dict:
    """Open a page in a cold browser cache, wait for it, check it fetched from the server only and
    logged no error, measure it and save its screenshot."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.clearBrowserCache", {})
    browser.get(base + path)
    ready(browser)
    m = browser.execute_script(MEASURE)
    strays = [u for u in m["urls"] if not u.startswith(base + "/") and not u.startswith("data:")]
    assert not strays, strays
    problems = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not problems, problems
    screenshot(browser, shots / f"{name}.png")
    metrics.append((name, path, m))
    return m


def report(capsys, shots: Path, metrics: list) -> None:
    lines = [f"{'page':<22} {'shipped KB':>10} {'unpacked KB':>11} {'data KB':>8} {'requests':>8} "
             f"{'first paint ms':>14} {'first contentful ms':>19}"]
    for name, path, m in metrics:
        lines.append(f"{name:<22} {m['shipped'] / 1024:>10.0f} {m['unpacked'] / 1024:>11.0f} {m['data'] / 1024:>8.0f} "
                     f"{m['requests']:>8} {m['firstPaint'] or 0:>14.0f} {m['firstContentfulPaint'] or 0:>19.0f}")
    text = "\n".join(lines)
    with open(shots / "weights.txt", "a", encoding="utf-8") as f:
        f.write(text + "\n")
    with capsys.disabled():
        print(f"\nconsole screenshots in {shots}\n{text}")


def lines_of(base: str, county: str, component: str) -> list:
    """The lines of a component's latest run, as its chart reads them."""
    return api(base, 'query($id: ID!) { settlement(id: $id) { lines(first: 1000) { nodes { entity code value } } } }',
               {"id": settled(base, county, component)})["settlement"]["lines"]["nodes"]


def chart_shot(browser, name: str, shots: Path) -> None:
    """The component's section with its chart and tables."""
    section = browser.find_element("css selector", f"[data-chart={name}]").find_element("xpath", "..")
    browser.execute_script("arguments[0].scrollIntoView()", section)
    section.screenshot(str(shots / f"chart-{name}.png"))


def newest_charts(browser, base: str, county: str, drawn: dict, shots: Path) -> set:
    """Huangyuan's transfers, Chengwu's scorecard and Changting's grid ranking: a bar per hop, per
    indicator (what it could earn and what it earned) and per grid, late ones and ties marked."""
    count = lambda css: browser.execute_script(f"return document.querySelectorAll({css!r}).length")
    if "transfers" in drawn:
        lines = lines_of(base, county, "transfers")
        hops = sum(l["code"] == "days" for l in lines)
        assert drawn["transfers"] == [[[{"type": "bar", "drawn": hops, "data": hops}]]] and hops == 3
        late = sum(l["code"] == "late_days" and l["value"] != "0" for l in lines)
        assert count("[data-chart=transfers] .badge.error") == late == 2  # a hop 41 days against 30, a task
        assert "30" in browser.find_element("css selector", "[data-chart=transfers] .cards").text
        chart_shot(browser, "transfers", shots)
    if "scorecard" in drawn:
        lines = lines_of(base, county, "assessment")
        (entity,) = {l["entity"] for l in lines if l["code"] == "score"}
        met = [l for l in lines if l["entity"] == entity and l["code"].endswith(".met")]
        n = len(met)
        assert drawn["scorecard"] == [[[{"type": "bar", "drawn": 1, "data": 1}], [{"type": "bar", "drawn": n, "data": n}] * 2]]
        assert n == 32 and count("[data-chart=scorecard] tbody .badge.error") == sum(l["value"] == "0" for l in met)
        score = next(l["value"] for l in lines if l["entity"] == entity and l["code"] == "score")
        assert score in browser.find_element("css selector", "[data-chart=scorecard] .cards").text
        chart_shot(browser, "scorecard", shots)
    if "grid-ranking" in drawn:
        ranks = [l["value"] for l in lines_of(base, county, "grid_index") if l["code"] == "rank"]
        n = len(ranks)
        assert drawn["grid-ranking"] == [[[{"type": "bar", "drawn": n, "data": n}]]] and n == 54
        shared = sum(ranks.count(r) > 1 for r in ranks)
        cells = browser.execute_script("return [...document.querySelectorAll('[data-chart=grid-ranking] tbody tr td:first-child')]"
                                       ".map(td => td.textContent)")
        assert len(cells) == n and sum(c.endswith("=") for c in cells) == shared > 0  # ties visible
        chart_shot(browser, "grid-ranking", shots)
    return {"transfers", "scorecard", "grid-ranking"} & set(drawn)


def charts_of(browser) -> dict:
    found = {}
    for area in browser.execute_script(DRAWN):
        assert area["svg"] > 0 and area["charts"], area
        found.setdefault(area["name"], []).append(area["charts"])
    return found


def test_every_page_renders_the_demo_and_draws_its_charts_offline(browser, public, shots, capsys):
    metrics = []
    counties = api(public, "{ counties { nodes { code } } }")["counties"]["nodes"]
    # The province: every county, and an indicator compared across them (a bar per county with a value).
    visit(browser, public, "/?indicator=performance_score&period=2024", shots, "province", metrics)
    rows = browser.execute_script("return document.querySelectorAll('table.counties tbody tr').length")
    assert rows == len(counties) >= 4
    compared = api(public, '{ compareCounties(indicator: "performance_score", period: "2024") { nodes { value } } }'
                   )["compareCounties"]["nodes"]
    (comparison,) = charts_of(browser)["comparison"]
    assert comparison == [[{"type": "bar", "drawn": sum(c["value"] is not None for c in compared),
                            "data": sum(c["value"] is not None for c in compared)}]]
    assert sum(c["value"] is not None for c in compared) >= 2

    # Suixi: the effect ranking, a bar per ranked unit for the change and for the payment, in four tiers.
    visit(browser, public, "/counties/suixi", shots, "county-suixi", metrics)
    run = settled(public, "suixi", "public_health")
    effect = api(public, 'query($id: ID!) { settlement(id: $id) { lines(code: "effect.paid", first: 1000) { nodes { trace } } } }',
                 {"id": run})["settlement"]["lines"]["nodes"]
    ranked = sum(l["trace"]["result"]["rank"] is not None for l in effect)
    drawn = charts_of(browser)
    assert drawn["ranked-tiers"] == [[[{"type": "bar", "drawn": ranked, "data": ranked}] * 2]]
    assert ranked >= 200
    tiers = browser.execute_script("return [...document.querySelectorAll('[data-chart=ranked-tiers] table')[0].rows].length")
    assert tiers == 1 + 4
    for charts in drawn["generic"]:  # the other components: one of their line codes, a bar per entity
        ((series,),) = charts
        assert series["drawn"] == series["data"] > 0
    # The small package: per centre its surplus stacked by level and what the assessment kept back, or its overspend.
    lines = lines_of(public, "suixi", "chronic_package")
    per_code = [sum(l["code"] == c and l["entity"] != "county" for l in lines)
                for c in ("county", "township", "village", "community_retained", "community_borne")]
    assert drawn["small-package"] == [[[{"type": "bar", "drawn": n, "data": 18} for n in per_code]]] and per_code == [14] * 4 + [4]
    assert "23.75 %" in browser.find_element("css selector", "[data-chart=small-package] .cards").text
    chart_shot(browser, "small-package", shots)

    # Haiyan: each institution's payment and funding per head, beside the price per equivalent.
    visit(browser, public, "/counties/haiyan", shots, "county-haiyan", metrics)
    run = settled(public, "haiyan", "work_equivalent")
    paid = api(public, 'query($id: ID!) { settlement(id: $id) { lines(code: "paid") { totalCount } '
                       'price: lines(entity: "county", code: "price") { nodes { value } } } }', {"id": run})["settlement"]
    n = paid["lines"]["totalCount"]
    assert charts_of(browser)["equivalents"] == [[[{"type": "bar", "drawn": n, "data": n}] * 2]] and n >= 9
    assert paid["price"]["nodes"][0]["value"] in browser.find_element("css selector", "[data-chart=equivalents] .cards").text

    # Deqing: budget, actual and retained per community, and the recorded years before.
    visit(browser, public, "/counties/deqing", shots, "county-deqing", metrics)
    history = api(public, '{ indicatorValues(county: "deqing", entity: "county", first: 1000) { nodes { period indicator { code } } } }')
    recorded = {}
    for v in history["indicatorValues"]["nodes"]:
        recorded.setdefault(v["indicator"]["code"], set()).add(v["period"])
    run = settled(public, "deqing", "global_budget")
    lines = api(public, 'query($id: ID!) { settlement(id: $id) { lines(first: 1000) { nodes { entity code } } } }',
                {"id": run})["settlement"]["lines"]["nodes"]
    per_code = [sum(l["code"] == c and l["entity"] != "county" for l in lines)
                for c in ("budget", "actual", "surplus.retained", "overspend.borne")]
    (budget,) = charts_of(browser)["global-budget"]
    this_year, past = budget
    assert [s["drawn"] for s in this_year] == [n for n in per_code if n] and per_code[0] >= 2
    assert [s["drawn"] for s in past] == [len(recorded[c]) for c in ("recorded_surplus", "recorded_retained",
                                                                     "recorded_overspend_shared", "budget_growth_rate")]
    assert len(recorded["budget_growth_rate"]) == 6  # 2018-2023

    # Every other county: each settled component drawn, by its own module or the generic one.
    newest = set()
    for county in sorted({c["code"] for c in counties} - {"suixi", "haiyan", "deqing"}):
        visit(browser, public, f"/counties/{county}", shots, f"county-{county}", metrics)
        components = browser.execute_script("return document.querySelectorAll('section.component').length")
        if not components:  # paid by no policy (Shouguang's map is a report): the page leads to its map
            assert browser.find_elements("css selector", "a.map-link"), county
            visit(browser, public, f"/counties/{county}/map", shots, f"map-{county}", metrics)
            continue
        unsettled = browser.execute_script("return document.querySelectorAll('section.component > p.muted').length")
        drawn = charts_of(browser)
        assert sum(len(areas) for areas in drawn.values()) == components - unsettled > 0, county
        for areas in drawn.values():
            for charts in areas:
                assert all(s["drawn"] == s["data"] > 0 for chart in charts for s in chart), (county, charts)
        newest |= newest_charts(browser, public, county, drawn, shots)
    assert newest == {"transfers", "scorecard", "grid-ranking"}

    # A settlement: its lines with explanations, flags, downloads and the what-if form.
    run = settled(public, "suixi", "public_health")
    visit(browser, public, f"/settlements/{run}", shots, "settlement-suixi", metrics)
    text = browser.find_element("css selector", "main").text
    assert "村级" in text and "草稿" in text and "Excel (.xlsx)" in text and "village_share" in text
    assert browser.execute_script("return document.querySelectorAll('section.lines tbody tr').length") == 100

    # GraphiQL, from the package.
    visit(browser, public, "/graphql", shots, "graphiql", metrics)
    assert browser.execute_script("return !!document.querySelector('.graphiql-container')")
    report(capsys, shots, metrics)


def test_a_line_explains_itself_and_the_lines_filter(browser, public):
    run = settled(public, "haiyan", "work_equivalent")
    browser.get(f"{public}/settlements/{run}")
    ready(browser)
    browser.find_element("css selector", "input[name=entity]").send_keys("county")
    browser.find_element("css selector", "input[name=code]").send_keys("price")
    browser.find_element("css selector", "section.lines form button").click()
    shown(browser, "section.lines p.controls span")
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 30).until(lambda b: len(b.find_elements("css selector", "section.lines tbody tr")) == 1)
    rows = browser.find_elements("css selector", "section.lines tbody tr")
    assert "price" in rows[0].text
    rows[0].find_element("css selector", "summary").click()
    (explained,) = shown(browser, "section.lines dl.explain")
    explained = explained.text
    assert "公式" in explained and "p = D / ΣQ" in explained and "total_equivalents" in explained and "{" not in explained


def test_what_if_shows_the_differences_and_stores_nothing(browser, public, shots):
    run = settled(public, "deqing", "global_budget")
    before = api(public, '{ settlements(county: "deqing") { totalCount } }')["settlements"]["totalCount"]
    browser.get(f"{public}/settlements/{run}")
    ready(browser)
    field = browser.find_element("css selector", "input[name=assessed_share]")
    field.clear()
    field.send_keys("0.5")
    browser.find_element("css selector", ".what-if form button").click()
    differences = shown(browser, ".what-if-result tbody tr", 120)
    result = browser.find_element("css selector", ".what-if-result")
    codes = {r.find_elements("css selector", "td")[1].text for r in differences}
    assert {"surplus.retained", "surplus.returned"} <= codes, result.text
    browser.execute_script("document.querySelector('.what-if').scrollIntoView()")
    result.screenshot(str(shots / "what-if.png"))
    assert api(public, '{ settlements(county: "deqing") { totalCount } }')["settlements"]["totalCount"] == before


def test_sign_in_works_a_wrong_token_is_refused_and_an_export_downloads(browser, private, demo, shots):
    from selenium.webdriver.common.by import By

    browser.get(private + "/")
    ready(browser)
    assert "没有可查看的县" in browser.find_element(By.ID, "main").text  # anonymous: catalogues only
    browser.get(private + "/signin")
    browser.find_element(By.NAME, "token").send_keys("cp_not-a-token")
    browser.find_element(By.CSS_SELECTOR, "form.signin button").click()
    (refused,) = shown(browser, "p.error")
    assert "令牌无效、已过期或已被撤销" in refused.text
    assert not browser.get_cookies()
    browser.find_element(By.NAME, "token").send_keys(demo[1])
    browser.save_screenshot(str(shots / "signin.png"))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.signin button"))
    (cookie,) = browser.get_cookies()
    assert cookie["name"] == COOKIE and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == ""  # no script can read it
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.counties tbody tr")) >= 4
    assert "Provincial office" in browser.find_element(By.CSS_SELECTOR, "header").text

    run = api(private, '{ settlements(county: "haiyan", first: 1) { nodes { id } } }', secret=demo[1])["settlements"]["nodes"][0]["id"]
    browser.get(f"{private}/settlements/{run}")
    ready(browser)
    for fmt in ("xlsx", "csv"):
        browser.find_element(By.CSS_SELECTOR, f"a[data-format={fmt}]").click()
        target = browser.downloads / f"settlement-{run}.{fmt}"
        deadline = time.monotonic() + 30
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert target.exists(), list(browser.downloads.iterdir())
    assert (browser.downloads / f"settlement-{run}.xlsx").read_bytes()[:2] == b"PK"
    assert "结算编号" in (browser.downloads / f"settlement-{run}.csv").read_text(encoding="utf-8-sig")

    follow(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/signout'] button"))
    assert not browser.get_cookies() and "没有可查看的县" in browser.find_element(By.ID, "main").text


def test_a_file_that_does_not_arrive_is_named_never_loading_forever(browser, public):
    """The chart library blocked: the page says so and its tables are still there. The page's own
    scripts blocked: the page says after a few seconds that its scripts did not load."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/echarts.min.js"]})
    browser.get(public + "/counties/haiyan")
    (notice,) = shown(browser, "[data-chart=equivalents] .notice.error")
    assert "图表库" in notice.text and "echarts.min.js" in notice.text
    assert len(browser.find_elements("css selector", "[data-chart=equivalents] tbody tr")) >= 9
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/static/console/*"]})
    browser.get(public + "/")
    time.sleep(11)
    failed = browser.find_element("css selector", "#boot .boot-failed")
    assert browser.execute_script("return getComputedStyle(arguments[0]).visibility", failed) == "visible"
    assert "页面脚本没有加载成功" in failed.text


def test_figures_stay_exact_in_the_browser(browser, public):
    """The pages' decimal arithmetic is exact (BigInt), whatever binary floats would make of it."""
    browser.get(public + "/")
    ready(browser)
    got = browser.execute_script("""const c = countypay; return [
      c.fixed('2.345', 2), c.fixed('-2.345', 2), c.fixed('0.125', 2), c.sum(['0.1', '0.2']), c.sum(['1.005', '-0.005', '2']),
      c.divide('43048455.54', '426000', 2), c.divide('1', '3', 4), c.percent('0.9292'), c.percent('1.2', 1),
      c.grouped('-1234567.891'), c.figure('0.07', 'ratio'), c.figure('9801', '10k_yuan')]""")
    assert got == ["2.35", "-2.35", "0.13", "0.3", "3.000", "101.05", "0.3333", "92.92 %", "120.0 %",
                   "-1,234,567.891", "7.00 %", "9,801"]
