"""Notifications between replicas: PostgreSQL's LISTEN/NOTIFY; nothing at all on SQLite.

    hub = NotificationHub(settings.database_url)
    await hub.start()                                  # in the app's lifespan
    unsubscribe = hub.subscribe("audit_events", on_event)   # on_event(payload) per notification
    await hub.ready()                                  # the LISTEN is in force from here on
    ...
    await notify("audit_events", "123456789012:42", using=tx.connection)
    ...
    unsubscribe()
    await hub.stop()

`notify` issues `pg_notify` on the caller's connection, inside its transaction: PostgreSQL
delivers the notification when (and only if) that transaction commits, to every connection
listening on the channel, in every replica. On SQLite it does nothing (one process: callers
poll instead). Payloads are short text (PostgreSQL's limit is 8,000 bytes): ids, not records.

The hub holds one dedicated asyncpg connection per process, outside Tortoise's pool, and
LISTENs on every channel that has a subscriber; callbacks run on the event loop and must not
block (hand the payload to a queue). If the connection drops, the hub reconnects (1 s, then up
to 30 s between tries) and LISTENs again; notifications sent while it was away are lost, so a
subscriber that cannot afford to miss one must also catch up from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

logger = logging.getLogger("gateway.notifications")

Callback = Callable[[str], None]
"""Called with a notification's payload."""

_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "asyncpg", "psycopg"})
MAX_PAYLOAD_BYTES = 8000
RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
LIVENESS_SECONDS = 5.0
"""How often the listener's connection is pinged; unanswered for twice that, the hub no longer
vouches that it hears every change (`hearing`)."""


async def notify(channel: str, payload: str, *, using: BaseDBAsyncClient) -> None:
    """Send `payload` on `channel` when `using`'s transaction commits (PostgreSQL); a no-op on
    any other database. ValueError for a payload PostgreSQL would refuse."""
    if using.capabilities.dialect != "postgres":
        return
    if len(payload.encode()) >= MAX_PAYLOAD_BYTES:
        raise ValueError(f"notification payloads must be under {MAX_PAYLOAD_BYTES} bytes")
    await using.execute_query("SELECT pg_notify($1, $2)", [channel, payload])


def is_postgres(database_url: str) -> bool:
    """Whether `database_url` (a Tortoise URL) names a PostgreSQL database."""
    return urlsplit(database_url).scheme in _POSTGRES_SCHEMES


class NotificationHub:
    """One process's listener: routes notifications to the callbacks subscribed to them."""

    def __init__(self, database_url: str) -> None:
        self._dsn = _asyncpg_dsn(database_url) if is_postgres(database_url) else None
        self._callbacks: dict[str, list[Callback]] = {}
        self._connection: Any = None
        self._pending: set[asyncio.Task[None]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._stopped = False
        self._connections = 0
        self._stretch: int | None = None
        self._answered_at = 0.0  # time.monotonic() of the listener's last answer
        self._pinging: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        """Whether notifications reach this process now (connected to PostgreSQL)."""
        return self._connection is not None and not self._connection.is_closed()

    def hearing(self) -> int | None:
        """A number for the stretch of time, up to now, in which every change committed
        anywhere reaches this process, or None if one may not: on SQLite always 0 (one
        process writes); on PostgreSQL the number of the listener's connection while it has
        LISTENed on every subscribed channel, a new number after each reconnection (what was
        sent in between is lost)."""
        if self._dsn is None:
            return 0
        if not self.listening or self._pending:
            return None
        if time.monotonic() - self._answered_at > 2 * LIVENESS_SECONDS:
            return None  # a connection can die without a word: it must answer pings
        return self._stretch

    async def start(self) -> None:
        """Open the dedicated connection and LISTEN on the subscribed channels (PostgreSQL;
        nothing to do on SQLite)."""
        if self._dsn is None:
            return
        self._stopped = False
        await self._connect()
        self._pinging = asyncio.get_running_loop().create_task(self._keep_checking())

    async def stop(self) -> None:
        """Close the connection; callbacks stay registered but are no longer called."""
        self._stopped = True
        for task in (self._reconnecting, self._pinging):
            if task is not None:
                task.cancel()
        self._reconnecting = self._pinging = None
        for task in list(self._pending):
            task.cancel()
        connection, self._connection = self._connection, None
        self._stretch = None
        if connection is not None and not connection.is_closed():
            await connection.close()

    def subscribe(self, channel: str, callback: Callback) -> Callable[[], None]:
        """Call `callback(payload)` for every notification on `channel` from now on; returns
        the function that stops it. `await ready()` to know the LISTEN is in force."""
        callbacks = self._callbacks.setdefault(channel, [])
        callbacks.append(callback)
        if len(callbacks) == 1 and self.listening:
            self._spawn(self._listen(channel))

        def unsubscribe() -> None:
            current = self._callbacks.get(channel, [])
            if callback in current:
                current.remove(callback)
            if not current and self._callbacks.pop(channel, None) is not None and self.listening:
                self._spawn(self._unlisten(channel))

        return unsubscribe

    async def ready(self) -> None:
        """Wait until every LISTEN (and UNLISTEN) asked for so far is in force."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    # --- the connection --------------------------------------------------------------------

    async def _connect(self) -> None:
        self._stretch = None
        connection = await asyncpg.connect(self._dsn)
        connection.add_termination_listener(self._lost)
        self._connection = connection
        for channel in list(self._callbacks):
            await connection.add_listener(channel, self._dispatch)
        self._connections += 1
        self._stretch = self._connections
        self._answered_at = time.monotonic()

    async def _keep_checking(self) -> None:
        """Ping the listener's connection every LIVENESS_SECONDS; one that does not answer
        in time is closed, and so replaced (`_lost`)."""
        while not self._stopped:
            await asyncio.sleep(LIVENESS_SECONDS)
            connection = self._connection
            if connection is None or connection.is_closed():
                continue
            try:
                await asyncio.wait_for(connection.fetchval("SELECT 1"), LIVENESS_SECONDS)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                if connection is self._connection and not connection.is_closed():
                    connection.terminate()
                continue
            if connection is self._connection:
                self._answered_at = time.monotonic()

    def _lost(self, connection: Any) -> None:
        if self._stopped or connection is not self._connection:
            return
        logger.warning("Lost the notification connection to the database; reconnecting")
        self._connection = None
        self._stretch = None
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._stopped:
            await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError):
                attempt += 1
                continue
            logger.warning("Notification connection to the database restored")
            return

    async def _listen(self, channel: str) -> None:
        if self._connection is not None:
            await self._connection.add_listener(channel, self._dispatch)

    async def _unlisten(self, channel: str) -> None:
        if self._connection is not None and channel not in self._callbacks:
            await self._connection.remove_listener(channel, self._dispatch)

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _dispatch(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        for callback in list(self._callbacks.get(channel, ())):
            try:
                callback(payload)
            except Exception:
                logger.exception("A notification callback on %r failed", channel)


def _asyncpg_dsn(database_url: str) -> str:
    """asyncpg's DSN for a Tortoise URL: scheme `postgresql`, Tortoise's own options dropped."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
