"""Reading the audit trail: the `auditEvents` query (LookupEvents) and subscription (live)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.audit_event import AuditEvent, AuditEventFilter, event_filter
from gateway.graphql.types.common import Connection, connection
from gateway.services import audit_feed, audit_lookup

Info = strawberry.Info[GatewayContext, None]
LOOKUP_EVENTS = "cloudtrail:LookupEvents"


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="The account's audit events, newest first (CloudTrail's LookupEvents): at "
        "most 50 a page.",
        extensions=[authorize(LOOKUP_EVENTS, "*")],
    )
    async def audit_events(
        self,
        info: Info,
        filter: AuditEventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEvent] | None:
        actor = await info.context.principal()
        page = await audit_lookup.lookup_events(
            actor.account_id, event_filter(filter), first=first, after=after
        )
        return connection(page, AuditEvent.from_model)


@strawberry.type
class AuditSubscriptions:
    @strawberry.subscription(
        description="The account's audit events as they happen, on any replica (over "
        "WebSocket, graphql-transport-ws). Ends with an error when the session ends or the "
        "caller may no longer read the trail.",
        extensions=[authorize(LOOKUP_EVENTS, "*")],
    )
    async def audit_events(
        self, info: Info, filter: AuditEventFilter | None = None
    ) -> AsyncGenerator[AuditEvent | None, None]:
        context = info.context
        actor = await context.principal()

        async def still_allowed() -> None:
            # The same check as at subscribe time, on a fresh context: the session read again
            # (through the credential cache) and the permission decided again.
            await context.fresh(counts_activity=False).require(LOOKUP_EVENTS, "*")

        events = audit_feed.follow(
            actor.account_id, event_filter(filter), still_allowed, hub=context.state.notifications
        )
        async for event in events:
            yield AuditEvent.from_model(event)
