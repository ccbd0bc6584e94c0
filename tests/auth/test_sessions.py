"""Session tokens: hashed at rest, checked on every request, reused briefly per replica."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import clock
from gateway.auth.sessions import Authenticated, SessionCache, authenticate, authenticated_with
from gateway.errors import ExpiredToken, Unauthenticated
from gateway.models import Account, Session
from gateway.services.bearer_tokens import hash_token
from gateway.services.principal import ADDRESSES_REMEMBERED, Principal
from gateway.services.signin import sign_in_root, sign_out
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.services.policy_fixtures import counting_queries

TTL = 3600


async def test_only_the_tokens_hash_is_stored(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    # Tortoise types a flat values_list as a list of tuples.
    stored: list[Any] = await Session.all().values_list("token_hash", flat=True)
    assert stored == [hash_token(signed_in.token)]
    assert signed_in.token not in stored


async def test_a_token_authenticates_its_principal_until_signed_out(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    auth = await authenticate(signed_in.token, source_ip="203.0.113.9")
    assert auth.principal.arn == f"arn:aws:iam::{account.id}:root"
    assert auth.principal.source_ip == "203.0.113.9"
    await sign_out(auth.principal)
    with pytest.raises(Unauthenticated):
        await authenticate(signed_in.token)


@pytest.mark.parametrize("token", ["", "not-ours", "gws_" + "x" * 43])
async def test_unknown_tokens_are_unauthenticated(account: Account, token: str) -> None:
    with pytest.raises(Unauthenticated, match="security token included in the request is invalid"):
        await authenticate(token)


async def test_an_expired_session_is_refused(account: Account) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=60)
        await authenticate(signed_in.token)
        fake.advance(seconds=61)
        with pytest.raises(ExpiredToken):
            await authenticate(signed_in.token)


async def test_the_cache_answers_without_sql_until_its_time_is_up(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    ticks = clock.FrozenClock()
    cache = SessionCache(ttl=0.2, monotonic=ticks.monotonic)
    await authenticate(signed_in.token, cache=cache)
    with counting_queries() as log:
        await authenticate(signed_in.token, cache=cache)
    assert log.statements == []
    ticks.advance(seconds=0.19)
    with counting_queries() as log:
        await authenticate(signed_in.token, cache=cache)
    assert log.statements == []  # still within its time
    ticks.advance(seconds=0.06)
    with counting_queries() as log:
        await authenticate(signed_in.token, cache=cache)
    assert len(log.statements) == 1


async def test_a_local_write_empties_the_cache_at_once(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    cache = SessionCache(ttl=60)
    auth = await authenticate(signed_in.token, cache=cache)
    await sign_out(auth.principal)
    with pytest.raises(Unauthenticated):
        await authenticate(signed_in.token, cache=cache)


async def test_a_revocation_elsewhere_is_seen_once_the_entry_expires(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    ticks = clock.FrozenClock()
    cache = SessionCache(ttl=0.2, monotonic=ticks.monotonic)
    await authenticate(signed_in.token, cache=cache)
    # Another replica revokes it: straight in the database, no write of this process.
    await Session.all().update(revoked_at=clock.now())
    await authenticate(signed_in.token, cache=cache)  # still fresh here
    ticks.advance(seconds=0.25)
    with pytest.raises(Unauthenticated):
        await authenticate(signed_in.token, cache=cache)


async def test_concurrent_requests_with_one_token_read_the_session_once(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    cache = SessionCache(ttl=60)
    with counting_queries() as log:
        results = await asyncio.gather(
            *(authenticate(signed_in.token, cache=cache) for _ in range(20))
        )
    assert {r.principal.arn for r in results} == {f"arn:aws:iam::{account.id}:root"}
    assert len([s for s in log.statements if "sessions" in s]) == 1


async def test_expiry_is_checked_even_on_a_cached_session(account: Account) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=60)
        cache = SessionCache(ttl=60)
        await authenticate(signed_in.token, cache=cache)
        fake.advance(seconds=timedelta(seconds=61).total_seconds())
        with pytest.raises(ExpiredToken):
            await authenticate(signed_in.token, cache=cache)


@given(st.lists(st.ip_addresses().map(str), min_size=1, max_size=3 * ADDRESSES_REMEMBERED))
def test_an_authentication_from_another_address_is_itself_but_for_the_address(
    addresses: list[str],
) -> None:
    # A cached session is asked from an application's few servers on every request: the
    # copy for an address is made once (for the first few), with the principal's own copy.
    principal = Principal.root("111122223333", session_id="s-1", source_ip="198.51.100.7")
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    auth = Authenticated(principal, 3, 2, None, expires, depends_on=("444455556666",))
    for address in addresses:
        moved = auth.from_address(address)
        assert moved.principal == principal.from_address(address)
        assert moved.principal.source_ip == address
        assert (moved.generation, moved.policy_generation, moved.expires_at) == (3, 2, expires)
        assert moved.accounts == ("111122223333", "444455556666")
    assert auth.from_address("198.51.100.7") is auth
    before = expires - timedelta(seconds=1)
    assert authenticated_with(auth, now=before, source_ip="") is auth
    remembered = list(dict.fromkeys(a for a in addresses if a != "198.51.100.7"))
    for address in remembered[:ADDRESSES_REMEMBERED]:
        moved = authenticated_with(auth, now=before, source_ip=address)
        assert moved is auth.from_address(address)
        assert moved.principal is principal.from_address(address)
        with pytest.raises(ExpiredToken):
            authenticated_with(auth, now=expires, source_ip=address)
