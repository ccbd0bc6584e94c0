"""The GatewayKey scheme: parsing, secrets, inactive keys, no MFA keys, the cache."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway import clock
from gateway.auth.access_keys import authenticate_key, parse_credential
from gateway.auth.sessions import SessionCache
from gateway.errors import Unauthenticated
from gateway.models import AccessKey, User
from gateway.services.access_keys import create_access_key, update_access_key
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.services.policy_fixtures import counting_queries

INVALID = "The security token included in the request is invalid."


@pytest.fixture
async def bob(root: Principal) -> User:
    return await create_user(root, user_name="bob")


@pytest.mark.parametrize(
    "credential",
    [
        "",
        "AKIAABCDEFGHIJKLMNOPQ",  # no secret
        "AKIAABCDEFGHIJKLMNOPQ:",  # empty secret
        "AKIASHORT:secret",
        "AIDAABCDEFGHIJKLMNOPQ:secret",  # not a key id
        ":secret",
    ],
)
def test_malformed_credentials_are_invalid(credential: str) -> None:
    with pytest.raises(Unauthenticated, match=INVALID):
        parse_credential(credential)


def test_the_secret_may_hold_colons_after_the_first() -> None:
    assert parse_credential("AKIAABCDEFGHIJKLMNOPQ:a:b") == ("AKIAABCDEFGHIJKLMNOPQ", "a:b")


async def test_a_key_authenticates_its_user_without_a_session(root: Principal, bob: User) -> None:
    created = await create_access_key(root, "bob")
    auth = await authenticate_key(f"{created.key.id}:{created.secret}", source_ip="198.51.100.4")
    principal = auth.principal
    assert principal.arn == bob.arn
    assert principal.session_id is None
    assert principal.access_key_id == created.key.id
    assert principal.long_term_key
    assert principal.source_ip == "198.51.100.4"
    context = principal.request_context()
    assert "aws:MultiFactorAuthPresent" not in context
    assert "aws:MultiFactorAuthAge" not in context
    assert "aws:TokenIssueTime" not in context


async def test_a_wrong_secret_an_unknown_key_and_an_inactive_key_look_alike(
    root: Principal, bob: User
) -> None:
    created = await create_access_key(root, "bob")
    bad = [
        f"{created.key.id}:{created.secret[:-1]}x",
        f"AKIA{'Z' * 17}:{created.secret}",
    ]
    for credential in bad:
        with pytest.raises(Unauthenticated, match=INVALID):
            await authenticate_key(credential)
    await update_access_key(root, created.key.id, "Inactive", "bob")
    with pytest.raises(Unauthenticated, match=INVALID):
        await authenticate_key(f"{created.key.id}:{created.secret}")


async def test_last_used_is_written_at_most_once_a_minute(root: Principal, bob: User) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        created = await create_access_key(root, "bob")
        credential = f"{created.key.id}:{created.secret}"
        await authenticate_key(credential)
        first = (await AccessKey.get(id=created.key.id)).last_used_at
        assert first == fake.now()
        fake.advance(seconds=30)
        with counting_queries() as log:
            await authenticate_key(credential)
        assert not [s for s in log.statements if s.lstrip().upper().startswith("UPDATE")]
        assert (await AccessKey.get(id=created.key.id)).last_used_at == first
        fake.advance(seconds=timedelta(seconds=31).total_seconds())
        await authenticate_key(credential)
        assert (await AccessKey.get(id=created.key.id)).last_used_at == fake.now()


async def test_the_cache_answers_without_sql_and_a_wrong_secret_misses_it(
    root: Principal, bob: User
) -> None:
    created = await create_access_key(root, "bob")
    cache = SessionCache(ttl=60)
    credential = f"{created.key.id}:{created.secret}"
    await authenticate_key(credential, cache=cache)
    with counting_queries() as log:
        await authenticate_key(credential, cache=cache)
    assert log.statements == []
    with pytest.raises(Unauthenticated):
        await authenticate_key(f"{created.key.id}:wrong", cache=cache)


async def test_deactivating_through_this_replica_ends_a_cached_key_at_once(
    root: Principal, bob: User
) -> None:
    created = await create_access_key(root, "bob")
    cache = SessionCache(ttl=60)
    credential = f"{created.key.id}:{created.secret}"
    await authenticate_key(credential, cache=cache)
    await update_access_key(root, created.key.id, "Inactive", "bob")
    with pytest.raises(Unauthenticated):
        await authenticate_key(credential, cache=cache)


async def test_a_deactivation_elsewhere_is_seen_once_the_entry_expires(
    root: Principal, bob: User
) -> None:
    created = await create_access_key(root, "bob")
    ticks = clock.FrozenClock()
    cache = SessionCache(ttl=0.2, monotonic=ticks.monotonic)
    credential = f"{created.key.id}:{created.secret}"
    await authenticate_key(credential, cache=cache)
    # Another replica deactivates it: straight in the database, no write of this process.
    await AccessKey.filter(id=created.key.id).update(status="Inactive")
    await authenticate_key(credential, cache=cache)  # still fresh here
    ticks.advance(seconds=0.25)
    with pytest.raises(Unauthenticated):
        await authenticate_key(credential, cache=cache)
