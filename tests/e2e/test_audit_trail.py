"""The audit trail read back over a real server: the coffee-shop story as CloudTrail records,
and the live subscription over WebSocket (graphql-transport-ws) with a client nobody here
wrote (`gql` and its websockets transport), across two replicas on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api
from tests.databases import BACKEND
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.servers import serve

PASSWORD = "Flat-White-99"
LIVE_LIMIT = 1.0
CONSOLE = "https://console.coffee.example"
GRAPHQL_WS = Subprotocol("graphql-transport-ws")
EVENTS = """query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { edges { node {
  eventName eventSource eventType readOnly outcome errorCode errorMessage
  userIdentity { type arn userName sessionContext {
    attributes { mfaAuthenticated } sessionIssuer { type arn userName } } }
  requestParameters responseElements additionalEventData
  decision { effect deniedBy }
} } } }"""
LIVE = "subscription($f: AuditEventFilter) { auditEvents(filter: $f) { eventName resource } }"


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/graphql"


def transport(base: str, credential: str, **extra: Any) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=ws_url(base), init_payload={"Authorization": credential}, **extra
    )


async def ok(api: Api, query: str, variables: dict[str, Any] | None = None, *, token: str) -> Any:
    result = await api(query, variables, token=token)
    assert result.errors == [], result.errors
    return result.data


async def sign_in_root(api: Api) -> str:
    data = await ok(
        api,
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
        token="",
    )
    return str(data["signInRoot"]["token"])


async def events(api: Api, token: str, **wanted: Any) -> list[dict[str, Any]]:
    data = await ok(api, EVENTS, {"f": wanted}, token=token)
    return [edge["node"] for edge in data["auditEvents"]["edges"]]


async def subscribe_until_the_end(
    over: WebsocketsTransport, subscribed: asyncio.Event | None = None
) -> None:
    """Follow the trail until the server ends the subscription (raising its error)."""
    async with Client(transport=over) as session:
        if subscribed is not None:
            subscribed.set()
        async for _ in session.subscribe(gql(LIVE)):
            pass


@pytest.fixture
async def shop(gateway_url: str, account: Account) -> AsyncIterator[Api]:
    await ensure_builtin_policies()
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        yield Api(client)


async def test_the_coffee_shop_story_read_back_from_the_trail(shop: Api, account: Account) -> None:
    api = shop
    root = await sign_in_root(api)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{account.id}:root"},
            },
        }
    )
    may_assume = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
        }
    )
    await ok(
        api,
        "mutation($p: String!, $t: String!, $a: String!) {"
        ' createUser(input: {userName: "jorge"}) { arn }'
        ' createLoginProfile(userName: "jorge", password: $p) { userName }'
        ' putUserPolicy(userName: "jorge", policyName: "Till", policyDocument: $a) { policyName }'
        ' createRole(input: {roleName: "Cashier", path: "/shop/", assumeRolePolicyDocument: $t})'
        " { arn } }",
        {"p": PASSWORD, "t": trust, "a": may_assume},
        token=root,
    )
    jorge = await api.sign_in(account.id, "jorge", PASSWORD)
    assert (await api("{ users { edges { cursor } } }", token=jorge)).error_codes() == [
        "AccessDenied"
    ]
    role_arn = f"arn:aws:iam::{account.id}:role/shop/Cashier"
    switched = await ok(
        api,
        "mutation($r: String!) { switchRole(roleArn: $r) { token } }",
        {"r": role_arn},
        token=jorge,
    )
    await ok(api, "mutation { switchBack { token } }", token=switched["switchRole"]["token"])

    # The owner's root sign-in.
    [login] = await events(
        api, root, eventName="ConsoleLogin", principalArn=f"arn:aws:iam::{account.id}:root"
    )
    assert (login["eventSource"], login["eventType"]) == (
        "signin.amazonaws.com",
        "AwsConsoleSignIn",
    )
    assert login["userIdentity"]["type"] == "Root"
    assert login["responseElements"] == {"ConsoleLogin": "Success"}
    assert login["additionalEventData"]["MFAUsed"] == "No"
    # Creating the cashier.
    [created] = await events(api, root, action="iam:CreateUser")
    assert created["requestParameters"] == {"userName": "jorge", "path": "/"}
    assert created["responseElements"]["user"]["arn"] == f"arn:aws:iam::{account.id}:user/jorge"
    # Jorge's denied ListUsers, with its deciding layer.
    [denied] = await events(api, root, outcome="DENIED", action="iam:ListUsers")
    assert denied["userIdentity"]["userName"] == "jorge"
    assert denied["errorCode"] == "AccessDenied"
    assert denied["errorMessage"].endswith(
        "because no identity-based policy allows the iam:ListUsers action"
    )
    assert denied["decision"] == {"effect": "IMPLICIT_DENY", "deniedBy": "identity"}
    # The role switch and the way back, as the console's sign-in events.
    [switch] = await events(api, root, eventName="SwitchRole")
    assert (switch["eventSource"], switch["eventType"]) == (
        "signin.amazonaws.com",
        "AwsConsoleSignIn",
    )
    assert switch["responseElements"] == {"SwitchRole": "Success"}
    [back] = await events(api, root, eventName="ExitRole")
    assert back["userIdentity"]["type"] == "AssumedRole"
    issuer = back["userIdentity"]["sessionContext"]["sessionIssuer"]
    assert (issuer["type"], issuer["arn"], issuer["userName"]) == ("Role", role_arn, "Cashier")
    assert back["responseElements"] == {"ExitRole": "Success"}


@pytest.fixture
async def replicas(database_url: str, account: Account) -> AsyncIterator[tuple[str, str]]:
    """Two gateways on one PostgreSQL database; on SQLite (one process only) one gateway twice."""
    await ensure_builtin_policies()
    with serve("gateway.app:create_app", database_url) as first:
        if BACKEND != "postgres":
            yield first, first
            return
        with serve("gateway.app:create_app", database_url) as second:
            yield first, second


async def test_events_committed_through_one_replica_reach_a_subscriber_on_the_other(
    replicas: tuple[str, str],
) -> None:
    one, two = replicas
    async with httpx.AsyncClient(base_url=one, timeout=30) as client:
        api = Api(client)
        root = await sign_in_root(api)
        received: list[tuple[float, dict[str, Any]]] = []
        subscribed = asyncio.Event()

        async def listen() -> None:
            async with Client(transport=transport(two, f"Bearer {root}")) as session:
                subscribed.set()
                wanted = {"action": "iam:Create*"}
                async for result in session.subscribe(
                    GraphQLRequest(LIVE, variable_values={"f": wanted})
                ):
                    received.append((time.monotonic(), result["auditEvents"]))

        listening = asyncio.create_task(listen())
        await asyncio.wait_for(subscribed.wait(), 10)
        await asyncio.sleep(0.5)  # subscribed on the server side too
        started = time.monotonic()
        await ok(api, 'mutation { createGroup(groupName: "Baristas") { arn } }', token=root)
        await ok(api, 'mutation { createUser(input: {userName: "maria"}) { arn } }', token=root)
        await ok(api, 'mutation { deleteGroup(groupName: "Baristas") }', token=root)
        while len(received) < 2 and time.monotonic() - started < 3 * LIVE_LIMIT:
            await asyncio.sleep(0.02)
        names = [event["eventName"] for _, event in received]
        assert names == ["CreateGroup", "CreateUser"], "DeleteGroup is filtered out"
        latency = received[0][0] - started
        print(f"first event on the other replica after {latency:.3f} s ({BACKEND})")
        assert latency <= LIVE_LIMIT

        # Signing out ends the stream, with the session's error.
        await ok(api, "mutation { signOut }", token=root)
        with pytest.raises(TransportQueryError) as ended:
            await asyncio.wait_for(listening, 5)
        assert ended.value.errors is not None
        assert ended.value.errors[0]["extensions"]["code"] == "Unauthenticated"


@pytest.fixture
def console_gateway(database_url: str, account: Account) -> Iterator[str]:
    """A gateway whose console (a browser page) lives on CONSOLE."""
    with serve("gateway.app:create_app", database_url, {"GATEWAY_CORS_ORIGINS": CONSOLE}) as url:
        yield url


async def test_websocket_connections_are_authenticated_and_browsers_from_elsewhere_refused(
    console_gateway: str, account: Account
) -> None:
    await ensure_builtin_policies()
    base = console_gateway
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        root = await sign_in_root(Api(client))
    init = {"type": "connection_init", "payload": {"Authorization": "Bearer gws_not-a-token"}}
    async with connect(ws_url(base), subprotocols=[GRAPHQL_WS]) as socket:
        await socket.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")

    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            ws_url(base),
            subprotocols=[GRAPHQL_WS],
            origin=Origin("https://evil.example"),
        ):
            pass
    assert refused.value.response.status_code == 403

    # The console's own origin is welcome, and only subscriptions are served.
    session_transport = transport(base, f"Bearer {root}", headers={"Origin": CONSOLE})
    async with Client(transport=session_transport) as session:
        with pytest.raises(TransportQueryError) as query:
            await session.execute(gql("{ whoAmI { arn } }"))
    assert query.value.errors is not None
    assert "Only subscriptions" in query.value.errors[0]["message"]


async def test_a_subscription_with_an_input_over_its_cap_is_refused_before_it_starts(
    console_gateway: str, account: Account
) -> None:
    """Input caps hold over WebSocket too: the refusal is the subscription's only answer, in
    the same words as over HTTP, and nothing is subscribed."""
    await ensure_builtin_policies()
    async with httpx.AsyncClient(base_url=console_gateway, timeout=30) as client:
        root = await sign_in_root(Api(client))
    oversized = GraphQLRequest(LIVE, variable_values={"f": {"eventName": "x" * 100_000}})
    received: list[Any] = []

    async def subscribe() -> None:
        async with Client(transport=transport(console_gateway, f"Bearer {root}")) as session:
            async for result in session.subscribe(oversized):
                received.append(result)

    with pytest.raises(TransportQueryError) as refused:
        await asyncio.wait_for(subscribe(), 10)
    assert received == []
    assert refused.value.errors is not None
    (error,) = refused.value.errors
    assert error["extensions"]["code"] == "ValidationError"
    assert error["message"].startswith("1 validation error detected: Value at 'filter.eventName'")


async def test_removing_the_permission_ends_a_subscription(
    console_gateway: str, account: Account
) -> None:
    await ensure_builtin_policies()
    base = console_gateway
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        api = Api(client)
        root = await sign_in_root(api)
        audit = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": "cloudtrail:*", "Resource": "*"},
            }
        )
        await ok(
            api,
            "mutation($p: String!, $d: String!) {"
            ' createUser(input: {userName: "auditor"}) { arn }'
            ' createLoginProfile(userName: "auditor", password: $p) { userName }'
            ' putUserPolicy(userName: "auditor", policyName: "Audit", policyDocument: $d)'
            " { policyName } }",
            {"p": PASSWORD, "d": audit},
            token=root,
        )
        auditor = await api.sign_in(account.id, "auditor", PASSWORD)
        subscribed = asyncio.Event()

        listening = asyncio.create_task(
            subscribe_until_the_end(transport(base, f"Bearer {auditor}"), subscribed)
        )
        await asyncio.wait_for(subscribed.wait(), 10)
        await asyncio.sleep(0.5)
        assert not listening.done()
        await ok(
            api,
            'mutation { deleteUserPolicy(userName: "auditor", policyName: "Audit") }',
            token=root,
        )
        with pytest.raises(TransportQueryError) as ended:
            await asyncio.wait_for(listening, 5)
        assert ended.value.errors is not None
        assert ended.value.errors[0]["extensions"]["code"] == "AccessDenied"

        # And a user without it cannot subscribe at all.
        with pytest.raises(TransportQueryError) as refused:
            await subscribe_until_the_end(transport(base, f"Bearer {auditor}"))
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == "AccessDenied"
