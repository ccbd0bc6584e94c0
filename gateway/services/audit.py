"""Audit events that are not part of a write: denials."""

from __future__ import annotations

from gateway.errors import AccessDenied
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
