"""Accounts (tenants) and their root users."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.models import Model


class Account(Model):
    """A tenant: a 12-digit id, an optional alias used at sign-in, and one root user.

    Everything else (users, groups, policies, sessions) belongs to exactly one account.
    """

    id = fields.CharField(max_length=12, primary_key=True)
    alias = fields.CharField(max_length=63, null=True, unique=True)
    # The account's name (AWS: 1-50 characters); only the root user may change it.
    name = fields.CharField(max_length=50, null=True)
    # Bumped in the same transaction as every change to the account's identities, policies,
    # memberships or sessions; replicas compare it to know their cached permissions are stale.
    authz_generation = fields.BigIntField(default=0)
    # Bumped (with authz_generation) only by the changes that can alter what a principal's
    # policies say: attachments, documents and their versions, memberships, boundaries, trust
    # policies, renames and deletions. Compiled policies are cached by it, so they survive the
    # writes that change nothing a policy says (tags, passwords, MFA devices, new entities).
    policy_generation = fields.BigIntField(default=0)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)

    root: fields.BackwardOneToOneRelation[RootUser]

    class Meta:
        table = "accounts"

    def __str__(self) -> str:
        return self.id


class RootUser(Model):
    """The account's root user, never limited by policies.

    It signs in with e-mail and password (and MFA). `email` is stored lower-cased by the
    services, so its uniqueness is case-insensitive. `password_reset_required` is set when the
    operator resets a lost root password from the host (`gateway reset-root-password`): the
    next sign-in's session may only change it. `password_changed_at` is when the password was
    last set (null: at account creation).
    """

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="root", on_delete=fields.CASCADE
    )
    account_id: str
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    password_last_used = fields.DatetimeField(null=True)
    password_reset_required = fields.BooleanField(default=False)
    password_changed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "root_users"

    def __str__(self) -> str:
        return self.email
