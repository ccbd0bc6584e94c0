"""Accounts and their root users, and the account alias used at sign-in.

`bootstrap_account` creates a tenant: a random 12-digit id and its root user (e-mail stored
lower-cased, password as an Argon2id hash). An account has at most one alias, unique across
all accounts; `CreateAccountAlias` on an account that already has one replaces it (AWS keeps
one alias per account and the console's "edit alias" is this call). An alias grants nothing,
so alias writes leave cached permissions alone.
"""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError

from gateway import arns
from gateway.errors import EntityAlreadyExists, NoSuchEntity
from gateway.ids import new_account_id
from gateway.models import Account, PrincipalKind, RootUser
from gateway.services.passwords import check_password_policy, hash_password
from gateway.services.principal import Principal
from gateway.services.validation import check_length, violation
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE_ALIAS = "iam:CreateAccountAlias"
DELETE_ALIAS = "iam:DeleteAccountAlias"

ALIAS_PATTERN = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
_ALIAS = re.compile(ALIAS_PATTERN)
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# Deliberately loose: one "@", something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 254


def check_email(email: str) -> str:
    """The e-mail address lower-cased, if it has an e-mail's shape; else ValidationError."""
    check_length(email, "email", maximum=MAX_EMAIL_LENGTH)
    if not _EMAIL.fullmatch(email):
        raise violation(email, "email", "Member must be an e-mail address")
    return email.lower()


def check_alias(alias: str) -> str:
    """An account alias as AWS allows it: 3..63 lower-case letters, digits and single dashes,
    not starting or ending with a dash. A 12-digit alias is refused too: sign-in takes an
    account id or an alias in one field, so an alias must never look like an id."""
    check_length(alias, "accountAlias", minimum=3, maximum=63)
    if not _ALIAS.fullmatch(alias):
        raise violation(
            alias,
            "accountAlias",
            f"Member must satisfy regular expression pattern: {ALIAS_PATTERN}",
        )
    if _ACCOUNT_ID.fullmatch(alias):
        raise violation(alias, "accountAlias", "Member must not be a 12-digit account ID")
    return alias


async def bootstrap_account(
    *, email: str, password: str, account_id: str | None = None
) -> tuple[Account, RootUser]:
    """Create an account (a random 12-digit id unless `account_id` is given) and its root user.

    The e-mail is stored lower-cased and must not belong to another root user
    (EntityAlreadyExists); the password must pass the default password policy. There is no
    acting principal: the audit event names the new root user, action `gateway:Bootstrap`.
    """
    account_id = account_id or new_account_id()
    if not _ACCOUNT_ID.fullmatch(account_id):
        # Not audited: the event would be filed under an account id that cannot exist.
        raise violation(account_id, "accountId", "Member must be 12 digits")
    root = Principal(
        kind=PrincipalKind.ROOT,
        account_id=account_id,
        arn=arns.root_arn(account_id),
        id=account_id,
    )
    action, resource = "gateway:Bootstrap", root.arn
    async with audited_precheck(root, action, resource):
        email = check_email(email)
        check_password_policy(password, account_id=account_id, email=email)
        password_hash = await hash_password(password)

    async with writing(root, action, resource) as tx:
        conn = tx.connection
        if await Account.filter(id=account_id).using_db(conn).exists():
            raise EntityAlreadyExists(f"Account {account_id} already exists.")
        if await RootUser.filter(email=email).using_db(conn).exists():
            raise EntityAlreadyExists(f"A root user with e-mail {email} already exists.")
        try:
            account = await Account.create(id=account_id, using_db=conn)
            root_user = await RootUser.create(
                account=account, email=email, password_hash=password_hash, using_db=conn
            )
        except IntegrityError as error:
            raise EntityAlreadyExists(
                f"Account {account_id} or a root user with e-mail {email} already exists."
            ) from error
        tx.details["email"] = email
    return account, root_user


async def get_account(actor: Principal) -> Account:
    """The caller's account."""
    account = await Account.get_or_none(id=actor.account_id)
    if account is None:
        raise NoSuchEntity(f"The account {actor.account_id} cannot be found.")
    return account


async def find_account(account_id_or_alias: str) -> Account | None:
    """The account with this id or alias (ignoring case), or None; for sign-in."""
    key = account_id_or_alias.strip().lower()
    if _ACCOUNT_ID.fullmatch(key):
        return await Account.get_or_none(id=key)
    if not _ALIAS.fullmatch(key):
        return None  # nothing can have that alias; don't send arbitrary input to the database
    return await Account.get_or_none(alias=key)


async def create_account_alias(actor: Principal, alias: str) -> Account:
    """Give the caller's account the alias `alias`, replacing any alias it had.

    EntityAlreadyExists if another account has it; creating the alias the account already has
    succeeds and changes nothing.
    """
    action, resource = CREATE_ALIAS, "*"
    async with audited_precheck(actor, action, resource):
        check_alias(alias)

    async with writing(actor, action, resource, changes_permissions=False) as tx:
        conn = tx.connection
        taken = Account.filter(alias=alias).exclude(id=actor.account_id).using_db(conn)
        if await taken.exists():
            raise EntityAlreadyExists(f"The account alias {alias} already exists.")
        account = await Account.filter(id=actor.account_id).using_db(conn).first()
        if account is None:
            raise NoSuchEntity(f"The account {actor.account_id} cannot be found.")
        tx.details["accountAlias"] = alias
        tx.details["previousAlias"] = account.alias
        account.alias = alias
        try:
            await account.save(using_db=conn, update_fields=["alias"])
        except IntegrityError as error:
            raise EntityAlreadyExists(f"The account alias {alias} already exists.") from error
    return account


async def delete_account_alias(actor: Principal, alias: str) -> None:
    """Remove the account's alias; NoSuchEntity unless `alias` is the account's alias."""
    action, resource = DELETE_ALIAS, "*"
    async with writing(actor, action, resource, changes_permissions=False) as tx:
        conn = tx.connection
        updated = (
            await Account.filter(id=actor.account_id, alias=alias).using_db(conn).update(alias=None)
        )
        if not updated:
            raise NoSuchEntity(f"The account alias {alias} cannot be found.")
        tx.details["accountAlias"] = alias


async def list_account_aliases(actor: Principal) -> list[str]:
    """The account's aliases: an empty list or a list of one."""
    account = await get_account(actor)
    return [account.alias] if account.alias else []
