"""An in-process gateway (httpx's ASGI transport) on the test database, and a GraphQL caller.

async def test_x(api, root_token):
    result = await api("{ whoAmI { arn } }", token=root_token)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.context import TortoiseContext

from gateway.app import create_app
from gateway.config import Settings
from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.conftest import ROOT_EMAIL, ROOT_PASSWORD


@dataclass
class Result:
    """A GraphQL response: its HTTP status, data and errors."""

    status: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]

    def error_codes(self) -> list[str]:
        """The `extensions.code` of every error, in order."""
        return [e.get("extensions", {}).get("code", "") for e in self.errors]

    def only_error(self) -> dict[str, Any]:
        """The single error of the response."""
        assert len(self.errors) == 1, self.errors
        return self.errors[0]


class Api:
    """Posts GraphQL operations to the gateway."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Result:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        return Result(response.status_code, body.get("data"), body.get("errors") or [])

    async def sign_in(self, account: str, user_name: str, password: str) -> str:
        """A session token for an IAM user."""
        result = await self(
            "mutation($a: String!, $u: String!, $p: String!) {"
            " signIn(account: $a, userName: $u, password: $p) { token } }",
            {"a": account, "u": user_name, "p": password},
        )
        assert result.errors == [], result.errors
        assert result.data is not None
        token: str = result.data["signIn"]["token"]
        return token


@pytest.fixture
def app(db: TortoiseContext, database_url: str) -> Starlette:
    """The gateway app on the test database (the ASGI transport runs no lifespan)."""
    return create_app(Settings(database_url=database_url))


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[Api]:
    """A GraphQL caller talking to `app` in process."""
    await ensure_builtin_policies()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield Api(client)


@pytest.fixture
async def root_token(api: Api, account: Account) -> str:
    """A session token of `account`'s root user."""
    result = await api(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    assert result.errors == [], result.errors
    assert result.data is not None
    token: str = result.data["signInRoot"]["token"]
    return token
