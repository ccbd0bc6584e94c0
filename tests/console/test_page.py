"""The sign-in page as HTTP serves it: a strict Content-Security-Policy, nothing from
elsewhere, a label for every field, a script that keeps the token in memory and never writes
HTML, and a setting that turns the page off. (tests/e2e/test_signin_browser.py runs it.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.console import page

STATIC = page.STATIC_DIR


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for opened in client_for(Settings()):
        yield opened


async def test_the_page_is_served_with_a_strict_policy_and_its_own_files(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/signin")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    body = response.text
    assert 'data-endpoint="/graphql"' in body
    assert 'data-webauthn-origins="http://localhost:8000"' in body
    assert re.findall(r'(?:src|href)="(?!/signin/static/|#|data:)[^"]*"', body) == []
    for name in ("console.js", "console.css"):
        served = await client.get(f"/signin/static/{name}")
        assert served.status_code == 200
        assert served.text == (STATIC / name).read_text()


async def test_the_page_can_be_turned_off() -> None:
    async for client in client_for(Settings(signin_page=False)):
        assert (await client.get("/signin")).status_code == 404
        assert (await client.get("/signin/static/console.js")).status_code == 404


class Fields(HTMLParser):
    """The page's inputs and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.label_targets: set[str] = set()
        self.wrapped: list[str | None] = []
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label":
            self._in_label += 1
            if found.get("for"):
                self.label_targets.add(str(found["for"]))
        elif tag in {"input", "select", "textarea"}:
            self.inputs.append(found)
            if self._in_label:
                self.wrapped.append(found.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def test_every_field_has_a_label() -> None:
    fields = Fields()
    fields.feed((STATIC / "signin.html").read_text())
    assert len(fields.inputs) >= 15
    unlabelled = [
        field.get("id")
        for field in fields.inputs
        if field.get("id") not in fields.label_targets and field.get("id") not in fields.wrapped
    ]
    assert unlabelled == []


def test_the_script_keeps_the_token_in_memory_and_writes_no_html() -> None:
    script = (STATIC / "console.js").read_text()
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "localStorage",
        "sessionStorage",
        "document.cookie",
        "http://",
        "https://",
    ):
        assert forbidden not in script, forbidden
    assert 'credentials: "omit"' in script
    assert "://" not in (STATIC / "console.css").read_text()
