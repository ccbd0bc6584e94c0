"""Audit events that are not part of a write: denials and refusals."""

from __future__ import annotations

from gateway.errors import AccessDenied, GatewayError
from gateway.models import Outcome
from gateway.policy import Decision
from gateway.services.authorization import access_denied
from gateway.services.principal import Principal
from gateway.services.writes import record


async def record_denial(
    principal: Principal, action: str, resource: str, decision: Decision
) -> AccessDenied:
    """Record that `principal` was denied `action` on `resource`, with the deciding layer and
    statements and AWS's message; returns that AccessDenied, for the caller to raise."""
    denied = access_denied(principal, action, resource, decision)
    await record(
        principal,
        action,
        resource,
        Outcome.DENIED,
        error_code=denied.code,
        error_message=denied.message,
        details={
            "decision": str(decision.effect),
            "deniedBy": denied.extensions["deniedBy"],
            "statements": [
                {
                    "layer": s.layer,
                    "policy": s.policy,
                    "sid": s.sid,
                    "index": s.index,
                    "effect": s.effect,
                }
                for s in decision.statements
            ],
            "missingContextKeys": denied.extensions["missingContextKeys"],
        },
    )
    return denied


async def record_refusal(
    principal: Principal, action: str, resource: str, error: GatewayError
) -> None:
    """Record that `principal` was refused `action` on `resource` before any policy was asked
    (a session that must change its password first, say)."""
    await record(
        principal,
        action,
        resource,
        Outcome.DENIED,
        error_code=error.code,
        error_message=error.message,
    )
