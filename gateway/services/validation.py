"""AWS's constraints on names, paths and descriptions, with AWS's messages (tags:
gateway.services.tags)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.errors import GatewayError, InvalidInput, ValidationError

NAME_PATTERN = r"[\w+=,.@-]+"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"

_NAME = re.compile(r"[\w+=,.@-]+")
_PATH = re.compile(r"/|/[\x21-\x7e]+/")


NON_USER_CREDENTIALS = "Must specify userName when calling with non-User credentials"
"""AWS's answer when a role session leaves out the userName that would mean "myself"."""


def violation(value: str, field: str, constraint: str) -> ValidationError:
    """AWS's ValidationError for `value` of `field` breaking `constraint`."""
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def check_length(value: str, field: str, *, minimum: int = 1, maximum: int) -> str:
    """`value` if its length is within bounds; else AWS's ValidationError."""
    if len(value) < minimum:
        raise violation(value, field, f"Member must have length greater than or equal to {minimum}")
    if len(value) > maximum:
        raise violation(value, field, f"Member must have length less than or equal to {maximum}")
    return value


def check_range(value: int, field: str, *, minimum: int, maximum: int) -> int:
    """`value` if it lies within bounds; else AWS's ValidationError."""
    if value < minimum:
        raise violation(
            str(value), field, f"Member must have value greater than or equal to {minimum}"
        )
    if value > maximum:
        raise violation(
            str(value), field, f"Member must have value less than or equal to {maximum}"
        )
    return value


def check_name(value: str, field: str, *, maximum: int) -> str:
    """A user, group, role or policy name: 1..maximum characters of `[\\w+=,.@-]`."""
    check_length(value, field, maximum=maximum)
    if not _NAME.fullmatch(value) or not value.isascii():
        raise violation(
            value, field, f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    return value


def check_path(value: str, field: str = "path") -> str:
    """An IAM path: `/` or `/a/b/`, at most 512 characters."""
    check_length(value, field, maximum=512)
    if not _PATH.fullmatch(value):
        raise violation(
            value, field, f"Member must satisfy regular expression pattern: {PATH_PATTERN}"
        )
    return value


def check_path_prefix(value: str, field: str = "pathPrefix") -> str:
    """A path prefix for list filters: starts with `/`, printable ASCII, ≤ 512."""
    check_length(value, field, maximum=512)
    if not value.startswith("/") or not all("\x21" <= ch <= "\x7e" for ch in value):
        raise violation(
            value,
            field,
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        )
    return value


def check_description(value: str, field: str = "description") -> str:
    """A description: at most 1000 characters."""
    return check_length(value, field, minimum=0, maximum=1000)


def too_long(field: str, maximum: int) -> ValidationError:
    """AWS's ValidationError for a value (or list) of `field` longer than `maximum`, without
    the value (AWS leaves it out for secrets; here it also keeps an attacker-sized value out of
    answers and logs)."""
    return ValidationError(
        f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {maximum}"
    )


@dataclass(frozen=True, slots=True)
class Cap:
    """The most characters a string input may hold (each member, for a list of strings) and,
    for a list, the most members. `invalid`, when set, makes the refusal InvalidInput with that
    message instead of AWS's ValidationError (for values AWS does not model, such as cursors)."""

    length: int
    members: int | None = None
    invalid: str | None = None

    def refusal(self, field: str, maximum: int) -> GatewayError:
        """The error for `field` holding more than `maximum` characters or members."""
        if self.invalid is not None:
            return InvalidInput(self.invalid)
        return too_long(field, maximum)


ARN_MAX = 2048
"""AWS's arnType: 20..2048 characters."""
POLICY_DOCUMENT_MAX = 131_072
"""AWS's policyDocumentType (the API's bound; the stored quotas are smaller and checked by the
services with LimitExceeded)."""
INVALID_CURSOR = "Invalid pagination cursor."
CURSOR_MAX = 4096
"""A cursor holds an encoded sort key (a name, an ARN, a time and id): never near this."""
MAX_CONTEXT_ENTRIES = 50
"""Context entries in one decision request (AWS's ContextEntries has no documented bound)."""
MAX_CONTEXT_VALUES = 50
"""Values of one context entry (enough for `aws:TagKeys` of an entity with 50 tags)."""

_ARN = Cap(ARN_MAX)
_DOCUMENT = Cap(POLICY_DOCUMENT_MAX)
_IDENTIFIER = Cap(128)
_LOOKUP = Cap(2000)
"""CloudTrail's LookupAttribute value: 1..2000 characters."""

INPUT_CAPS: Mapping[str, Cap] = {
    # Entity names and paths (AWS's userNameType, existingUserNameType, groupNameType, …).
    "userName": Cap(128),
    "CreateUserInput.userName": Cap(64),
    "newUserName": Cap(64),
    "groupName": Cap(128),
    "newGroupName": Cap(128),
    "roleName": Cap(64),
    "policyName": Cap(128),
    "virtualMfaDeviceName": Cap(226),
    "path": Cap(512),
    "newPath": Cap(512),
    "pathPrefix": Cap(512),
    "description": Cap(1000),
    "name": Cap(128),
    "versionId": _IDENTIFIER,
    # ARNs.
    "arn": _ARN,
    "callerArn": _ARN,
    "permissionsBoundary": _ARN,
    "policyArn": _ARN,
    "policyArns": Cap(ARN_MAX, members=10),
    "policySourceArn": _ARN,
    "principalArn": _ARN,
    "resource": _ARN,
    "resourceArns": _ARN,
    "roleArn": _ARN,
    # Policy documents.
    "policyDocument": _DOCUMENT,
    "assumeRolePolicyDocument": _DOCUMENT,
    "policyInputList": _DOCUMENT,
    "permissionsBoundaryPolicyInputList": _DOCUMENT,
    "resourcePolicy": _DOCUMENT,
    "policy": Cap(2048),
    # Decisions: actions and the request context.
    "action": _IDENTIFIER,
    "actionNames": _IDENTIFIER,
    "context": Cap(0, members=MAX_CONTEXT_ENTRIES),
    "ContextEntry.key": Cap(256),
    "ContextEntry.values": Cap(ARN_MAX, members=MAX_CONTEXT_VALUES),
    # Tags.
    "TagInput.key": Cap(128),
    "TagInput.value": Cap(256),
    "tagKeys": Cap(128),
    # Credentials, sessions and MFA.
    "accessKeyId": _IDENTIFIER,
    "serialNumber": Cap(256),
    "authenticationCode1": Cap(6),
    "authenticationCode2": Cap(6),
    "tokenCode": Cap(6),
    "code": Cap(64),
    "challenge": Cap(256),
    "registrationId": Cap(256),
    "sessionId": _IDENTIFIER,
    "roleSessionName": Cap(64),
    "sourceIdentity": Cap(64),
    "password": _IDENTIFIER,
    "oldPassword": _IDENTIFIER,
    "newPassword": _IDENTIFIER,
    # Accounts.
    "account": Cap(63),
    "accountAlias": Cap(63),
    "accountName": Cap(50),
    "email": Cap(254),
    # Reports, findings, jobs and the audit trail's filters.
    "jobId": Cap(36),
    "ids": _IDENTIFIER,
    "filter": _IDENTIFIER,
    "findingType": _IDENTIFIER,
    "resourceType": _IDENTIFIER,
    "validatePolicyResourceType": _IDENTIFIER,
    "AuditEventFilter.action": _LOOKUP,
    "AuditEventFilter.errorCode": _LOOKUP,
    "AuditEventFilter.eventID": _LOOKUP,
    "AuditEventFilter.eventName": _LOOKUP,
    "AuditEventFilter.eventSource": _LOOKUP,
    "AuditEventFilter.requestID": _LOOKUP,
    "AuditEventFilter.sourceIPAddress": _LOOKUP,
    # Paging.
    "after": Cap(CURSOR_MAX, invalid=INVALID_CURSOR),
}
"""The most characters (and list members) of every string input of the API, by argument
name, or by `InputType.field` where an input object's field needs its own bound. Applied to
every field of the schema before anything runs (`gateway.graphql.input_caps`); a string
argument missing here fails the schema test. Sizes are AWS's (the IAM and STS API
references) where AWS has one."""


def cap_of(name: str, input_type: str | None = None) -> Cap | None:
    """The cap of argument `name`, or of field `name` of input object `input_type`."""
    if input_type is not None:
        found = INPUT_CAPS.get(f"{input_type}.{name}")
        if found is not None:
            return found
    return INPUT_CAPS.get(name)
