"""Audit events that are not part of a write: denials and refusals."""

from __future__ import annotations

from gateway.errors import AccessDenied, GatewayError
from gateway.models import Outcome
from gateway.policy import Decision
from gateway.services.principal import Principal
from gateway.services.writes import record


async def record_denial(
    principal: Principal, action: str, resource: str, decision: Decision
) -> None:
    """Record that `principal` was denied `action` on `resource`, and by what."""
    await record(
        principal,
        action,
        resource,
        Outcome.DENIED,
        error_code=AccessDenied.code,
        details={"decision": str(decision.effect), "deniedBy": decision.denied_by},
    )


async def record_refusal(
    principal: Principal, action: str, resource: str, error: GatewayError
) -> None:
    """Record that `principal` was refused `action` on `resource` before any policy was asked
    (a session that must change its password first, say)."""
    await record(principal, action, resource, Outcome.DENIED, error_code=error.code)
