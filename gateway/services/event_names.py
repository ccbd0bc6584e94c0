"""What CloudTrail calls an audited action: its event source, event name, type, read-only flag,
and the ids and ARNs its response names.

CloudTrail names a call by the service endpoint it reached and the API operation:
`iam:CreateUser` is `eventSource` `iam.amazonaws.com` with `eventName` `CreateUser`, and
`sts:AssumeRole` is `sts.amazonaws.com`/`AssumeRole` (eventType `AwsApiCall`). Console sign-in
events come from `signin.amazonaws.com` with eventType `AwsConsoleSignIn`: a password sign-in
is `ConsoleLogin`, a console role switch `SwitchRole`, switching back `ExitRole`
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
The gateway's own actions (`gateway:RevokeSessions`, …) follow the same rule,
`gateway.amazonaws.com`, so that tools which map an event source back to an IAM service prefix
find the gateway's action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

API_CALL = "AwsApiCall"
CONSOLE_SIGN_IN = "AwsConsoleSignIn"
SIGN_IN_SOURCE = "signin.amazonaws.com"
SIGN_IN = "gateway:SignIn"
SWITCH_BACK = "gateway:SwitchBack"
ASSUME_ROLE = "sts:AssumeRole"

_CONSOLE_EVENTS = {SIGN_IN: "ConsoleLogin", SWITCH_BACK: "ExitRole"}
# CloudTrail marks reads `readOnly: true`: the Get/List/Describe operations, and STS's
# AssumeRole*, which hand out credentials without changing anything.
_READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Simulate", "AssumeRole")
# Where a create operation's answer puts the new entity, and which of its ids it names.
_CREATED = {
    "CreateUser": ("user", "userId"),
    "CreateGroup": ("group", "groupId"),
    "CreateRole": ("role", "roleId"),
    "CreatePolicy": ("policy", "policyId"),
}


@dataclass(frozen=True, slots=True)
class EventName:
    """An action as CloudTrail names it."""

    source: str
    """`eventSource`: the service endpoint, e.g. `iam.amazonaws.com`."""
    name: str
    """`eventName`: the operation, e.g. `CreateUser`."""
    type: str
    """`eventType`: `AwsApiCall` or `AwsConsoleSignIn`."""
    read_only: bool
    """`readOnly`: whether the operation only reads."""

    @property
    def console_sign_in(self) -> bool:
        """Whether this is a console sign-in event (ConsoleLogin, SwitchRole, ExitRole)."""
        return self.type == CONSOLE_SIGN_IN


def event_name(action: str, details: Mapping[str, Any] | None = None) -> EventName:
    """How CloudTrail names `action` (`service:Operation`); `details` are the event's own, which
    tell a console role switch (`switchedFrom`) from an AssumeRole call."""
    if action == ASSUME_ROLE and details and details.get("switchedFrom"):
        return EventName(SIGN_IN_SOURCE, "SwitchRole", CONSOLE_SIGN_IN, False)
    console = _CONSOLE_EVENTS.get(action)
    if console is not None:
        return EventName(SIGN_IN_SOURCE, console, CONSOLE_SIGN_IN, False)
    service, _, operation = action.partition(":")
    return EventName(
        f"{service.lower()}.amazonaws.com",
        operation,
        API_CALL,
        operation.startswith(_READ_PREFIXES),
    )


def response_elements(
    name: EventName, resource: str, details: Mapping[str, Any], *, succeeded: bool
) -> dict[str, Any] | None:
    """`responseElements` for an event: the ids and ARNs the answer named, in CloudTrail's
    shape (never a secret: no session token, no secret key), or None.

    Console sign-in events carry their outcome (`{"ConsoleLogin": "Success"}` or `"Failure"`),
    as CloudTrail records them; other failed calls have no response.
    """
    if name.console_sign_in:
        return {name.name: "Success" if succeeded else "Failure"}
    if not succeeded:
        return None
    created = _CREATED.get(name.name)
    if created is not None and name.source == "iam.amazonaws.com":
        key, id_key = created
        return {key: {id_key: details.get(id_key), "arn": resource}}
    if name.name == "CreatePolicyVersion" and "versionId" in details:
        return {"policyVersion": {"versionId": details["versionId"]}}
    if name.name == "CreateAccessKey" and "accessKeyId" in details:
        return {"accessKey": {"accessKeyId": details["accessKeyId"]}}
    if name.name == "CreateVirtualMFADevice" and "serialNumber" in details:
        return {"virtualMFADevice": {"serialNumber": details["serialNumber"]}}
    if name.name == "AssumeRole" and "assumedRoleArn" in details:
        elements: dict[str, Any] = {
            "assumedRoleUser": {
                "assumedRoleId": details.get("assumedRoleId"),
                "arn": details["assumedRoleArn"],
            }
        }
        if details.get("accessKeyId"):
            elements["credentials"] = {"accessKeyId": details["accessKeyId"]}
        return elements
    if name.name == "GetSessionToken" and details.get("accessKeyId"):
        return {"credentials": {"accessKeyId": details["accessKeyId"]}}
    return None
