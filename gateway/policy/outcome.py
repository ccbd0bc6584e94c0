"""Combining what each policy type said into one `Decision`, by AWS's evaluation logic.

Both evaluators (the reference `evaluate` and the compiled form) find the statements that
apply and hand them here, so the two can differ only in how they find statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.policy.decision import LAYERS, Decision, Effect, StatementRef
from gateway.policy.principals import Grant
from gateway.policy.request import Request

ROOT_TYPE = "Account"
FEDERATED_TYPE = "FederatedUser"


@dataclass(frozen=True, slots=True)
class Applied:
    """A statement whose action, resource, principal and conditions all matched."""

    ref: StatementRef
    grant: Grant | None = None


@dataclass(slots=True)
class Findings:
    """The applicable statements per policy type, and the condition keys they missed."""

    identity: list[Applied]
    resource: list[Applied]
    boundary: list[Applied]
    session: list[Applied]
    missing: set[str]
    trust: bool = False
    """True when the resource policy is a role's trust policy, which must always allow."""

    @classmethod
    def empty(cls) -> Findings:
        """Nothing found yet."""
        return cls([], [], [], [], set())

    def layer(self, name: str) -> list[Applied]:
        """The statements found in one policy type."""
        found: list[Applied] = getattr(self, name)
        return found


def decide(
    request: Request,
    findings: Findings,
    *,
    has_boundary: bool,
    has_session: bool,
) -> Decision:
    """The decision AWS reaches from the applicable statements of each policy type."""
    missing = ordered_keys(findings.missing)
    is_root = request.principal_type == ROOT_TYPE
    same_account = request.same_account

    denies = [a.ref for layer in LAYERS for a in findings.layer(layer) if a.ref.effect == "Deny"]
    if is_root:
        # The root user is outside identity policies; only a resource policy can deny it.
        denies = [ref for ref in denies if ref.layer == "resource"]
    if denies:
        return Decision(Effect.EXPLICIT_DENY, tuple(denies), denies[0].layer, missing)

    allows = {
        layer: [a for a in findings.layer(layer) if a.ref.effect == "Allow"] for layer in LAYERS
    }
    all_allows = tuple(a.ref for layer in LAYERS for a in allows[layer])
    resource_grant = max((a.grant or Grant.ACCOUNT for a in allows["resource"]), default=None)

    if is_root:
        if same_account or resource_grant is not None:
            return Decision(Effect.ALLOW, all_allows, None, missing)
        return Decision(Effect.IMPLICIT_DENY, (), "resource", missing)

    if findings.trust:
        # Assuming a role needs its trust policy's Allow, and the caller's identity policies
        # too unless, within the same account, the trust policy names the caller itself or the
        # role whose session the caller is (role chaining): a trust policy is a resource-based
        # policy, and a grant to a role ARN is limited only by the session's permissions
        # boundary and session policies, checked below.
        if resource_grant is None:
            return Decision(Effect.IMPLICIT_DENY, (), "resource", missing)
        if same_account and resource_grant is Grant.DIRECT:
            return Decision(Effect.ALLOW, all_allows, None, missing)
        if not allows["identity"] and not (same_account and resource_grant is Grant.ROLE):
            return Decision(Effect.IMPLICIT_DENY, (), "identity", missing)
    elif same_account:
        if resource_grant is Grant.DIRECT:
            return Decision(Effect.ALLOW, all_allows, None, missing)
        if not allows["identity"] and resource_grant not in (Grant.PRINCIPAL, Grant.ROLE):
            return Decision(Effect.IMPLICIT_DENY, (), "identity", missing)
    else:
        if not allows["identity"]:
            return Decision(Effect.IMPLICIT_DENY, (), "identity", missing)
        if resource_grant is None:
            return Decision(Effect.IMPLICIT_DENY, (), "resource", missing)
    if has_boundary and not allows["boundary"]:
        return Decision(Effect.IMPLICIT_DENY, (), "boundary", missing)
    if has_session and not allows["session"]:
        return Decision(Effect.IMPLICIT_DENY, (), "session", missing)
    if not has_session and request.principal_type == FEDERATED_TYPE:
        # A federated user's permissions are its session policy's: with none, nothing is
        # allowed (AWS: only a role session is allowed when no session policy is present).
        return Decision(Effect.IMPLICIT_DENY, (), "session", missing)
    return Decision(Effect.ALLOW, all_allows, None, missing)


def missing_keys(condition_keys: Iterable[str], request: Request) -> Iterable[str]:
    """The keys among `condition_keys` that the request context lacks."""
    context = request.keys
    return (key for key in condition_keys if not context.get(key.lower()))


def ordered_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Condition keys deduplicated case-insensitively, in a stable (sorted) order."""
    seen: dict[str, str] = {}
    for key in sorted(keys, key=lambda k: (k.lower(), k)):
        seen.setdefault(key.lower(), key)
    return tuple(seen.values())
