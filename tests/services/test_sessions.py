"""Sessions: one's own active ones listed; RevokeSessions ends a user's, temporary credentials
included; deleting a user ends its sessions at once, even those in the credential cache."""

from __future__ import annotations

import pytest

from gateway import clock
from gateway.auth.sessions import SessionCache, authenticate
from gateway.errors import NoSuchEntity, Unauthenticated
from gateway.models import Account, Session
from gateway.services.login_profiles import create_login_profile, delete_login_profile
from gateway.services.principal import Principal
from gateway.services.sessions import REVOKE, active_sessions, revoke_sessions
from gateway.services.signin import sign_in_root, sign_in_user, sign_out
from gateway.services.users import create_user, delete_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD
from tests.services.helpers import Rejects, Succeeds

TTL = 3600


@pytest.fixture
async def bob(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)


async def bob_session(account: Account) -> tuple[str, Principal]:
    signed_in = await sign_in_user(
        account.id, "bob", GOOD_PASSWORD, source_ip="198.51.100.4", ttl_seconds=TTL
    )
    return signed_in.token, signed_in.principal


async def test_a_caller_sees_only_its_own_active_sessions_newest_first(
    account: Account, bob: None
) -> None:
    frozen = clock.FrozenClock()
    with clock.using(frozen):
        _, first = await bob_session(account)
        frozen.advance(seconds=1)
        _, ended = await bob_session(account)
        frozen.advance(seconds=1)
        _, latest = await bob_session(account)
        await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
        await sign_out(ended)
        listed = await active_sessions(latest)
        assert [s.id for s in listed] == [latest.session_id, first.session_id]
        assert {s.source_ip for s in listed} == {"198.51.100.4"}
        assert not any(s.mfa_authenticated for s in listed)
        frozen.advance(seconds=TTL)
        assert await active_sessions(latest) == []


async def test_root_sees_the_root_sessions_of_its_account(account: Account, bob: None) -> None:
    await bob_session(account)
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    listed = await active_sessions(signed_in.principal)
    assert [s.id for s in listed] == [signed_in.principal.session_id]


async def test_revoking_ends_every_session_of_the_user_and_only_its(
    account: Account, root: Principal, bob: None, succeeds: Succeeds
) -> None:
    tokens = [(await bob_session(account))[0] for _ in range(2)]
    root_session = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    revoked = await succeeds(
        revoke_sessions(root, "BOB"),
        actor=root,
        action=REVOKE,
        resource=f"arn:aws:iam::{account.id}:user/bob",
        bumps=False,
    )
    assert revoked == 2
    for token in tokens:
        with pytest.raises(Unauthenticated):
            await authenticate(token)
    assert await authenticate(root_session.token)
    assert await Session.filter(user__name="bob", revoked_at=None).count() == 0


async def test_revoking_sessions_of_an_unknown_user_fails(
    account: Account, root: Principal, rejects: Rejects
) -> None:
    await rejects(
        revoke_sessions(root, "nobody"),
        NoSuchEntity,
        "The user with name nobody cannot be found.",
        action=REVOKE,
    )


async def test_a_revoked_session_is_refused_even_from_the_cache(
    account: Account, root: Principal, bob: None
) -> None:
    token, _ = await bob_session(account)
    cache = SessionCache(ttl=60)
    await authenticate(token, cache=cache)
    await revoke_sessions(root, "bob")
    with pytest.raises(Unauthenticated):
        await authenticate(token, cache=cache)


async def test_a_deleted_users_token_fails_at_once_even_from_the_cache(
    account: Account, root: Principal, bob: None
) -> None:
    token, _ = await bob_session(account)
    await delete_login_profile(root, "bob")
    cache = SessionCache(ttl=60)
    await authenticate(token, cache=cache)  # cached after the profile went
    await delete_user(root, "bob")
    assert await Session.filter(account_id=account.id, principal_kind="user").count() == 0
    with pytest.raises(Unauthenticated):
        await authenticate(token, cache=cache)
