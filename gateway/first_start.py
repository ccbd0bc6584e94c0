"""What `gateway serve` does before it serves: make sure someone can sign in, and say who.

On an empty database it creates the first account: its id is `GATEWAY_FIRST_ACCOUNT_ID`
(random when unset; `make run` uses the README's 123456789012), its root user's e-mail
`GATEWAY_ROOT_EMAIL` (default `root@gateway.local`) and its password `GATEWAY_ROOT_PASSWORD`.
Without a configured password one is generated and written once to an owner-only file,
`gateway.root-password` in the data directory (beside the SQLite file, else the working
directory: the image's volume), never to the output, which ends up in logs.

On every start it names the accounts (id and root e-mail, never a password), so the account id
the examples need is on the terminal.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.models import Account, RootUser
from gateway.services.accounts import bootstrap_account

DEFAULT_ROOT_EMAIL = "root@gateway.local"
PASSWORD_FILE = "gateway.root-password"
ACCOUNTS_SHOWN = 5
"""A deployment with many tenants names its oldest few accounts only."""

Say = Callable[[str], object]


def generated_password() -> str:
    """A password that meets AWS's default password policy."""
    return f"{secrets.token_urlsafe(18)}-Aa1!"


def password_file(settings: Settings) -> Path:
    """Where a generated first root password is written."""
    return settings.data_directory / PASSWORD_FILE


async def prepare(settings: Settings, say: Say = print) -> None:
    """Create the first account if there is none, then name the accounts (needs the ORM).

    A replica that loses the race to create the first account says so and goes on.
    """
    written = False
    if not await Account.exists():
        say("No account yet: creating the first one.")
        written = await _create_first_account(settings, say)
    await _name_accounts(settings, say, remind=not written)


async def _create_first_account(settings: Settings, say: Say) -> bool:
    """Whether a generated password was written to the password file."""
    email = settings.root_email or DEFAULT_ROOT_EMAIL
    if settings.root_password is not None:
        with contextlib.suppress(GatewayError):
            await _bootstrap(settings, email, settings.root_password, say)
        return False
    # Written first, under a temporary name: an account whose password was lost on the way
    # would need `gateway reset-root-password` before anyone could sign in.
    target = password_file(settings)
    password = generated_password()
    pending = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    descriptor = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    try:
        await _bootstrap(settings, email, password, say)
    except GatewayError:
        pending.unlink()
        return False
    os.replace(pending, target)
    say(
        f"The root password is in {target.resolve()} (readable by its owner only): sign in, "
        "change it, then delete the file."
    )
    return True


async def _bootstrap(settings: Settings, email: str, password: str, say: Say) -> None:
    try:
        account, _ = await bootstrap_account(
            email=email, password=password, account_id=settings.first_account_id
        )
    except GatewayError as error:
        say(f"The first account was not created: {error.message}")
        raise
    say(f"Created account {account.id} with root user {email}.")


async def _name_accounts(settings: Settings, say: Say, *, remind: bool) -> None:
    roots = (
        await RootUser.all()
        .order_by("created_at", "account_id")
        .limit(ACCOUNTS_SHOWN)
        .values_list("account_id", "email")
    )
    for account_id, email in roots:
        say(f"Account {account_id}: root user {email}")
    total = await Account.all().count()
    if total > len(roots):
        say(f"… and {total - len(roots)} more accounts.")
    waiting = password_file(settings)
    if remind and waiting.exists():
        say(f"The first root password is still in {waiting.resolve()}: delete it once changed.")
