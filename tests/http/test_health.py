"""/healthz answers while the process lives; /readyz only when the database answers and every
migration is applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext

from gateway.app import create_app
from gateway.config import Settings
from gateway.db import MIGRATIONS_TABLE, migrate, migration_names, orm


def _client(database_url: str) -> httpx.AsyncClient:
    app = create_app(Settings.from_env({"GATEWAY_DATABASE_URL": database_url}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test")


async def test_a_migrated_database_is_ready(db: TortoiseContext, database_url: str) -> None:
    async with _client(database_url) as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "ok"}
    assert ready.headers["cache-control"] == "no-store"
    assert alive.json() == {"status": "ok"}


async def test_a_migration_not_applied_makes_it_unready_and_says_which(
    new_empty_database: Callable[[], Awaitable[str]],
) -> None:
    # A database of its own: the shared one must keep its record of migrations.
    database_url = await new_empty_database()
    await migrate(database_url)
    latest = migration_names()[-1]
    async with orm(database_url):
        await get_connection("default").execute_script(
            f"DELETE FROM {MIGRATIONS_TABLE} WHERE name = '{latest}'"
        )
        async with _client(database_url) as client:
            ready = await client.get("/readyz")
            alive = await client.get("/healthz")

    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "database": "ok",
        "migrations": "pending",
        "pending": [latest],
    }
    assert alive.status_code == 200


async def test_an_unreachable_database_is_unready_but_alive(
    db: TortoiseContext, database_url: str
) -> None:
    await get_connection("default").close()
    broken = "postgres://nobody@127.0.0.1:1/nothing"
    async with TortoiseContext() as context:
        await context.init(
            config={
                "connections": {"default": broken},
                "apps": {"models": {"models": ["gateway.models"]}},
            }
        )
        async with _client(broken) as client:
            ready = await client.get("/readyz")
            alive = await client.get("/healthz")

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unreachable"}
    assert alive.status_code == 200


def test_migration_names_are_the_migration_files_in_order() -> None:
    names = migration_names()

    assert names[0] == "0001_initial"
    assert names == sorted(names)
    assert all(name[:4].isdigit() for name in names)
