"""Give every request an id, returned in `X-Request-ID` and put on its log lines
(`current_request_id`, read by `gateway.logs`); note its user agent.

A client's own `X-Request-ID` is kept when it is a sane token (letters, digits, `.`, `_`, `-`,
at most 128 characters), so a request can be followed through proxies; otherwise the
gateway makes one. While the request is handled it is in
`gateway.services.writes.request_id`, and its `User-Agent` in `writes.user_agent`, so audit
events carry both (CloudTrail's `requestID` and `userAgent`). A WebSocket connection gets one
id for its whole life (no response header: the handshake's answer is the server's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from random import getrandbits

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.services import writes

HEADER = "X-Request-ID"
_RAW_NAME = HEADER.lower().encode("ascii")
_SANE = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    current = writes.request_id.get()
    return None if current == writes.NO_REQUEST else current


class RequestIdMiddleware:
    """ASGI middleware that sets `X-Request-ID` on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        this_id = assign_request_id(scope)
        raw_id = this_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *(pair for pair in message.get("headers", ()) if pair[0].lower() != _RAW_NAME),
                    (_RAW_NAME, raw_id),
                ]
            await send(message)

        with request_in_progress(scope, this_id):
            await self.app(scope, receive, send_with_id)


def assign_request_id(scope: Scope, headers: Mapping[bytes, bytes] | None = None) -> str:
    """The request's id, kept in `scope["state"]["request_id"]`: the one it already has (a
    layer in front assigned it), else the client's sane `X-Request-ID`, else a new one.
    `headers`: the request's headers by lower-case name (at least `x-request-id`), when the
    caller has read them already."""
    state = scope.setdefault("state", {})
    this_id: str | None = state.get("request_id")
    if this_id is None:
        sent = _header(scope, _RAW_NAME) if headers is None else headers.get(_RAW_NAME)
        if sent is not None and _SANE.fullmatch(sent):
            this_id = bytes(sent).decode("ascii")
        else:
            # 128 random bits as 32 hex digits, like uuid4().hex, without a system call per
            # request: an id must be unique, not secret (`random` reseeds in forked workers).
            this_id = f"{getrandbits(128):032x}"
        state["request_id"] = this_id
    return this_id


class request_in_progress:
    """While the block runs, `this_id` and the request's user agent are the current ones
    (`writes.request_id`, `writes.user_agent`: log lines and audit events). A class rather
    than a generator: it runs on every request, and costs a third as much. `headers`: as for
    `assign_request_id` (at least `user-agent`)."""

    __slots__ = ("_agent", "_id", "_tokens")

    def __init__(
        self, scope: Scope, this_id: str, headers: Mapping[bytes, bytes] | None = None
    ) -> None:
        agent = _header(scope, b"user-agent") if headers is None else headers.get(b"user-agent")
        self._id = this_id
        self._agent = agent.decode("latin-1") if agent else ""

    def __enter__(self) -> None:
        self._tokens = (writes.request_id.set(self._id), writes.user_agent.set(self._agent))

    def __exit__(self, *exc_info: object) -> None:
        request_token, agent_token = self._tokens
        writes.user_agent.reset(agent_token)
        writes.request_id.reset(request_token)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None
