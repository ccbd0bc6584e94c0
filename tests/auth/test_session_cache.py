"""The session cache (gateway/auth/sessions.py SessionCache) forgets an account's entries when
another replica announces a change there, or this process commits one, including reads that
were under way; it keeps them the quiet TTL while every change is heard, the short one when a
change may have gone unheard."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tortoise.context import TortoiseContext

from gateway.auth.access_keys import authenticate_key
from gateway.auth.sessions import Authenticated, SessionCache, authenticate
from gateway.clock import FrozenClock
from gateway.models import Account
from gateway.services.access_keys import create_access_key
from gateway.services.bearer_tokens import hash_token
from gateway.services.credential_report import generate_credential_report
from gateway.services.login_profiles import create_login_profile
from gateway.services.principal import Principal
from gateway.services.session_tokens import get_session_token
from gateway.services.signin import sign_in_root, sign_in_user, sign_out
from gateway.services.users import create_user
from gateway.services.writes import writing
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD

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


class Hearing:
    """What the notification hub says: the stretch in which every change is heard, or None."""

    def __init__(self) -> None:
        self.stretch: int | None = 1

    def __call__(self) -> int | None:
        return self.stretch


def quiet_cache(hearing: Hearing, clock: FrozenClock) -> SessionCache:
    return SessionCache(ttl=0.5, quiet_ttl=30, hearing=hearing, monotonic=clock.monotonic)


async def test_while_every_change_is_heard_an_entry_lives_the_quiet_ttl() -> None:
    hearing, clock = Hearing(), FrozenClock()
    cache = quiet_cache(hearing, clock)
    cache.put("a", caller("111111111111"))
    clock.advance(seconds=29.9)
    assert cache.get("a") is not None
    clock.advance(seconds=0.2)
    assert cache.get("a") is None


@pytest.mark.parametrize("then", [None, 2], ids=["listener lost", "reconnected"])
async def test_when_a_change_may_have_gone_unheard_an_entry_lives_the_short_ttl(
    then: int | None,
) -> None:
    hearing, clock = Hearing(), FrozenClock()
    cache = quiet_cache(hearing, clock)
    cache.put("a", caller("111111111111"))
    hearing.stretch = then
    clock.advance(seconds=0.4)
    assert cache.get("a") is not None
    clock.advance(seconds=0.2)
    assert cache.get("a") is None


async def test_a_read_begun_before_a_reconnection_is_kept_only_the_short_ttl() -> None:
    hearing, clock = Hearing(), FrozenClock()
    cache = quiet_cache(hearing, clock)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_read() -> Authenticated:
        started.set()
        await release.wait()
        return caller("111111111111")

    loading = asyncio.create_task(cache.load("a", slow_read))
    await started.wait()
    hearing.stretch = 2  # a change may have come, unheard, while the listener was away
    release.set()
    await loading
    clock.advance(seconds=0.6)
    assert cache.get("a") is None


async def test_a_cache_without_ttl_keeps_nothing_whatever_it_hears() -> None:
    cache = SessionCache(ttl=0, quiet_ttl=30, hearing=Hearing())
    cache.put("a", caller("111111111111"))
    assert cache.get("a") is None


async def test_a_session_switched_to_from_another_account_retires_with_changes_there(
    db: TortoiseContext,
) -> None:
    """A console's role session in one account lives inside a sign-in of another: signing
    that out (a change there) must end it at once, here and when another replica says so."""
    role_account, origin_account = "111111111111", "222222222222"
    switched = replace(caller(role_account), depends_on=(origin_account,))
    cache = SessionCache(ttl=60, quiet_ttl=60, hearing=Hearing())
    cache.put("a", switched)
    cache.changed(origin_account)
    assert cache.get("a") is None
    cache.put("a", switched)
    await Account.create(id=origin_account)
    async with writing(Principal.root(origin_account), "gateway:SignOut", "*"):
        pass
    assert cache.get("a") is None


async def test_a_write_that_touches_another_account_retires_that_accounts_entries(
    db: TortoiseContext,
) -> None:
    actor_account, touched, untouched = "111111111111", "222222222222", "333333333333"
    cache = SessionCache(ttl=60, quiet_ttl=60, hearing=Hearing())
    cache.put("touched", caller(touched))
    cache.put("untouched", caller(untouched))
    await Account.create(id=actor_account)
    async with writing(Principal.root(actor_account), "gateway:SwitchBack", "*") as tx:
        tx.touches(touched)
    assert cache.get("touched") is None
    assert cache.get("untouched") is not None


async def test_a_write_that_changes_no_session_keeps_its_accounts_entries(
    db: TortoiseContext,
) -> None:
    """A new session or a report changes nothing a cached credential stands for; had it
    retired the account's entries, every sign-in would send all its sessions back to the
    database. A session it touches in its own account is still retired."""
    account_id = "111111111111"
    cache = SessionCache(ttl=60, quiet_ttl=60, hearing=Hearing())
    cache.put("a", caller(account_id))
    await Account.create(id=account_id)
    actor = Principal.root(account_id)
    quiet = {"changes_permissions": False, "changes_sessions": False}
    async with writing(actor, "gateway:SignIn", "*", **quiet):
        pass
    assert cache.get("a") is not None
    async with writing(actor, "sts:AssumeRole", "*", **quiet) as tx:
        tx.touches(account_id)  # it replaced a session of the account
    assert cache.get("a") is None


async def test_a_write_that_changes_permissions_cannot_say_it_changes_no_session(
    db: TortoiseContext,
) -> None:
    with pytest.raises(ValueError, match="changes permissions"):
        async with writing(
            Principal.root("111111111111"), "iam:TagUser", "*", changes_sessions=False
        ):
            pass


async def test_sign_ins_session_tokens_and_reports_keep_the_accounts_cached_sessions(
    account: Account, root: Principal
) -> None:
    """The writes people and programs make all day: none of them retires the sessions other
    callers of the account have cached, and a sign-out still does."""
    cache = SessionCache(ttl=60, quiet_ttl=60, hearing=Hearing())
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=3600)
    held = hash_token(signed_in.token)
    await authenticate(signed_in.token, cache=cache)
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)
    created = await create_access_key(root, "bob")
    bob_with_key = (await authenticate_key(f"{created.key.id}:{created.secret}")).principal
    assert cache.get(held) is None  # those were changes: read it again
    await authenticate(signed_in.token, cache=cache)

    bob = await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=3600)
    await get_session_token(bob_with_key)
    await generate_credential_report(root)
    assert cache.get(held) is not None
    await sign_out(bob.principal)
    assert cache.get(held) is None
