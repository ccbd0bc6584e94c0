"""Every error the gateway reports, with its wire code on the class.

    GatewayError                     code                     meaning
     ├── NoSuchEntity                NoSuchEntity             the named entity does not exist
     ├── EntityAlreadyExists         EntityAlreadyExists      the name is taken
     ├── DeleteConflict              DeleteConflict           it still has subordinate entities
     ├── LimitExceeded               LimitExceeded            a quota would be exceeded
     ├── MalformedPolicyDocument     MalformedPolicyDocument  the policy document is invalid
     ├── InvalidInput                InvalidInput             an argument is invalid
     ├── ValidationError             ValidationError          an argument breaks a constraint
     ├── PasswordPolicyViolation     PasswordPolicyViolation  the password breaks the policy
     ├── InvalidAuthenticationCode   InvalidAuthenticationCode  wrong MFA code
     ├── UnmodifiableEntity          UnmodifiableEntity       the entity cannot be changed
     ├── ConcurrentModification      ConcurrentModification   the entity changed meanwhile
     ├── AccessDenied                AccessDenied             a policy does not allow it
     ├── ExpiredToken                ExpiredToken             the session has expired
     ├── PackedPolicyTooLarge        PackedPolicyTooLarge     session policies too large (STS)
     ├── ReportNotPresent            ReportNotPresent         no credential report generated yet
     ├── ReportExpired               ReportExpired            the credential report is too old
     ├── ResourceNotFound            ResourceNotFoundException  no such finding or job (Access
     │                                                        Analyzer)
     ├── Unauthenticated             Unauthenticated          no valid credentials (gateway)
     │    ├── InvalidClientTokenId   InvalidClientTokenId     unknown key or token (SigV4)
     │    ├── SignatureDoesNotMatch  SignatureDoesNotMatch    the SigV4 signature is wrong
     │    ├── IncompleteSignature    IncompleteSignature      a SigV4 header lacks a part
     │    ├── RequestExpired         RequestExpired           signed too long ago (or ahead)
     │    └── MissingAuthenticationToken  MissingAuthenticationToken  unsigned (Query APIs)
     ├── InvalidAction               InvalidAction            no such Query action (AWS's)
     ├── MfaRequired                 MfaRequired              a second factor is needed (gateway)
     ├── PasswordChangeRequired      PasswordChangeRequired   change the password first (gateway)
     ├── MfaEnrollmentRequired       MfaEnrollmentRequired    enrol an MFA device first (gateway)
     ├── Throttled                   Throttled                too many attempts (gateway)
     └── ServiceFailure              ServiceFailure           anything unexpected (masked)

Codes are AWS's where AWS has one. Services raise these; `gateway.graphql.errors` is the one
place that turns them into GraphQL errors. Messages are for people and never hold secrets.

Each class also says how the gateway's own HTTP answers carry it (the GraphQL endpoint, for an
error raised before anything runs, such as unusable credentials): `http_status`, 400 unless
the class says otherwise (401 `Unauthenticated` and its kin and `ExpiredToken`, 403
`AccessDenied` and `PasswordChangeRequired`, 429 `Throttled`), and `http_headers()`, the
headers the error implies (`Throttled`'s `Retry-After`). The AWS Query API (`gateway.aws`)
answers with AWS's own statuses instead, which its service models give by AWS's code.
"""

from __future__ import annotations

from typing import Any

from gateway.policy import PolicySizeError, PolicyValidationError


class GatewayError(Exception):
    """Base of every error a client may see; `code` goes to `extensions.code`."""

    code = "ServiceFailure"
    http_status = 400
    """The status of an HTTP answer that carries this error."""

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions

    def http_headers(self) -> dict[str, str]:
        """The headers an HTTP answer carrying this error adds (none unless a class says)."""
        return {}


class NoSuchEntity(GatewayError):
    """The request names an entity that does not exist."""

    code = "NoSuchEntity"


class EntityAlreadyExists(GatewayError):
    """An entity with that name already exists."""

    code = "EntityAlreadyExists"


class DeleteConflict(GatewayError):
    """The entity still has subordinate entities (members, attachments, credentials)."""

    code = "DeleteConflict"


class LimitExceeded(GatewayError):
    """The request would exceed a quota."""

    code = "LimitExceeded"


class MalformedPolicyDocument(GatewayError):
    """The policy document is not valid."""

    code = "MalformedPolicyDocument"


class InvalidInput(GatewayError):
    """An argument is not valid."""

    code = "InvalidInput"


class ValidationError(GatewayError):
    """An argument fails a length or pattern constraint."""

    code = "ValidationError"


class PasswordPolicyViolation(GatewayError):
    """The password does not meet the account's password policy."""

    code = "PasswordPolicyViolation"


class InvalidAuthenticationCode(GatewayError):
    """The MFA code is wrong or was already used."""

    code = "InvalidAuthenticationCode"


class UnmodifiableEntity(GatewayError):
    """The entity cannot be changed (AWS refuses writes to AWS-managed policies as AccessDenied)."""

    code = "UnmodifiableEntity"


class ConcurrentModification(GatewayError):
    """The entity the request was authorized on changed (renamed, deleted, created) before the
    operation reached it; nothing was done, and the request may be sent again."""

    code = "ConcurrentModification"


class AccessDenied(GatewayError):
    """A policy does not allow the request; extensions explain which."""

    code = "AccessDenied"
    http_status = 403


class ExpiredToken(GatewayError):
    """The session token has expired."""

    code = "ExpiredToken"
    http_status = 401


class PackedPolicyTooLarge(GatewayError):
    """The session policies passed to AssumeRole exceed the packed size limit."""

    code = "PackedPolicyTooLarge"


class ReportNotPresent(GatewayError):
    """GetCredentialReport before any report was generated."""

    code = "ReportNotPresent"


class ReportExpired(GatewayError):
    """GetCredentialReport when the latest report is older than the report lifetime."""

    code = "ReportExpired"


class ResourceNotFound(GatewayError):
    """An Access Analyzer finding or job that does not exist (AWS's wire code)."""

    code = "ResourceNotFoundException"


class Unauthenticated(GatewayError):
    """The request carries no valid credentials."""

    code = "Unauthenticated"
    http_status = 401


class InvalidClientTokenId(Unauthenticated):
    """A SigV4 request names an access key or security token that does not exist (AWS's)."""

    code = "InvalidClientTokenId"


class SignatureDoesNotMatch(Unauthenticated):
    """A SigV4 signature differs from the one the gateway computes (AWS's)."""

    code = "SignatureDoesNotMatch"


class IncompleteSignature(Unauthenticated):
    """A SigV4 `Authorization` header lacks a part, or names a header the request lacks."""

    code = "IncompleteSignature"


class RequestExpired(Unauthenticated):
    """A SigV4 request was signed more than the allowed skew before (or after) now."""

    code = "RequestExpired"


class MissingAuthenticationToken(Unauthenticated):
    """A Query API request carries no signature at all (AWS's)."""

    code = "MissingAuthenticationToken"


class InvalidAction(GatewayError):
    """A Query API request names an action (or version) the service does not have."""

    code = "InvalidAction"


class MfaRequired(GatewayError):
    """Sign-in needs a second factor before it completes."""

    code = "MfaRequired"


class PasswordChangeRequired(GatewayError):
    """The session's password expired or must be reset: only changePassword is allowed."""

    code = "PasswordChangeRequired"
    http_status = 403


class MfaEnrollmentRequired(GatewayError):
    """A root session opened without MFA while root MFA is required: it may only enrol a
    device."""

    code = "MfaEnrollmentRequired"


class Throttled(GatewayError):
    """Too many attempts; retry later (`extensions.retryAfterSeconds` says when, and so does
    the `Retry-After` header of an HTTP answer)."""

    code = "Throttled"
    http_status = 429

    @property
    def retry_after(self) -> int | None:
        """Seconds until an attempt may succeed (`extensions.retryAfterSeconds`), if known."""
        seconds = self.extensions.get("retryAfterSeconds")
        return None if seconds is None else int(seconds)

    def http_headers(self) -> dict[str, str]:
        """`Retry-After` when the wait is known."""
        seconds = self.retry_after
        return {} if seconds is None else {"Retry-After": str(seconds)}


class ServiceFailure(GatewayError):
    """Something unexpected failed; the details stay in the server's log."""

    code = "ServiceFailure"


def from_policy_error(error: PolicyValidationError) -> GatewayError:
    """The gateway error for an invalid policy document (size errors are LimitExceeded)."""
    if isinstance(error, PolicySizeError):
        return LimitExceeded(error.message)
    return MalformedPolicyDocument(error.message)
