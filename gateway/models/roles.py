"""IAM roles: identities without long-term credentials, assumed through their trust policy."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account
    from gateway.models.policies import ManagedPolicy


class Role(Model):
    """A role: a name unique in its account (ignoring case), a path, an `AROA…` id.

    `assume_role_policy` is the trust policy (a `trust`-kind policy document) saying who may
    assume the role; its permission policies are attachments and inline policies with
    `entity_kind = "role"`, and `permissions_boundary` caps them, as for users. Sessions last
    at most `max_session_duration` seconds (3,600 to 43,200). `last_used_at` is when a session
    of the role was last issued (AWS's RoleLastUsed).
    """

    id = fields.CharField(max_length=21, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="roles", on_delete=fields.CASCADE
    )
    account_id: str
    name = fields.CharField(max_length=64)
    name_lower = fields.CharField(max_length=64)
    path = fields.CharField(max_length=512, default="/")
    arn = fields.CharField(max_length=1024, unique=True)
    description = fields.CharField(max_length=1000, default="")
    assume_role_policy = fields.TextField()
    max_session_duration = fields.IntField(default=3600)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    tags: dict[str, str] = fields.JSONField(default=dict)
    permissions_boundary: fields.ForeignKeyNullableRelation[ManagedPolicy] = fields.ForeignKeyField(
        "models.ManagedPolicy",
        related_name="bounded_roles",
        null=True,
        on_delete=fields.RESTRICT,
    )
    permissions_boundary_id: str | None

    class Meta:
        table = "roles"
        unique_together = (("account", "name_lower"),)

    def __str__(self) -> str:
        return self.arn
