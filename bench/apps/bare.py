"""Bare Starlette: one JSON endpoint, the ceiling of the HTTP stack without GraphQL."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY = {"data": {"hello": "world"}}


async def graphql(request: Request) -> Response:
    await request.body()  # read what the client sent, as any real endpoint would
    return JSONResponse(BODY)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)
"""(d) a JSON answer to `POST /graphql` without parsing or executing anything."""
