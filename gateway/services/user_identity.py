"""CloudTrail's `userIdentity` element for the principal that made a call.

As https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
describes it:

- `type`: `Root`, `IAMUser` or `AssumedRole` (and `AWSAccount` for the record an AssumeRole
  leaves in the role's account when the caller is from another account);
- `principalId`: the account id for root, the user's `AIDA…` id, `AROA…:session` for a role
  session; `arn`, `accountId`; `accessKeyId` when the call was signed with a key;
  `userName` for users;
- `sessionContext` for calls made with a session (a sign-in, temporary credentials, a role
  session): `attributes` (`creationDate`, `mfaAuthenticated` as the strings "true"/"false"),
  for a role session the `sessionIssuer` (the role: type `Role`, its id, ARN, account and
  name) and `sourceIdentity` when the session has one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway import arns
from gateway.models import PrincipalKind
from gateway.services.principal import Principal

HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"
_TYPES = {
    PrincipalKind.ROOT: "Root",
    PrincipalKind.USER: "IAMUser",
    PrincipalKind.ROLE: "AssumedRole",
}


def user_identity(principal: Principal) -> dict[str, Any]:
    """The `userIdentity` element for a call made by `principal`."""
    identity: dict[str, Any] = {"type": _TYPES[principal.kind]}
    if principal.id:
        identity["principalId"] = principal.id
    identity["arn"] = principal.arn
    identity["accountId"] = principal.account_id
    if principal.access_key_id is not None:
        identity["accessKeyId"] = principal.access_key_id
    if principal.name is not None:
        identity["userName"] = principal.name
    if principal.session_id is not None or principal.role is not None:
        identity["sessionContext"] = _session_context(principal)
    return identity


def caller_account(principal: Principal) -> dict[str, Any]:
    """`userIdentity` as the role's account sees a caller from another account (`AWSAccount`:
    its id and account only)."""
    return {"type": "AWSAccount", "principalId": principal.id, "accountId": principal.account_id}


def unknown_user(account_id: str) -> dict[str, Any]:
    """`userIdentity` of a sign-in with a user name that does not exist: what was typed is
    hidden, as AWS hides it (people type their password in the user-name box)."""
    return {"type": "IAMUser", "accountId": account_id, "userName": HIDDEN_USER_NAME}


def unknown_user_arn(account_id: str) -> str:
    """The resource of a sign-in with an unknown user name, the name hidden."""
    return arns.user_arn(account_id, "/", HIDDEN_USER_NAME)


def cloudtrail_time(moment: datetime) -> str:
    """A time as CloudTrail writes it: `2026-01-31T23:59:59Z` (UTC, whole seconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _session_context(principal: Principal) -> dict[str, Any]:
    attributes: dict[str, str] = {}
    if principal.session_issued_at is not None:
        attributes["creationDate"] = cloudtrail_time(principal.session_issued_at)
    attributes["mfaAuthenticated"] = "true" if principal.mfa_authenticated_at else "false"
    context: dict[str, Any] = {}
    if principal.role is not None:
        context["sessionIssuer"] = {
            "type": "Role",
            "principalId": principal.role.id,
            "arn": principal.role.arn,
            "accountId": principal.account_id,
            "userName": principal.role.name,
        }
    context["attributes"] = attributes
    if principal.source_identity is not None:
        context["sourceIdentity"] = principal.source_identity
    return context
