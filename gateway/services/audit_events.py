"""Building one audit event, in CloudTrail's vocabulary, from what a call knows about itself.

`new_event` fills everything a CloudTrail record needs from the acting principal, the IAM
action, the resource, the outcome and the request's context: the event's names
(`gateway.services.event_names`), the `userIdentity` element (`gateway.services.user_identity`),
the request's arguments scrubbed of secrets and the ids and ARNs of its answer
(`gateway.services.redaction`), the user agent and request id. It only builds: `writes.record`
stores and announces it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from gateway import clock
from gateway.errors import Unauthenticated
from gateway.models import AuditEvent, Outcome
from gateway.services import redaction
from gateway.services.event_names import event_name, response_elements
from gateway.services.principal import Principal
from gateway.services.user_identity import user_identity

NO_REQUEST = "-"
MAX_USER_AGENT = 1024
MAX_ERROR_MESSAGE = 2048
FAILED_AUTHENTICATION = "Failed authentication"
"""CloudTrail's errorMessage for a ConsoleLogin with a wrong password."""

request_id: ContextVar[str] = ContextVar("gateway_request_id", default=NO_REQUEST)
"""The id of the HTTP request being served (set by the app's request-id middleware)."""
user_agent: ContextVar[str] = ContextVar("gateway_user_agent", default="")
"""The `User-Agent` of the request being served (set by the same middleware)."""
request_arguments: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "gateway_request_arguments", default=None
)
"""The arguments of the API operation being served, by their API names (set by the GraphQL
layer around each root field); recorded, scrubbed, as `requestParameters`."""


def new_event(
    actor: Principal,
    action: str,
    resource: str,
    outcome: Outcome,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
    details: Mapping[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """The (unsaved) event for `actor` doing `action` on `resource` with `outcome`.

    `identity` replaces the `userIdentity` built from `actor` (a caller seen from another
    account, a sign-in with an unknown user name). A call signed with an access key names the
    key, in `userIdentity.accessKeyId` and (as before) in `details.signedWith`.
    """
    extra = dict(details or {})
    if actor.access_key_id is not None:
        extra["signedWith"] = actor.access_key_id
    name = event_name(action, extra)
    succeeded = outcome is Outcome.ALLOWED
    if name.console_sign_in:
        # CloudTrail records no requestParameters for console sign-in events; it says whether
        # MFA was used instead.
        parameters = None
        if name.name == "ConsoleLogin":
            extra.setdefault("MFAUsed", "Yes" if extra.get("mfa") else "No")
        if error_code == Unauthenticated.code and error_message is None:
            error_message = FAILED_AUTHENTICATION
    else:
        parameters = redaction.request_parameters(request_arguments.get())
    return AuditEvent(
        event_id=str(uuid.uuid4()),
        occurred_at=clock.now(),
        account_id=actor.account_id,
        principal_arn=actor.arn,
        action=action,
        resource=resource,
        source_ip=actor.source_ip,
        outcome=outcome.value,
        error_code=error_code,
        error_message=_clip(error_message, MAX_ERROR_MESSAGE),
        request_id=request_id.get(),
        event_source=name.source,
        event_name=name.name,
        event_type=name.type,
        read_only=name.read_only,
        user_agent=_clip(user_agent.get(), MAX_USER_AGENT) or "",
        user_identity=dict(identity) if identity is not None else user_identity(actor),
        request_parameters=parameters,
        response_elements=redaction.response_elements(
            response_elements(name, resource, extra, succeeded=succeeded)
        ),
        details=extra,
    )


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    if not (text.isascii() and text.isprintable()):
        text = text.encode("unicode_escape").decode("ascii")
    return text[:limit]
