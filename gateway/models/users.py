"""IAM users and their console passwords (login profiles)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account
    from gateway.models.groups import GroupMembership
    from gateway.models.policies import ManagedPolicy


class User(Model):
    """An IAM user: a name unique in its account (ignoring case), a path, an `AIDA…` id.

    A user starts with no permissions. `name_lower` holds `name.lower()` and carries the
    case-insensitive uniqueness; `arn` is derived from account, path and name by
    `gateway.arns.user_arn` and stored for lookups by ARN. `tags` maps tag keys to values
    (at most 50, AWS's limit, enforced by the services).
    """

    id = fields.CharField(max_length=21, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="users", on_delete=fields.CASCADE
    )
    account_id: str
    name = fields.CharField(max_length=64)
    name_lower = fields.CharField(max_length=64)
    path = fields.CharField(max_length=512, default="/")
    arn = fields.CharField(max_length=1024, unique=True)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    password_last_used = fields.DatetimeField(null=True)
    tags: dict[str, str] = fields.JSONField(default=dict)
    permissions_boundary: fields.ForeignKeyNullableRelation[ManagedPolicy] = fields.ForeignKeyField(
        "models.ManagedPolicy",
        related_name="bounded_users",
        null=True,
        on_delete=fields.RESTRICT,
    )
    permissions_boundary_id: str | None

    login_profile: fields.BackwardOneToOneRelation[LoginProfile]
    memberships: fields.ReverseRelation[GroupMembership]

    class Meta:
        table = "users"
        unique_together = (("account", "name_lower"),)

    def __str__(self) -> str:
        return self.arn


class LoginProfile(Model):
    """A user's console password (AWS's "login profile").

    A user without one cannot sign in with a password. `password_reset_required` makes the
    next sign-in's session good only for changing the password.
    """

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="login_profile", on_delete=fields.CASCADE
    )
    user_id: str
    password_hash = fields.CharField(max_length=255)
    password_reset_required = fields.BooleanField(default=False)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    # When the password was last set (by the gateway's clock); null for profiles made before
    # it was recorded, whose age counts from `created_at`. Max password age reads it.
    password_changed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_profiles"
