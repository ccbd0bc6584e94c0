"""Accounts, root users and account aliases (gateway/services/accounts.py)."""

from __future__ import annotations

import pytest
from tortoise.context import TortoiseContext

from gateway import arns
from gateway.errors import (
    EntityAlreadyExists,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)
from gateway.models import Account, AuditEvent, RootUser
from gateway.services.accounts import (
    ALIAS_PATTERN,
    bootstrap_account,
    create_account_alias,
    delete_account_alias,
    find_account,
    get_account,
    list_account_aliases,
)
from gateway.services.passwords import verify_password
from gateway.services.principal import Principal
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD, snapshot
from tests.services.helpers import Rejects, Succeeds


async def test_bootstrap_creates_an_account_and_its_root_user(db: TortoiseContext) -> None:
    account, root_user = await bootstrap_account(email="Boss@Example.COM", password=ROOT_PASSWORD)

    assert len(account.id) == 12
    assert account.id.isdigit()
    assert account.alias is None
    stored = await RootUser.get(account_id=account.id)
    assert stored.id == root_user.id
    assert stored.email == "boss@example.com"
    assert stored.password_hash != ROOT_PASSWORD
    assert await verify_password(stored.password_hash, ROOT_PASSWORD)
    event = await AuditEvent.get(action="gateway:Bootstrap")
    assert event.outcome == "Allowed"
    assert event.principal_arn == arns.root_arn(account.id)
    assert event.account_id == account.id
    assert ROOT_PASSWORD not in str(event.details)
    assert (await Account.get(id=account.id)).authz_generation == 1


async def test_bootstrap_takes_a_given_account_id(db: TortoiseContext) -> None:
    account, _ = await bootstrap_account(
        email="a@example.com", password=ROOT_PASSWORD, account_id="123456789012"
    )

    assert account.id == "123456789012"


async def test_bootstrap_refuses_a_taken_email_ignoring_case(account: Account) -> None:
    before = await snapshot()

    with pytest.raises(EntityAlreadyExists) as raised:
        await bootstrap_account(email=ROOT_EMAIL.upper(), password=ROOT_PASSWORD)

    assert raised.value.message == f"A root user with e-mail {ROOT_EMAIL} already exists."
    assert await snapshot() == before
    failed = await AuditEvent.get(action="gateway:Bootstrap", outcome="Failed")
    assert failed.error_code == "EntityAlreadyExists"


async def test_bootstrap_refuses_a_taken_account_id(account: Account) -> None:
    before = await snapshot()

    with pytest.raises(EntityAlreadyExists) as raised:
        await bootstrap_account(
            email="new@example.com", password=ROOT_PASSWORD, account_id=account.id
        )

    assert raised.value.message == f"Account {account.id} already exists."
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"email": "not-an-email"},
            ValidationError,
            "1 validation error detected: Value 'not-an-email' at 'email' failed to satisfy "
            "constraint: Member must be an e-mail address",
        ),
        (
            {"password": "short"},
            PasswordPolicyViolation,
            "Password should have a minimum length of 8; Password should have at least 3 of "
            "the following character types: uppercase letters, lowercase letters, numbers, "
            "and symbols (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')",
        ),
        (
            {"email": "ab1@x.io", "password": "AB1@X.IO"},
            PasswordPolicyViolation,
            "Password should not be identical to the user name, account ID, account alias or "
            "e-mail address",
        ),
        (
            {"account_id": "12345"},
            ValidationError,
            "1 validation error detected: Value '12345' at 'accountId' failed to satisfy "
            "constraint: Member must be 12 digits",
        ),
        (
            {"account_id": "x" * 40},
            ValidationError,
            f"1 validation error detected: Value '{'x' * 40}' at 'accountId' failed to satisfy "
            "constraint: Member must be 12 digits",
        ),
    ],
)
async def test_bootstrap_validates_its_input(
    db: TortoiseContext, kwargs: dict[str, str], error: type[Exception], message: str
) -> None:
    arguments = {"email": "ok@example.com", "password": ROOT_PASSWORD, **kwargs}

    with pytest.raises(error) as raised:
        await bootstrap_account(**arguments)

    assert str(raised.value) == message
    assert await Account.all().count() == 0
    # An invalid account id is refused before there is an account to file an event under.
    audited = "account_id" not in kwargs
    assert await AuditEvent.filter(outcome="Failed").count() == int(audited)


async def test_get_account_is_the_callers(root: Principal, account: Account) -> None:
    assert (await get_account(root)).id == account.id


async def test_create_account_alias(root: Principal, succeeds: Succeeds) -> None:
    account = await succeeds(
        create_account_alias(root, "coffee-shop"),
        actor=root,
        action="iam:CreateAccountAlias",
        resource="*",
        bumps=False,
    )

    assert account.alias == "coffee-shop"
    assert await list_account_aliases(root) == ["coffee-shop"]
    found = await find_account("Coffee-Shop")
    assert found is not None
    assert found.id == root.account_id


async def test_find_account_by_id_or_alias(root: Principal) -> None:
    by_id = await find_account(root.account_id)

    assert by_id is not None
    assert by_id.id == root.account_id
    assert await find_account("999999999999") is None
    assert await find_account("no-such-alias") is None
    for junk in ("", "a\x00b", "x" * 5000, "NOT VALID"):
        assert await find_account(junk) is None


async def test_a_second_alias_replaces_the_first(root: Principal) -> None:
    await create_account_alias(root, "first")

    await create_account_alias(root, "second")

    assert await list_account_aliases(root) == ["second"]
    assert await find_account("first") is None


async def test_creating_the_alias_the_account_has_changes_nothing(root: Principal) -> None:
    await create_account_alias(root, "same")

    await create_account_alias(root, "same")

    assert await list_account_aliases(root) == ["same"]


async def test_aliases_are_unique_across_accounts(
    root: Principal, other_root: Principal, rejects: Rejects
) -> None:
    await create_account_alias(root, "taken")

    await rejects(
        create_account_alias(other_root, "taken"),
        EntityAlreadyExists,
        "The account alias taken already exists.",
        action="iam:CreateAccountAlias",
    )


@pytest.mark.parametrize(
    ("alias", "constraint"),
    [
        ("ab", "Member must have length greater than or equal to 3"),
        ("a" * 64, "Member must have length less than or equal to 63"),
        ("-abc", f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}"),
        ("abc-", f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}"),
        ("a--b", f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}"),
        ("Coffee", f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}"),
        ("cof_fee", f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}"),
        ("123456789012", "Member must not be a 12-digit account ID"),
    ],
)
async def test_invalid_aliases_are_refused(
    root: Principal, rejects: Rejects, alias: str, constraint: str
) -> None:
    await rejects(
        create_account_alias(root, alias),
        ValidationError,
        f"1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy "
        f"constraint: {constraint}",
        action="iam:CreateAccountAlias",
    )


async def test_delete_account_alias(root: Principal, succeeds: Succeeds) -> None:
    await create_account_alias(root, "going")

    await succeeds(
        delete_account_alias(root, "going"),
        actor=root,
        action="iam:DeleteAccountAlias",
        resource="*",
        bumps=False,
    )

    assert await list_account_aliases(root) == []
    assert await find_account("going") is None


async def test_deleting_another_alias_is_no_such_entity(root: Principal, rejects: Rejects) -> None:
    await create_account_alias(root, "mine")

    await rejects(
        delete_account_alias(root, "not-mine"),
        NoSuchEntity,
        "The account alias not-mine cannot be found.",
        action="iam:DeleteAccountAlias",
    )


async def test_deleting_without_an_alias_is_no_such_entity(
    root: Principal, rejects: Rejects
) -> None:
    await rejects(
        delete_account_alias(root, "none"),
        NoSuchEntity,
        "The account alias none cannot be found.",
        action="iam:DeleteAccountAlias",
    )
