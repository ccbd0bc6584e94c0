"""Who may assume a role: its trust policy, and the caller's own permission to assume it.

AWS's rule (IAM UG, "Cross-account policy evaluation logic"), which the policy engine
applies when the resource policy is a trust policy:

- the trust policy must allow `sts:AssumeRole` to the caller, with its conditions
  (`aws:MultiFactorAuthPresent`, `aws:SourceIp`, `aws:PrincipalTag/…` are read from the
  caller's request context);
- within the role's account, the caller's identity policies must allow `sts:AssumeRole` on
  the role as well, unless the trust policy names the caller's own ARN or, for a role
  session, the ARN of its role (role chaining; that role's permissions boundary and the
  session's policies still limit it, as for any resource-based grant to a role ARN);
- from another account (a role of account B trusting account A, or a user of A), the caller's
  identity policies must always allow it;
- an explicit Deny anywhere wins, and the caller's boundary and session policies cap their
  identity policies as for any action.

The root user may not assume roles at all ("Roles may not be assumed by root accounts.").

A refusal explains the caller's own side (`refusal_details`), never the role's: whether the
caller's identity, boundary or session policies allowed it, and the condition keys the
request lacked. The role's side shows only as condition keys its trust policy asked of this
caller, which it can do only by naming the caller; a role that does not exist and one whose
trust policy does not name the caller answer alike.

`assumable_roles` lists the roles a caller could assume now: those whose trust policy names
it, its role or its account (or everyone), in every account of the deployment, kept only if
the whole rule above allows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from tortoise.expressions import Q

from gateway.models import Role
from gateway.policy import Decision, Effect, Policy, Request, parse_policy
from gateway.policy.evaluator import unmet_condition_keys
from gateway.policy.outcome import ordered_keys
from gateway.services.authorization import PrincipalPolicies
from gateway.services.principal import Principal

ASSUME_ROLE = "sts:AssumeRole"
SET_SOURCE_IDENTITY = "sts:SetSourceIdentity"
PARSE_CACHE_SIZE = 1024
MAX_LISTED = 1000
"""At most this many roles are listed by `assumable_roles` (AWS's default role quota)."""


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def trust_policy(role_arn: str, text: str) -> Policy:
    """A role's stored trust policy, parsed (cached by ARN and text; stored ones are valid)."""
    return parse_policy(text, "trust", name=f"{role_arn}:trust-policy")


def trust_decision(
    caller: Principal,
    policies: PrincipalPolicies,
    role: Role,
    *,
    action: str = ASSUME_ROLE,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> Decision:
    """Whether `caller` (with its `policies`) may do `action` on `role` by AWS's rule for
    assuming roles; `context` adds or overrides request-context keys (for instance
    `aws:MultiFactorAuthPresent` once an MFA code was checked)."""
    request = Request(
        action,
        role.arn,
        caller.policy_principal(),
        {**caller.request_context(), **(context or {})},
    )
    return policies.evaluate(request, resource=trust_policy(role.arn, role.assume_role_policy))


ANYONE = parse_policy(
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},'
    ' "Action": "*"}]}',
    "trust",
    name="any-role:trust-policy",
)
"""A trust policy that trusts everyone without naming anyone: under it, AWS's rule leaves only
the caller's own policies to decide."""
NO_ONE = parse_policy(
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},'
    ' "Action": "sts:AssumeRoleWithWebIdentity"}]}',
    "trust",
    name="no-role:trust-policy",
)
"""A trust policy none of whose statements applies to AssumeRole: what a role that does not
exist answers, exactly as a trust policy that names someone else."""


def refusal_details(
    caller: Principal,
    policies: PrincipalPolicies,
    role: Role | None,
    role_arn: str,
    *,
    action: str = ASSUME_ROLE,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> dict[str, object]:
    """The extensions of a refused `action` on `role_arn` (None: no such role): `decision`,
    `deniedBy` (the caller's `identity`, `boundary` or `session` policies, or `trust` when
    those allowed it), `statements` (the caller's own deciding statements) and
    `missingContextKeys` (keys the caller's policies, or a trust policy naming the caller,
    looked for and the request lacked, and the keys of the conditions such a trust policy set
    and the caller did not meet, e.g. `aws:MultiFactorAuthPresent` without MFA)."""
    request = Request(
        action, role_arn, caller.policy_principal(), {**caller.request_context(), **(context or {})}
    )
    own = policies.evaluate(request, resource=ANYONE)
    trust = NO_ONE if role is None else trust_policy(role.arn, role.assume_role_policy)
    full = policies.evaluate(request, resource=trust)
    decision: Effect = Effect.IMPLICIT_DENY
    if own.effect is Effect.EXPLICIT_DENY:
        decision, denied_by, statements = own.effect, own.denied_by, own.statements
    elif own.allowed:
        denied_by = "trust"
        statements = tuple(ref for ref in own.statements if ref.layer != "resource")
    else:
        denied_by, statements = own.denied_by, ()
    return {
        "decision": str(decision),
        "deniedBy": denied_by or "identity",
        "statements": [
            {"layer": ref.layer, "policy": ref.policy, "sid": ref.sid, "index": ref.index}
            for ref in statements
        ],
        "missingContextKeys": list(
            ordered_keys([*full.missing_keys, *unmet_condition_keys(trust, request)])
        ),
    }


async def assumable_roles(
    caller: Principal,
    policies: PrincipalPolicies,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> list[Role]:
    """The roles, of any account, that `caller` may assume now, by account then name.

    A trust policy can only name the caller through its ARN, its role, its account (id or
    root ARN) or `*`, so only roles whose trust policy mentions the caller's account id or a
    `*` are evaluated.
    """
    if caller.is_root:
        return []
    candidates = (
        await Role.filter(
            Q(assume_role_policy__contains=caller.account_id) | Q(assume_role_policy__contains="*")
        )
        .order_by("account_id", "name_lower")
        .limit(MAX_LISTED * 10)
    )
    found = [
        role
        for role in candidates
        if trust_decision(caller, policies, role, context=context).allowed
    ]
    return found[:MAX_LISTED]
