"""Deciding whether a principal may do an action on a resource, with compiled policies cached.

Each principal's policies are compiled once and kept, keyed by its account's policy
generation: every write that can change what a principal's policies say bumps it in the same
transaction (`gateway.services.writes`; tags, which reach decisions only through the request
context, do not), and every request reads the current generation with its session, so a
change made through any replica is in force on all of them from their next request. Entries
for older generations are simply never used again and age out of the LRU.

A role session's permissions are its role's alone, whatever the caller had before: the role's
policies, capped by the role's boundary, intersected with the session policies passed when it
was assumed. The role's compiled policies are cached by role (every session of the role shares
them); each session's own session policies are added to that entry for its requests (their
parsed `Policy` objects, and with them their compiled form, are cached by label and text).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from gateway.errors import (
    AccessDenied,
    GatewayError,
    InvalidInput,
    MfaEnrollmentRequired,
    PasswordChangeRequired,
)
from gateway.policy import (
    CompiledPolicies,
    Decision,
    Effect,
    Policy,
    Request,
    compile_policies,
)
from gateway.services.effective import identity_policies, parsed, role_policies
from gateway.services.principal import Principal

CACHE_SIZE = 10_000

Question = tuple[str, str, Mapping[str, str | Sequence[str]] | None]
"""What `Authorizer.decide_all` is asked: an action, a resource and extra context keys."""

SESSION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:username",
        "aws:userid",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalType",
        "aws:MultiFactorAuthPresent",
        "aws:MultiFactorAuthAge",
        "aws:TokenIssueTime",
        "aws:SourceIdentity",
        "aws:CurrentTime",
        "aws:EpochTime",
    )
)
"""Condition keys that describe the caller's own credentials and the moment of asking: the
gateway sets them, and a question about the caller's decision may not (so that nobody can
claim MFA, another identity or another time). `aws:PrincipalTag/…` too (SESSION_KEY_PREFIXES).
Request facts (`aws:SourceIp`, `aws:ResourceTag/…`, service keys) may be stated."""
SESSION_KEY_PREFIXES = ("aws:principaltag/",)


def check_caller_context(context: Mapping[str, object] | None) -> None:
    """InvalidInput if `context` states a key that describes the caller's own session
    (SESSION_KEYS, case-insensitively, as condition keys are compared)."""
    for key in context or ():
        lowered = key.lower()
        if lowered in SESSION_KEYS or lowered.startswith(SESSION_KEY_PREFIXES):
            raise InvalidInput(
                f"Context key {key} describes the caller's own session: the gateway sets it "
                "from the credentials, and a request cannot state it."
            )


PASSWORD_CHANGE_ACTIONS = frozenset({"iam:ChangePassword", "iam:GetAccountPasswordPolicy"})
"""What a session that must change its password may still do (besides the fields that need no
permission and say so: whoAmI, me, signOut)."""
IAM_NEEDS_MFA = (
    "Temporary credentials from getSessionToken without MFA cannot call IAM operations (as in "
    "AWS): sign the request with the access key itself."
)
PASSWORD_CHANGE_REQUIRED = (
    "Your password has expired or must be reset: change it with changePassword before doing "
    "anything else."
)
MFA_ENROLLMENT_ACTIONS = frozenset(
    {
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ListMFADevices",
        "iam:DeleteVirtualMFADevice",
    }
)
"""What a root session that must enrol an MFA device may do (besides the fields that need no
permission and say so, and changing a password that must be changed)."""
MFA_ENROLLMENT_REQUIRED = (
    "Root MFA is required on this gateway and the root user has no MFA device: create and "
    "enable a virtual MFA device, then sign in again with it."
)

_DENIED_BY_PHRASE = {
    "identity": "identity-based policy",
    "resource": "resource-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
}
_ARTICLE = {"identity": "an", "resource": "a", "boundary": "a", "session": "a"}


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """A principal's compiled identity policies, its permissions boundary and, for a role
    session assumed with session policies, those (None: no session policy was passed)."""

    compiled: CompiledPolicies
    boundary: Policy | None
    session: tuple[Policy, ...] | None = None

    def evaluate(self, request: Request, resource: Policy | None = None) -> Decision:
        """The decision for `request` under these policies (and a resource or trust policy)."""
        return self.compiled.evaluate(
            request, boundary=self.boundary, session=self.session, resource=resource
        )


_EMPTY = PrincipalPolicies(compile_policies([]), None)


class Authorizer:
    """Decisions for principals; one per process, shared by all requests."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._cache: OrderedDict[tuple[str, str, int], PrincipalPolicies] = OrderedDict()
        self._cache_size = cache_size

    async def policies(self, principal: Principal, generation: int) -> PrincipalPolicies:
        """The principal's compiled policies as of its account's policy `generation`."""
        if principal.is_root:
            return _EMPTY
        role = principal.role
        owner = role.id if role is not None else principal.id
        key = (principal.account_id, owner, generation)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
        else:
            cached = await _owner_policies(principal)
            self._cache[key] = cached
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return with_session_policies(cached, principal)

    async def decide(
        self,
        principal: Principal,
        generation: int,
        action: str,
        resource: str,
        context: Mapping[str, str | Sequence[str]] | None = None,
    ) -> Decision:
        """The decision for `principal` doing `action` on `resource`."""
        return (await self.decide_all(principal, generation, [(action, resource, context)]))[0]

    async def decide_all(
        self, principal: Principal, generation: int, requests: Sequence[Question]
    ) -> list[Decision]:
        """The decisions for several (action, resource, context) questions of `principal`,
        in order, asked at one moment: its policies and request context are found once."""
        loaded = await self.policies(principal, generation)
        who = principal.prepared_in_context()
        return [
            loaded.evaluate(Request(action, resource, who, context))
            for action, resource, context in requests
        ]

    def forget(self) -> None:
        """Drop every cached entry (tests; a replica never needs it)."""
        self._cache.clear()


async def load_policies(principal: Principal) -> PrincipalPolicies:
    """The principal's policies read afresh (no cache): for the rare calls that have no
    Authorizer at hand, such as evaluating a trust policy for AssumeRole."""
    if principal.is_root:
        return _EMPTY
    return with_session_policies(await _owner_policies(principal), principal)


async def _owner_policies(principal: Principal) -> PrincipalPolicies:
    """A user's policies, or a role session's role's (without its session policies)."""
    if principal.role is not None:
        effective = await role_policies(principal.account_id, principal.role.id)
    else:
        effective = await identity_policies(principal.account_id, principal.id)
    return PrincipalPolicies(compile_policies(effective.identity), effective.boundary)


def with_session_policies(loaded: PrincipalPolicies, principal: Principal) -> PrincipalPolicies:
    """`loaded` with the principal's session policies, if it is a role session that has any."""
    if principal.role is None or not principal.role.session_policies:
        return loaded
    session = tuple(parsed(label, document) for label, document in principal.role.session_policies)
    return replace(loaded, session=session)


def session_refusal(principal: Principal, action: str) -> GatewayError | None:
    """Why `principal`'s session may not do `action` whatever its policies say, or None.

    A session that must change its password first may do only that (PasswordChangeRequired);
    a root session that must enrol an MFA device (GATEWAY_ROOT_MFA=required) only that
    (MfaEnrollmentRequired); GetSessionToken credentials without MFA may call no IAM
    operation (AccessDenied, as AWS).
    """
    if principal.password_change_required and action not in PASSWORD_CHANGE_ACTIONS:
        return PasswordChangeRequired(PASSWORD_CHANGE_REQUIRED)
    if principal.mfa_enrollment_required and action not in (
        MFA_ENROLLMENT_ACTIONS | PASSWORD_CHANGE_ACTIONS
    ):
        return MfaEnrollmentRequired(MFA_ENROLLMENT_REQUIRED)
    if action[:4].lower() == "iam:" and principal.temporary_without_mfa:
        return AccessDenied(IAM_NEEDS_MFA, decision="ImplicitDeny", deniedBy="session")
    return None


def access_denied(
    principal: Principal, action: str, resource: str, decision: Decision
) -> AccessDenied:
    """AWS's AccessDenied for a denial, with the deciding layer and statements in extensions."""
    layer = decision.denied_by or "identity"
    if decision.effect is Effect.EXPLICIT_DENY:
        reason = f"with an explicit deny in {_ARTICLE[layer]} {_DENIED_BY_PHRASE[layer]}"
    else:
        reason = f"because no {_DENIED_BY_PHRASE[layer]} allows the {action} action"
    message = (
        f"User: {principal.arn} is not authorized to perform: {action} on resource: "
        f"{resource} {reason}"
    )
    return AccessDenied(
        message,
        decision=str(decision.effect),
        deniedBy=layer,
        statements=[
            {"layer": s.layer, "policy": s.policy, "sid": s.sid, "index": s.index}
            for s in decision.statements
        ],
        missingContextKeys=list(decision.missing_keys),
    )
