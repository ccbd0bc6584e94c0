"""Managed policies with their versions, attachments, and inline policies.

Attachments and inline policies name the identity they belong to by kind and unique id
(`"user"`, `"AIDA…"`) rather than by foreign key, so that roles (a later issue) use the same
tables without a schema change. Unique ids carry their kind in their prefix and are never
reused, so an id alone is already unambiguous; the kind keeps queries readable.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account
    from gateway.models.users import User


class EntityKind(StrEnum):
    """Kinds of identity a policy can be attached to or embedded in."""

    USER = "user"
    GROUP = "group"
    ROLE = "role"


class ManagedPolicy(Model):
    """A standalone policy with its own ARN, attachable to users, groups and roles.

    `account` is null for the built-in AWS-managed policies (`arn:aws:iam::aws:policy/…`),
    which every account can attach but none can edit. The document lives in the versions;
    `default_version_id` names the one in force. `next_version_number` only grows: AWS never
    reuses a version id, even after that version is deleted. `attachment_count` and
    `boundary_usage_count` are maintained by the services in the same transaction as the
    attachment or boundary change.
    """

    id = fields.CharField(max_length=21, primary_key=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="policies", null=True, on_delete=fields.CASCADE
    )
    account_id: str | None
    name = fields.CharField(max_length=128)
    name_lower = fields.CharField(max_length=128)
    path = fields.CharField(max_length=512, default="/")
    arn = fields.CharField(max_length=1024, unique=True)
    description = fields.CharField(max_length=1000, default="")
    default_version_id = fields.CharField(max_length=16, default="v1")
    attachment_count = fields.IntField(default=0)
    boundary_usage_count = fields.IntField(default=0)
    is_attachable = fields.BooleanField(default=True)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    updated_at: datetime = fields.DatetimeField(auto_now=True)
    tags: dict[str, str] = fields.JSONField(default=dict)
    next_version_number = fields.IntField(default=1)

    versions: fields.ReverseRelation[PolicyVersion]
    attachments: fields.ReverseRelation[PolicyAttachment]
    bounded_users: fields.ReverseRelation[User]

    class Meta:
        table = "managed_policies"
        unique_together = (("account", "name_lower"),)

    def __str__(self) -> str:
        return self.arn


class PolicyVersion(Model):
    """One version (`v1`, `v2`, …) of a managed policy's document.

    A policy keeps at most 5 versions, exactly one of them the default.
    """

    id = fields.IntField(primary_key=True)
    policy: fields.ForeignKeyRelation[ManagedPolicy] = fields.ForeignKeyField(
        "models.ManagedPolicy", related_name="versions", on_delete=fields.CASCADE
    )
    policy_id: str
    version_id = fields.CharField(max_length=16)
    document = fields.TextField()
    is_default = fields.BooleanField(default=False)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_versions"
        unique_together = (("policy", "version_id"),)


class PolicyAttachment(Model):
    """A managed policy attached to one identity (user, group or role, by unique id)."""

    id = fields.IntField(primary_key=True)
    policy: fields.ForeignKeyRelation[ManagedPolicy] = fields.ForeignKeyField(
        "models.ManagedPolicy", related_name="attachments", on_delete=fields.CASCADE
    )
    policy_id: str
    entity_kind = fields.CharField(max_length=8)
    entity_id = fields.CharField(max_length=21, db_index=True)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_attachments"
        unique_together = (("policy", "entity_kind", "entity_id"),)


class InlinePolicy(Model):
    """A policy document embedded in one identity, named uniquely within it."""

    id = fields.IntField(primary_key=True)
    entity_kind = fields.CharField(max_length=8)
    entity_id = fields.CharField(max_length=21, db_index=True)
    name = fields.CharField(max_length=128)
    document = fields.TextField()
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    updated_at: datetime = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "inline_policies"
        unique_together = (("entity_kind", "entity_id", "name"),)
