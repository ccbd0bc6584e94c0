"""The recognized lane (gateway/graphql/lane.py) answers what it takes exactly as the stack
behind it would, and leaves everything else to that stack untouched.

Each case is sent to the gateway as built (`app`) and to the same gateway without the lane
(`stack`), on one database; the view's calls are counted to tell who answered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from gateway.app import GatewayApp, create_app
from gateway.auth.credentials import Authenticator
from gateway.config import Settings
from gateway.graphql.lane import RecognizedLane
from gateway.graphql.recognized import RecognizedDocuments
from gateway.graphql.view import GatewayGraphQL
from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api, sign_in_root
from tests.graphql.test_authorization import BUCKET, create_policy, document, make_user
from tests.helpers import TEST_SECRET_KEY

SELECTION = "{ action resource effect allowed statements { policy sid } missingContextKeys }"
ONE = f"query One($a: String!, $r: String!) {{ authorize(action: $a, resource: $r) {SELECTION} }}"
BATCH = f"query($r: [AuthorizeRequest!]!) {{ authorizeAll(requests: $r) {SELECTION} }}"
LIST_BUCKET = {"a": "s3:ListBucket", "r": BUCKET}
VARYING = ("date", "x-request-id", "content-length")
"""Headers that differ between any two responses (and the length: the lane writes non-ASCII
text as UTF-8, the stack as \\u escapes)."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def comparable(self) -> tuple[int, dict[str, str], Any]:
        """Status, headers (but the varying ones), the body as JSON when it is."""
        headers = {k: v for k, v in self.headers.items() if k not in VARYING}
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body
        return self.status, headers, body


class Gateway:
    """Posts raw requests to one app."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, content: bytes, headers: dict[str, str]) -> Answer:
        response = await self.client.post("/graphql", content=content, headers=headers)
        return Answer(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
        )


def without_lane(app: GatewayApp) -> GatewayApp:
    """`app` with its recognized lane taken out (before its first request builds the stack)."""
    lane: object = RecognizedLane
    app.front = [m for m in app.front if m.cls is not lane]
    return app


@pytest.fixture
def gateway_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, max_body_bytes=4096)


@pytest.fixture
async def gateways(
    gateway_settings: Settings, db: object
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    """(the app with its lane, the same app without it)."""
    await ensure_builtin_policies()
    apps = (create_app(gateway_settings), without_lane(create_app(gateway_settings)))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://gw") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://gw") as b,
    ):
        yield Gateway(a), Gateway(b)


@pytest.fixture
def view_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests the GraphQL view itself answered."""
    calls: list[str] = []
    respond = GatewayGraphQL._respond

    async def counted(self: GatewayGraphQL, request: Any, record: Any) -> Any:
        calls.append(request.url.path)
        return await respond(self, request, record)

    monkeypatch.setattr(GatewayGraphQL, "_respond", counted)
    return calls


@pytest.fixture
async def token(gateways: tuple[Gateway, Gateway], account: Account) -> str:
    """A user allowed s3:ListBucket on BUCKET and nothing else: a session token."""
    api = Api(gateways[1].client)
    root = await sign_in_root(api)
    allow = {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}
    arn = await create_policy(api, root, "Lister", document(allow))
    return await make_user(api, root, "lister", arn)


def body(query: str, variables: object = None, **extra: object) -> bytes:
    return json.dumps({"query": query, "variables": variables, **extra}).encode()


def sent(token: str, **headers: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}", **headers}


TAKEN = {
    "variables": (body(ONE, LIST_BUCKET), {}),
    "a denial": (body(ONE, {"a": "s3:DeleteBucket", "r": BUCKET}), {}),
    "constants, an alias and __typename": (
        body(
            f'{{ d: authorize(action: "s3:ListBucket", resource: "{BUCKET}") {{ __typename e: '
            "effect reason evalDecision statements { layer index effect } } }"
        ),
        {},
    ),
    "a batch": (
        body(BATCH, {"r": [{"action": "s3:ListBucket", "resource": BUCKET}] * 3}),
        {},
    ),
    "its operation name": (body(ONE, LIST_BUCKET, operationName="One"), {}),
    "application/json": (body(ONE, LIST_BUCKET), {"Accept": "application/json"}),
    "any media type": (body(ONE, LIST_BUCKET), {"Accept": "*/*"}),
    "a charset": (body(ONE, LIST_BUCKET), {"Content-Type": "Application/JSON; charset=UTF-8"}),
    "the client's request id": (body(ONE, LIST_BUCKET), {"X-Request-ID": "trace-42"}),
    "a context": (
        body(
            'query($c: [ContextEntry!]) { authorize(action: "s3:ListBucket", '
            f'resource: "{BUCKET}", context: $c) {SELECTION} }}',
            {"c": [{"key": "aws:SourceIp", "values": ["10.0.0.1"]}]},
        ),
        {},
    ),
}


@pytest.mark.parametrize("case", TAKEN.values(), ids=TAKEN.keys())
async def test_the_lane_answers_what_it_takes_as_the_stack_does(
    gateways: tuple[Gateway, Gateway],
    token: str,
    view_calls: list[str],
    case: tuple[bytes, dict[str, str]],
) -> None:
    content, extra = case
    lane, stack = gateways
    answered = await lane.post(content, sent(token, **extra))
    assert view_calls == []  # the lane answered
    expected = await stack.post(content, sent(token, **extra))
    assert view_calls == ["/graphql"]
    assert answered.status == 200
    assert answered.comparable() == expected.comparable()
    assert answered.body == expected.body  # ASCII answers are written byte for byte alike
    assert "errors" not in json.loads(answered.body)
    if "X-Request-ID" in extra:
        assert answered.headers["x-request-id"] == extra["X-Request-ID"]
    else:
        assert len(answered.headers["x-request-id"]) == 32


LEFT = {
    "no Content-Length (chunked)": (None, {}),
    "a body over the limit": (b" " * 5000 + body(ONE, LIST_BUCKET), {}),
    "a form": (body(ONE, LIST_BUCKET), {"Content-Type": "application/x-www-form-urlencoded"}),
    "no Content-Type": (body(ONE, LIST_BUCKET), {"Content-Type": ""}),
    "Latin-1": (body(ONE, LIST_BUCKET), {"Content-Type": "application/json; charset=latin-1"}),
    "an Accept it cannot answer": (body(ONE, LIST_BUCKET), {"Accept": "text/html"}),
    "not JSON": (b'{"query": "{ authorize', {}),
    "not UTF-8": (b'{"query": "\xff authorize"}', {}),
    "too deep": (b'{"query": "authorize", "v": ' + b"[" * 2000 + b"]" * 2000 + b"}", {}),
    "a JSON list": (b"[" + body(ONE, LIST_BUCKET) + b"]", {}),
    "no query": (json.dumps({"variables": {"authorize": 1}}).encode(), {}),
    "another operation's name": (body(ONE, LIST_BUCKET, operationName="Other"), {}),
    "a fragment": (
        body(
            f"query($a: String!, $r: String!) {{ authorize(action: $a, resource: $r) "
            f"{{ ...F }} }} fragment F on Decision {SELECTION}",
            LIST_BUCKET,
        ),
        {},
    ),
    "a variable of the wrong type": (body(ONE, {"a": 7, "r": BUCKET}), {}),
    "variables that are not an object": (body(ONE, ["s3:ListBucket"]), {}),
    "an input over its cap": (body(ONE, {"a": "s3:ListBucket", "r": "x" * 2049}), {}),
    "a batch over the limit": (
        body(BATCH, {"r": [{"action": "s3:ListBucket", "resource": BUCKET}] * 101}),
        {},
    ),
    "a stated session key": (
        body(
            BATCH,
            {
                "r": [
                    {
                        "action": "s3:ListBucket",
                        "resource": BUCKET,
                        "context": [{"key": "aws:username", "values": ["root"]}],
                    }
                ]
            },
        ),
        {},
    ),
    "no credentials": (body(ONE, LIST_BUCKET), {"Authorization": ""}),
    "another field": (body("{ whoAmI { arn } }"), {}),
}


@pytest.mark.parametrize("case", LEFT.values(), ids=LEFT.keys())
async def test_anything_else_is_answered_by_the_stack_as_without_the_lane(
    gateways: tuple[Gateway, Gateway],
    token: str,
    view_calls: list[str],
    case: tuple[bytes | None, dict[str, str]],
) -> None:
    content, extra = case
    lane, stack = gateways
    headers = {k: v for k, v in sent(token, **extra).items() if v}
    if content is None:  # an iterator is sent chunked, without a Content-Length

        async def chunks() -> AsyncIterator[bytes]:
            yield body(ONE, LIST_BUCKET)

        response = await lane.client.post("/graphql", content=chunks(), headers=headers)
        answered = Answer(response.status_code, dict(response.headers), response.content)
        response = await stack.client.post("/graphql", content=chunks(), headers=headers)
        expected = Answer(response.status_code, dict(response.headers), response.content)
    else:
        answered = await lane.post(content, headers)
        expected = await stack.post(content, headers)
    assert answered.comparable() == expected.comparable()
    assert answered.body == expected.body
    if expected.status != 413:  # the body limit answers before the view
        assert view_calls == ["/graphql", "/graphql"]


async def test_non_ascii_answers_are_the_same_json(
    gateways: tuple[Gateway, Gateway], token: str, view_calls: list[str]
) -> None:
    lane, stack = gateways
    content = body(ONE, {"a": "s3:ListBucket", "r": "arn:aws:s3:::café-☕"})
    answered, expected = (
        await lane.post(content, sent(token)),
        await stack.post(content, sent(token)),
    )
    assert view_calls == ["/graphql"]
    assert json.loads(answered.body) == json.loads(expected.body)
    assert json.loads(answered.body)["data"]["authorize"]["resource"] == "arn:aws:s3:::café-☕"


async def test_the_lanes_answers_are_counted_in_the_metrics(
    gateways: tuple[Gateway, Gateway], token: str
) -> None:
    lane, _ = gateways
    for _ in range(3):
        assert (await lane.post(body(ONE, LIST_BUCKET), sent(token))).status == 200
    metrics = (await lane.client.get("/metrics")).text
    count = 'gateway_graphql_requests_total{operation_type="query",outcome="ok"} 3.0'
    assert count in metrics


async def test_a_cross_origin_request_goes_to_the_stack_for_its_cors_headers(
    database_url: str, db: object, account: Account, view_calls: list[str]
) -> None:
    await ensure_builtin_policies()
    app = create_app(
        Settings(
            database_url=database_url,
            secret_key=TEST_SECRET_KEY,
            cors_origins=("https://app.example",),
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
        api = Api(c)
        root = await sign_in_root(api)
        view_calls.clear()
        headers = sent(root, Origin="https://app.example")
        response = await c.post("/graphql", content=body(ONE, LIST_BUCKET), headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert view_calls == ["/graphql"]


async def asgi_post(
    app: Starlette, messages: list[dict[str, Any]], length: int | bytes, token: str
) -> tuple[int, bytes]:
    """POST `messages` (the body's, then what the client does) to `app` directly, announcing
    `length` bytes."""
    pending = list(messages)
    sent_back: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent_back.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"gw"),
            (b"content-type", b"application/json"),
            (b"content-length", length if isinstance(length, bytes) else b"%d" % length),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("gw", 80),
    }
    await app(scope, receive, send)
    start = next((m for m in sent_back if m["type"] == "http.response.start"), None)
    return (0 if start is None else start["status"]), b"".join(
        m.get("body", b"") for m in sent_back if m["type"] == "http.response.body"
    )


async def test_a_body_in_several_parts_is_read_whole(
    gateway_settings: Settings, gateways: tuple[Gateway, Gateway], token: str, view_calls: list[str]
) -> None:
    app = create_app(gateway_settings)
    content = body(ONE, LIST_BUCKET)
    parts = [content[:10], content[10:50], content[50:]]
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": part, "more_body": i < 2} for i, part in enumerate(parts)
    ]
    status, answer = await asgi_post(app, messages, len(content), token)
    assert status == 200
    assert json.loads(answer)["data"]["authorize"]["effect"] == "ALLOW"
    assert view_calls == []


async def test_a_client_that_leaves_mid_body_is_left_to_the_stack(
    gateway_settings: Settings, gateways: tuple[Gateway, Gateway], token: str, view_calls: list[str]
) -> None:
    app = create_app(gateway_settings)
    content = body(ONE, LIST_BUCKET)
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": content[:20], "more_body": True},
        {"type": "http.disconnect"},
    ]
    await asgi_post(app, messages, len(content), token)
    assert view_calls == ["/graphql"]  # the stack read the same messages, and saw it leave


async def test_a_failure_in_the_lane_is_logged_and_the_stack_answers(
    gateways: tuple[Gateway, Gateway],
    token: str,
    view_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(RecognizedDocuments, "execute", broken)
    lane, _ = gateways
    answered = await lane.post(body(ONE, LIST_BUCKET), sent(token))
    assert answered.status == 200
    assert json.loads(answered.body)["data"]["authorize"]["effect"] == "ALLOW"
    assert view_calls == ["/graphql"]
    assert [r.getMessage() for r in caplog.records if r.name == "gateway.graphql.lane"] == [
        "The recognized lane failed; the stack answers instead"
    ]


async def test_a_content_length_python_cannot_read_is_the_stacks_400(
    gateway_settings: Settings, gateways: tuple[Gateway, Gateway], token: str
) -> None:
    content = body(ONE, LIST_BUCKET)
    length = b"0" * 5000 + b"%d" % len(content)  # the same number, past int()'s 4,300 digits
    messages = [{"type": "http.request", "body": content}]
    answered = await asgi_post(create_app(gateway_settings), messages, length, token)
    expected = await asgi_post(without_lane(create_app(gateway_settings)), messages, length, token)
    assert answered == expected
    assert answered[0] == 400


TEXT = st.text(max_size=12) | st.sampled_from(["s3:ListBucket", BUCKET, "*", "x" * 2049])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
QUESTION = st.fixed_dictionaries(
    {"action": TEXT, "resource": TEXT},
    optional={"context": st.lists(st.fixed_dictionaries({"key": TEXT, "values": st.lists(TEXT)}))},
)
DOCUMENTS = [
    ONE,
    BATCH,
    ONE.replace("query One", "query"),
    f'{{ authorize(action: "s3:ListBucket", resource: "{BUCKET}") {{ effect __typename }} }}',
    ONE.replace(SELECTION, "{ ...F }") + f" fragment F on Decision {SELECTION}",
    "{ whoAmI { arn } }",
    "{ authorize(",
]


# Each choice leans to the plain path (listed more than once), so that most examples are
# answered by the lane or miss it by one detail.
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.sampled_from([*DOCUMENTS[:4] * 3, *DOCUMENTS[4:]]) | TEXT,
    variables=st.fixed_dictionaries({"a": TEXT, "r": TEXT})
    | st.fixed_dictionaries({"r": st.lists(QUESTION, max_size=3)})
    | JSON_VALUES,
    operation=st.sampled_from([None, None, None, "One", "Other", 7]),
    accept=st.sampled_from([None, None, "*/*", "application/json", "text/html", "*/*;q=0"]),
    content_type=st.sampled_from(["application/json"] * 4 + ["APPLICATION/JSON", "text/plain"]),
    credentials=st.sampled_from(["token"] * 5 + ["none", "Bearer gw_forged", "Basic YTpi"]),
)
async def test_any_request_gets_the_stacks_answer(
    gateways: tuple[Gateway, Gateway],
    token: str,
    query: str,
    variables: object,
    operation: object,
    accept: str | None,
    content_type: str,
    credentials: str,
) -> None:
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    if credentials == "token":
        headers["Authorization"] = f"Bearer {token}"
    elif credentials != "none":
        headers["Authorization"] = credentials
    content = json.dumps({"query": query, "variables": variables, "operationName": operation})
    lane, stack = gateways
    answered = await lane.post(content.encode(), headers)
    expected = await stack.post(content.encode(), headers)
    assert answered.comparable() == expected.comparable()


REFUSED = {
    "a token of the right form that does not exist": ("Bearer gw_" + "A" * 43, {}),
    "a token that is not one": ("Bearer nope", {}),
    "an expired token": ("expired", {}),
    "another scheme": ("Basic YTpi", {}),
    "a scheme without credentials": ("Bearer ", {}),
    "a bad SigV4 signature": (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261205/us-east-1/iam/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        {},
    ),
    "in application/json": ("Bearer nope", {"Accept": "application/json"}),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
async def test_credentials_that_do_not_hold_are_refused_once_as_by_the_stack(
    gateways: tuple[Gateway, Gateway],
    token: str,
    view_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, dict[str, str]],
) -> None:
    credentials, extra = case
    if credentials == "expired":
        credentials = f"Bearer {token}"
        monkeypatch.setattr(
            "gateway.auth.sessions.clock.now", lambda: datetime.now(UTC) + timedelta(days=30)
        )
    lane, stack = gateways
    proofs: list[str] = []
    authenticate = Authenticator.authenticate_header

    async def counted(self: Authenticator, header: str | None, **kwargs: Any) -> Any:
        proofs.append(str(header))
        return await authenticate(self, header, **kwargs)

    monkeypatch.setattr(Authenticator, "authenticate_header", counted)
    headers = {**sent(token, **extra), "Authorization": credentials}
    answered = await lane.post(body(ONE, LIST_BUCKET), headers)
    assert view_calls == []
    assert len(proofs) == 1  # proven once
    expected = await stack.post(body(ONE, LIST_BUCKET), headers)
    assert view_calls == ["/graphql"]
    assert answered.comparable() == expected.comparable()
    assert answered.status in (401, 403, 200)
    if answered.status == 401:
        assert answered.headers["www-authenticate"].startswith("Bearer")
    assert json.loads(answered.body)["errors"][0]["extensions"]["code"]


async def test_a_body_longer_than_announced_is_read_no_further_than_the_limit(
    gateway_settings: Settings, gateways: tuple[Gateway, Gateway], token: str, view_calls: list[str]
) -> None:
    # The server frames bodies; should one ever pass more than the Content-Length said, the
    # lane stops at the body limit (4096 here) and the stack's limit refuses the rest.
    parts = [body(ONE, LIST_BUCKET)] + [b" " * 1000] * 8
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    taken = [dict(m) for m in messages]
    answered = await asgi_post(create_app(gateway_settings), taken, len(parts[0]), token)
    expected = await asgi_post(
        without_lane(create_app(gateway_settings)), messages, len(parts[0]), token
    )
    assert answered == expected
    assert answered[0] == 413


CONTENT_TYPES = [b"application/json", b"application/json; charset=utf-8", b"text/plain", b""]
ACCEPTS = [None, b"*/*", b"application/json", b"text/html", b"*/*;q=0", b"x" * 600]


def _bare_lane() -> RecognizedLane:
    """A lane for its header checks alone (nothing it would answer or hand on is called)."""
    unused: Any = None
    return RecognizedLane(unused, documents=unused, context_getter=unused, max_body_bytes=99)


@given(st.lists(st.tuples(st.sampled_from(CONTENT_TYPES), st.sampled_from(ACCEPTS)), max_size=30))
def test_the_lane_remembers_media_types_per_header_pair_and_boundedly(
    pairs: list[tuple[bytes, bytes | None]],
) -> None:
    # Each pair decides what a lane that never saw it decides; an attacker's endless variety,
    # or headers of any length, are not kept.
    lane = _bare_lane()
    for content_type, accept in pairs * 2:
        headers = {b"content-length": b"10", b"content-type": content_type}
        if accept is not None:
            headers[b"accept"] = accept
        assert lane._media_type(headers) == _bare_lane()._media_type(headers)
    assert all(len(c) + len(a or b"") <= 512 for c, a in lane._media_types)
    for n in range(300):
        accept = b"*/*;v=%d" % n
        headers = {b"content-length": b"1", b"content-type": b"application/json", b"accept": accept}
        assert lane._media_type(headers) == b"application/graphql-response+json"
    assert 0 < len(lane._media_types) <= 256
