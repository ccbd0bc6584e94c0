"""Authorization decisions as GraphQL types, for `authorize` and `simulatePrincipalPolicy`."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.policy import Decision as PolicyDecision
from gateway.policy import Effect, StatementRef


@strawberry.enum(description="The outcome of evaluating a request against policies.")
class DecisionEffect(Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


_EVAL_DECISIONS = {
    "Allow": "allowed",
    "ExplicitDeny": "explicitDeny",
    "ImplicitDeny": "implicitDeny",
}
_EFFECTS = {
    str(effect): (DecisionEffect(str(effect)), _EVAL_DECISIONS[str(effect)]) for effect in Effect
}
"""The engine's effect → this type's and the simulator's EvalDecision (an Enum call per
decision costs as much as the rest of `from_decision`)."""


@strawberry.type(description="A policy statement that took part in a decision.")
class DecidingStatement:
    layer: str = strawberry.field(
        description="identity, resource, boundary or session: the policy type."
    )
    policy: str | None = strawberry.field(description="The policy's ARN or inline name.")
    sid: str | None
    index: int = strawberry.field(description="The statement's position in its policy.")
    effect: str


@strawberry.type(description="Whether an action on a resource is allowed, and why.")
class Decision:
    action: str
    resource: str
    effect: DecisionEffect
    eval_decision: str = strawberry.field(
        description="The simulator's EvalDecision, as AWS spells it: allowed, explicitDeny or "
        "implicitDeny."
    )
    allowed: bool
    denied_by: str | None = strawberry.field(
        description="For a denial, the policy type that denied or lacked an Allow."
    )
    statements: list[DecidingStatement]
    missing_context_keys: list[str] = strawberry.field(
        description="Condition keys that applicable statements needed and the request lacked."
    )
    reason: str | None = strawberry.field(
        default=None,
        description="Why the caller's session may not do it whatever its policies say, when "
        "that decided (denied_by is then `session`).",
    )

    @classmethod
    def from_decision(cls, action: str, resource: str, decision: PolicyDecision) -> Decision:
        """The engine's decision as a GraphQL object."""
        effect, eval_decision = _EFFECTS[decision.effect]
        return cls(
            action=action,
            resource=resource,
            effect=effect,
            eval_decision=eval_decision,
            allowed=decision.allowed,
            denied_by=decision.denied_by,
            statements=[_deciding(s) for s in decision.statements],
            missing_context_keys=list(decision.missing_keys),
        )

    @classmethod
    def refused(cls, action: str, resource: str, reason: str) -> Decision:
        """The denial of an action the caller's session may not do whatever its policies say."""
        return cls(
            action=action,
            resource=resource,
            effect=DecisionEffect.IMPLICIT_DENY,
            eval_decision=_EVAL_DECISIONS[DecisionEffect.IMPLICIT_DENY.value],
            allowed=False,
            denied_by="session",
            statements=[],
            missing_context_keys=[],
            reason=reason,
        )


_STATEMENTS: dict[int, tuple[StatementRef, DecidingStatement]] = {}
"""Each statement as a GraphQL object, made once (nothing changes one once made): the same few
statements decide request after request (the engine gives the same StatementRef objects),
and a lookup costs a fraction of making one. Keyed by the ref's identity, which its entry
keeps alive (a ref's own hash is a Python call over its five fields)."""
_STATEMENTS_REMEMBERED = 4096


def _deciding(ref: StatementRef) -> DecidingStatement:
    """The GraphQL object of a deciding statement (`_STATEMENTS`)."""
    known = _STATEMENTS.get(id(ref))
    if known is not None and known[0] is ref:
        return known[1]
    statement = DecidingStatement(
        layer=ref.layer, policy=ref.policy, sid=ref.sid, index=ref.index, effect=ref.effect
    )
    if len(_STATEMENTS) >= _STATEMENTS_REMEMBERED:
        _STATEMENTS.clear()
    _STATEMENTS[id(ref)] = (ref, statement)
    return statement


@strawberry.input(description="A request-context key and its values, e.g. aws:SourceIp.")
class ContextEntry:
    key: str
    values: list[str]


def context_dict(entries: list[ContextEntry] | None) -> dict[str, str | list[str]]:
    """Context entries as the engine takes them (one value → a string)."""
    context: dict[str, str | list[str]] = {}
    for entry in entries or []:
        context[entry.key] = entry.values[0] if len(entry.values) == 1 else list(entry.values)
    return context
