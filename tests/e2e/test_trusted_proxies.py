"""`GATEWAY_TRUSTED_PROXIES` over real HTTP: a forwarding header from an untrusted peer is
ignored, from a trusted one believed, by the lockout, the audit trail and `aws:SourceIp`
alike. The tests' client connects from 127.0.0.1, which is the proxy here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.models import Account, AuditEvent
from gateway.services.inline_policies import put_user_policy
from gateway.services.login_profiles import create_login_profile
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.api import Api
from tests.helpers import GOOD_PASSWORD
from tests.servers import serve

CLIENT = "203.0.113.9"
SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) {"
    " signIn(account: $a, userName: $u, password: $p) { token } }"
)
AUTHORIZE = (
    'query { authorize(action: "s3:GetObject", resource: "arn:aws:s3:::receipts/1") { allowed } }'
)


@pytest.fixture
async def bob(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)
    office_only = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        },
    }
    await put_user_policy(
        root, user_name="bob", policy_name="OfficeOnly", policy_document=json.dumps(office_only)
    )


async def client_for(url: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Api(client)


@pytest.fixture
async def direct(database_url: str, bob: None) -> AsyncIterator[Api]:
    """A gateway that trusts no proxy (the default)."""
    with serve("gateway.app:create_app", database_url) as url:
        async for api in client_for(url):
            yield api


@pytest.fixture
async def proxied(database_url: str, bob: None) -> AsyncIterator[Api]:
    """A gateway behind a proxy on 127.0.0.1."""
    env = {"GATEWAY_TRUSTED_PROXIES": "127.0.0.0/8,::1"}
    with serve("gateway.app:create_app", database_url, env) as url:
        async for api in client_for(url):
            yield api


async def sign_in(api: Api, account: Account, password: str, via: str | None) -> list[str]:
    headers = {"X-Forwarded-For": via} if via else {}
    answer = await api(SIGN_IN, {"a": account.id, "u": "bob", "p": password}, headers=headers)
    if answer.data is not None and answer.data.get("signIn"):
        return [answer.data["signIn"]["token"]]
    return answer.error_codes()


async def last_sign_in_address() -> str:
    event = await AuditEvent.filter(action="gateway:SignIn").order_by("-id").first()
    assert event is not None
    return event.source_ip


async def test_a_forwarding_header_from_an_untrusted_peer_is_ignored(
    direct: Api, account: Account
) -> None:
    [token] = await sign_in(direct, account, GOOD_PASSWORD, via=CLIENT)
    assert await last_sign_in_address() == "127.0.0.1"
    decision = await direct(AUTHORIZE, token=token, headers={"X-Forwarded-For": CLIENT})
    assert decision.data == {"authorize": {"allowed": False}}  # aws:SourceIp is 127.0.0.1
    for _ in range(5):
        assert await sign_in(direct, account, "Wrong-passw0rd", via=CLIENT) == ["Unauthenticated"]
    # Claiming another address changes nothing: the lock is on 127.0.0.1.
    assert await sign_in(direct, account, GOOD_PASSWORD, via="198.51.100.1") == ["Throttled"]


async def test_a_forwarding_header_from_a_trusted_proxy_names_the_client(
    proxied: Api, account: Account
) -> None:
    [token] = await sign_in(proxied, account, GOOD_PASSWORD, via=f"1.2.3.4, {CLIENT}")
    assert await last_sign_in_address() == CLIENT  # the spoofed first hop is not believed
    decision = await proxied(AUTHORIZE, token=token, headers={"X-Forwarded-For": CLIENT})
    assert decision.data == {"authorize": {"allowed": True}}
    rfc_7239 = await proxied(AUTHORIZE, token=token, headers={"Forwarded": f"for={CLIENT}"})
    assert rfc_7239.data == {"authorize": {"allowed": True}}
    elsewhere = await proxied(AUTHORIZE, token=token, headers={"X-Forwarded-For": "192.0.2.1"})
    assert elsewhere.data == {"authorize": {"allowed": False}}
    # The lockout sees each client behind the proxy: one guessing locks only itself.
    for _ in range(5):
        assert await sign_in(proxied, account, "Wrong-passw0rd", via="198.51.100.66") == [
            "Unauthenticated"
        ]
    assert await sign_in(proxied, account, GOOD_PASSWORD, via="198.51.100.66") == ["Throttled"]
    [other] = await sign_in(proxied, account, GOOD_PASSWORD, via=CLIENT)
    assert other not in ("Throttled", "Unauthenticated")  # a token: not locked out
    events = await AuditEvent.filter(action="gateway:SignIn", error_code="Throttled")
    assert [event.source_ip for event in events] == ["198.51.100.66"]


async def test_each_request_is_decided_from_its_own_client_not_the_sign_ins(
    proxied: Api, account: Account
) -> None:
    """An application passing on its users' tokens asks from its own servers: aws:SourceIp is
    each request's client, however often the addresses alternate (the gateway remembers
    answers per address, and must never hand one address's to another)."""
    [token] = await sign_in(proxied, account, GOOD_PASSWORD, via="198.51.100.1")
    expected = {CLIENT: True, "192.0.2.1": False, "198.51.100.1": False, "203.0.113.77": True}
    for _ in range(3):
        for address, allowed in expected.items():
            answer = await proxied(AUTHORIZE, token=token, headers={"X-Forwarded-For": address})
            assert answer.data == {"authorize": {"allowed": allowed}}, address
