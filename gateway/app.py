"""The gateway's ASGI application.

| route | what |
| --- | --- |
| `POST /graphql`, `GET /graphql?query=…` | the GraphQL API (`gateway.graphql.view`) |
| WebSocket `/graphql` | subscriptions, graphql-transport-ws (`gateway.graphql.websocket`) |
| `GET /graphql` from a browser | GraphiQL, with `graphiql` and `introspection` on (`graphiql.py`) |
| `GET /graphiql/static/…` | GraphiQL's scripts and styles, served by the gateway itself |
| `GET /signin` | the sign-in and account page, when `Settings.signin_page` (`gateway.console`) |
| `GET /signin/static/…` | its script and style |
| `POST /aws/` | the IAM and STS Query APIs, SigV4-signed (`gateway.aws.endpoint`) |
| `GET /healthz` | liveness: 200 `{"status": "ok"}` (`gateway.http.health`) |
| `GET /readyz` | readiness: 200 when the database answers and migrations are at head, else 503 |
| `GET /metrics` | Prometheus metrics of the GraphQL endpoint |

Middleware, outermost first: the client's address behind trusted proxies
(`gateway.http.client_address`, with `GATEWAY_TRUSTED_PROXIES`), the recognized lane
(`gateway.graphql.lane`: `authorize` and `authorizeAll` answered without the layers below;
both in front of Starlette's error layer, `GatewayApp`), request id, security headers, CORS
(when origins are configured), body size limit. The
lifespan holds a SQLite database for this process (`gateway.db.hold_database`: a second
process on the same file stops at start-up), opens the Tortoise ORM on
`Settings.database_url` (`RegisterTortoise` as an async context manager, so every request
sees the ORM), starts the notification hub (`gateway.notifications`: LISTEN/NOTIFY on
PostgreSQL), the access-activity flusher and, with `GATEWAY_AUDIT_RETENTION_DAYS`, the
pruning of old audit events; it stops them, flushing the last tallies, on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp
from tortoise.contrib.starlette import RegisterTortoise

from gateway.auth.credentials import challenge
from gateway.aws.endpoint import QueryApi
from gateway.config import Settings
from gateway.console import page as console_page
from gateway.db import DatabaseInUse, hold_database, secure_sqlite_files, tortoise_config
from gateway.graphql import graphiql, limits
from gateway.graphql.context import build_context, gateway_state
from gateway.graphql.lane import RecognizedLane
from gateway.graphql.recognized import RecognizedDocuments
from gateway.graphql.view import ContextGetter, GatewayGraphQL
from gateway.http import health
from gateway.http.body_limit import BodySizeLimitMiddleware
from gateway.http.client_address import ClientAddressMiddleware
from gateway.http.cors import cors_middleware
from gateway.http.metrics import Metrics
from gateway.http.request_id import RequestIdMiddleware
from gateway.http.security_headers import SecurityHeadersMiddleware
from gateway.notifications import NotificationHub
from gateway.services import audit_retention, passwords, pruning
from gateway.services.access_activity import ActivityRecorder
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.signin_throttling import Lockout

logger = logging.getLogger("gateway.app")


def create_app(
    settings: Settings | None = None,
    *,
    schema: strawberry.Schema | None = None,
    context_getter: ContextGetter | None = None,
) -> GatewayApp:
    """The gateway for `settings` (default: from the environment).

    `schema` defaults to `gateway.graphql.schema.build_schema(settings)` and `context_getter`
    to `gateway.graphql.context.build_context`; tests may pass their own.
    """
    settings = settings or Settings.from_env()
    passwords.configure_hashing(settings)
    if schema is None:
        from gateway.graphql.schema import build_schema

        schema = build_schema(settings)
    metrics = Metrics()
    context_getter = context_getter or build_context
    www_authenticate = challenge(key_header=settings.key_header)
    # GraphiQL reads the schema by introspection: without it, it would only show errors.
    serve_graphiql = settings.graphiql and settings.introspection
    recognized = RecognizedDocuments(
        schema._schema,
        limits.validation_rules(settings),
        max_tokens=limits.DEFAULT_LIMITS.max_tokens,
    )
    view = GatewayGraphQL(
        schema,
        context_getter=context_getter,
        graphiql=graphiql.render if serve_graphiql else None,
        observe=metrics.observe,
        allowed_origins=settings.cors_origins,
        www_authenticate=www_authenticate,
    )
    query_api = QueryApi(schema)
    routes: list[BaseRoute] = [
        Route("/graphql", view, methods=None, name="graphql"),
        WebSocketRoute("/graphql", view, name="graphql-websocket"),
        Route("/aws/", query_api.handle, methods=["POST"], name="aws"),
        Route("/aws", query_api.handle, methods=["POST"], name="aws-bare"),
        Route("/healthz", health.healthz, methods=["GET"], name="healthz"),
        Route("/readyz", health.readyz, methods=["GET"], name="readyz"),
        Route("/metrics", metrics.endpoint, methods=["GET"], name="metrics"),
    ]
    if serve_graphiql:
        routes.append(graphiql.static_files())
    if settings.signin_page:
        routes.extend(console_page.routes(settings))
    front = [
        Middleware(ClientAddressMiddleware, trusted=settings.trusted_proxies),
        Middleware(
            RecognizedLane,
            documents=recognized,
            context_getter=context_getter,
            max_body_bytes=settings.max_body_bytes,
            observe=metrics.observe,
            www_authenticate=www_authenticate,
            cors=bool(settings.cors_origins),
        ),
    ]
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware),
        *cors_middleware(settings),
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
    ]

    activity = ActivityRecorder(interval=settings.access_activity_flush_seconds)
    hub = NotificationHub(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            hold_database(settings.database_url)
        except DatabaseInUse as error:
            logger.error("%s", error)
            raise
        secure_sqlite_files(settings.database_url)
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            await ensure_builtin_policies()
            gateway_state(app)  # subscribes its caches to changes made through other replicas
            await hub.start()
            chores = [
                _start(activity.run(), "access activity"),
                _start(pruning.keep_pruned(Lockout.from_settings(settings)), "expired rows"),
            ]
            if settings.audit_retention_days:
                retention = audit_retention.keep(settings.audit_retention_days)
                chores.append(_start(retention, "audit retention"))
            # Everything loaded at start-up lives as long as the process: keep it out of the
            # cyclic collector's full scans, which otherwise pause requests for tens of ms.
            gc.freeze()
            try:
                yield
            finally:
                for chore in chores:
                    chore.cancel()
                for chore in chores:
                    with contextlib.suppress(asyncio.CancelledError):
                        await chore
                await hub.stop()

    app = GatewayApp(front=front, routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.activity = activity
    app.state.notifications = hub
    return app


class GatewayApp(Starlette):
    """Starlette with `front` middleware in front of its own error layer as well as of the
    rest: the client's address and the recognized lane, which answers most requests and
    catches its own failures, so that a decision does not pay for a layer it never uses."""

    def __init__(self, *, front: Sequence[Middleware], **options: Any) -> None:
        self.front = list(front)
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        for cls, args, kwargs in reversed(self.front):
            app = cls(app, *args, **kwargs)
        return app


def _start(work: Coroutine[object, object, None], name: str) -> asyncio.Task[None]:
    """A background chore of the app, running until the lifespan ends."""
    return asyncio.get_running_loop().create_task(work, name=f"gateway {name}")


__all__ = ["create_app"]
