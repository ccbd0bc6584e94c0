"""ChangePassword (gateway/services/password_changes.py): the caller's own password, for IAM
users under the account's password policy and for the root user."""

from __future__ import annotations

import itertools

import pytest

from gateway import clock
from gateway.errors import AccessDenied, NoSuchEntity, PasswordPolicyViolation
from gateway.models import Account, LoginProfile, RootUser, Session, User
from gateway.services.login_profiles import create_login_profile, update_login_profile
from gateway.services.password_changes import WRONG_OLD_PASSWORD, change_password
from gateway.services.password_policy import update_account_password_policy
from gateway.services.passwords import verify_password
from gateway.services.principal import Principal
from gateway.services.signin import SignedIn, sign_in_root, sign_in_user
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD, principal_for_user
from tests.services.helpers import Rejects, Succeeds

ACTION = "iam:ChangePassword"
TTL = 3600
NEW_PASSWORD = "N3w-Passw0rd"


@pytest.fixture
async def bob(root: Principal) -> User:
    user = await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)
    return user


async def _sign_in(account: Account, password: str = GOOD_PASSWORD) -> SignedIn:
    return await sign_in_user(account.id, "bob", password, ttl_seconds=TTL)


async def _profile(user: User) -> LoginProfile:
    return await LoginProfile.get(user_id=user.id)


async def test_a_user_changes_their_password_with_the_old_one(
    account: Account, bob: User, succeeds: Succeeds
) -> None:
    me = (await _sign_in(account)).principal
    await succeeds(
        change_password(me, old_password=GOOD_PASSWORD, new_password=NEW_PASSWORD),
        actor=me,
        action=ACTION,
        resource=bob.arn,
        bumps=False,
    )
    profile = await _profile(bob)
    assert await verify_password(profile.password_hash, NEW_PASSWORD)
    assert not await verify_password(profile.password_hash, GOOD_PASSWORD)
    assert await _sign_in(account, NEW_PASSWORD)


async def test_a_wrong_old_password_is_refused(
    account: Account, bob: User, rejects: Rejects
) -> None:
    me = (await _sign_in(account)).principal
    await rejects(
        change_password(me, old_password="not-the-password", new_password=NEW_PASSWORD),
        AccessDenied,
        WRONG_OLD_PASSWORD,
        action=ACTION,
    )


async def test_a_user_without_a_login_profile_has_no_password_to_change(
    root: Principal, rejects: Rejects
) -> None:
    user = await create_user(root, user_name="keyonly")
    await rejects(
        change_password(principal_for_user(user), old_password="x", new_password=NEW_PASSWORD),
        NoSuchEntity,
        "Login Profile for User keyonly cannot be found.",
        action=ACTION,
    )


async def test_the_new_password_must_follow_the_account_policy(
    account: Account, root: Principal, bob: User, rejects: Rejects
) -> None:
    await update_account_password_policy(root, minimum_password_length=16, require_numbers=True)
    me = (await _sign_in(account)).principal
    await rejects(
        change_password(me, old_password=GOOD_PASSWORD, new_password="Too-short"),
        PasswordPolicyViolation,
        "Password should have a minimum length of 16; Password should have at least one number",
        action=ACTION,
    )


async def test_without_a_policy_the_default_rules_apply(
    account: Account, bob: User, rejects: Rejects
) -> None:
    me = (await _sign_in(account)).principal
    await rejects(
        change_password(me, old_password=GOOD_PASSWORD, new_password="alllowercase"),
        PasswordPolicyViolation,
        "Password should have at least 3 of the following character types: uppercase letters, "
        "lowercase letters, numbers, and symbols (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')",
        action=ACTION,
    )


async def test_reuse_prevention_refuses_the_last_n_passwords_only(
    account: Account, root: Principal, bob: User, rejects: Rejects
) -> None:
    await update_account_password_policy(root, password_reuse_prevention=3)
    me = (await _sign_in(account)).principal
    history = [GOOD_PASSWORD, "Passw0rd-2", "Passw0rd-3", "Passw0rd-4"]
    for old, new in itertools.pairwise(history):
        await change_password(me, old_password=old, new_password=new)
    # Current: Passw0rd-4; the last three are 4, 3 and 2; GOOD_PASSWORD is four back.
    for recent in ("Passw0rd-4", "Passw0rd-3", "Passw0rd-2"):
        await rejects(
            change_password(me, old_password="Passw0rd-4", new_password=recent),
            PasswordPolicyViolation,
            "Password should not be one of your previous 3 passwords",
            action=ACTION,
        )
    await change_password(me, old_password="Passw0rd-4", new_password=GOOD_PASSWORD)


async def test_reuse_prevention_of_one_refuses_the_current_password(
    account: Account, root: Principal, bob: User, rejects: Rejects
) -> None:
    await update_account_password_policy(root, password_reuse_prevention=1)
    me = (await _sign_in(account)).principal
    await rejects(
        change_password(me, old_password=GOOD_PASSWORD, new_password=GOOD_PASSWORD),
        PasswordPolicyViolation,
        "Password should not be one of your previous password",
        action=ACTION,
    )


async def test_without_reuse_prevention_a_password_may_be_set_again(
    account: Account, bob: User
) -> None:
    me = (await _sign_in(account)).principal
    await change_password(me, old_password=GOOD_PASSWORD, new_password=GOOD_PASSWORD)


async def test_passwords_set_by_an_administrator_count_for_reuse(
    account: Account, root: Principal, bob: User, rejects: Rejects
) -> None:
    await update_account_password_policy(root, password_reuse_prevention=2)
    await update_login_profile(root, "bob", password="Admin-Set-1")
    await update_login_profile(root, "bob", password="Admin-Set-2")
    me = (await _sign_in(account, "Admin-Set-2")).principal
    await rejects(
        change_password(me, old_password="Admin-Set-2", new_password="Admin-Set-1"),
        PasswordPolicyViolation,
        "Password should not be one of your previous 2 passwords",
        action=ACTION,
    )


async def test_other_sessions_are_revoked_and_the_current_one_kept(
    account: Account, bob: User, root: Principal
) -> None:
    first, second, current = [await _sign_in(account) for _ in range(3)]
    root_session = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)

    await change_password(current.principal, old_password=GOOD_PASSWORD, new_password=NEW_PASSWORD)

    sessions = {s.id: s for s in await Session.all()}
    for other in (first, second):
        assert sessions[other.principal.session_id or ""].revoked_at is not None
    assert sessions[current.principal.session_id or ""].revoked_at is None
    assert sessions[root_session.principal.session_id or ""].revoked_at is None


async def test_a_change_clears_reset_required_and_the_sessions_restriction(
    account: Account, root: Principal, bob: User
) -> None:
    await update_login_profile(root, "bob", password_reset_required=True)
    signed_in = await _sign_in(account)
    assert signed_in.principal.password_change_required

    await change_password(
        signed_in.principal, old_password=GOOD_PASSWORD, new_password=NEW_PASSWORD
    )

    assert not (await _profile(bob)).password_reset_required
    session = await Session.get(id=signed_in.principal.session_id)
    assert not session.password_change_required
    assert not (await _sign_in(account, NEW_PASSWORD)).principal.password_change_required


async def test_a_change_restarts_the_passwords_age(
    account: Account, root: Principal, bob: User
) -> None:
    frozen = clock.FrozenClock()
    with clock.using(frozen):
        await update_login_profile(root, "bob", password="Passw0rd-1")
        frozen.advance(days=30)
        me = (await _sign_in(account, "Passw0rd-1")).principal
        await change_password(me, old_password="Passw0rd-1", new_password=NEW_PASSWORD)
        assert (await _profile(bob)).password_changed_at == frozen.now()


# -- root ----------------------------------------------------------------------------------


async def test_root_changes_its_own_password(
    account: Account, root: Principal, succeeds: Succeeds
) -> None:
    other = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    me = (await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)).principal
    await succeeds(
        change_password(me, old_password=ROOT_PASSWORD, new_password=NEW_PASSWORD),
        actor=me,
        action=ACTION,
        resource=me.arn,
        bumps=False,
    )
    stored = await RootUser.get(account_id=account.id)
    assert await verify_password(stored.password_hash, NEW_PASSWORD)
    assert await sign_in_root(ROOT_EMAIL, NEW_PASSWORD, ttl_seconds=TTL)
    assert (await Session.get(id=other.principal.session_id)).revoked_at is not None
    assert (await Session.get(id=me.session_id)).revoked_at is None


async def test_root_needs_its_old_password(root: Principal, rejects: Rejects) -> None:
    await rejects(
        change_password(root, old_password="wrong", new_password=NEW_PASSWORD),
        AccessDenied,
        WRONG_OLD_PASSWORD,
        action=ACTION,
    )


async def test_the_account_policy_does_not_apply_to_root_but_the_default_rules_do(
    root: Principal, rejects: Rejects
) -> None:
    await update_account_password_policy(root, minimum_password_length=40)
    await change_password(root, old_password=ROOT_PASSWORD, new_password=NEW_PASSWORD)
    await rejects(
        change_password(root, old_password=NEW_PASSWORD, new_password="short"),
        PasswordPolicyViolation,
        "Password should have a minimum length of 8; Password should have at least 3 of the "
        "following character types: uppercase letters, lowercase letters, numbers, and symbols "
        "(! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')",
        action=ACTION,
    )
