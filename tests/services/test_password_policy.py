"""The account password policy (gateway/services/password_policy.py): its settings with AWS's
defaults and ranges, and its rules applied to login profiles one by one."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import NoSuchEntity, PasswordPolicyViolation, ValidationError
from gateway.models import AccountPasswordPolicy, PasswordHistory, User
from gateway.services.login_profiles import create_login_profile, update_login_profile
from gateway.services.password_policy import (
    delete_account_password_policy,
    get_account_password_policy,
    policy_for,
    update_account_password_policy,
)
from gateway.services.passwords import DEFAULT_PASSWORD_POLICY, SYMBOLS_TEXT
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.services.helpers import Rejects, Succeeds

UPDATE = "iam:UpdateAccountPasswordPolicy"
DELETE = "iam:DeleteAccountPasswordPolicy"


@pytest.fixture
async def bob(root: Principal) -> User:
    return await create_user(root, user_name="bob")


async def test_a_new_account_has_no_policy_and_gets_aws_default_rules(
    root: Principal, account: Any
) -> None:
    with pytest.raises(NoSuchEntity) as raised:
        await get_account_password_policy(root)
    assert raised.value.message == (
        f"The Password Policy with domain name {account.id} cannot be found."
    )
    assert await policy_for(root.account_id) is DEFAULT_PASSWORD_POLICY


async def test_update_with_no_settings_stores_aws_defaults(
    root: Principal, succeeds: Succeeds
) -> None:
    policy = await succeeds(
        update_account_password_policy(root),
        actor=root,
        action=UPDATE,
        resource="*",
        policies=False,
    )
    stored = await get_account_password_policy(root)
    assert stored.id == policy.id
    assert (stored.minimum_password_length, stored.max_password_age) == (6, None)
    assert stored.password_reuse_prevention is None
    assert not any(
        (
            stored.require_symbols,
            stored.require_numbers,
            stored.require_uppercase_characters,
            stored.require_lowercase_characters,
            stored.allow_users_to_change_password,
            stored.hard_expiry,
        )
    )
    rules = await policy_for(root.account_id)
    assert rules.minimum_password_length == 6
    assert rules.minimum_character_types == 0


async def test_update_is_not_partial_settings_left_out_revert_to_defaults(
    root: Principal,
) -> None:
    await update_account_password_policy(
        root, minimum_password_length=20, require_symbols=True, password_reuse_prevention=5
    )
    await update_account_password_policy(root, require_numbers=True)
    stored = await get_account_password_policy(root)
    assert stored.minimum_password_length == 6
    assert (stored.require_symbols, stored.require_numbers) == (False, True)
    assert stored.password_reuse_prevention is None
    assert await AccountPasswordPolicy.filter(account_id=root.account_id).count() == 1


async def test_every_setting_is_stored_and_becomes_the_rules_in_force(root: Principal) -> None:
    await update_account_password_policy(
        root,
        minimum_password_length=14,
        require_symbols=True,
        require_numbers=True,
        require_uppercase_characters=True,
        require_lowercase_characters=True,
        allow_users_to_change_password=True,
        max_password_age=90,
        password_reuse_prevention=24,
        hard_expiry=True,
    )
    rules = await policy_for(root.account_id)
    assert rules.minimum_password_length == 14
    assert rules.require_symbols
    assert rules.require_numbers
    assert rules.require_uppercase_characters
    assert rules.require_lowercase_characters
    assert rules.allow_users_to_change_password
    assert rules.hard_expiry
    assert (rules.max_password_age, rules.password_reuse_prevention) == (90, 24)


def _invalid(field: str, value: int, constraint: str) -> str:
    return (
        f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have {constraint}"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"minimum_password_length": 5},
            _invalid("minimumPasswordLength", 5, "value greater than or equal to 6"),
        ),
        (
            {"minimum_password_length": 129},
            _invalid("minimumPasswordLength", 129, "value less than or equal to 128"),
        ),
        (
            {"max_password_age": 0},
            _invalid("maxPasswordAge", 0, "value greater than or equal to 1"),
        ),
        (
            {"max_password_age": 1096},
            _invalid("maxPasswordAge", 1096, "value less than or equal to 1095"),
        ),
        (
            {"password_reuse_prevention": 0},
            _invalid("passwordReusePrevention", 0, "value greater than or equal to 1"),
        ),
        (
            {"password_reuse_prevention": 25},
            _invalid("passwordReusePrevention", 25, "value less than or equal to 24"),
        ),
    ],
    ids=["length 5", "length 129", "age 0", "age 1096", "reuse 0", "reuse 25"],
)
async def test_out_of_range_settings_are_refused_with_aws_messages(
    root: Principal, rejects: Rejects, settings: dict[str, Any], message: str
) -> None:
    await rejects(
        update_account_password_policy(root, **settings),
        ValidationError,
        f"1 validation error detected: {message}",
        action=UPDATE,
    )


async def test_several_bad_settings_are_all_reported(root: Principal, rejects: Rejects) -> None:
    await rejects(
        update_account_password_policy(
            root, minimum_password_length=1, password_reuse_prevention=99
        ),
        ValidationError,
        "2 validation errors detected: "
        + _invalid("minimumPasswordLength", 1, "value greater than or equal to 6")
        + "; "
        + _invalid("passwordReusePrevention", 99, "value less than or equal to 24"),
        action=UPDATE,
    )


async def test_range_limits_themselves_are_accepted(root: Principal) -> None:
    await update_account_password_policy(
        root, minimum_password_length=128, max_password_age=1095, password_reuse_prevention=24
    )
    await update_account_password_policy(
        root, minimum_password_length=6, max_password_age=1, password_reuse_prevention=1
    )


async def test_delete_reverts_to_the_default_rules(root: Principal, succeeds: Succeeds) -> None:
    await update_account_password_policy(root, minimum_password_length=30)
    await succeeds(
        delete_account_password_policy(root),
        actor=root,
        action=DELETE,
        resource="*",
        policies=False,
    )
    assert await policy_for(root.account_id) is DEFAULT_PASSWORD_POLICY


async def test_delete_without_a_policy_is_no_such_entity(root: Principal, rejects: Rejects) -> None:
    await rejects(
        delete_account_password_policy(root),
        NoSuchEntity,
        f"The Password Policy with domain name {root.account_id} cannot be found.",
        action=DELETE,
    )


async def test_policies_belong_to_their_account(root: Principal, other_root: Principal) -> None:
    await update_account_password_policy(root, minimum_password_length=40)
    assert await policy_for(other_root.account_id) is DEFAULT_PASSWORD_POLICY
    with pytest.raises(NoSuchEntity):
        await get_account_password_policy(other_root)


# -- the rules, one by one, on login profiles ------------------------------------------------

SYMBOL_RULE = f"Password should have at least one of the following symbols: {SYMBOLS_TEXT}"


@pytest.mark.parametrize(
    ("setting", "password", "message"),
    [
        (
            {"minimum_password_length": 12},
            "Abcdef-12",
            "Password should have a minimum length of 12",
        ),
        (
            {"require_uppercase_characters": True},
            "abcdef-12",
            "Password should have at least one uppercase letter",
        ),
        (
            {"require_lowercase_characters": True},
            "ABCDEF-12",
            "Password should have at least one lowercase letter",
        ),
        ({"require_numbers": True}, "Abcdef-gh", "Password should have at least one number"),
        ({"require_symbols": True}, "Abcdefg12", SYMBOL_RULE),
    ],
    ids=["minimum length", "uppercase", "lowercase", "number", "symbol"],
)
async def test_each_rule_is_enforced_on_new_login_profiles(
    root: Principal,
    bob: User,
    rejects: Rejects,
    setting: dict[str, Any],
    password: str,
    message: str,
) -> None:
    await update_account_password_policy(root, **setting)
    await rejects(
        create_login_profile(root, "bob", password=password),
        PasswordPolicyViolation,
        message,
        action="iam:CreateLoginProfile",
    )
    fixed = password + {"minimum_password_length": "xyz"}.get(next(iter(setting)), "Aa1-")
    await create_login_profile(root, "bob", password=fixed)


async def test_a_custom_policy_replaces_the_three_of_four_default_rule(
    root: Principal, bob: User
) -> None:
    # The default policy would refuse this (one character type); a custom policy without
    # requirements takes it.
    await update_account_password_policy(root)
    await create_login_profile(root, "bob", password="lowercaseonly")


async def test_every_broken_rule_is_named_together(
    root: Principal, bob: User, rejects: Rejects
) -> None:
    await create_login_profile(root, "bob", password="Sup3r-Secret")
    await update_account_password_policy(
        root,
        minimum_password_length=10,
        require_symbols=True,
        require_numbers=True,
        require_uppercase_characters=True,
    )
    await rejects(
        update_login_profile(root, "bob", password="short"),
        PasswordPolicyViolation,
        "Password should have a minimum length of 10; "
        "Password should have at least one uppercase letter; "
        "Password should have at least one number; " + SYMBOL_RULE,
        action="iam:UpdateLoginProfile",
    )


async def test_history_is_kept_only_to_the_policys_count(root: Principal, bob: User) -> None:
    await create_login_profile(root, "bob", password="Passw0rd-1")
    assert await PasswordHistory.filter(user_id=bob.id).count() == 0
    await update_account_password_policy(root, password_reuse_prevention=2)
    for n in range(2, 6):
        await update_login_profile(root, "bob", password=f"Passw0rd-{n}")
    assert await PasswordHistory.filter(user_id=bob.id).count() == 2
    await delete_account_password_policy(root)
    await update_login_profile(root, "bob", password="Passw0rd-9")
    assert await PasswordHistory.filter(user_id=bob.id).count() == 0
