"""The reference evaluator: AWS's policy evaluation logic, written to be read.

It walks every statement of every policy for each request. `compiled.py` reaches the same
decisions faster; a property test holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.policy.decision import Decision, StatementRef
from gateway.policy.document import Policy, Statement
from gateway.policy.matching import glob_matcher, glob_text_matcher
from gateway.policy.outcome import Applied, Findings, decide, missing_keys, ordered_keys
from gateway.policy.principals import Grant, principal_grant, principal_names
from gateway.policy.request import Request

PolicyArg = Policy | Sequence[Policy] | None


def evaluate(
    request: Request,
    identity: Sequence[Policy] = (),
    boundary: PolicyArg = None,
    session: PolicyArg = None,
    resource: PolicyArg = None,
) -> Decision:
    """Decide `request` against the caller's policies, as AWS IAM would.

    `identity`: the caller's identity-based policies. `boundary`: its permissions boundary.
    `session`: session policies (None: none were passed; a list, even empty, intersects).
    `resource`: the resource's resource-based policy (or a role's trust policy).
    """
    boundaries = as_policies(boundary)
    sessions = as_policies(session)
    resources = as_policies(resource) or []
    findings = Findings.empty()
    findings.trust = any(policy.kind == "trust" for policy in resources)
    layers = (
        ("identity", list(identity)),
        ("resource", resources),
        ("boundary", boundaries or []),
        ("session", sessions or []),
    )
    for layer, policies in layers:
        for policy in policies:
            for statement in policy.statements:
                applies, grant = _applies(statement, request, findings)
                if applies:
                    ref = StatementRef(
                        layer, policy.label, statement.sid, statement.index, statement.effect
                    )
                    findings.layer(layer).append(Applied(ref, grant))
    return decide(
        request, findings, has_boundary=boundaries is not None, has_session=sessions is not None
    )


def unmet_condition_keys(policy: Policy, request: Request) -> tuple[str, ...]:
    """The context keys of the conditions that kept `policy`'s Allow statements from applying
    to `request` though they name its action, resource and principal: what the caller would
    have to bring (`aws:MultiFactorAuthPresent` for a trust policy that asks for MFA)."""
    keys: list[str] = []
    names = principal_names(request)
    for statement in policy.statements:
        if statement.effect != "Allow" or not action_matches(statement, request.action):
            continue
        if not resource_matches(statement, request):
            continue
        if statement.principals is not None and (
            principal_grant(statement.principals, statement.not_principal, request, names) is None
        ):
            continue
        keys.extend(c.key for c in statement.conditions if not c.holds(request.keys))
    return ordered_keys(keys)


def as_policies(value: PolicyArg) -> list[Policy] | None:
    """A policy argument as a list; None stays None (no such policy type in play)."""
    if value is None:
        return None
    if isinstance(value, Policy):
        return [value]
    return list(value)


def _applies(
    statement: Statement, request: Request, findings: Findings
) -> tuple[bool, Grant | None]:
    """Whether the statement applies to the request, and the Grant of its Principal if any."""
    if not action_matches(statement, request.action):
        return False, None
    if not resource_matches(statement, request):
        return False, None
    grant: Grant | None = None
    if statement.principals is not None:
        names = principal_names(request)
        grant = principal_grant(statement.principals, statement.not_principal, request, names)
        if grant is None:
            return False, None
    findings.missing.update(missing_keys(statement.condition_keys, request))
    if not all(condition.holds(request.keys) for condition in statement.conditions):
        return False, None
    return True, grant


def action_matches(statement: Statement, action: str) -> bool:
    """Whether the statement's Action (or NotAction) covers the action, case-insensitively."""
    lowered = action.lower()
    listed = any(glob_text_matcher(a, ignore_case=True)(lowered) for a in statement.actions)
    return listed != statement.not_action


def resource_matches(statement: Statement, request: Request) -> bool:
    """Whether the statement's Resource (or NotResource) covers the request's resource.

    A resource entry whose policy variable cannot be resolved matches nothing, and makes a
    NotResource statement not apply.
    """
    if statement.resources is None:
        return True
    listed = False
    for template in statement.resources:
        rendered = template.render(request.value)
        if rendered is None:
            if statement.not_resource:
                return False
            continue
        if glob_matcher(rendered)(request.resource):
            listed = True
    return listed != statement.not_resource
