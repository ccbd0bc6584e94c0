"""LISTEN/NOTIFY between processes (gateway/notifications.py): delivered when the sender's
transaction commits, never when it rolls back; nothing at all on SQLite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from gateway.errors import EntityAlreadyExists
from gateway.notifications import LIVENESS_SECONDS, NotificationHub, is_postgres, notify
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


async def end_listener_connection(database_url: str) -> None:
    """Make PostgreSQL end the hub's listening connection, as a restart or a network cut;
    returns once its backend has exited (pg_terminate_backend only signals it otherwise)."""
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND query ILIKE 'LISTEN%'"
        )
    finally:
        await admin.close()


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
    before = hub.hearing()
    await end_listener_connection(database_url)
    # Listening again means on a new connection: until the hub has noticed the loss, the old
    # one still looks open (a notification sent then is lost, as the test once saw).
    for _ in range(50):  # the first retry comes after a second
        await asyncio.sleep(0.1)
        if hub.hearing() not in (None, before):
            break
    assert hub.hearing() not in (None, before)
    async with in_transaction() as tx:
        await notify(CHANNEL, "again", using=tx)
    assert await heard_within(queue, 1.0) == ["again"]


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_the_hub_vouches_for_one_stretch_per_connection_and_none_without_one(
    hub: NotificationHub, database_url: str
) -> None:
    """What the session cache keeps entries longer by: a stretch in which every change
    reached the process. Lost, it is None; reconnected, a new one (what came between is
    lost)."""
    hub.subscribe(CHANGES_CHANNEL, lambda payload: None)
    await hub.ready()
    first = hub.hearing()
    assert first is not None
    await end_listener_connection(database_url)
    for _ in range(20):
        await asyncio.sleep(0.05)
        if not hub.listening:
            break
    assert hub.hearing() is None
    for _ in range(50):
        await asyncio.sleep(0.1)
        if hub.hearing() is not None:
            break
    second = hub.hearing()
    assert second is not None
    assert second != first


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_listener_that_stops_answering_pings_is_no_longer_vouched_for(
    hub: NotificationHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection can die without the kernel noticing (no reset): the hub pings it, and
    vouches for it only while it answered lately."""
    hub.subscribe(CHANGES_CHANNEL, lambda payload: None)
    await hub.ready()
    assert hub.hearing() is not None
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 2 * LIVENESS_SECONDS + 1)
    assert hub.hearing() is None


async def test_on_sqlite_notify_does_nothing_and_the_hub_never_listens(
    hub: NotificationHub, database_url: str
) -> None:
    if is_postgres(database_url):
        pytest.skip("the SQLite behaviour")
    hub.subscribe(CHANNEL, lambda payload: None)
    async with in_transaction() as tx:
        await notify(CHANNEL, "ignored", using=tx)
    assert not hub.listening
    assert hub.hearing() == 0  # one process writes: it hears every change, always


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
