"""An audit event as a CloudTrail record: the JSON that CloudTrail writes to its log files and
returns in LookupEvents' `CloudTrailEvent`.

The fields and their order are CloudTrail's
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
`eventVersion`, `userIdentity`, `eventTime` (UTC, whole seconds), `eventSource`, `eventName`,
`awsRegion`, `sourceIPAddress`, `userAgent`, `errorCode`/`errorMessage` when the call failed,
`requestParameters`, `responseElements`, `additionalEventData`, `requestID`, `eventID`,
`readOnly`, `resources`, `eventType`, `managementEvent`, `recipientAccountId`, `eventCategory`.

The gateway has no regions: every record says `us-east-1`, where CloudTrail records IAM, STS's
global endpoint and root sign-ins. A call made inside the gateway (the `gateway` command) has
no address: `sourceIPAddress` is `AWS Internal`, as CloudTrail writes for calls AWS makes
itself. `additionalEventData` holds what the gateway adds (for a denial: `decision`,
`deniedBy`, `statements`, `missingContextKeys`).
"""

from __future__ import annotations

from typing import Any

from gateway.models import AuditEvent
from gateway.services.user_identity import cloudtrail_time

EVENT_VERSION = "1.08"
REGION = "us-east-1"
INTERNAL = "AWS Internal"
_RESOURCE_TYPES = {
    "user": "AWS::IAM::User",
    "group": "AWS::IAM::Group",
    "role": "AWS::IAM::Role",
    "policy": "AWS::IAM::Policy",
    "mfa": "AWS::IAM::MFADevice",
    "assumed-role": "AWS::STS::AssumedRole",
}


def cloudtrail_record(event: AuditEvent) -> dict[str, Any]:
    """The CloudTrail record of `event`."""
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": event.user_identity,
        "eventTime": cloudtrail_time(event.occurred_at),
        "eventSource": event.event_source,
        "eventName": event.event_name,
        "awsRegion": REGION,
        "sourceIPAddress": event.source_ip or INTERNAL,
        "userAgent": event.user_agent or INTERNAL,
    }
    if event.error_code is not None:
        record["errorCode"] = event.error_code
    if event.error_message is not None:
        record["errorMessage"] = event.error_message
    record["requestParameters"] = event.request_parameters
    record["responseElements"] = event.response_elements
    if event.details:
        record["additionalEventData"] = event.details
    record["requestID"] = event.request_id
    record["eventID"] = event.event_id
    record["readOnly"] = event.read_only
    resources = resources_of(event.resource, event.account_id)
    if resources:
        record["resources"] = resources
    record["eventType"] = event.event_type
    record["managementEvent"] = True
    record["recipientAccountId"] = event.account_id
    record["eventCategory"] = "Management"
    return record


def resources_of(resource: str, account_id: str) -> list[dict[str, str]]:
    """CloudTrail's `resources` for an event's resource: its ARN, account and type (none for
    `*` or text that is not an ARN)."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return []
    entry = {"ARN": resource, "accountId": parts[4] or account_id}
    kind = _RESOURCE_TYPES.get(parts[5].split("/", 1)[0])
    if kind is not None and parts[2] in ("iam", "sts"):
        entry["type"] = kind
    return [entry]
