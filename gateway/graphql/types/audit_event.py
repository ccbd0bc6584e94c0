"""Audit events as GraphQL types, in CloudTrail's record vocabulary, and the filter to read them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.graphql.types.decision import DecidingStatement, DecisionEffect
from gateway.models import AuditEvent as AuditEventModel
from gateway.models import Outcome
from gateway.services.audit_lookup import EventFilter
from gateway.services.cloudtrail import REGION, cloudtrail_record, resources_of


@strawberry.enum(description="How an audited call ended.")
class AuditOutcome(Enum):
    ALLOWED = "Allowed"
    DENIED = "Denied"
    FAILED = "Failed"


@strawberry.type(
    description="CloudTrail's sessionContext.sessionIssuer: the role behind a role session."
)
class SessionIssuer:
    type: str = strawberry.field(description="Always `Role`.")
    principal_id: str = strawberry.field(description="The role's unique id (`AROA…`).")
    arn: str
    account_id: str
    user_name: str = strawberry.field(description="The role's name.")


@strawberry.type(description="CloudTrail's sessionContext.attributes.")
class SessionAttributes:
    creation_date: datetime | None = strawberry.field(description="When the session was issued.")
    mfa_authenticated: bool = strawberry.field(description="Whether it was opened with MFA.")


@strawberry.type(description="CloudTrail's sessionContext: how the caller's session came about.")
class SessionContext:
    attributes: SessionAttributes
    session_issuer: SessionIssuer | None
    source_identity: str | None = strawberry.field(description="sts:SourceIdentity, if any.")


@strawberry.type(description="CloudTrail's userIdentity element: who made the call.")
class UserIdentity:
    type: str = strawberry.field(description="Root, IAMUser, AssumedRole or AWSAccount.")
    principal_id: str | None
    arn: str | None
    account_id: str | None
    access_key_id: str | None = strawberry.field(description="The key that signed the call.")
    user_name: str | None
    session_context: SessionContext | None

    @classmethod
    def from_element(cls, element: dict[str, Any]) -> UserIdentity:
        """The stored userIdentity element as a GraphQL object."""
        context = element.get("sessionContext")
        session = None
        if isinstance(context, dict):
            issuer = context.get("sessionIssuer")
            attributes = context.get("attributes") or {}
            created = attributes.get("creationDate")
            session = SessionContext(
                attributes=SessionAttributes(
                    creation_date=_parse_time(created) if created else None,
                    mfa_authenticated=attributes.get("mfaAuthenticated") == "true",
                ),
                session_issuer=SessionIssuer(
                    type=issuer["type"],
                    principal_id=issuer["principalId"],
                    arn=issuer["arn"],
                    account_id=issuer["accountId"],
                    user_name=issuer["userName"],
                )
                if isinstance(issuer, dict)
                else None,
                source_identity=context.get("sourceIdentity"),
            )
        return cls(
            type=element.get("type", ""),
            principal_id=element.get("principalId"),
            arn=element.get("arn"),
            account_id=element.get("accountId"),
            access_key_id=element.get("accessKeyId"),
            user_name=element.get("userName"),
            session_context=session,
        )


@strawberry.type(description="A resource an event names (CloudTrail's resources).")
class EventResource:
    arn: str = strawberry.field(name="ARN")
    account_id: str
    type: str | None


@strawberry.type(description="For a denial: the layer that decided it, and the statements.")
class DenialDecision:
    effect: DecisionEffect
    denied_by: str | None = strawberry.field(
        description="identity, resource, boundary or session: the policy type that denied or "
        "lacked an Allow."
    )
    statements: list[DecidingStatement]
    missing_context_keys: list[str]


@strawberry.type(
    description="One audited call, in CloudTrail's record vocabulary (field names as in a "
    "CloudTrail record); `action`, `resource`, `outcome` and `decision` are the gateway's own."
)
class AuditEvent:
    event_id: str = strawberry.field(name="eventID")
    event_time: datetime
    event_version: str
    event_source: str = strawberry.field(
        description="The service called: iam.amazonaws.com, sts.amazonaws.com, "
        "signin.amazonaws.com, …"
    )
    event_name: str = strawberry.field(description="The operation: CreateUser, ConsoleLogin, …")
    event_type: str = strawberry.field(description="AwsApiCall or AwsConsoleSignIn.")
    read_only: bool
    aws_region: str
    user_identity: UserIdentity
    source_ip_address: str = strawberry.field(name="sourceIPAddress")
    user_agent: str
    request_parameters: JSON | None = strawberry.field(
        description="The call's arguments; never a password, secret, token, seed or code "
        "(HIDDEN_DUE_TO_SECURITY_REASONS)."
    )
    response_elements: JSON | None = strawberry.field(
        description="The ids and ARNs the answer named (and a console sign-in's outcome)."
    )
    additional_event_data: JSON | None
    error_code: str | None
    error_message: str | None
    request_id: str = strawberry.field(name="requestID")
    recipient_account_id: str
    resources: list[EventResource]
    action: str = strawberry.field(description="The IAM action, e.g. iam:CreateUser.")
    resource: str = strawberry.field(description="The resource the action was authorized on.")
    outcome: AuditOutcome
    decision: DenialDecision | None = strawberry.field(
        description="For a denial by policy: the deciding layer and statements."
    )
    cloud_trail_event: JSON = strawberry.field(
        description="The whole record as CloudTrail writes it (LookupEvents' CloudTrailEvent)."
    )

    @classmethod
    def from_model(cls, event: AuditEventModel) -> AuditEvent:
        """A stored event as a GraphQL object."""
        record = cloudtrail_record(event)
        return cls(
            event_id=event.event_id,
            event_time=event.occurred_at,
            event_version=record["eventVersion"],
            event_source=event.event_source,
            event_name=event.event_name,
            event_type=event.event_type,
            read_only=event.read_only,
            aws_region=REGION,
            user_identity=UserIdentity.from_element(event.user_identity),
            source_ip_address=record["sourceIPAddress"],
            user_agent=record["userAgent"],
            request_parameters=_json(event.request_parameters),
            response_elements=_json(event.response_elements),
            additional_event_data=_json(event.details or None),
            error_code=event.error_code,
            error_message=event.error_message,
            request_id=event.request_id,
            recipient_account_id=event.account_id,
            resources=[
                EventResource(arn=r["ARN"], account_id=r["accountId"], type=r.get("type"))
                for r in resources_of(event.resource, event.account_id)
            ],
            action=event.action,
            resource=event.resource,
            outcome=AuditOutcome(event.outcome),
            decision=_denial(event.details) if event.outcome == Outcome.DENIED else None,
            cloud_trail_event=_json(record),
        )


@strawberry.input(
    description="Which events to read; every field optional, all combined (AND). A `*` at the "
    "end of principalArn, action or resource matches a prefix."
)
class AuditEventFilter:
    start_time: datetime | None = strawberry.field(default=None, description="From (included).")
    end_time: datetime | None = strawberry.field(default=None, description="Until (included).")
    principal_arn: str | None = None
    action: str | None = strawberry.field(
        default=None, description="iam:CreateUser (ignoring case), or a prefix: iam:Create*."
    )
    resource: str | None = strawberry.field(
        default=None, description="An ARN, or a prefix: arn:aws:iam::123456789012:user/*."
    )
    outcome: AuditOutcome | None = None
    error_code: str | None = None
    source_ip_address: str | None = strawberry.field(default=None, name="sourceIPAddress")
    request_id: str | None = strawberry.field(default=None, name="requestID")
    event_id: str | None = strawberry.field(default=None, name="eventID")
    event_source: str | None = None
    event_name: str | None = None
    read_only: bool | None = None

    def to_filter(self) -> EventFilter:
        """The service's filter."""
        return EventFilter(
            start_time=self.start_time,
            end_time=self.end_time,
            principal_arn=self.principal_arn,
            action=self.action,
            resource=self.resource,
            outcome=Outcome(self.outcome.value) if self.outcome is not None else None,
            error_code=self.error_code,
            source_ip=self.source_ip_address,
            request_id=self.request_id,
            event_id=self.event_id,
            event_source=self.event_source,
            event_name=self.event_name,
            read_only=self.read_only,
        )


def event_filter(given: AuditEventFilter | None) -> EventFilter:
    """The service's filter for an optional GraphQL filter."""
    return given.to_filter() if given is not None else EventFilter()


def _denial(details: dict[str, Any]) -> DenialDecision | None:
    effect = details.get("decision")
    if effect not in {e.value for e in DecisionEffect}:
        return None
    return DenialDecision(
        effect=DecisionEffect(effect),
        denied_by=details.get("deniedBy"),
        statements=[
            DecidingStatement(
                layer=s.get("layer", ""),
                policy=s.get("policy"),
                sid=s.get("sid"),
                index=int(s.get("index", 0)),
                effect=s.get("effect", ""),
            )
            for s in details.get("statements", [])
        ],
        missing_context_keys=list(details.get("missingContextKeys", [])),
    )


def _json(value: Any) -> JSON:
    """Plain JSON data as Strawberry's JSON scalar."""
    return cast(JSON, value)


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
