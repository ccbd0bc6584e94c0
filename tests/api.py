"""A GraphQL client for the gateway's API tests, whatever the transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD


@dataclass
class Result:
    """A GraphQL response: its HTTP status, data and errors."""

    status: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)
    """The response's headers, names in lower case."""

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
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        key: tuple[str, str] | None = None,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
    ) -> Result:
        """Post `query`; `token` signs it as `Bearer`, `key` (id, secret) as `GatewayKey`,
        `auth` as it does (e.g. `tests.aws.Signer`, SigV4); `headers` are sent as given."""
        sent = {"Authorization": f"Bearer {token}"} if token else {}
        if key is not None:
            sent = {"Authorization": f"GatewayKey {key[0]}:{key[1]}"}
        sent.update(headers or {})
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=sent,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
        )
        body = response.json()
        return Result(
            response.status_code,
            body.get("data"),
            body.get("errors") or [],
            {name.lower(): value for name, value in response.headers.items()},
        )

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


async def sign_in_root(api: Api) -> str:
    """A session token of the root user whose e-mail is ROOT_EMAIL."""
    result = await api(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    assert result.errors == [], result.errors
    assert result.data is not None
    token: str = result.data["signInRoot"]["token"]
    return token
