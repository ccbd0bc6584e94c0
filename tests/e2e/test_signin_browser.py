"""The sign-in page in a real browser, on a real server: security keys through Chrome's
virtual authenticator, an authenticator app enrolled from the page's QR code, sign-in with
each (and with a recovery code), a forced password change typed with the keyboard alone,
switching role and back, revoking a session, and labels on every field.

Headless Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium; nothing is
downloaded) and one gateway for the module. The page is opened at http://localhost:PORT,
the server's default WebAuthn origin: browsers refuse WebAuthn on IP addresses. Every step
asserts what the page shows, read from the DOM; the accessibility tree comes from Chrome
itself (`Accessibility.getFullAXTree`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pyotp
import pytest
import segno
from tortoise.context import TortoiseContext

from gateway.db import tortoise_config
from gateway.services.accounts import bootstrap_account
from gateway.services.mfa_devices import DIGITS, ISSUER, STEP_SECONDS
from tests.databases import BACKEND, empty_pg_tables
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD
from tests.servers import serve

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.common.virtual_authenticator import (  # noqa: E402
    VirtualAuthenticatorOptions,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
TIMEOUT = 20.0
NEW_PASSWORD = "Fresh-Passw0rd-42"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
NAMED_ROLES = {"textbox", "button", "radio", "checkbox", "combobox", "searchbox", "link"}


# -- one server, one database, one browser for the module ---------------------------------


@pytest.fixture(scope="module")
def shop(_migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A gateway on a fresh database holding one account, served on 127.0.0.1."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("signin") / "gateway.db"
        shutil.copyfile(_migrated_template, path)
        url = f"sqlite://{path}"
    else:
        asyncio.run(empty_pg_tables(_migrated_template))
        url = _migrated_template
    account_id = asyncio.run(_bootstrap(url))
    with serve("gateway.app:create_app", url) as base:
        port = base.rsplit(":", 1)[1]
        shop = Shop(f"http://localhost:{port}", base, account_id)
        shop.set_up()
        yield shop


async def _bootstrap(url: str) -> str:
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(url))
        account, _ = await bootstrap_account(email=ROOT_EMAIL, password=ROOT_PASSWORD)
        return account.id


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=1200,1000",
        f"--user-data-dir={profile}",
        # Offline for real: no name resolves except the gateway's own.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
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


@pytest.fixture
def page(browser: WebDriver, shop: Shop) -> Iterator[Page]:
    """The sign-in page, freshly loaded, with a virtual security key plugged in."""
    browser.add_virtual_authenticator(
        VirtualAuthenticatorOptions(
            protocol="ctap2",
            transport="usb",
            has_resident_key=False,
            has_user_verification=True,
            is_user_consenting=True,
            is_user_verified=True,
        )
    )
    browser.get(f"{shop.origin}/signin")
    opened = Page(browser, shop)
    opened.wait_for(lambda: browser.switch_to.active_element.get_attribute("id") == "account")
    try:
        yield opened
        assert browser.execute_script("return window.__cspViolations;") == []
    finally:
        browser.remove_virtual_authenticator()


# -- the account's people, set up over the API as root -------------------------------------


class Shop:
    """The gateway under test and what lives in it."""

    def __init__(self, origin: str, base: str, account_id: str) -> None:
        self.origin = origin
        self.base = base
        self.account_id = account_id
        self.root_token = ""

    def call(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = ""
    ) -> Any:
        """Post `query` as root, as the holder of `token`, or anonymously (`token=None`)."""
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.root_token}"}
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def sign_in(self, user: str, password: str = GOOD_PASSWORD) -> str:
        data = self.call(
            "mutation($a: String!, $u: String!, $p: String!) {"
            " signIn(account: $a, userName: $u, password: $p) { token } }",
            {"a": self.account_id, "u": user, "p": password},
            token=None,
        )
        return str(data["signIn"]["token"])

    def set_up(self) -> None:
        self.root_token = httpx.post(
            f"{self.base}/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) {"
                " signInRoot(email: $e, password: $p) { token } }",
                "variables": {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
            },
            timeout=30,
        ).json()["data"]["signInRoot"]["token"]
        account = self.account_id
        self.call(
            "mutation { updateAccountPasswordPolicy(input: {allowUsersToChangePassword: true})"
            " { allowUsersToChangePassword } }"
        )
        self.call(
            'mutation($d: String!) { createPolicy(input: {policyName: "Staff",'
            " policyDocument: $d}) { arn } }",
            {"d": json.dumps(STAFF_POLICY)},
        )
        self.call(
            'mutation($d: String!) { createRole(input: {roleName: "Cashier",'
            " assumeRolePolicyDocument: $d}) { arn } }",
            {"d": json.dumps(cashier_trust(account))},
        )
        for name in ("jorge", "ana", "maria"):
            self.call(
                "mutation($u: String!, $p: String!, $r: Boolean!) {"
                " createUser(input: {userName: $u}) { arn }"
                " createLoginProfile(userName: $u, password: $p, passwordResetRequired: $r)"
                " { userName } }",
                {"u": name, "p": GOOD_PASSWORD, "r": name == "maria"},
            )
            self.call(
                "mutation($u: String!, $a: String!) {"
                " attachUserPolicy(userName: $u, policyArn: $a) { userName } }",
                {"u": name, "a": f"arn:aws:iam::{account}:policy/Staff"},
            )


STAFF_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ManageOwnMfa",
            "Effect": "Allow",
            "Action": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:ListMFADevices",
                "iam:DeactivateMFADevice",
            ],
            "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"],
        },
        {"Sid": "Till", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    ],
}


def cashier_trust(account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }


# -- reading and driving the page ----------------------------------------------------------


class Page:
    """The page in the browser: what it shows, and a person's hands on it."""

    def __init__(self, driver: WebDriver, shop: Shop) -> None:
        self.driver = driver
        self.shop = shop

    def wait_for(self, condition: Callable[[], Any], what: str = "the page") -> Any:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        browser_log = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        logs = [entry["message"] for entry in browser_log]
        pytest.fail(
            f"Timed out waiting for {what}; the page says {self.text('error')!r} "
            f"(status {self.text('status')!r}); the browser logged {logs}"
        )

    def text(self, element_id: str) -> str:
        found = self.driver.find_elements(By.ID, element_id)
        return found[0].text if found else ""

    def visible(self, element_id: str) -> bool:
        found = self.driver.find_elements(By.ID, element_id)
        return bool(found) and found[0].is_displayed()

    def step(self, element_id: str) -> None:
        self.wait_for(lambda: self.visible(element_id), f"#{element_id} to show")

    def fill(self, element_id: str, value: str) -> None:
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)

    def press(self, element_id: str) -> None:
        self.driver.find_element(By.ID, element_id).click()

    def button(self, label: str) -> None:
        """Click the visible button whose accessible label (or text) is `label`."""
        for candidate in self.driver.find_elements(By.TAG_NAME, "button"):
            name = candidate.get_attribute("aria-label") or candidate.text
            if name == label and candidate.is_displayed():
                candidate.click()
                return
        pytest.fail(f"No visible button {label!r}")

    def rows(self, list_id: str) -> list[str]:
        return [
            row.find_element(By.TAG_NAME, "span").text
            for row in self.driver.find_elements(By.CSS_SELECTOR, f"#{list_id} li")
        ]

    def sign_in(self, user: str, password: str = GOOD_PASSWORD) -> None:
        self.fill("account", self.shop.account_id)
        self.fill("user-name", user)
        self.fill("password", password)
        self.press("signin-submit")

    def account_page(self, arn_suffix: str) -> None:
        self.step("account-page")
        self.wait_for(lambda: self.text("identity-arn").endswith(arn_suffix), arn_suffix)

    def unnamed_controls(self) -> list[dict[str, Any]]:
        """Controls in Chrome's accessibility tree that have no accessible name."""
        tree = self.driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})
        unnamed = []
        for node in tree["nodes"]:
            role = node.get("role", {}).get("value")
            if node.get("ignored") or role not in NAMED_ROLES:
                continue
            if not str(node.get("name", {}).get("value", "")).strip():
                unnamed.append(node)
        return unnamed

    def named(self, role: str) -> set[str]:
        tree = self.driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})
        return {
            str(node.get("name", {}).get("value", ""))
            for node in tree["nodes"]
            if not node.get("ignored") and node.get("role", {}).get("value") == role
        }


def totp(seed: str, steps: int = 0) -> str:
    """The code an authenticator app holding `seed` shows now (+ `steps` time steps)."""
    app = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS)
    return app.at(time.time() + steps * STEP_SECONDS)


# -- the tests -----------------------------------------------------------------------------


def test_the_page_comes_from_the_gateway_alone_and_every_field_is_labelled(
    page: Page, shop: Shop
) -> None:
    resources = page.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert resources
    assert [url for url in resources if not url.startswith(shop.origin)] == []
    assert page.text("title") == "Sign in"
    assert page.unnamed_controls() == []
    assert {"Account ID or alias", "User name", "Password"} <= page.named("textbox")
    assert {"IAM user", "Root user"} <= page.named("radio")

    page.press("kind-root")
    assert page.visible("email")
    assert not page.visible("account")
    assert "Root user e-mail address" in page.named("textbox")

    page.fill("email", ROOT_EMAIL)
    page.fill("password", "wrong-password")
    page.press("signin-submit")
    page.wait_for(lambda: "authentication information is incorrect" in page.text("error"))
    assert page.visible("signin-step")


def test_a_forced_password_change_with_the_keyboard_alone(page: Page, shop: Shop) -> None:
    keys = page.driver.switch_to

    def type_here(text: str, then: str = Keys.TAB) -> None:
        keys.active_element.send_keys(text + then)

    type_here(shop.account_id)
    type_here("maria")
    type_here(GOOD_PASSWORD, Keys.ENTER)

    page.step("password-step")
    assert page.text("title") == "Set a new password"
    page.wait_for(lambda: keys.active_element.get_attribute("id") == "forced-old")
    assert page.unnamed_controls() == []
    assert {"Current password", "New password", "Confirm new password"} <= page.named("textbox")
    type_here(GOOD_PASSWORD)
    type_here(NEW_PASSWORD)
    type_here(NEW_PASSWORD, Keys.ENTER)

    page.account_page(":user/maria")
    page.wait_for(lambda: page.text("status") == "Your password was changed.")
    assert page.text("identity-mfa") == "No"
    assert shop.sign_in("maria", NEW_PASSWORD)


def test_a_security_key_and_an_authenticator_app_each_sign_jorge_in(page: Page, shop: Shop) -> None:
    page.sign_in("jorge")
    page.account_page(":user/jorge")
    assert page.text("identity-mfa") == "No"
    assert page.visible("devices-empty")
    assert page.unnamed_controls() == []

    # A security key, through Chrome's virtual authenticator.
    page.fill("key-name", "jorge-yubikey")
    page.driver.find_element(By.ID, "key-name").send_keys(Keys.ENTER)
    page.wait_for(lambda: page.text("status") == "The security key jorge-yubikey is registered.")
    [key_row] = page.rows("devices")
    assert key_row.startswith("Security key jorge-yubikey (arn:aws:iam::")
    assert ":u2f/user/jorge/jorge-yubikey-" in key_row
    assert len(page.driver.get_credentials()) == 1

    # An authenticator app, from the QR code's seed.
    page.fill("totp-name", "jorge-phone")
    page.driver.find_element(By.ID, "totp-name").send_keys(Keys.ENTER)
    page.step("totp-enrol")
    seed = page.wait_for(lambda: page.text("totp-seed"), "the seed")
    qr = page.driver.find_element(By.ID, "totp-qr").get_attribute("src")
    uri = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=f"jorge-phone@{shop.account_id}", issuer_name=ISSUER
    )
    assert qr == segno.make(uri, error="m").png_data_uri(scale=4)  # the QR holds that seed
    page.fill("totp-code1", totp(seed, -1))
    page.fill("totp-code2", totp(seed))
    page.driver.find_element(By.ID, "totp-code2").send_keys(Keys.ENTER)
    page.wait_for(lambda: page.text("status") == "The authenticator app is enabled.")
    rows = page.rows("devices")
    assert len(rows) == 2
    assert rows[1].startswith("Authenticator app jorge-phone (arn:aws:iam::")
    assert not page.visible("totp-enrol")

    # Out, and in again with the key.
    page.button("Sign out of this session")
    page.step("signin-step")
    page.wait_for(lambda: page.text("status") == "You signed out.")
    page.sign_in("jorge")
    page.step("mfa-step")
    assert page.visible("use-key")
    assert page.unnamed_controls() == []
    # The page puts the keyboard on "Use security key": Enter is all it takes.
    page.wait_for(lambda: page.driver.switch_to.active_element.get_attribute("id") == "use-key")
    page.driver.switch_to.active_element.send_keys(Keys.ENTER)
    page.account_page(":user/jorge")
    assert page.text("identity-mfa") == "Yes"
    assert page.driver.get_credentials()[0].sign_count >= 1

    # Out, and in again with the app's next code.
    page.button("Sign out of this session")
    page.step("signin-step")
    page.sign_in("jorge")
    page.step("mfa-step")
    page.fill("mfa-code", totp(seed, 1))
    page.driver.find_element(By.ID, "mfa-code").send_keys(Keys.ENTER)
    page.account_page(":user/jorge")
    assert page.text("identity-mfa") == "Yes"


def test_a_recovery_code_then_switching_role_and_back_and_revoking_a_session(
    page: Page, shop: Shop
) -> None:
    # Ana enrols an authenticator app over the API, and keeps her recovery codes.
    token = shop.sign_in("ana")
    created = shop.call(
        'mutation { createVirtualMfaDevice(virtualMfaDeviceName: "ana-phone") {'
        " device { serialNumber } base32StringSeed } }",
        token=token,
    )["createVirtualMfaDevice"]
    seed = created["base32StringSeed"]
    shop.call(
        "mutation($s: String!, $a: String!, $b: String!) { enableMfaDevice(serialNumber: $s,"
        " authenticationCode1: $a, authenticationCode2: $b) { serialNumber } }",
        {"s": created["device"]["serialNumber"], "a": totp(seed, -1), "b": totp(seed)},
        token=token,
    )
    shop.call("mutation { signOut }", token=token)
    codes = shop.call('mutation { generateRecoveryCodes(userName: "ana") }')[
        "generateRecoveryCodes"
    ]
    elsewhere = shop.call(
        "mutation($a: String!, $c: String!) { verifyMfa(challenge: $a, code: $c) { token } }",
        {"a": _challenge(shop, "ana"), "c": totp(seed, 1)},
        token=None,
    )["verifyMfa"]["token"]

    page.sign_in("ana")
    page.step("mfa-step")
    assert not page.visible("use-key")  # she has no security key
    page.fill("mfa-code", codes[0])
    page.driver.find_element(By.ID, "mfa-code").send_keys(Keys.ENTER)
    page.account_page(":user/ana")
    assert page.text("identity-mfa") == "Yes"

    # Her sessions: this one and the API's; she revokes the other.
    sessions = page.rows("sessions")
    assert len(sessions) == 2
    assert sum("(this session)" in row for row in sessions) == 1
    page.driver.find_element(
        By.CSS_SELECTOR, "#sessions li button[aria-label^='Revoke session']"
    ).click()
    page.wait_for(lambda: page.text("status") == "The session was revoked.")
    assert len(page.rows("sessions")) == 1
    gone = httpx.post(
        f"{shop.base}/graphql",
        json={"query": "{ whoAmI { arn } }"},
        headers={"Authorization": f"Bearer {elsewhere}"},
        timeout=30,
    ).json()
    assert gone["errors"][0]["extensions"]["code"] == "Unauthenticated"

    # The roles she may switch to, and the switch.
    assert page.rows("roles") == [f"Cashier in account {shop.account_id}"]
    assert not page.visible("role-banner")
    page.button(f"Switch to role Cashier in account {shop.account_id}")
    page.wait_for(lambda: page.visible("role-banner"), "the role banner")
    assert page.text("role-name") == "Cashier"
    assert page.text("role-account") == shop.account_id
    assert page.text("role-session") == "ana"
    page.wait_for(lambda: ":assumed-role/Cashier/ana" in page.text("identity-arn"))
    assert page.text("title") == "Acting as Cashier"
    assert not page.visible("devices-section")
    assert page.unnamed_controls() == []

    page.press("switch-back")
    page.wait_for(lambda: not page.visible("role-banner"), "the banner to go")
    page.account_page(":user/ana")
    back = f"You are back as arn:aws:iam::{shop.account_id}:user/ana."
    page.wait_for(lambda: page.text("status") == back, "the status")


def _challenge(shop: Shop, user: str) -> str:
    response = httpx.post(
        f"{shop.base}/graphql",
        json={
            "query": "mutation($a: String!, $u: String!, $p: String!) {"
            " signIn(account: $a, userName: $u, password: $p) { token } }",
            "variables": {"a": shop.account_id, "u": user, "p": GOOD_PASSWORD},
        },
        # As `Shop.call`: a sign-in's Argon2 runs at idle priority, and CI's two passes side
        # by side can hold it past httpx's default 5 s.
        timeout=30,
    ).json()
    return str(response["errors"][0]["extensions"]["challenge"])
