"""GraphiQL in a real browser: headless Chromium, with every host but the server unresolvable (as
on a county network without internet), types a query, runs it and shows the result. GraphiQL's
files come from the package itself.

Needs Debian's chromium and chromium-driver and the selenium package. Without them it skips, unless
COUNTYPAY_REQUIRE_TOOLS=1 (as in CI), where that is a failure.
"""
import os
import shutil
from pathlib import Path

import pytest

from countypay.db import make_engine
from countypay.load import import_bundle
from countypay.store import upgrade

HERE = Path(__file__).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def tools_problem() -> str | None:
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not os.access(path, os.X_OK):
            return f"{what} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


@pytest.fixture
def browser(tmp_path, need_tool):
    need_tool(tools_problem())
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_graphiql_runs_a_typed_query(browser, tmp_path, serve):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    db = tmp_path / "browser.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    import_bundle(engine, HERE / "data" / "haiyan-bundle")
    engine.dispose()
    with serve(db, "--public-read") as base:
        browser.get(f"{base}/graphql")
        wait = WebDriverWait(browser, 30)
        editor = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")))
        editor.click()
        typing = browser.switch_to.active_element
        typing.send_keys(Keys.CONTROL, "a")
        typing.send_keys(Keys.DELETE)
        typing.send_keys('{ counties { nodes { code nameZh } } }')
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        response = (By.CSS_SELECTOR, ".graphiql-response")
        try:
            wait.until(ready.text_to_be_present_in_element(response, "海盐县"))
        except Exception:
            browser.save_screenshot(str(tmp_path / "graphiql.png"))
            raise AssertionError(f"no result in the page (screenshot: {tmp_path / 'graphiql.png'}): "
                                 f"{browser.find_element(*response).text!r}") from None
        shown = browser.find_element(*response).text
        assert '"code": "haiyan"' in shown and '"nameZh": "海盐县"' in shown
        loaded = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
        assert loaded and all(url.startswith(base + "/") for url in loaded), loaded
