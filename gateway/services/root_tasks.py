"""Tasks only the root user may do, and the operator's recovery of a lost root password.

AWS keeps a short list of tasks for the root user ("Tasks that require root user
credentials", AWS Account Management Reference Guide): among them changing the account's name
and the root user's e-mail address. No policy grants them here, not even
AdministratorAccess: the `@authorize` check passes for an administrator whose policies allow
`iam:UpdateAccountName`, and this module still refuses anyone but root, with AccessDenied in
AWS's words. Changing the e-mail also asks for the root password, so that a stolen session
alone cannot take the account over.

`reset_root_password` is for the operator on the host (`gateway reset-root-password`): a
one-time password that must be changed at the first sign-in, every root session ended, and an
audit event saying so.
"""

from __future__ import annotations

import re
import secrets

from tortoise.exceptions import IntegrityError

from gateway import clock
from gateway.errors import AccessDenied, EntityAlreadyExists, NoSuchEntity
from gateway.models import Account, PrincipalKind, RootUser, Session
from gateway.services.accounts import check_email
from gateway.services.passwords import hash_password, verify_password
from gateway.services.principal import Principal
from gateway.services.validation import check_length, violation
from gateway.services.writes import audited_precheck, writing

UPDATE_ACCOUNT_NAME = "iam:UpdateAccountName"
UPDATE_EMAIL = "iam:UpdateAccountEmailAddress"
RESET_ROOT_PASSWORD = "gateway:ResetRootPassword"

ROOT_ONLY_ACTIONS = frozenset({UPDATE_ACCOUNT_NAME, UPDATE_EMAIL})
"""Actions no policy can grant: only the root user may perform them."""

ACCOUNT_NAME_PATTERN = r"^[ -;=?-~]+$"
"""AWS's AccountName pattern (Account Management API, PutAccountName): printable ASCII
except `<` and `>`."""
_ACCOUNT_NAME = re.compile(ACCOUNT_NAME_PATTERN)
MAX_ACCOUNT_NAME = 50
WRONG_PASSWORD = "The password is incorrect."


def root_only(actor: Principal, action: str) -> None:
    """AccessDenied unless `actor` is the root user (the rule for `ROOT_ONLY_ACTIONS`)."""
    if not actor.is_root:
        raise AccessDenied(
            f"User: {actor.arn} is not authorized to perform: {action} on resource: * "
            "because only the account's root user can perform this task",
            decision="ImplicitDeny",
            deniedBy="root-only",
            statements=[],
            missingContextKeys=[],
        )


async def get_account_name(actor: Principal) -> str | None:
    """The account's name (None when it has none)."""
    account = await Account.get_or_none(id=actor.account_id)
    if account is None:
        raise NoSuchEntity(f"The account {actor.account_id} cannot be found.")
    return account.name


async def get_account_email_address(actor: Principal) -> str:
    """The root user's e-mail address."""
    root = await RootUser.get(account_id=actor.account_id)
    return root.email


async def update_account_name(actor: Principal, account_name: str) -> Account:
    """Rename the account (root only): 1 to 50 printable characters, no `<` or `>`."""
    async with audited_precheck(actor, UPDATE_ACCOUNT_NAME, "*"):
        root_only(actor, UPDATE_ACCOUNT_NAME)
        check_length(account_name, "accountName", minimum=1, maximum=MAX_ACCOUNT_NAME)
        if not _ACCOUNT_NAME.fullmatch(account_name):
            raise violation(
                account_name,
                "accountName",
                f"Member must satisfy regular expression pattern: {ACCOUNT_NAME_PATTERN}",
            )
    async with writing(actor, UPDATE_ACCOUNT_NAME, "*", changes_permissions=False) as tx:
        account = await Account.filter(id=actor.account_id).using_db(tx.connection).get()
        tx.details.update(accountName=account_name, previousAccountName=account.name)
        account.name = account_name
        await account.save(using_db=tx.connection, update_fields=["name"])
    return account


async def update_account_email_address(actor: Principal, email: str, password: str) -> str:
    """Change the root user's sign-in e-mail (root only, proving the root password).

    EntityAlreadyExists when another account's root user has that e-mail; AccessDenied for a
    wrong password. Returns the e-mail as stored (lower-cased).
    """
    async with audited_precheck(actor, UPDATE_EMAIL, "*"):
        root_only(actor, UPDATE_EMAIL)
        email = check_email(email)
        root = await RootUser.get(account_id=actor.account_id)
        if not await verify_password(root.password_hash, password):
            raise AccessDenied(WRONG_PASSWORD)
    async with writing(actor, UPDATE_EMAIL, "*", changes_permissions=False) as tx:
        taken = RootUser.filter(email=email).exclude(id=root.id).using_db(tx.connection)
        if await taken.exists():
            raise EntityAlreadyExists(f"A root user with e-mail {email} already exists.")
        tx.details.update(email=email, previousEmail=root.email)
        try:
            await RootUser.filter(id=root.id).using_db(tx.connection).update(email=email)
        except IntegrityError as error:
            raise EntityAlreadyExists(f"A root user with e-mail {email} already exists.") from error
    return email


def one_time_password() -> str:
    """A random password that meets AWS's default password policy (and any other)."""
    return f"{secrets.token_urlsafe(18)}-Aa1!"


async def reset_root_password(account_id: str) -> str:
    """Give the account's root user a new one-time password and return it (the operator's
    recovery of a lost root password, from the host). The next root sign-in may only change
    it; every root session ends now. Audited as `gateway:ResetRootPassword` by the root user
    (no one is signed in: the operator is on the host)."""
    if not re.fullmatch(r"[0-9]{12}", account_id):
        # Not audited: the event would be filed under an account id that cannot exist.
        raise violation(account_id, "accountId", "Member must be 12 digits")
    root = Principal.root(account_id)
    password = one_time_password()
    password_hash = await hash_password(password)
    async with writing(root, RESET_ROOT_PASSWORD, root.arn, changes_permissions=False) as tx:
        conn = tx.connection
        updated = (
            await RootUser.filter(account_id=account_id)
            .using_db(conn)
            .update(
                password_hash=password_hash,
                password_reset_required=True,
                password_changed_at=clock.now(),
            )
        )
        if not updated:
            raise NoSuchEntity(f"The account {account_id} cannot be found.")
        revoked = (
            await Session.filter(
                account_id=account_id, principal_kind=PrincipalKind.ROOT.value, revoked_at=None
            )
            .using_db(conn)
            .update(revoked_at=clock.now())
        )
        tx.details.update(via="gateway reset-root-password", revokedSessions=revoked)
    return password
