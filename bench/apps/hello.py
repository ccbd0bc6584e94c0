"""Stock Strawberry answering `{ hello }`, without and with its parse / validation caches.

Both apps are what Strawberry's documentation shows (`strawberry.asgi.GraphQL` mounted on a
Starlette route), with nothing of the gateway's: no middleware, no context, no auth.
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _app(schema: strawberry.Schema) -> Starlette:
    return Starlette(
        routes=[
            Route("/graphql", GraphQL(schema), methods=None),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


stock_schema = strawberry.Schema(query=Query)
cached_schema = strawberry.Schema(
    query=Query, extensions=[lambda: ParserCache(maxsize=100), lambda: ValidationCache(maxsize=100)]
)

stock_app = _app(stock_schema)
"""(b) stock Strawberry: every request is parsed and validated afresh."""
cached_app = _app(cached_schema)
"""(c) the same, with Strawberry's LRU caches of parsed and validated documents."""
