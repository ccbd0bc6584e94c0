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

`assumable_roles` lists the roles a caller could assume now: those whose trust policy names
it, its role or its account (or everyone), in every account of the deployment, kept only if
the whole rule above allows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from tortoise.expressions import Q

from gateway.models import Role
from gateway.policy import Decision, Policy, Request, parse_policy
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
