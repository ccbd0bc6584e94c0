"""IAM Access Analyzer's shapes: policy validation findings and their locations, findings,
generated policies."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from gateway import models
from gateway.policy import checks, locations
from gateway.services import policy_generation


@strawberry.enum(description="Access Analyzer's policy types the gateway validates.")
class PolicyType(Enum):
    IDENTITY_POLICY = "IDENTITY_POLICY"
    RESOURCE_POLICY = "RESOURCE_POLICY"


@strawberry.enum(description="The impact of a policy validation finding.")
class ValidatePolicyFindingType(Enum):
    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


@strawberry.type(description="A place in the policy text: line from 1, column and offset from 0.")
class Position:
    line: int
    column: int
    offset: int


@strawberry.type(description="A span of the policy text: start inclusive, end exclusive.")
class Span:
    start: Position
    end: Position


@strawberry.type(
    description="One step of a path through the policy's JSON; exactly one field is set: "
    "`value` (the value of that key), `index` (an array element) or `key` (the key itself)."
)
class PathElement:
    index: int | None = None
    key: str | None = None
    value: str | None = None


@strawberry.type(description="Where a finding is: a path through the JSON and its span.")
class Location:
    path: list[PathElement]
    span: Span


def _position(position: locations.Position) -> Position:
    return Position(line=position.line, column=position.column, offset=position.offset)


def _element(kind: str, item: str | int) -> PathElement:
    if kind == "index":
        return PathElement(index=int(item))
    if kind == "key":
        return PathElement(key=str(item))
    return PathElement(value=str(item))


@strawberry.type(description="A finding of ValidatePolicy, in Access Analyzer's shape.")
class ValidatePolicyFinding:
    finding_details: str
    finding_type: ValidatePolicyFindingType
    issue_code: str
    learn_more_link: str
    locations: list[Location]

    @classmethod
    def from_finding(cls, found: checks.PolicyFinding) -> ValidatePolicyFinding:
        """A policy check's finding as a GraphQL object."""
        return cls(
            finding_details=found.details,
            finding_type=ValidatePolicyFindingType(found.finding_type),
            issue_code=found.issue_code,
            learn_more_link=found.learn_more_link,
            locations=[
                Location(
                    path=[_element(kind, item) for kind, item in location.path],
                    span=Span(
                        start=_position(location.span.start), end=_position(location.span.end)
                    ),
                )
                for location in found.locations
            ],
        )


@strawberry.enum(
    description="A finding's status: ACTIVE, ARCHIVED (by someone), RESOLVED (its cause went away)."
)
class FindingStatus(Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    RESOLVED = "RESOLVED"


@strawberry.input(description="Which findings to list; every criterion given must hold.")
class FindingFilter:
    status: list[FindingStatus] | None = None
    finding_type: list[str] | None = strawberry.field(
        default=None,
        description="UnusedIAMRole, UnusedIAMUserAccessKey, UnusedIAMUserPassword, "
        "UnusedPermission (AWS's), RootUserAccessKey, RootUserActivity, RootUserWithoutMfa, "
        "ConsoleUserWithoutMfa, NoPasswordPolicy, WeakPasswordPolicy (the gateway's).",
    )
    resource: str | None = None
    resource_type: str | None = None


@strawberry.type(description="A finding, in Access Analyzer's FindingV2 shape.")
class Finding:
    id: str
    finding_type: str
    resource: str
    resource_type: str
    resource_owner_account: str
    status: FindingStatus
    created_at: datetime
    updated_at: datetime
    analyzed_at: datetime
    finding_details: JSON = strawberry.field(
        description="Access Analyzer's findingDetails: a list of one-key objects, e.g. "
        '`[{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [...]}}]`.'
    )

    @classmethod
    def from_model(cls, finding: models.Finding) -> Finding:
        """A stored finding as a GraphQL object."""
        return cls(
            id=finding.id,
            finding_type=finding.finding_type,
            resource=finding.resource,
            resource_type=finding.resource_type,
            resource_owner_account=finding.account_id,
            status=FindingStatus(finding.status),
            created_at=finding.created_at,
            updated_at=finding.updated_at,
            analyzed_at=finding.analyzed_at,
            finding_details=cast(JSON, finding.details),
        )


@strawberry.type(description="A policy generation job (GetGeneratedPolicy's jobDetails).")
class PolicyGenerationJob:
    job_id: str
    status: str = strawberry.field(description="SUCCEEDED: jobs finish when they start.")
    started_on: datetime
    completed_on: datetime | None


@strawberry.type(description="What a generated policy was generated from.")
class GeneratedPolicyProperties:
    is_complete: bool
    principal_arn: str
    start_time: datetime
    end_time: datetime


@strawberry.type(description="GetGeneratedPolicy's answer.")
class GeneratedPolicyResult:
    job_details: PolicyGenerationJob
    properties: GeneratedPolicyProperties
    generated_policies: list[str] = strawberry.field(
        description="The policy documents (JSON text), each valid as an identity policy of at "
        "most 6,144 characters; empty when the principal did nothing in the period."
    )

    @classmethod
    def from_result(cls, result: policy_generation.GeneratedPolicies) -> GeneratedPolicyResult:
        """The service's result as a GraphQL object."""
        return cls(
            job_details=PolicyGenerationJob(
                job_id=result.job_id,
                status=result.status,
                started_on=result.started_on,
                completed_on=result.completed_on,
            ),
            properties=GeneratedPolicyProperties(
                is_complete=result.is_complete,
                principal_arn=result.principal_arn,
                start_time=result.start_time,
                end_time=result.end_time,
            ),
            generated_policies=list(result.policies),
        )
