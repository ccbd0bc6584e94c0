"""Credential reports: the CSV that GenerateCredentialReport makes and GetCredentialReport reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account


class CredentialReport(Model):
    """An account's most recent credential report (AWS keeps one per account).

    `content` is the report exactly as GetCredentialReport returns it (AWS's CSV, header
    first); `generated_at` is when it was made, by the gateway's clock. Generating again
    replaces the row.
    """

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="credential_report", on_delete=fields.CASCADE
    )
    account_id: str
    generated_at: datetime = fields.DatetimeField()
    content = fields.TextField()

    class Meta:
        table = "credential_reports"
