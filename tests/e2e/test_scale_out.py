"""Two gateway processes on one PostgreSQL database: a change made through one is in force on
the other within 100 ms (LISTEN/NOTIFY; measured), and within the session cache's lifetime
when notifications are not heard."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api
from tests.databases import BACKEND
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.servers import serve

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"
PASSWORD = "Flat-White-99"
PROPAGATION_LIMIT = 0.1
"""Seconds until a change is in force on the other replica (DESIGN: Scale-out)."""
FALLBACK_LIMIT = 1.0
"""The same without notifications: the session cache's lifetime (at most 1 s)."""
CAN = (
    'query { authorize(action: "s3:ListBucket",'
    ' resource: "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET") { allowed } }'
)

CAN_READ = (
    'query { authorize(action: "s3:GetObject",'
    ' resource: "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET/receipt.txt") { allowed } }'
)


pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="replicas share a PostgreSQL database (SQLite is one process)"
)


@pytest.fixture
async def replicas(database_url: str, account: Account) -> AsyncIterator[tuple[Api, Api]]:
    await ensure_builtin_policies()
    with (
        serve("gateway.app:create_app", database_url) as first,
        serve("gateway.app:create_app", database_url) as second,
    ):
        async with (
            httpx.AsyncClient(base_url=first, timeout=30) as a,
            httpx.AsyncClient(base_url=second, timeout=30) as b,
        ):
            yield Api(a), Api(b)


async def seconds_until(check: Callable[[], Awaitable[bool]]) -> float:
    """Time until `check()` holds, polling; fails past the fallback's limit."""
    start = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - start
        if time.monotonic() - start > 2 * FALLBACK_LIMIT:
            pytest.fail("the change did not reach the other replica")


async def test_changes_through_one_replica_are_enforced_by_the_other_within_100_ms(
    replicas: tuple[Api, Api], account: Account
) -> None:
    one, two = replicas
    root = await one(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    assert root.data is not None
    admin = root.data["signInRoot"]["token"]
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET},
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"{BUCKET}/*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/till": "open"}},
                },
            ],
        }
    )
    setup = await one(
        "mutation($d: String!, $p: String!) {"
        ' createGroup(groupName: "Cashiers") { arn }'
        ' createPolicy(input: {policyName: "Receipts", policyDocument: $d}) { arn }'
        ' createUser(input: {userName: "jorge"}) { arn }'
        ' createLoginProfile(userName: "jorge", password: $p) { userName }'
        ' addUserToGroup(groupName: "Cashiers", userName: "jorge") { arn } }',
        {"d": document, "p": PASSWORD},
        token=admin,
    )
    assert setup.errors == [], setup.errors
    assert setup.data is not None
    policy = setup.data["createPolicy"]["arn"]
    attach = (
        'mutation($a: String!) { attachGroupPolicy(groupName: "Cashiers", policyArn: $a) { arn } }'
    )
    assert (await one(attach, {"a": policy}, token=admin)).errors == []

    # The session opened on replica one works on replica two.
    jorge = await one.sign_in(account.id, "jorge", PASSWORD)

    async def allowed_on_two() -> bool:
        result = await two(CAN, token=jorge)
        return bool(result.data and result.data["authorize"]["allowed"])

    assert await allowed_on_two()

    timings = {}
    detach = attach.replace("attachGroupPolicy", "detachGroupPolicy")
    assert (await one(detach, {"a": policy}, token=admin)).errors == []
    timings["policy detached"] = await seconds_until(lambda: _not(allowed_on_two()))

    assert (await one(attach, {"a": policy}, token=admin)).errors == []
    timings["policy attached again"] = await seconds_until(allowed_on_two)

    # Tags change no policy (the compiled policies stay cached) but do change decisions
    # through aws:PrincipalTag: in force on the other replica as quickly.
    async def reads_on_two() -> bool:
        result = await two(CAN_READ, token=jorge)
        return bool(result.data and result.data["authorize"]["allowed"])

    assert not await reads_on_two()
    tag = 'mutation { tagUser(userName: "jorge", tags: [{key: "till", value: "open"}]) { arn } }'
    assert (await one(tag, token=admin)).errors == []
    timings["principal tagged"] = await seconds_until(reads_on_two)
    untag = 'mutation { untagUser(userName: "jorge", tagKeys: ["till"]) { arn } }'
    assert (await one(untag, token=admin)).errors == []
    timings["principal untagged"] = await seconds_until(lambda: _not(reads_on_two()))

    removal = 'mutation { removeUserFromGroup(groupName: "Cashiers", userName: "jorge") { arn } }'
    assert (await one(removal, token=admin)).errors == []
    timings["user removed from group"] = await seconds_until(lambda: _not(allowed_on_two()))

    assert (await one("mutation { signOut }", token=jorge)).errors == []

    async def rejected_on_two() -> bool:
        return (await two("{ whoAmI { arn } }", token=jorge)).error_codes() == ["Unauthenticated"]

    timings["session revoked"] = await seconds_until(rejected_on_two)

    print("propagation to the other replica (s):", {k: round(v, 4) for k, v in timings.items()})
    assert all(seconds <= PROPAGATION_LIMIT for seconds in timings.values()), timings


async def _not(value: Awaitable[bool]) -> bool:
    return not await value
