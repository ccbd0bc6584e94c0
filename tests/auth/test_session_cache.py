"""The session cache (gateway/auth/sessions.py SessionCache) forgets an account's entries when
another replica announces a change there, or this process commits one, including reads that
were under way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tortoise.context import TortoiseContext

from gateway.auth.sessions import Authenticated, SessionCache
from gateway.models import Account
from gateway.services.principal import Principal
from gateway.services.writes import writing

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


async def test_a_write_here_retires_its_accounts_entries_only(db: TortoiseContext) -> None:
    # Other accounts' callers keep their cached sessions through a write in one account.
    cache = SessionCache(ttl=60)
    written, other = "111111111111", "222222222222"
    cache.put("a", caller(written))
    cache.put("b", caller(other))
    await Account.create(id=written)
    async with writing(Principal.root(written), "iam:TagUser", "*", changes_policies=False):
        pass
    assert cache.get("a") is None
    assert cache.get("b") is not None


async def test_a_read_under_way_when_a_write_here_commits_is_not_kept(
    db: TortoiseContext,
) -> None:
    cache = SessionCache(ttl=60)
    account_id = "111111111111"
    await Account.create(id=account_id)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_read() -> Authenticated:
        started.set()
        await release.wait()
        return caller(account_id)  # what the database said before the write

    loading = asyncio.create_task(cache.load("a", slow_read))
    await started.wait()
    async with writing(Principal.root(account_id), "iam:DetachUserPolicy", "*"):
        pass
    release.set()
    await loading
    assert cache.get("a") is None
