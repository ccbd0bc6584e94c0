"""The audit trail: one event per write, per denial and per sign-in, in CloudTrail's shape."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class Outcome(StrEnum):
    """How the audited call ended."""

    ALLOWED = "Allowed"
    DENIED = "Denied"
    FAILED = "Failed"


class AuditEvent(Model):
    """What happened, when, by whom, from where, and how it ended.

    Events are history: they hold the account id and principal ARN as plain text, not foreign
    keys, so they outlive the entities they mention. A change and its event are written in the
    same transaction.

    The columns map onto a CloudTrail record (`gateway.services.cloudtrail` writes one):
    `event_id` is `eventID`, `occurred_at` `eventTime`, `account_id` `recipientAccountId`,
    `event_source`/`event_name`/`event_type`/`read_only` are derived from the IAM `action`
    when the event is written, `user_identity` is the `userIdentity` element as it was at that
    moment, `request_parameters` and `response_elements` are scrubbed of secrets before they
    are stored (`gateway.services.redaction`), and `details` is `additionalEventData` (for a
    denial: the deciding layer and statements).
    """

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=36, unique=True)
    occurred_at: datetime = fields.DatetimeField(auto_now_add=True)
    account_id = fields.CharField(max_length=12)
    principal_arn = fields.CharField(max_length=1024)
    action = fields.CharField(max_length=128)
    resource = fields.CharField(max_length=2048)
    source_ip = fields.CharField(max_length=45, default="")
    outcome = fields.CharField(max_length=8)
    error_code = fields.CharField(max_length=64, null=True)
    error_message = fields.CharField(max_length=2048, null=True)
    request_id = fields.CharField(max_length=64)
    event_source = fields.CharField(max_length=64)
    event_name = fields.CharField(max_length=128)
    event_type = fields.CharField(max_length=32)
    read_only = fields.BooleanField(default=False)
    user_agent = fields.CharField(max_length=1024, default="")
    user_identity: dict[str, Any] = fields.JSONField()
    request_parameters: dict[str, Any] | None = fields.JSONField(null=True)
    response_elements: dict[str, Any] | None = fields.JSONField(null=True)
    details: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_events"
        # Newest first within an account, optionally for one principal or action: each
        # filtered page is a range scan of one of these, whatever the table's size.
        indexes = (
            ("account_id", "occurred_at", "id"),
            ("account_id", "principal_arn", "occurred_at", "id"),
            ("account_id", "action", "occurred_at", "id"),
            ("account_id", "request_id"),
            ("occurred_at",),  # retention: the oldest events of every account
        )
