"""Login profiles: users' console passwords (gateway/services/login_profiles.py)."""

from __future__ import annotations

import pytest

from gateway.errors import (
    EntityAlreadyExists,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)
from gateway.models import AuditEvent, LoginProfile, User
from gateway.services.accounts import create_account_alias
from gateway.services.login_profiles import (
    create_login_profile,
    delete_login_profile,
    get_login_profile,
    update_login_profile,
)
from gateway.services.passwords import verify_password
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL
from tests.services.helpers import Rejects, Succeeds

IDENTICAL = (
    "Password should not be identical to the user name, account ID, account alias or e-mail address"
)


@pytest.fixture
async def bob(root: Principal) -> User:
    return await create_user(root, user_name="bob")


async def _all_audit_text() -> str:
    return repr(await AuditEvent.all().values())


async def test_create_login_profile_stores_only_a_hash(
    root: Principal, bob: User, succeeds: Succeeds
) -> None:
    profile = await succeeds(
        create_login_profile(root, "BOB", password=GOOD_PASSWORD, password_reset_required=True),
        actor=root,
        action="iam:CreateLoginProfile",
        resource=bob.arn,
        bumps=False,
    )

    stored = await LoginProfile.get(user_id=bob.id)
    assert stored.id == profile.id
    assert stored.password_reset_required is True
    assert stored.password_hash.startswith("$argon2id$")
    assert await verify_password(stored.password_hash, GOOD_PASSWORD)
    assert GOOD_PASSWORD not in repr(await LoginProfile.all().values())
    assert GOOD_PASSWORD not in await _all_audit_text()


async def test_a_user_has_at_most_one_login_profile(
    root: Principal, bob: User, rejects: Rejects
) -> None:
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)

    await rejects(
        create_login_profile(root, "BOB", password="An0ther-pass"),
        EntityAlreadyExists,
        "Login Profile for user bob already exists.",
        action="iam:CreateLoginProfile",
    )


async def test_create_login_profile_for_an_unknown_user(root: Principal, rejects: Rejects) -> None:
    await rejects(
        create_login_profile(root, "ghost", password=GOOD_PASSWORD),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:CreateLoginProfile",
    )


@pytest.mark.parametrize(
    ("password", "error", "message"),
    [
        (
            "weakpass",
            PasswordPolicyViolation,
            "Password should have at least 3 of the following character types: uppercase "
            "letters, lowercase letters, numbers, and symbols (! @ # $ % ^ & * ( ) _ + - = [ ] "
            "{ } | ')",
        ),
        ("Bob-1234", PasswordPolicyViolation, None),
        ("BOB-1234", PasswordPolicyViolation, None),
        (
            "x" * 129,
            ValidationError,
            "1 validation error detected: Value at 'password' failed to satisfy constraint: "
            "Member must have length less than or equal to 128",
        ),
    ],
)
async def test_create_login_profile_enforces_the_password_policy(
    root: Principal,
    rejects: Rejects,
    password: str,
    error: type[PasswordPolicyViolation | ValidationError],
    message: str | None,
) -> None:
    user_name = password if message is None else "bob"  # None: the password is the user name
    await create_user(root, user_name=user_name)

    raised = await rejects(
        create_login_profile(root, user_name, password=password),
        error,
        message or IDENTICAL,
        action="iam:CreateLoginProfile",
    )

    assert password not in raised.message
    attempts = AuditEvent.filter(action="iam:CreateLoginProfile")
    assert password not in repr(await attempts.values("details", "error_code"))


async def test_password_must_not_be_the_account_alias_or_root_email(
    root: Principal, bob: User
) -> None:
    await create_account_alias(root, "coffee-shop-1")

    with pytest.raises(PasswordPolicyViolation) as raised:
        await create_login_profile(root, "bob", password="Coffee-Shop-1")
    assert raised.value.message == IDENTICAL
    with pytest.raises(PasswordPolicyViolation) as raised:
        await create_login_profile(root, "bob", password=ROOT_EMAIL.upper())
    assert IDENTICAL in raised.value.message


async def test_get_login_profile(root: Principal, bob: User) -> None:
    created = await create_login_profile(root, "bob", password=GOOD_PASSWORD)

    found = await get_login_profile(root, "Bob")

    assert found.id == created.id
    assert found.user_id == bob.id


async def test_get_missing_login_profile(root: Principal, bob: User) -> None:
    with pytest.raises(NoSuchEntity) as raised:
        await get_login_profile(root, "bob")

    assert raised.value.message == "Login Profile for User bob cannot be found."


async def test_update_login_profile_sets_a_new_password(
    root: Principal, bob: User, succeeds: Succeeds
) -> None:
    await create_login_profile(root, "bob", password=GOOD_PASSWORD, password_reset_required=True)

    await succeeds(
        update_login_profile(root, "bob", password="N3w-password"),
        actor=root,
        action="iam:UpdateLoginProfile",
        resource=bob.arn,
        bumps=False,
    )

    stored = await LoginProfile.get(user_id=bob.id)
    assert await verify_password(stored.password_hash, "N3w-password")
    assert not await verify_password(stored.password_hash, GOOD_PASSWORD)
    assert stored.password_reset_required is True  # untouched
    assert "N3w-password" not in await _all_audit_text()


async def test_update_login_profile_only_the_reset_flag(root: Principal, bob: User) -> None:
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)
    old_hash = (await LoginProfile.get(user_id=bob.id)).password_hash

    updated = await update_login_profile(root, "bob", password_reset_required=True)

    assert updated.password_reset_required is True
    stored = await LoginProfile.get(user_id=bob.id)
    assert stored.password_reset_required is True
    assert stored.password_hash == old_hash


async def test_update_login_profile_errors(root: Principal, bob: User, rejects: Rejects) -> None:
    await rejects(
        update_login_profile(root, "bob", password_reset_required=True),
        NoSuchEntity,
        "Login Profile for User bob cannot be found.",
        action="iam:UpdateLoginProfile",
    )
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)
    await rejects(
        update_login_profile(root, "bob", password="short"),
        PasswordPolicyViolation,
        "Password should have a minimum length of 8; Password should have at least 3 of the "
        "following character types: uppercase letters, lowercase letters, numbers, and symbols "
        "(! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')",
        action="iam:UpdateLoginProfile",
    )
    await rejects(
        update_login_profile(root, "ghost", password_reset_required=True),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:UpdateLoginProfile",
    )


async def test_delete_login_profile(root: Principal, bob: User, succeeds: Succeeds) -> None:
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)

    await succeeds(
        delete_login_profile(root, "bob"),
        actor=root,
        action="iam:DeleteLoginProfile",
        resource=bob.arn,
        bumps=False,
    )

    assert not await LoginProfile.filter(user_id=bob.id).exists()


async def test_delete_missing_login_profile(root: Principal, bob: User, rejects: Rejects) -> None:
    await rejects(
        delete_login_profile(root, "bob"),
        NoSuchEntity,
        "Login Profile for User bob cannot be found.",
        action="iam:DeleteLoginProfile",
    )
