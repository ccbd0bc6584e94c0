"""An in-process gateway and a signed caller of its Query APIs (`/aws/`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import httpx
import pytest

from gateway.models import Account
from tests.api import Api, sign_in_root
from tests.graphql.conftest import app, local_api  # noqa: F401  (fixtures)
from tests.signing import Key, Signer

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}

Query = Callable[..., Awaitable[httpx.Response]]


async def key_for(api: Api, token: str, name: str, policy_arn: str | None = ADMIN) -> Key:
    """A new user (with `policy_arn` attached) and an access key of it, made over GraphQL."""
    made = await api(
        "mutation($u: String!) { createUser(input: {userName: $u}) { arn } }",
        {"u": name},
        token=token,
    )
    assert made.errors == [], made.errors
    if policy_arn is not None:
        attached = await api(
            "mutation($u: String!, $p: String!) { attachUserPolicy(userName: $u, policyArn: $p)"
            " { userName } }",
            {"u": name, "p": policy_arn},
            token=token,
        )
        assert attached.errors == [], attached.errors
    created = await api(
        "mutation($u: String!) { createAccessKey(userName: $u) { accessKeyId secretAccessKey } }",
        {"u": name},
        token=token,
    )
    assert created.data is not None, created.errors
    key = created.data["createAccessKey"]
    return Key(key["accessKeyId"], key["secretAccessKey"])


@pytest.fixture
async def root_token(local_api: Api, account: Account) -> str:  # noqa: F811
    """A session token of the root user."""
    return await sign_in_root(local_api)


@pytest.fixture
async def admin_key(local_api: Api, root_token: str) -> Key:  # noqa: F811
    """An access key of an IAM user with AdministratorAccess."""
    return await key_for(local_api, root_token, "owner-admin")


@pytest.fixture
def query(local_api: Api) -> Query:  # noqa: F811
    """Posts a Query request (`Action`, `Version` added) signed by `key` for `service`."""

    async def post(
        key: Key | None, action: str, service: str = "iam", **params: str
    ) -> httpx.Response:
        body = urlencode({"Action": action, "Version": VERSIONS[service], **params})
        auth = Signer(key, service=service) if key is not None else httpx.USE_CLIENT_DEFAULT
        return await local_api.client.post(
            "/aws/", content=body, headers={"Content-Type": FORM}, auth=auth
        )

    return post
