"""The session cache (gateway/auth/sessions.py SessionCache) forgets an account's entries when
another replica announces a change there, including reads that were under way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from gateway.auth.sessions import Authenticated, SessionCache
from gateway.services.principal import Principal

EXPIRES = datetime(2100, 1, 1, tzinfo=UTC)


def caller(account_id: str) -> Authenticated:
    principal = Principal.root(account_id)
    return Authenticated(principal, 1, 1, None, EXPIRES)


async def test_a_change_elsewhere_retires_that_accounts_entries_only() -> None:
    cache = SessionCache(ttl=60)
    cache.put("a", caller("111111111111"))
    cache.put("b", caller("222222222222"))
    cache.changed("111111111111")
    assert cache.get("a") is None
    assert cache.get("b") is not None
    cache.put("a", caller("111111111111"))  # read again after the change: fresh
    assert cache.get("a") is not None


async def test_a_read_under_way_when_the_change_is_announced_is_not_kept() -> None:
    cache = SessionCache(ttl=60)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_read() -> Authenticated:
        started.set()
        await release.wait()
        return caller("111111111111")  # what the database said before the change

    loading = asyncio.create_task(cache.load("a", slow_read))
    await started.wait()
    cache.changed("111111111111")
    release.set()
    assert (await loading).principal.account_id == "111111111111"
    assert cache.get("a") is None  # the next request reads the session again
