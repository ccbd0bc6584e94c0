"""An in-process gateway (httpx's ASGI transport) on the test database, and a GraphQL caller.

async def test_x(api, root_token):
    result = await api("{ whoAmI { arn } }", token=root_token)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.context import TortoiseContext

from gateway.app import create_app
from gateway.config import Settings
from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api, sign_in_root
from tests.helpers import TEST_SECRET_KEY
from tests.servers import serve


@pytest.fixture
def app(db: TortoiseContext, database_url: str) -> Starlette:
    """The gateway app on the test database (the ASGI transport runs no lifespan)."""
    return create_app(
        Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, key_header=True)
    )


@pytest.fixture
async def local_api(app: Starlette) -> AsyncIterator[Api]:
    """A GraphQL caller talking to `app` in process."""
    await ensure_builtin_policies()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield Api(client)


@pytest.fixture(params=["in-process", pytest.param("uvicorn", marks=pytest.mark.e2e)])
async def api(
    request: pytest.FixtureRequest, app: Starlette, database_url: str
) -> AsyncIterator[Api]:
    """A GraphQL caller, once in process and once over HTTP to a real uvicorn server."""
    await ensure_builtin_policies()
    if request.param == "in-process":
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            yield Api(c)
        return
    with serve("gateway.app:create_app", database_url) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Api(client)


@pytest.fixture
async def root_token(api: Api, account: Account) -> str:
    """A session token of `account`'s root user."""
    return await sign_in_root(api)


@pytest.fixture
async def local_root_token(local_api: Api, account: Account) -> str:
    """A session token of `account`'s root user, through `local_api`."""
    return await sign_in_root(local_api)
