"""Root-only tasks (account name, root e-mail) and the operator's root password reset.

AWS's list: "Tasks that require root user credentials"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#root-user-tasks).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.errors import (
    AccessDenied,
    EntityAlreadyExists,
    NoSuchEntity,
    Unauthenticated,
    ValidationError,
)
from gateway.models import Account, AuditEvent, RootUser, Session, User
from gateway.services.attachments import attach_user_policy
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.password_changes import change_password
from gateway.services.principal import Principal
from gateway.services.root_tasks import (
    reset_root_password,
    update_account_email_address,
    update_account_name,
)
from gateway.services.signin import sign_in_root
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.services.helpers import Rejects, Succeeds

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ROOT = Path(__file__).resolve().parents[2]


async def test_root_renames_the_account(root: Principal, succeeds: Succeeds) -> None:
    renamed = await succeeds(
        update_account_name(root, "Coffee Shop"),
        actor=root,
        action="iam:UpdateAccountName",
        resource="*",
        bumps=False,
    )

    assert renamed.name == "Coffee Shop"
    assert (await Account.get(id=root.account_id)).name == "Coffee Shop"


async def test_no_policy_grants_a_root_only_task_not_even_administrator_access(
    root: Principal, admin: Principal, rejects: Rejects
) -> None:
    await ensure_builtin_policies()
    await attach_user_policy(root, user_name="admin", policy_arn=ADMIN_POLICY)

    denied = await rejects(
        update_account_name(admin, "Hijacked"),
        AccessDenied,
        f"User: {admin.arn} is not authorized to perform: iam:UpdateAccountName on resource: * "
        "because only the account's root user can perform this task",
        action="iam:UpdateAccountName",
    )
    assert denied.extensions["deniedBy"] == "root-only"
    await rejects(
        update_account_email_address(admin, "thief@example.com", ROOT_PASSWORD),
        AccessDenied,
        f"User: {admin.arn} is not authorized to perform: iam:UpdateAccountEmailAddress on "
        "resource: * because only the account's root user can perform this task",
        action="iam:UpdateAccountEmailAddress",
    )


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("x" * 51, "Member must have length less than or equal to 50"),
        ("<script>", "Member must satisfy regular expression pattern: ^[ -;=?-~]+$"),
    ],
)
async def test_an_account_name_follows_awss_rules(
    root: Principal, rejects: Rejects, name: str, constraint: str
) -> None:
    await rejects(
        update_account_name(root, name),
        ValidationError,
        f"1 validation error detected: Value '{name}' at 'accountName' failed to satisfy "
        f"constraint: {constraint}",
        action="iam:UpdateAccountName",
    )


async def test_root_changes_its_email_with_its_password(
    root: Principal, other_root: Principal, rejects: Rejects, succeeds: Succeeds
) -> None:
    await rejects(
        update_account_email_address(root, "owner@example.com", "wrong"),
        AccessDenied,
        "The password is incorrect.",
        action="iam:UpdateAccountEmailAddress",
    )
    await rejects(
        update_account_email_address(root, "OTHER@example.com", ROOT_PASSWORD),
        EntityAlreadyExists,
        "A root user with e-mail other@example.com already exists.",
        action="iam:UpdateAccountEmailAddress",
    )

    stored = await succeeds(
        update_account_email_address(root, "Owner@Example.com", ROOT_PASSWORD),
        actor=root,
        action="iam:UpdateAccountEmailAddress",
        resource="*",
        bumps=False,
    )

    assert stored == "owner@example.com"
    signed_in = await sign_in_root("owner@example.com", ROOT_PASSWORD, ttl_seconds=60)
    assert signed_in.principal.arn == root.arn
    with pytest.raises(Unauthenticated):
        await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=60)


async def test_a_reset_root_password_works_once_and_must_be_changed(root: Principal) -> None:
    before = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=600)

    one_time = await reset_root_password(root.account_id)

    assert await Session.get(id=before.principal.session_id).values_list("revoked_at", flat=True)
    with pytest.raises(Unauthenticated):
        await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=600)
    session = await sign_in_root(ROOT_EMAIL, one_time, ttl_seconds=600)
    assert session.principal.password_change_required
    await change_password(session.principal, old_password=one_time, new_password="New-Root-Pw1")
    fresh = await sign_in_root(ROOT_EMAIL, "New-Root-Pw1", ttl_seconds=600)
    assert not fresh.principal.password_change_required
    assert not (await RootUser.get(account_id=root.account_id)).password_reset_required
    event = await AuditEvent.filter(action="gateway:ResetRootPassword").get()
    assert (event.principal_arn, event.outcome) == (root.arn, "Allowed")
    assert event.details["revokedSessions"] == 1
    assert one_time not in str(event.details)


async def test_resetting_an_unknown_account_changes_nothing(db: object) -> None:
    with pytest.raises(NoSuchEntity):
        await reset_root_password("999999999999")
    with pytest.raises(ValidationError):
        await reset_root_password("not-an-id")
    assert await User.all().count() == 0


async def test_the_cli_prints_a_one_time_password_that_signs_in_once_changed(
    account: Account, database_url: str
) -> None:
    environment = {**os.environ, "GATEWAY_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "gateway.cli", "reset-root-password", "--account"]

    def run(account_id: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, account_id], cwd=ROOT, env=environment, capture_output=True, text=True
        )

    done = await asyncio.to_thread(run, account.id)
    unknown = await asyncio.to_thread(run, "999999999999")

    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("One-time root password (shown only now; change it at the first")
    one_time = line.rsplit(": ", 1)[1]
    session = await sign_in_root(ROOT_EMAIL, one_time, ttl_seconds=600)
    assert session.principal.password_change_required
    assert unknown.returncode == 1
    assert (
        unknown.stderr.strip() == "reset-root-password: The account 999999999999 cannot be found."
    )
