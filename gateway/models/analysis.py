"""Access analysis: findings about unused access and the seed's best practices, and the jobs
behind last-accessed reports and generated policies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account


class FindingStatus(StrEnum):
    """IAM Access Analyzer's finding statuses."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    RESOLVED = "RESOLVED"


class Finding(Model):
    """One finding: a kind of problem (`finding_type`) about one resource (an ARN).

    `open_key` identifies the problem while it is open (ACTIVE or ARCHIVED): the finding type,
    the resource and, for an access key, the key id. It is unique per account, so two replicas
    analysing at once cannot open the same finding twice; it is cleared when the finding is
    RESOLVED (the problem went away), so the same problem coming back opens a new finding, as
    in Access Analyzer. `details` holds the type's details (Access Analyzer's
    `findingDetails`: last access times, unused actions, …).
    """

    id = fields.CharField(max_length=36, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="findings", on_delete=fields.CASCADE
    )
    account_id: str
    finding_type = fields.CharField(max_length=64)
    resource = fields.CharField(max_length=1024)
    resource_type = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default=FindingStatus.ACTIVE.value)
    open_key = fields.CharField(max_length=1200, null=True)
    details: list[dict[str, Any]] = fields.JSONField(default=list)
    created_at: datetime = fields.DatetimeField()
    updated_at: datetime = fields.DatetimeField()
    analyzed_at: datetime = fields.DatetimeField()

    class Meta:
        table = "findings"
        unique_together = (("account", "open_key"),)
        indexes = (("account_id", "status", "id"),)


class JobKind(StrEnum):
    """What an analysis job computes."""

    LAST_ACCESSED = "ServiceLastAccessed"
    POLICY_GENERATION = "PolicyGeneration"


class AnalysisJob(Model):
    """A GenerateServiceLastAccessedDetails or StartPolicyGeneration job and its result.

    Jobs run to completion inside the call that starts them (the data is local), so a job is
    stored COMPLETED (or FAILED) with its `result`; the Get operations read it back by id, as
    AWS's do. `requested_by` is the ARN of the caller that started it: AWS lets only the same
    user or role read a job's result.
    """

    id = fields.CharField(max_length=36, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="analysis_jobs", on_delete=fields.CASCADE
    )
    account_id: str
    kind = fields.CharField(max_length=32)
    subject_arn = fields.CharField(max_length=1024)
    requested_by = fields.CharField(max_length=1024)
    parameters: dict[str, Any] = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16)
    created_at: datetime = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    result: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "analysis_jobs"
        indexes = (("account_id", "created_at"),)
