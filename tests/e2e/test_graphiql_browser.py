"""GraphiQL works offline: a real browser loads it from a real server and runs a query.

Headless Chromium (Debian's `chromium` and `chromium-driver`), driven by Selenium through
`/usr/bin/chromedriver` (nothing is downloaded). Every host name but 127.0.0.1 fails to
resolve in this browser, so the page can only work if the gateway serves all of it. The test
checks that every resource came from the gateway, that the strict Content-Security-Policy
blocked nothing, then types a query and a header into GraphiQL, runs it and reads the result.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.graphql import graphiql
from gateway.models import Account
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
TIMEOUT = 20.0
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
"""The headers editor: the page opens GraphiQL with the Headers tab showing."""

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver)",
    ),
    pytest.mark.skipif(
        bool(graphiql.missing_assets()),
        reason="GraphiQL's files are not installed: run `make install` "
        "(scripts/install_graphiql.sh)",
    ),
]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        # Offline for real: no name resolves except the gateway's address.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP_VIOLATIONS}
        )
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"Timed out after {TIMEOUT} s waiting for {what}")


def editor_value(driver: WebDriver, selector: str) -> str:
    value: str = driver.execute_script(
        "const e = document.querySelector(arguments[0] + ' .CodeMirror');"
        "return e ? e.CodeMirror.getValue() : '';",
        selector,
    )
    return value


def type_into(driver: WebDriver, selector: str, text: str) -> None:
    """Type `text` into the CodeMirror editor under `selector`, replacing what it holds."""
    driver.find_element(By.CSS_SELECTOR, f"{selector} .CodeMirror").click()
    field = driver.switch_to.active_element
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(text)
    wait_for(lambda: editor_value(driver, selector).strip(), f"text in {selector}")


@pytest.fixture
def graphiql_url(gateway_url: str, account: Account) -> str:
    """GraphiQL on a real gateway whose database holds one account (root: ROOT_EMAIL)."""
    return f"{gateway_url}/graphql"


def run(browser: WebDriver, query: str) -> dict[str, Any]:
    """Type `query` into GraphiQL, run it, and return the result pane's JSON."""
    type_into(browser, ".graphiql-query-editor", query)
    assert editor_value(browser, ".graphiql-query-editor") == query
    before = editor_value(browser, ".graphiql-response").strip()
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    result = wait_for(
        lambda: (lambda now: now if now and now != before else "")(
            editor_value(browser, ".graphiql-response").strip()
        ),
        "the result pane",
    )
    parsed: dict[str, Any] = json.loads(result)
    return parsed


def test_graphiql_loads_offline_signs_in_and_runs_a_query(
    browser: WebDriver, graphiql_url: str, account: Account
) -> None:
    origin = graphiql_url.removesuffix("/graphql")
    browser.get(graphiql_url)
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"),
        "GraphiQL's query editor",
    )

    resources: list[str] = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert resources, "the page loaded no resources at all"
    assert [url for url in resources if not url.startswith(origin)] == []
    assert {f"{origin}/graphiql/static/vendor/{name}" for name in graphiql.VENDOR_FILES} <= set(
        resources
    )

    signed_in = run(
        browser,
        f'mutation {{ signInRoot(email: "{ROOT_EMAIL}", password: "{ROOT_PASSWORD}")'
        " { token } }",
    )
    token = signed_in["data"]["signInRoot"]["token"]
    type_into(browser, HEADERS_EDITOR, json.dumps({"Authorization": f"Bearer {token}"}))
    assert json.loads(editor_value(browser, HEADERS_EDITOR)) == {"Authorization": f"Bearer {token}"}

    answer = run(browser, "{ whoAmI { arn } accountAliases }")
    assert answer == {
        "data": {"whoAmI": {"arn": f"arn:aws:iam::{account.id}:root"}, "accountAliases": []}
    }

    violations: list[str] = browser.execute_script("return window.__cspViolations;")
    assert violations == []
    severe = [
        entry["message"]
        for entry in browser.get_log("browser")  # type: ignore[no-untyped-call]
        if entry["level"] == "SEVERE"
    ]
    assert severe == []
