"""The map page in a real browser (headless Chromium), with every host but the server made
unresolvable: the demo's Shouguang drawn from `county.map` alone (its grids coloured, its towns
outlined, its institutions as points), every grid's value in the table, another month fetched
without the shapes. Saves a screenshot into the folder it prints (COUNTYPAY_SCREENSHOTS, else a
temporary one) with the page's weight and first paint.

Needs Debian's chromium and chromium-driver and the selenium package; without them it skips,
unless COUNTYPAY_REQUIRE_TOOLS=1 (as in CI), where that is a failure.
"""
import base64
import json
import os
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from countypay.db import make_engine
from countypay.demo import SEED, YEAR
from countypay.demo.bundle import Bundle
from countypay.launch import serving
from countypay.load import import_bundle
from countypay.plugins.shouguang.demo import countypay_demo
from countypay.store import upgrade


@pytest.fixture(scope="module")
def public(tmp_path_factory, chromium):
    """Shouguang's demo county (the plugin's part of `countypay demo`), served as the demo is."""
    folder = tmp_path_factory.mktemp("shouguang")
    bundle = Bundle()
    bundle.add(countypay_demo(SEED, YEAR).rows, "shouguang")
    bundle.write(folder / "bundle")
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    upgrade(engine)
    import_bundle(engine, folder / "bundle")
    engine.dispose()
    with serving(f"sqlite:///{folder / 'demo.db'}", "--public-read") as (base, _):
        yield base


def api(base: str, query: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        body = json.load(r)
    assert "errors" not in body, body
    return body["data"]


def ready(browser, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = browser.execute_script("return document.getElementById('main').dataset.state || null")
        if state == "failed":
            raise AssertionError(browser.find_element("id", "main").text)
        if state == "ready":
            return
        time.sleep(0.2)
    raise AssertionError(f"{browser.current_url} was still loading after {timeout:g} s")


DRAWN = """const chart = echarts.getInstanceByDom(document.querySelector('[data-chart=map] .chart'));
const series = chart.getModel().getSeries().map(s => ({type: s.subType, name: s.name, data: s.getData().count()}));
const values = chart.getModel().getSeriesByType('map')[0].getData();
return {canvas: document.querySelectorAll('[data-chart=map] canvas').length, series,
  valued: values.mapArray('value', v => !isNaN(v)).filter(Boolean).length,
  rows: [...document.querySelectorAll('table.areas tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))}"""

MEASURE = """const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
const paint = Object.fromEntries(performance.getEntriesByType('paint').map(p => [p.name, p.startTime]));
const files = res.filter(r => r.initiatorType !== 'fetch');
const sum = (xs, k) => xs.reduce((a, r) => a + r[k], 0);
return {urls: [nav.name, ...res.map(r => r.name)], shipped: nav.encodedBodySize + sum(files, 'encodedBodySize'),
  data: sum(res.filter(r => r.initiatorType === 'fetch'), 'encodedBodySize'), requests: 1 + res.length,
  firstPaint: paint['first-paint'], firstContentfulPaint: paint['first-contentful-paint']}"""


def percent(value: str) -> str:
    """A 4-decimal ratio as the page shows it: 0.7312 → 73.12 %."""
    return f"{Decimal(value) * 100:.2f} %"


def test_the_map_page_draws_the_demo_county_offline(browser, public, tmp_path_factory, capsys):
    shots = Path(os.environ.get("COUNTYPAY_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    m = api(public, '{ county(code: "shouguang") { map(indicator: "hypertension_control_rate", period: "2024-06", '
                    'geometry: false) } }')["county"]["map"]
    grids = {f["properties"]["code"]: f["properties"]["value"] for f in m["features"] if f["properties"]["kind"] == "unit"}
    assert len(grids) == 620 and len(m["features"]) == 620 + 505

    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.clearBrowserCache", {})
    browser.get(public + "/counties/shouguang/map?indicator=hypertension_control_rate&period=2024-06")
    ready(browser)
    time.sleep(0.5)  # the canvas paints on the next frame
    measured = browser.execute_script(MEASURE)
    assert all(u.startswith(public + "/") for u in measured["urls"]), measured["urls"]
    assert not [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    drawn = browser.execute_script(DRAWN)
    assert drawn["canvas"] >= 1
    kinds = {s["name"]: s["data"] for s in drawn["series"] if s["type"] == "scatter"}
    assert [s["data"] for s in drawn["series"] if s["type"] == "map"] == [620] and drawn["valued"] == 620
    assert [s["data"] for s in drawn["series"] if s["type"] == "lines"] == [16]  # the towns' outlines
    assert kinds == {"县级医院": 1, "社区卫生服务中心": 5, "乡镇卫生院": 11, "村卫生室": 488, "镇（街道）边界": 16}
    rows = drawn["rows"]
    assert len(rows) == 620
    lowest = min(grids, key=lambda g: Decimal(grids[g]))
    assert rows[0][1] == lowest and rows[0][2] == percent(grids[lowest])  # lowest first, exact
    assert {r[1]: r[2] for r in rows} == {g: percent(v) for g, v in grids.items()}
    cards = browser.find_element("css selector", ".cards").text
    assert "620" in cards and "505" in cards and percent(grids[lowest]) in cards
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 1100), "scale": 1}})
    (shots / "map.png").write_bytes(base64.b64decode(shot["data"]))

    # Another month: the values again, not the shapes; the table follows.
    december = api(public, '{ county(code: "shouguang") { map(indicator: "hypertension_control_rate", period: "2024-12", '
                           'geometry: false) } }')["county"]["map"]["features"]
    from selenium.webdriver.support.ui import Select, WebDriverWait
    Select(browser.find_element("css selector", "select[name=period]")).select_by_value("2024-12")
    WebDriverWait(browser, 30).until(lambda b: "2024-12" in b.execute_script("return document.querySelector('main h3')"
                                                                               ".textContent"))
    fetched = browser.execute_script("return performance.getEntriesByType('resource').filter(r => r.initiatorType === "
                                     "'fetch').map(r => r.encodedBodySize)")
    assert len(fetched) == 2 and fetched[1] < fetched[0] / 2  # no shapes the second time
    shown = {r[1]: r[2] for r in browser.execute_script(DRAWN)["rows"]}
    assert shown == {f["properties"]["code"]: percent(f["properties"]["value"]) for f in december
                     if f["properties"]["kind"] == "unit"}
    assert "/counties/shouguang/map?indicator=hypertension_control_rate&period=2024-12" in browser.current_url

    # The county page links to its map.
    browser.get(public + "/counties/shouguang")
    ready(browser)
    assert browser.find_element("css selector", "a.map-link").get_attribute("href").endswith("/counties/shouguang/map")
    line = (f"map page: shipped {measured['shipped'] / 1024:.0f} KB in {measured['requests']} requests, map data "
            f"{measured['data'] / 1024:.0f} KB, first paint {measured['firstPaint'] or 0:.0f} ms, first contentful "
            f"paint {measured['firstContentfulPaint'] or 0:.0f} ms")
    with open(shots / "weights.txt", "a", encoding="utf-8") as f:
        f.write(line + "\n")
    with capsys.disabled():
        print(f"\nmap screenshot in {shots}\n{line}")
