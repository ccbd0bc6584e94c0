"""LISTEN/NOTIFY between processes (gateway/notifications.py): delivered when the sender's
transaction commits, never when it rolls back; nothing at all on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from gateway.errors import EntityAlreadyExists
from gateway.notifications import NotificationHub, is_postgres, notify
from gateway.services.principal import Principal
from gateway.services.users import create_user
from gateway.services.writes import CHANGES_CHANNEL
from tests.databases import BACKEND

CHANNEL = "gateway_test_channel"


async def heard_within(queue: asyncio.Queue[str], seconds: float) -> list[str]:
    got: list[str] = []
    try:
        while True:
            got.append(await asyncio.wait_for(queue.get(), timeout=seconds))
    except TimeoutError:
        return got


@pytest.fixture
async def hub(db: TortoiseContext, database_url: str) -> AsyncIterator[NotificationHub]:
    hub = NotificationHub(database_url)
    await hub.start()
    yield hub
    await hub.stop()


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_notification_arrives_on_commit_and_not_before(hub: NotificationHub) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    hub.subscribe(CHANNEL, queue.put_nowait)
    await hub.ready()
    async with in_transaction() as tx:
        await notify(CHANNEL, "first", using=tx)
        assert await heard_within(queue, 0.2) == [], "delivered before the commit"
    assert await heard_within(queue, 1.0) == ["first"]


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_rolled_back_transaction_notifies_nobody(hub: NotificationHub) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    hub.subscribe(CHANNEL, queue.put_nowait)
    await hub.ready()
    with pytest.raises(RuntimeError):
        await _notify_then_fail()
    assert await heard_within(queue, 0.5) == []


async def _notify_then_fail() -> None:
    async with in_transaction() as tx:
        await notify(CHANNEL, "never", using=tx)
        raise RuntimeError("roll back")


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_unsubscribing_stops_delivery_and_other_subscribers_keep_theirs(
    hub: NotificationHub,
) -> None:
    first: asyncio.Queue[str] = asyncio.Queue()
    second: asyncio.Queue[str] = asyncio.Queue()
    stop_first = hub.subscribe(CHANNEL, first.put_nowait)
    hub.subscribe(CHANNEL, second.put_nowait)
    await hub.ready()
    stop_first()
    async with in_transaction() as tx:
        await notify(CHANNEL, "x", using=tx)
    assert await heard_within(second, 1.0) == ["x"]
    assert first.empty()


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_the_hub_reconnects_and_listens_again_after_losing_its_connection(
    hub: NotificationHub, database_url: str
) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    hub.subscribe(CHANNEL, queue.put_nowait)
    await hub.ready()
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND query ILIKE 'LISTEN%'"
        )
    finally:
        await admin.close()
    for _ in range(50):  # the first retry comes after a second
        await asyncio.sleep(0.1)
        if hub.listening:
            break
    assert hub.listening
    async with in_transaction() as tx:
        await notify(CHANNEL, "again", using=tx)
    assert await heard_within(queue, 1.0) == ["again"]


async def test_on_sqlite_notify_does_nothing_and_the_hub_never_listens(
    hub: NotificationHub, database_url: str
) -> None:
    if is_postgres(database_url):
        pytest.skip("the SQLite behaviour")
    hub.subscribe(CHANNEL, lambda payload: None)
    async with in_transaction() as tx:
        await notify(CHANNEL, "ignored", using=tx)
    assert not hub.listening


async def test_payloads_postgresql_would_refuse_are_refused_here(db: TortoiseContext) -> None:
    async with in_transaction() as tx:
        if tx.capabilities.dialect != "postgres":
            pytest.skip("checked where pg_notify runs")
        with pytest.raises(ValueError, match="under 8000 bytes"):
            await notify(CHANNEL, "x" * 8000, using=tx)


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_every_committed_write_announces_its_account_and_a_failed_one_does_not(
    hub: NotificationHub, root: Principal
) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    hub.subscribe(CHANGES_CHANNEL, queue.put_nowait)
    await hub.ready()
    await create_user(root, user_name="announced")
    assert await heard_within(queue, 0.5) == [root.account_id]
    with pytest.raises(EntityAlreadyExists):
        await create_user(root, user_name="ANNOUNCED")
    assert await heard_within(queue, 0.3) == []
