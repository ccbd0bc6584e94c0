"""The audit trail: one event per authenticated call and per denial."""

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
    """

    id = fields.BigIntField(primary_key=True)
    occurred_at: datetime = fields.DatetimeField(auto_now_add=True, db_index=True)
    account_id = fields.CharField(max_length=12, db_index=True)
    principal_arn = fields.CharField(max_length=1024)
    action = fields.CharField(max_length=128)
    resource = fields.CharField(max_length=2048)
    source_ip = fields.CharField(max_length=45, default="")
    outcome = fields.CharField(max_length=8)
    error_code = fields.CharField(max_length=64, null=True)
    request_id = fields.CharField(max_length=64)
    details: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_events"
        indexes = (("account_id", "occurred_at"),)
