"""The GraphQL-over-HTTP behaviours of `/graphql` and the app's other routes.

Every test runs twice, through the same client interface: in process (`httpx.ASGITransport`)
and against a real uvicorn server over TCP (`tests.e2e.conftest.serve`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.context import TortoiseContext

from gateway.config import Settings
from gateway.graphql import graphiql
from tests.databases import BACKEND
from tests.graphql import create_test_app
from tests.servers import serve

GQL_JSON = "application/graphql-response+json"
JSON = "application/json"

Connect = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]

SMALL_LIMIT = {"GATEWAY_MAX_BODY_BYTES": "4096"}
CORS = {"GATEWAY_CORS_ORIGINS": "https://app.example.com"}
CLOSED = {"GATEWAY_INTROSPECTION": "false", "GATEWAY_GRAPHIQL": "false"}


@pytest.fixture(scope="module")
def servers(
    _migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[dict[str, str]], str]]:
    """Real servers of the test app, one per distinct environment, shared by the module (on
    SQLite each on its own copy of the database: a SQLite file serves one process)."""

    def database() -> str:
        if BACKEND != "sqlite":
            return _migrated_template
        path = tmp_path_factory.mktemp("http") / "gateway.db"
        shutil.copyfile(_migrated_template, path)
        return f"sqlite://{path}"

    started: dict[tuple[tuple[str, str], ...], str] = {}
    with contextlib.ExitStack() as stack:

        def server(env: dict[str, str]) -> str:
            key = tuple(sorted(env.items()))
            if key not in started:
                started[key] = stack.enter_context(
                    serve("tests.graphql:create_test_app", database(), env)
                )
            return started[key]

        yield server


@pytest.fixture(params=["asgi", pytest.param("uvicorn", marks=pytest.mark.e2e)])
def connect(
    request: pytest.FixtureRequest,
    servers: Callable[[dict[str, str]], str],
    db: TortoiseContext,
    database_url: str,
) -> Connect:
    """`async with connect(**env) as client`: a client of the test app with settings `env`."""

    @contextlib.asynccontextmanager
    async def connect(**env: str) -> AsyncIterator[httpx.AsyncClient]:
        if request.param == "asgi":
            settings = Settings.from_env({"GATEWAY_DATABASE_URL": database_url, **env})
            transport = httpx.ASGITransport(app=create_test_app(settings))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://gateway.test"
            ) as client:
                yield client
        else:
            async with httpx.AsyncClient(base_url=servers(env)) as client:
                yield client

    return connect


async def post(
    client: httpx.AsyncClient, body: Any, *, accept: str | None = GQL_JSON, **headers: str
) -> httpx.Response:
    all_headers = {"content-type": JSON, **headers}
    if accept is not None:
        all_headers["accept"] = accept
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return await client.post("/graphql", content=content, headers=all_headers)


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# --- media types -------------------------------------------------------------------------


async def test_answers_in_graphql_response_json_when_the_client_accepts_it(
    connect: Connect,
) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ hello }"}, accept=GQL_JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GQL_JSON)
    assert response.json() == {"data": {"hello": "Hello, world!"}}


async def test_answers_in_application_json_when_the_client_accepts_only_that(
    connect: Connect,
) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ hello }"}, accept=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert response.json() == {"data": {"hello": "Hello, world!"}}


async def test_prefers_the_media_type_with_the_higher_quality(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ hello }"}, accept=f"{GQL_JSON};q=0.5, {JSON}")
    assert response.headers["content-type"].startswith(JSON)


async def test_a_missing_accept_header_means_graphql_response_json(connect: Connect) -> None:
    async with connect() as client:
        response = await client.post(
            "/graphql",
            content=json.dumps({"query": "{ hello }"}),
            headers={"content-type": JSON, "accept": ""},
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GQL_JSON)


async def test_an_accept_header_without_a_json_type_gets_406(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ hello }"}, accept="text/plain")
    assert response.status_code == 406
    assert codes(response) == ["NOT_ACCEPTABLE"]


# --- request errors: 400 without data (graphql-response+json) ------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param('{"query": "{ hello }"', "BAD_REQUEST", id="json-parse-error"),
        pytest.param({"qeury": "{ hello }"}, "BAD_REQUEST", id="missing-query"),
        pytest.param({"query": 7}, "BAD_REQUEST", id="query-not-a-string"),
        pytest.param({"query": "{ hello }", "variables": [7]}, "BAD_REQUEST", id="bad-variables"),
        pytest.param({"query": "{ hello }", "operationName": 7}, "BAD_REQUEST", id="bad-op-name"),
        pytest.param({"query": "{ hello "}, "GRAPHQL_PARSE_FAILED", id="syntax-error"),
        pytest.param({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED", id="validation-error"),
        pytest.param(
            {"query": "query A { hello } query B { hello }"},
            "GRAPHQL_VALIDATION_FAILED",
            id="operation-not-determined",
        ),
        pytest.param(
            {"query": "query ($n: String!) { hello(name: $n) }", "variables": {"n": 7}},
            "InvalidInput",
            id="variable-coercion",
        ),
    ],
)
async def test_a_request_error_is_400_without_data(connect: Connect, body: Any, code: str) -> None:
    async with connect() as client:
        response = await post(client, body, accept=GQL_JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GQL_JSON)
    assert "data" not in response.json()
    assert codes(response) == [code]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"query": "{ hello "}, id="syntax-error"),
        pytest.param({"query": "{ nope }"}, id="validation-error"),
        pytest.param(
            {"query": "query ($n: String!) { hello(name: $n) }", "variables": {}},
            id="variable-coercion",
        ),
    ],
)
async def test_a_well_formed_request_that_fails_is_200_without_data_in_application_json(
    connect: Connect, body: Any
) -> None:
    async with connect() as client:
        response = await post(client, body, accept=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert "data" not in response.json()
    assert response.json()["errors"]


async def test_unparsable_json_is_400_in_application_json_too(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, "NONSENSE", accept=JSON)
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


async def test_a_field_error_keeps_the_data_and_status_200(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ hello denied }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"hello": "Hello, world!", "denied": None}
    assert codes(response) == ["AccessDenied"]


# --- GET ---------------------------------------------------------------------------------


async def test_a_query_runs_over_get(connect: Connect) -> None:
    async with connect() as client:
        response = await client.get(
            "/graphql",
            params={
                "query": "query ($n: String) { hello(name: $n) }",
                "variables": json.dumps({"n": "GET"}),
            },
            headers={"accept": GQL_JSON},
        )
    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "Hello, GET!"}}


async def test_a_mutation_over_get_is_405_and_does_not_run(connect: Connect) -> None:
    async with connect() as client:
        response = await client.get(
            "/graphql",
            params={"query": 'mutation { echo(text: "x") }'},
            headers={"accept": GQL_JSON},
        )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "data" not in response.json()


async def test_other_methods_are_405(connect: Connect) -> None:
    async with connect() as client:
        response = await client.put("/graphql", content=b"{}", headers={"content-type": JSON})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


# --- only JSON POSTs run (CSRF) ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/graphql",
        "application/json; charset=latin-1",
    ],
)
async def test_a_post_that_is_not_utf8_json_is_415(
    connect: Connect, content_type: str | None
) -> None:
    headers = {"accept": GQL_JSON}
    if content_type is not None:
        headers["content-type"] = content_type
    async with connect() as client:
        response = await client.post(
            "/graphql", content=b'{"query": "mutation { echo(text: \\"x\\") }"}', headers=headers
        )
    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/JSON", "Application/Json; Charset=UTF-8"],
)
async def test_a_utf8_json_post_runs_whatever_the_case_of_its_media_type(
    connect: Connect, content_type: str
) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ hello }"}, **{"content-type": content_type})
    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "Hello, world!"}}


async def test_a_batch_is_refused(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, [{"query": "{ hello }"}, {"query": "{ hello }"}])
    assert response.status_code == 400
    assert "data" not in response.json()


# --- hostile bodies: 400/413, never 500 -------------------------------------------------------


async def test_a_body_that_is_not_utf8_is_400(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, b'{"query": "{ hello(name: \\"\xff\xfe\\") }"}')
    assert response.status_code == 400
    assert "UTF-8" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="beyond-the-recursion-limit"),
        pytest.param(
            '{"query": "{ hello }", "variables": {"v": ' + "[" * 500 + "]" * 500 + "}}",
            id="deep-variables",
        ),
    ],
)
async def test_json_nested_too_deeply_is_400(connect: Connect, body: str) -> None:
    async with connect(**SMALL_LIMIT | {"GATEWAY_MAX_BODY_BYTES": "1000000"}) as client:
        response = await post(client, body)
    assert response.status_code == 400
    assert "nested" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("variables", "status"),
    [
        # the body and its variables are two levels: 64 in all at the limit, 65 beyond it
        pytest.param("[" * 62 + "]" * 62, 200, id="at-the-limit"),
        pytest.param("[" * 63 + "]" * 63, 400, id="one-beyond"),
        # many brackets, all inside strings: shallow, so accepted
        pytest.param('["' + "[{" * 200 + '"]', 200, id="brackets-in-strings"),
    ],
)
async def test_json_depth_is_judged_on_the_value_not_on_its_brackets(
    connect: Connect, variables: str, status: int
) -> None:
    body = '{"query": "{ hello }", "variables": {"v": ' + variables + "}}"
    async with connect(**SMALL_LIMIT | {"GATEWAY_MAX_BODY_BYTES": "1000000"}) as client:
        response = await post(client, body)
    assert response.status_code == status, response.text


async def test_a_body_over_the_limit_is_413_by_content_length(connect: Connect) -> None:
    query = "{ hello }" + " " * 5000
    async with connect(**SMALL_LIMIT) as client:
        response = await post(client, {"query": query})
    assert response.status_code == 413
    assert codes(response) == ["PAYLOAD_TOO_LARGE"]


async def test_a_chunked_body_over_the_limit_is_413(connect: Connect) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ hello }", "pad": "'
        for _ in range(6):
            yield b"x" * 1024
        yield b'"}'

    async with connect(**SMALL_LIMIT) as client:
        response = await client.post(
            "/graphql",
            content=chunks(),
            headers={"content-type": JSON, "accept": GQL_JSON},
        )
    assert response.status_code == 413
    assert codes(response) == ["PAYLOAD_TOO_LARGE"]


async def test_a_chunked_body_under_the_limit_runs(connect: Connect) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": '
        yield b'"{ hello }"}'

    async with connect(**SMALL_LIMIT) as client:
        response = await client.post(
            "/graphql", content=chunks(), headers={"content-type": JSON, "accept": GQL_JSON}
        )
    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "Hello, world!"}}


# --- CORS ----------------------------------------------------------------------------------


async def test_cors_allows_a_configured_origin(connect: Connect) -> None:
    async with connect(**CORS) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "origin": "https://app.example.com",
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
        )
        response = await post(client, {"query": "{ hello }"}, origin="https://app.example.com")
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"


async def test_cors_refuses_any_other_origin(connect: Connect) -> None:
    async with connect(**CORS) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "origin": "https://evil.example.net",
                "access-control-request-method": "POST",
            },
        )
        response = await post(client, {"query": "{ hello }"}, origin="https://evil.example.net")
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in response.headers


# --- introspection, suggestions, GraphiQL ---------------------------------------------------------


async def test_introspection_is_on_by_default(connect: Connect) -> None:
    async with connect() as client:
        response = await post(client, {"query": "{ __schema { queryType { name } } }"})
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_with_introspection_off_schema_is_refused_but_type_name_answers(
    connect: Connect,
) -> None:
    async with connect(**CLOSED) as client:
        schema = await post(client, {"query": "{ __schema { types { name } } }"})
        type_name = await post(
            client, {"query": '{ __type(name: "Query") { name kind } }'}, accept=JSON
        )
        type_fields = await post(client, {"query": '{ __type(name: "Query") { fields { name } } }'})
    assert schema.status_code == 400
    assert codes(schema) == ["GRAPHQL_VALIDATION_FAILED"]
    assert type_name.json() == {"data": {"__type": {"name": "Query", "kind": "OBJECT"}}}
    assert type_fields.status_code == 400


async def test_with_introspection_off_errors_suggest_no_field_names(connect: Connect) -> None:
    async with connect() as client:
        open_error = await post(client, {"query": "{ helo }"})
    async with connect(**CLOSED) as client:
        closed_error = await post(client, {"query": "{ helo }"})
    assert "Did you mean" in open_error.json()["errors"][0]["message"]
    assert "Did you mean" not in closed_error.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "query",
    ['mutation { echo(txt: "x") }', "{ helo }", "query($t: Strin!) { hello }"],
    ids=["argument", "field", "type"],
)
async def test_with_introspection_off_no_error_suggests_a_name(
    connect: Connect, query: str
) -> None:
    async with connect() as client:
        open_error = await post(client, {"query": query})
    async with connect(**CLOSED) as client:
        closed_error = await post(client, {"query": query})
    open_messages = " ".join(e["message"] for e in open_error.json()["errors"])
    closed_messages = " ".join(e["message"] for e in closed_error.json()["errors"])
    assert "Did you mean" in open_messages
    assert "Did you mean" not in closed_messages
    assert codes(closed_error) == codes(open_error)


async def test_graphiql_page_is_served_to_browsers_under_a_strict_csp(connect: Connect) -> None:
    async with connect() as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        script = await client.get("/graphiql/static/graphiql.js")
    assert page.status_code == (503 if graphiql.missing_assets() else 200)
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "https://" not in page.text
    assert script.status_code == 200


@pytest.mark.parametrize(
    "env", [CLOSED, {"GATEWAY_INTROSPECTION": "false"}], ids=["off", "without-introspection"]
)
async def test_graphiql_can_be_turned_off_and_goes_with_introspection(
    connect: Connect, env: dict[str, str]
) -> None:
    async with connect(**env) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        static = await client.get("/graphiql/static/graphiql.js")
    assert page.status_code == 406
    assert static.status_code == 404


def test_without_its_files_the_graphiql_page_says_how_to_install_them(tmp_path: Path) -> None:
    missing = graphiql.missing_assets(tmp_path)
    text = graphiql.page("/graphql", "/graphiql/static", missing)
    assert missing == list(graphiql.VENDOR_FILES)
    assert "make install" in text
    assert "<script" not in text


# --- the other routes and headers ------------------------------------------------------------


async def test_healthz_is_alive_and_readyz_checks_the_database(connect: Connect) -> None:
    async with connect() as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "ok"}


async def test_metrics_count_requests_by_operation_type_and_outcome(connect: Connect) -> None:
    async with connect() as client:
        await post(client, {"query": "{ hello }"})
        await post(client, {"query": 'mutation { echo(text: "x") }'})
        await post(client, {"query": "{ nope }"})
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'gateway_graphql_requests_total{operation_type="query",outcome="ok"}' in text
    assert 'gateway_graphql_requests_total{operation_type="mutation",outcome="ok"}' in text
    assert 'operation_type="query",outcome="rejected"' in text
    assert "gateway_graphql_request_duration_seconds_bucket" in text


async def test_responses_carry_security_headers_and_a_request_id(connect: Connect) -> None:
    async with connect() as client:
        mine = await post(client, {"query": "{ hello }"}, **{"x-request-id": "trace-42"})
        generated = await post(client, {"query": "{ hello }"}, **{"x-request-id": "bad id!"})
    assert mine.headers["x-request-id"] == "trace-42"
    assert generated.headers["x-request-id"] not in ("", "bad id!")
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert mine.headers["x-frame-options"] == "DENY"
    assert mine.headers["content-security-policy"].startswith("default-src 'none'")
    assert mine.headers["cache-control"] == "no-store"
