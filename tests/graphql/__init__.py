"""A small schema for testing the HTTP face on its own, whatever the real schema holds.

`create_test_app()` is an app factory (`tests.graphql:create_test_app`) that a real uvicorn
server can load too: it reads its settings from the environment like the real one, and builds
the schema with the same limits and error handling (`gateway.graphql.limits`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from gateway.app import create_app
from gateway.config import Settings
from gateway.errors import AccessDenied
from gateway.graphql import limits
from gateway.graphql.errors import GatewaySchema

SQL_IN_BUG = "SELECT secret_hash FROM users WHERE name = 'alice'"


@strawberry.type
class Node:
    value: int

    @strawberry.field
    def child(self) -> Node:
        return Node(value=self.value + 1)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"

    @strawberry.field
    def node(self) -> Node:
        return Node(value=0)

    @strawberry.field
    def denied(self) -> str | None:
        raise AccessDenied(
            "User: arn:aws:iam::123456789012:user/cashier is not authorized to perform: "
            "iam:CreateUser on resource: arn:aws:iam::123456789012:user/bob",
            deciding_layer="identity",
        )

    @strawberry.field
    def broken(self, password: str | None = None) -> str | None:
        raise RuntimeError(f"database failure in: {SQL_IN_BUG}")

    @strawberry.field
    def authorization(self, info: strawberry.Info) -> str | None:
        """The Authorization header the request carried (GraphiQL's headers editor sends it)."""
        request: Request = info.context["request"]
        return request.headers.get("authorization")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def echo(self, text: str) -> str:
        return text


def build_test_schema(settings: Settings) -> strawberry.Schema:
    """The test schema, configured the way `build_schema` configures the real one."""
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        config=limits.schema_config(settings),
        extensions=limits.extensions(settings),
    )


async def plain_context(request: Request, response: Response) -> dict[str, Any]:
    """A context without authentication: the test schema needs only the request."""
    return {"request": request, "response": response}


def create_test_app(settings: Settings | None = None) -> Starlette:
    """The gateway app serving the test schema."""
    settings = settings or Settings.from_env()
    return create_app(settings, schema=build_test_schema(settings), context_getter=plain_context)
