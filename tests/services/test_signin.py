"""Password sign-in: one answer and one cost for every kind of failure; expired and
reset-required passwords."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from gateway import clock
from gateway.errors import Unauthenticated
from gateway.models import Account, AuditEvent, LoginProfile, RootUser, Session
from gateway.services import signin
from gateway.services.login_profiles import create_login_profile, update_login_profile
from gateway.services.passwords import needs_rehash, using_hasher, verify_password
from gateway.services.principal import Principal
from gateway.services.signin import PASSWORD_EXPIRED, SIGN_IN_FAILED, sign_in_root, sign_in_user
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD
from tests.services.hashers import CountingHasher

TTL = 3600


@pytest.fixture
async def bob(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)


async def test_a_user_signs_in_with_account_id_or_alias(
    account: Account, root: Principal, bob: None
) -> None:
    from gateway.services.accounts import create_account_alias

    signed_in = await sign_in_user(account.id, "BOB", GOOD_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.arn == f"arn:aws:iam::{account.id}:user/bob"
    await create_account_alias(root, "coffee-shop")
    assert (await sign_in_user("coffee-shop", "bob", GOOD_PASSWORD, ttl_seconds=TTL)).token


@pytest.mark.parametrize(
    ("account_id", "user", "password"),
    [
        (None, "bob", "wrong-password"),
        (None, "nobody", GOOD_PASSWORD),
        ("999999999999", "bob", GOOD_PASSWORD),
        (None, "nopassword", GOOD_PASSWORD),
    ],
    ids=["wrong password", "unknown user", "unknown account", "no login profile"],
)
async def test_every_failure_gets_the_same_error(
    account: Account,
    root: Principal,
    bob: None,
    account_id: str | None,
    user: str,
    password: str,
) -> None:
    await create_user(root, user_name="nopassword")
    with pytest.raises(Unauthenticated) as raised:
        await sign_in_user(account_id or account.id, user, password, ttl_seconds=TTL)
    assert raised.value.message == SIGN_IN_FAILED


async def test_a_failed_sign_in_of_a_known_user_is_audited_without_the_password(
    account: Account, bob: None
) -> None:
    with pytest.raises(Unauthenticated):
        await sign_in_user(account.id, "bob", "wrong-password-123", ttl_seconds=TTL)
    event = await AuditEvent.filter(action="gateway:SignIn").order_by("-id").first()
    assert event is not None
    assert event.outcome == "Failed"
    assert "wrong-password-123" not in str(event.details) + event.resource


async def test_root_signs_in_with_its_email_in_any_case(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL.upper(), ROOT_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.is_root
    with pytest.raises(Unauthenticated):
        await sign_in_root(ROOT_EMAIL, "not-the-password", ttl_seconds=TTL)


async def test_an_unknown_user_costs_what_a_wrong_password_costs(
    account: Account, root: Principal, bob: None
) -> None:
    # Failing must cost the same whatever the reason: one verification against a hash of the
    # same parameters (a decoy for an unknown user), so timing tells nothing.
    hasher = CountingHasher(time_cost=2, memory_cost=64)
    with using_hasher(hasher):
        await update_login_profile(root, "bob", password=GOOD_PASSWORD)
        with pytest.raises(Unauthenticated):
            await sign_in_user(account.id, "bob", "wrong-password", ttl_seconds=TTL)
        with pytest.raises(Unauthenticated):
            await sign_in_user(account.id, "nobody", "wrong-password", ttl_seconds=TTL)
    wrong, unknown = hasher.verified
    assert wrong == unknown
    assert (wrong.time_cost, wrong.memory_cost) == (2, 64)


# -- the account password policy at sign-in --------------------------------------------------


async def _age_policy(root: Principal, *, hard_expiry: bool = False) -> None:
    from gateway.services.password_policy import update_account_password_policy

    await update_account_password_policy(root, max_password_age=90, hard_expiry=hard_expiry)


async def test_a_password_within_its_max_age_signs_in_unrestricted(
    account: Account, root: Principal
) -> None:
    frozen = clock.FrozenClock()
    with clock.using(frozen):
        await _age_policy(root)
        await create_user(root, user_name="bob")
        await create_login_profile(root, "bob", password=GOOD_PASSWORD)
        frozen.advance(days=90)
        signed_in = await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
    assert not signed_in.principal.password_change_required


async def test_an_expired_password_signs_in_to_a_session_that_must_change_it(
    account: Account, root: Principal
) -> None:
    frozen = clock.FrozenClock()
    with clock.using(frozen):
        await _age_policy(root)
        await create_user(root, user_name="bob")
        await create_login_profile(root, "bob", password=GOOD_PASSWORD)
        frozen.advance(days=90, seconds=1)
        signed_in = await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.password_change_required
    session = await Session.get(id=signed_in.principal.session_id)
    assert session.password_change_required


async def test_with_hard_expiry_an_expired_password_cannot_sign_in(
    account: Account, root: Principal
) -> None:
    frozen = clock.FrozenClock()
    with clock.using(frozen):
        await _age_policy(root, hard_expiry=True)
        await create_user(root, user_name="bob")
        await create_login_profile(root, "bob", password=GOOD_PASSWORD)
        frozen.advance(days=91)
        with pytest.raises(Unauthenticated) as raised:
            await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
        assert raised.value.message == PASSWORD_EXPIRED
        assert await Session.filter(user__name="bob").count() == 0
        event = await AuditEvent.filter(action="gateway:SignIn").order_by("-id").first()
        assert event is not None
        assert event.outcome == "Failed"

        # An administrator's reset starts the password's age again.
        await update_login_profile(root, "bob", password="Admin-Reset-1")
        signed_in = await sign_in_user(account.id, "bob", "Admin-Reset-1", ttl_seconds=TTL)
    assert not signed_in.principal.password_change_required


async def test_reset_required_signs_in_to_a_session_that_must_change_the_password(
    account: Account, root: Principal, bob: None
) -> None:
    await update_login_profile(root, "bob", password_reset_required=True)
    signed_in = await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.password_change_required


# -- hashes made with other parameters ------------------------------------------------------

OLD_PARAMETERS = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)


async def _bobs_hash() -> str:
    return (await LoginProfile.get(user__name="bob")).password_hash


async def test_a_password_hashed_with_other_parameters_is_rehashed_when_it_signs_in(
    account: Account, root: Principal, bob: None
) -> None:
    with using_hasher(OLD_PARAMETERS):
        await update_login_profile(root, "bob", password=GOOD_PASSWORD)
    old = await _bobs_hash()
    assert "$m=16,t=2,p=1$" in old

    with pytest.raises(Unauthenticated):
        await sign_in_user(account.id, "bob", "Wrong-Passw0rd", ttl_seconds=TTL)
    assert await _bobs_hash() == old  # only a verified password is re-hashed

    await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
    new = await _bobs_hash()
    assert "$m=8,t=1,p=1$" in new  # the current (the tests' cheap) parameters
    assert not needs_rehash(new)
    assert await verify_password(new, GOOD_PASSWORD)

    await sign_in_user(account.id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
    assert await _bobs_hash() == new  # a current hash stays


async def test_the_root_users_password_is_rehashed_too(account: Account) -> None:
    await RootUser.filter(account_id=account.id).update(
        password_hash=OLD_PARAMETERS.hash(ROOT_PASSWORD)
    )

    await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)

    stored = (await RootUser.get(account_id=account.id)).password_hash
    assert "$m=8,t=1,p=1$" in stored
    assert await verify_password(stored, ROOT_PASSWORD)


async def test_a_password_changed_since_it_was_verified_is_not_overwritten(
    account: Account, root: Principal, bob: None
) -> None:
    # The re-hash is of the hash that was verified: had the password been changed in between,
    # the change stands.
    verified_then = OLD_PARAMETERS.hash(GOOD_PASSWORD)
    changed_since = await _bobs_hash()

    await signin._keep_hash_current(
        LoginProfile.filter(user__name="bob"), verified_then, GOOD_PASSWORD
    )

    assert await _bobs_hash() == changed_since
