"""Following the audit trail live: the events of one account, as they commit, on any replica.

On PostgreSQL every committed event is announced on `AUDIT_CHANNEL` (`writes.record` issues
`pg_notify` in the event's transaction), so a follower hears of it from whichever replica
wrote it and reads exactly those events. On SQLite (one process) the follower polls for ids
above the last it saw: one writer commits ids in order there.

`check` is called before anything is delivered, and at least every `check_every` seconds
while nothing happens: it raises (Unauthenticated, AccessDenied, …) when the follower may no
longer read the trail, which ends the stream with that error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from gateway.errors import Throttled
from gateway.models import AuditEvent
from gateway.notifications import NotificationHub
from gateway.services.audit_lookup import EventFilter, events_by_ids, filtered, last_event_id
from gateway.services.writes import AUDIT_CHANNEL

POLL_SECONDS = 0.25
CHECK_SECONDS = 1.0
MAX_BACKLOG = 10_000
FELL_BEHIND = (
    "This subscription fell more than 10,000 events behind and was ended: subscribe again "
    "(and read what you missed with the auditEvents query)."
)

Check = Callable[[], Awaitable[None]]


async def follow(
    account_id: str,
    wanted: EventFilter,
    check: Check,
    *,
    hub: NotificationHub | None = None,
    poll_every: float = POLL_SECONDS,
    check_every: float = CHECK_SECONDS,
) -> AsyncIterator[AuditEvent]:
    """The account's events that `wanted` selects, from now on, in commit order (see the module
    docstring). Runs until the consumer stops or `check` raises."""
    wanted.check()
    if hub is not None and hub.listening:
        stream = _notified(account_id, wanted, check, hub, check_every)
    else:
        stream = _polled(account_id, wanted, check, poll_every, check_every)
    async for event in stream:
        yield event


async def _notified(
    account_id: str, wanted: EventFilter, check: Check, hub: NotificationHub, check_every: float
) -> AsyncIterator[AuditEvent]:
    heard: asyncio.Queue[int] = asyncio.Queue(MAX_BACKLOG)
    prefix = f"{account_id}:"
    overflow = False

    def on_event(payload: str) -> None:
        nonlocal overflow
        if not payload.startswith(prefix):
            return
        try:
            heard.put_nowait(int(payload[len(prefix) :]))
        except asyncio.QueueFull:
            overflow = True
        except ValueError:
            pass

    unsubscribe = hub.subscribe(AUDIT_CHANNEL, on_event)
    try:
        await hub.ready()
        while True:
            ids = await _next_ids(heard, check_every)
            if overflow:
                raise Throttled(FELL_BEHIND)
            await check()
            for event in await events_by_ids(account_id, ids, wanted):
                yield event
    finally:
        unsubscribe()


async def _polled(
    account_id: str, wanted: EventFilter, check: Check, poll_every: float, check_every: float
) -> AsyncIterator[AuditEvent]:
    seen = await last_event_id()
    checked = time.monotonic()
    while True:
        latest = await last_event_id()
        if latest > seen:
            await check()
            checked = time.monotonic()
            window = filtered(account_id, wanted).filter(id__gt=seen, id__lte=latest)
            for event in await window.order_by("id"):
                yield event
            seen = latest
        elif time.monotonic() - checked >= check_every:
            await check()
            checked = time.monotonic()
        await asyncio.sleep(poll_every)


async def _next_ids(heard: asyncio.Queue[int], wait: float) -> list[int]:
    """The ids heard so far, waiting up to `wait` seconds for the first."""
    ids: list[int] = []
    try:
        ids.append(await asyncio.wait_for(heard.get(), timeout=wait))
    except TimeoutError:
        return ids
    while not heard.empty():
        ids.append(heard.get_nowait())
    return ids
