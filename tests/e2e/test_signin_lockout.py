"""Sign-in lockout over real HTTP, under concurrency: however many wrong passwords or MFA codes
arrive at once, and at however many replicas, no more than the threshold are verified.

On PostgreSQL the attempts are spread over two gateway processes sharing the database; SQLite
is for one process, so there they all go to one. What was verified is counted from the audit
trail: every verified wrong password leaves a Failed `gateway:SignIn` event with the code
`Unauthenticated` (a wrong MFA code, `InvalidAuthenticationCode`), every refused attempt one
with `Throttled`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import httpx
import pytest

from gateway.config import Settings
from gateway.models import Account, AuditEvent
from gateway.services.login_profiles import create_login_profile
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.users import create_user
from tests.api import Api, Result
from tests.databases import BACKEND
from tests.helpers import GOOD_PASSWORD
from tests.mfa import Authenticator, enroll
from tests.servers import serve

THRESHOLD = Settings().lockout_identity_failures
SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) {"
    " signIn(account: $a, userName: $u, password: $p) { token } }"
)
VERIFY = "mutation($c: String!, $k: String!) { verifyMfa(challenge: $c, code: $k) { token } }"


@pytest.fixture
def replica_urls(database_url: str) -> Iterator[list[str]]:
    """Two gateways on the test's database (one on SQLite, which is for one process)."""
    with ExitStack() as stack:
        count = 2 if BACKEND == "postgres" else 1
        yield [
            stack.enter_context(serve("gateway.app:create_app", database_url)) for _ in range(count)
        ]


@pytest.fixture
async def apis(replica_urls: list[str]) -> AsyncIterator[list[Api]]:
    limits = httpx.Limits(max_connections=200)
    clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in replica_urls]
    try:
        yield [Api(client) for client in clients]
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture
async def bob(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)


async def failed_events(code: str) -> int:
    return await AuditEvent.filter(
        action="gateway:SignIn", outcome="Failed", error_code=code
    ).count()


def codes(results: list[Result]) -> list[str]:
    return sorted(code for result in results for code in result.error_codes())


async def test_fifty_wrong_passwords_at_once_across_replicas_verify_at_most_the_threshold(
    apis: list[Api], account: Account, bob: None
) -> None:
    variables = {"a": account.id, "u": "bob", "p": "Wrong-passw0rd"}
    results = await asyncio.gather(*(apis[n % len(apis)](SIGN_IN, variables) for n in range(50)))
    assert codes(results) == ["Throttled"] * (50 - THRESHOLD) + ["Unauthenticated"] * THRESHOLD
    assert await failed_events("Unauthenticated") == THRESHOLD
    assert await failed_events("Throttled") == 50 - THRESHOLD
    right = await apis[-1](SIGN_IN, {**variables, "p": GOOD_PASSWORD})
    assert right.error_codes() == ["Throttled"]  # the lock holds against the right password


async def test_forty_challenges_times_three_wrong_codes_at_once_check_at_most_the_threshold(
    apis: list[Api], account: Account, root: Principal, bob: None, cipher: SeedCipher
) -> None:
    phone: Authenticator = await enroll(root, cipher, "bob")
    variables = {"a": account.id, "u": "bob", "p": GOOD_PASSWORD}
    challenges = []
    for n in range(40):
        answer = await apis[n % len(apis)](SIGN_IN, variables)
        assert answer.error_codes() == ["MfaRequired"], answer.errors
        challenges.append(answer.only_error()["extensions"]["challenge"])
    wrong = "000000" if "000000" not in {phone.code(-1), phone.code(), phone.code(1)} else "999999"
    results = await asyncio.gather(
        *(
            apis[(n + k) % len(apis)](VERIFY, {"c": challenge, "k": wrong})
            for n, challenge in enumerate(challenges)
            for k in range(3)
        )
    )
    checked = codes(results).count("InvalidAuthenticationCode")
    assert checked == THRESHOLD
    assert set(codes(results)) == {"InvalidAuthenticationCode", "Throttled"}
    assert await failed_events("InvalidAuthenticationCode") == THRESHOLD
