"""GraphiQL in a real browser: headless Chromium, with every host but the server unresolvable (as
on a county network without internet), types a query, runs it and shows the result. GraphiQL's
files come from the package itself.

Needs Debian's chromium and chromium-driver and the selenium package. Without them it skips, unless
COUNTYPAY_REQUIRE_TOOLS=1 (as in CI), where that is a failure.
"""
from pathlib import Path

from countypay.db import make_engine
from countypay.load import import_bundle
from countypay.store import upgrade

HERE = Path(__file__).parent


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
