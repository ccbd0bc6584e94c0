"""The client's address behind trusted proxies: the rightmost untrusted hop, believed only
from a trusted peer, never an address the client chose."""

from __future__ import annotations

import asyncio
import ipaddress
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Receive, Scope, Send

from gateway.config import Network
from gateway.http import client_address as module
from gateway.http.client_address import ClientAddressMiddleware, client_address

PROXIES: tuple[Network, ...] = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("2001:db8:ffff::/48"),
)


def xff(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-forwarded-for", value.encode()) for value in values]


def forwarded(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"forwarded", value.encode()) for value in values]


def test_without_trusted_proxies_the_headers_are_ignored() -> None:
    assert client_address("10.0.0.1", xff("203.0.113.9"), ()) == "10.0.0.1"


def test_from_an_untrusted_peer_the_headers_are_ignored() -> None:
    assert client_address("198.51.100.4", xff("203.0.113.9"), PROXIES) == "198.51.100.4"


def test_from_a_trusted_peer_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client sent a made-up first hop; its own address was appended by the proxies.
    headers = xff("1.2.3.4, 203.0.113.9, 10.1.1.1", "10.2.2.2")
    assert client_address("10.0.0.1", headers, PROXIES) == "203.0.113.9"


def test_when_every_hop_is_a_trusted_proxy_the_leftmost_is_the_client() -> None:
    assert client_address("10.0.0.1", xff("10.9.9.9, 10.1.1.1"), PROXIES) == "10.9.9.9"


def test_rfc_7239_forwarded_with_ports_and_ipv6() -> None:
    headers = forwarded('for="[2001:db8:cafe::17]:4711";proto=https, for=10.1.1.1:80')
    assert client_address("10.0.0.1", headers, PROXIES) == "2001:db8:cafe::17"
    assert client_address("10.0.0.1", forwarded("For=203.0.113.9"), PROXIES) == "203.0.113.9"


def test_a_hop_that_is_no_address_stops_at_the_proxy_that_reported_it() -> None:
    assert client_address("10.0.0.1", xff("203.0.113.9, unknown, 10.1.1.1"), PROXIES) == (
        "10.1.1.1"
    )
    assert client_address("10.0.0.1", forwarded("for=_hidden"), PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", forwarded("by=10.0.0.1"), PROXIES) == "10.0.0.1"


def test_two_headers_that_disagree_are_both_disbelieved() -> None:
    """A proxy that writes one header passes the other through from the client."""
    headers = forwarded("for=203.0.113.9") + xff("1.2.3.4")
    assert client_address("10.0.0.1", headers, PROXIES) == "10.0.0.1"
    agreeing = forwarded("for=203.0.113.9") + xff("203.0.113.9")
    assert client_address("10.0.0.1", agreeing, PROXIES) == "203.0.113.9"


addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
hop_lists = st.lists(st.one_of(addresses, st.text(max_size=12)), max_size=6)


@given(peer=addresses, hops=hop_lists)
def test_an_untrusted_peer_is_the_client_whatever_it_sends(peer: str, hops: list[str]) -> None:
    if any(ipaddress.ip_address(peer) in network for network in PROXIES):
        return
    headers = xff(", ".join(hops)) + forwarded(", ".join(f"for={hop}" for hop in hops))
    assert client_address(peer, headers, PROXIES) == peer


@given(client=addresses, spoofed=st.lists(addresses, max_size=4))
def test_what_the_client_prepends_never_replaces_its_own_address(
    client: str, spoofed: list[str]
) -> None:
    """The proxy appends the client's address; whatever the client put before it is ignored
    (unless the client's own address is a trusted proxy's)."""
    if any(ipaddress.ip_address(client) in network for network in PROXIES):
        return
    headers = xff(", ".join([*spoofed, client]))
    assert client_address("10.0.0.1", headers, PROXIES) == str(ipaddress.ip_address(client))


few_peers = st.sampled_from(["10.0.0.1", "10.2.3.4", "198.51.100.4", "2001:db8:ffff::1"])
few_headers = st.lists(
    st.tuples(
        st.sampled_from([b"x-forwarded-for", b"forwarded", b"host", b"x-real-ip"]),
        st.sampled_from([b"203.0.113.9", b"for=203.0.113.9", b"1.2.3.4, 10.1.1.1", b"unknown"]),
    ),
    max_size=3,
)


@given(requests=st.lists(st.tuples(few_peers, few_headers), min_size=1, max_size=30))
def test_the_middleware_answers_as_client_address_for_every_request(
    requests: list[tuple[str, list[tuple[bytes, bytes]]]],
) -> None:
    """It remembers answers (by peer and forwarding headers, a few at a time here): each
    request's client is still the one `client_address` finds for it."""
    seen: list[tuple[str, int]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["client"])

    async def send_all() -> None:
        middleware = ClientAddressMiddleware(app, PROXIES)
        for peer, headers in requests:
            scope = {"type": "http", "client": (peer, 5000), "headers": headers}
            await middleware(scope, None, None)  # type: ignore[arg-type]
            assert len(middleware._answers) <= module.ANSWERS_REMEMBERED

    with mock.patch.object(module, "ANSWERS_REMEMBERED", 3):
        asyncio.run(send_all())

    expected = []
    for peer, headers in requests:
        client = client_address(peer, headers, PROXIES)
        expected.append((peer, 5000) if client == peer else (client, 0))
    assert seen == expected


def test_long_forwarding_headers_are_answered_but_not_remembered() -> None:
    seen: list[tuple[str, int]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["client"])

    middleware = ClientAddressMiddleware(app, PROXIES)
    long_chain = ", ".join(["10.1.1.1"] * 100 + ["203.0.113.9"])
    scope = {"type": "http", "client": ("10.0.0.1", 5000), "headers": xff(long_chain)}
    asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    assert seen == [("203.0.113.9", 0)]
    assert middleware._answers == {}
