"""What the GraphQL view (`gateway/graphql/view.py`) sends for a `GatewayError` raised before
anything runs: the error class's `http_status` and `http_headers()`, with `WWW-Authenticate`
on a 401. Its other behaviours over HTTP are in tests/graphql/test_http.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import strawberry
from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import GatewayError, Throttled
from gateway.graphql.view import GatewayGraphQL
from tests.test_errors import ALL_ERRORS

GQL_JSON = "application/graphql-response+json"
JSON = "application/json"
CHALLENGE = 'Bearer, GatewayKey realm="gateway"'


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hello"


SCHEMA = strawberry.Schema(query=Query)


def _instance(cls: type[GatewayError]) -> GatewayError:
    if cls is Throttled:
        return Throttled("Too many attempts; retry in 42 seconds.", retryAfterSeconds=42)
    return cls(f"Refused: {cls.__name__}.")


async def _post(error: GatewayError, accept: str) -> tuple[httpx.Response, list[str]]:
    """The view's answer to a query whose context cannot be built, and the outcomes observed."""
    outcomes: list[str] = []

    async def context_getter(request: Request, response: Response) -> Any:
        raise error

    view = GatewayGraphQL(
        SCHEMA,
        context_getter=context_getter,
        observe=lambda operation_type, outcome, seconds: outcomes.append(outcome),
        www_authenticate=CHALLENGE,
    )
    transport = httpx.ASGITransport(app=view)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ hello }"},
            headers={"accept": accept},
        )
    return response, outcomes


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
async def test_a_context_error_gets_its_class_status_and_headers(cls: type[GatewayError]) -> None:
    error = _instance(cls)

    response, outcomes = await _post(error, GQL_JSON)

    assert response.status_code == cls.http_status
    assert response.headers["content-type"] == GQL_JSON
    assert response.headers["cache-control"] == "no-store"
    for name, value in error.http_headers().items():
        assert response.headers[name] == value
    if cls.http_status == 401:
        assert response.headers["www-authenticate"] == CHALLENGE
    else:
        assert "www-authenticate" not in response.headers
    assert response.json() == {
        "errors": [
            {"message": error.message, "extensions": {"code": error.code, **error.extensions}}
        ]
    }
    assert outcomes == ["rejected"]


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
async def test_in_application_json_the_status_is_200_and_the_headers_stay(
    cls: type[GatewayError],
) -> None:
    error = _instance(cls)

    response, _ = await _post(error, JSON)

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    for name, value in error.http_headers().items():
        assert response.headers[name] == value
    assert ("www-authenticate" in response.headers) == (cls.http_status == 401)
    assert response.json()["errors"][0]["extensions"]["code"] == error.code


async def test_a_locked_caller_is_told_when_to_retry() -> None:
    response, _ = await _post(_instance(Throttled), GQL_JSON)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    assert response.json()["errors"][0]["extensions"] == {
        "code": "Throttled",
        "retryAfterSeconds": 42,
    }
