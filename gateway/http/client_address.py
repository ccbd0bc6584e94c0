"""The client's address behind trusted reverse proxies (`GATEWAY_TRUSTED_PROXIES`).

Behind a reverse proxy every connection comes from the proxy, so without help the gateway
would see one address for everyone: the per-address lockout would lock everyone out at once,
and the audit trail's `sourceIPAddress` and policies' `aws:SourceIp` would all say the proxy.
A proxy reports the address it received the request from in `X-Forwarded-For` (appending to
the list it got) or in RFC 7239's `Forwarded` (`for=` parameters).

Those headers are only as good as whoever wrote them: a client can send either with any
address it likes. So they are believed only from a connection whose peer is a trusted proxy,
and only up to the first hop that is not one: reading the list from the right (the hop
nearest to the gateway), each address that is a trusted proxy is skipped, and the first one
that is not is the client (the rightmost untrusted hop); if every hop is trusted, the leftmost
is. A hop that is not an IP address (`unknown`, an obfuscated `_name`) ends the walk: the client
is then the last trusted proxy, never an address the client chose. When a request carries both
headers and they name different clients, one was written by the client and passed through:
neither is believed and the client is the peer. With no trusted proxies (the default), the
headers are ignored altogether.

`ClientAddressMiddleware` puts the client's address in the ASGI scope (`scope["client"]`, port
0 when it came from a header) for HTTP and WebSocket connections, so that everything reading
`request.client` (the GraphQL context, the IAM Query API, the sign-in lockout, the audit
trail) sees the real client. uvicorn's own proxy-header handling must be off
(`gateway serve` turns it off), or it would rewrite the scope first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.config import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

X_FORWARDED_FOR = b"x-forwarded-for"
FORWARDED = b"forwarded"
_FORWARDING = (X_FORWARDED_FOR, FORWARDED)


def client_address(
    peer: str, headers: Sequence[tuple[bytes, bytes]], trusted: Sequence[Network]
) -> str:
    """The client's address for a connection from `peer` with these (raw ASGI) headers: the
    rightmost untrusted hop of the forwarding headers when `peer` is a trusted proxy (see the
    module docstring), `peer` otherwise."""
    if not trusted or not _is_trusted(_address(peer), trusted):
        return peer
    forwarded = [value for name, value in headers if name == FORWARDED]
    x_forwarded_for = [value for name, value in headers if name == X_FORWARDED_FOR]
    answers = []
    if forwarded:
        answers.append(_walk(peer, _forwarded_hops(forwarded), trusted))
    if x_forwarded_for:
        answers.append(_walk(peer, _x_forwarded_for_hops(x_forwarded_for), trusted))
    if not answers or len(set(answers)) > 1:
        return peer
    return answers[0]


ANSWERS_REMEMBERED = 4096
"""How many (peer, forwarding headers) answers the middleware keeps: behind a proxy every
request asks, of the same few, and parsing addresses costs tens of microseconds."""
REMEMBERED_HEADER_BYTES = 512
"""Longer forwarding headers are answered but not remembered: 4,096 of them must not hold
megabytes."""


class ClientAddressMiddleware:
    """ASGI middleware: `scope["client"]` becomes the client behind trusted proxies."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted)
        self._answers: dict[tuple[object, ...], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            headers = scope["headers"]
            for name, _ in headers:
                if name in _FORWARDING:
                    break
            else:  # no forwarding header: the client is the peer, whoever the peer is
                await self.app(scope, receive, send)
                return
            forwarding = [item for item in headers if item[0] in _FORWARDING]
            if forwarding:
                peer = scope["client"][0]
                key = (peer, *forwarding)
                client = self._answers.get(key)
                if client is None:
                    client = client_address(peer, headers, self.trusted)
                    if sum(len(value) for _, value in forwarding) <= REMEMBERED_HEADER_BYTES:
                        if len(self._answers) >= ANSWERS_REMEMBERED:
                            self._answers.clear()  # whoever sends new headers only misses
                        self._answers[key] = client
                if client != peer:
                    scope = {**scope, "client": (client, 0)}
        await self.app(scope, receive, send)


def _walk(peer: str, hops: list[str], trusted: Sequence[Network]) -> str:
    """From the right: the first hop that is not a trusted proxy (see the module docstring)."""
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return client  # not an address: stop at the proxy that reported it
        client = str(address)
        if not _is_trusted(address, trusted):
            return client
    return client


def _is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted)


def _address(text: str) -> Address | None:
    """The IP address of a hop (`192.0.2.1`, `192.0.2.1:443`, `[2001:db8::1]:443`,
    `2001:db8::1`); None if it is not one."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _x_forwarded_for_hops(values: list[bytes]) -> list[str]:
    return [hop for value in values for hop in value.decode("latin-1").split(",")]


def _forwarded_hops(values: list[bytes]) -> list[str]:
    """The `for=` of each element of RFC 7239 `Forwarded` headers, in order; an element
    without one counts as an unknown hop."""
    hops = []
    for value in values:
        for element in value.decode("latin-1").split(","):
            found = "unknown"
            for pair in element.split(";"):
                name, _, given = pair.partition("=")
                if name.strip().lower() == "for":
                    found = given
            hops.append(found)
    return hops


__all__ = ["ClientAddressMiddleware", "client_address"]
