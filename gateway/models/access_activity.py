"""What principals actually use: per principal and action, when last allowed and how often."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.models import Model


class AccessActivity(Model):
    """How often, and when last, `principal_arn` was allowed `action` (IAM's "last accessed").

    One row per account, principal, source identity and action (the action compared ignoring
    case, as IAM compares actions: `action_key` is its lower-case form, `action` the spelling
    first seen). `principal_arn` is the identity the permission belongs to: a user's or the
    root user's ARN, or for a role session the role's ARN (every session of a role uses the
    role's permissions); `source_identity` is the role session's `sts:SourceIdentity`, if it
    had one, else empty, so that what a person did through a role can be told apart from the
    role's other use. `service` is the action's service prefix (`iam`, `s3`, …).

    Rows are written only by `gateway.services.access_activity`, in batches, with atomic
    upserts that add to `count` and keep the latest `last_allowed_at`, so that every replica's
    counts add up in one row.
    """

    id = fields.BigIntField(primary_key=True)
    account_id = fields.CharField(max_length=12)
    principal_arn = fields.CharField(max_length=1024)
    principal_type = fields.CharField(max_length=16)
    source_identity = fields.CharField(max_length=64, default="")
    service = fields.CharField(max_length=64)
    action = fields.CharField(max_length=128)
    action_key = fields.CharField(max_length=128)
    first_allowed_at: datetime = fields.DatetimeField()
    last_allowed_at: datetime = fields.DatetimeField()
    count = fields.BigIntField(default=0)

    class Meta:
        table = "access_activity"
        unique_together = (("account_id", "principal_arn", "source_identity", "action_key"),)
        indexes = (("account_id", "source_identity"),)
