"""The recognized lane: `authorize` and `authorizeAll` answered in front of the middleware.

Applications ask for decisions on every one of their own requests, always with the same
document (`gateway.graphql.recognized`). Answering one through the whole stack (four
middleware layers and Starlette's exception and routing layers, each wrapping `send`, then
the view's request and response objects) cost about a third of the gateway's CPU per
`authorize` (measured under load: 150 µs of server CPU per request through the stack, about
110 through this lane, with its orjson and compiled answer shapes). So `RecognizedLane` sits
in front of the stack (after the client-address middleware) and answers a request itself
when, and only when, it is plainly one it can:

- `POST` to the GraphQL path, with a `Content-Length` within the body limit;
- a Content-Type the view accepts (`content_type_refusal`) and an Accept it can answer
  (`negotiate`); no `Origin` header when CORS is on (that middleware decorates the answer);
- a recognized document whose answer `RecognizedDocuments.execute` gives (a signed-in
  caller, plain variables within their caps, a session the field does not refuse).

Anything else, at any step and before anything is sent, goes on to the stack with the body
the lane already read, and is answered exactly as it would be without the lane: every
refusal and error is the stack's, but one. Credentials that do not hold are refused here,
with the view's own answer (`credentials_refusal`): handing them on would prove them twice,
and an unknown token would cost two database reads instead of one. What the stack's layers
add to an answer, the lane adds the same way: the request id (`gateway.http.request_id`, on
the response and the log lines), the security headers (`gateway.http.security_headers`),
`Cache-Control: no-store` and the request's metrics (`gateway.http.metrics`: a query that
succeeded, or a request refused before running).
"""

from __future__ import annotations

import logging
import time

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import GatewayError
from gateway.graphql.negotiation import content_type_refusal, negotiate
from gateway.graphql.observation import Observer
from gateway.graphql.recognized import RecognizedDocuments
from gateway.graphql.view import ContextGetter, credentials_refusal
from gateway.http.request_id import assign_request_id, request_in_progress
from gateway.http.security_headers import RAW_DEFAULT_HEADERS

logger = logging.getLogger("gateway.graphql.lane")


_WANTED = frozenset(
    (b"content-length", b"content-type", b"accept", b"origin", b"x-request-id", b"user-agent")
)
_REMEMBERED_MEDIA_TYPES = 256
_REMEMBERED_HEADERS_BYTES = 512


class RecognizedLane:
    """ASGI middleware answering recognized GraphQL documents itself (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        documents: RecognizedDocuments,
        context_getter: ContextGetter,
        max_body_bytes: int,
        observe: Observer | None = None,
        www_authenticate: str = "Bearer",
        cors: bool = False,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.documents = documents
        self.context_getter = context_getter
        self.max_body_bytes = max_body_bytes
        self.observe = observe
        self.www_authenticate = www_authenticate
        self.cors = cors
        self.path = path
        # (Content-Type, Accept) → the answer's media type or None, as `_media_type` found it.
        self._media_types: dict[tuple[bytes, bytes | None], bytes | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        media_type = self._media_type(headers)
        if media_type is None:
            await self.app(scope, receive, send)
            return
        received, body = await _read_body(receive, self.max_body_bytes)
        replay = _replaying(received, receive)
        answer: bytes | Response | None = None
        if body is not None and b"authorize" in body:
            started = time.perf_counter()
            this_id = assign_request_id(scope, headers)
            with request_in_progress(scope, this_id, headers):
                try:
                    answer = await self._answer(scope, replay, body, media_type)
                except Exception:
                    logger.exception("The recognized lane failed; the stack answers instead")
        if answer is None:
            await self.app(scope, replay, send)
            return
        raw_id = this_id.encode("ascii")
        if isinstance(answer, Response):
            answer.raw_headers.extend((*RAW_DEFAULT_HEADERS, (b"x-request-id", raw_id)))
            await answer(scope, replay, send)
            if self.observe is not None:
                self.observe("unknown", "rejected", time.perf_counter() - started)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"cache-control", b"no-store"),
                    (b"content-length", b"%d" % len(answer)),
                    (b"content-type", media_type),
                    *RAW_DEFAULT_HEADERS,
                    (b"x-request-id", raw_id),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})
        if self.observe is not None:
            self.observe("query", "ok", time.perf_counter() - started)

    def _media_type(self, headers: dict[bytes, bytes]) -> bytes | None:
        """The answer's media type when the request's headers are the lane's to answer."""
        length = headers.get(b"content-length")
        # (Python refuses to read an int of more than 4,300 digits, and zeros may lead.)
        if length is None or len(length) > 18 or not length.isdigit():
            return None
        if int(length) > self.max_body_bytes:
            return None
        if self.cors and b"origin" in headers:
            return None
        content_type = headers.get(b"content-type")
        if content_type is None:
            return None
        accept = headers.get(b"accept")
        key = (content_type, accept)
        try:
            return self._media_types[key]
        except KeyError:
            pass
        media_type: bytes | None = None
        if not content_type_refusal(content_type.decode("latin-1")):
            chosen = negotiate(None if accept is None else accept.decode("latin-1"))
            media_type = None if chosen is None else chosen.encode("ascii")
        # Clients send the same few pairs; an attacker's endless variety is not kept.
        if len(content_type) + len(accept or b"") <= _REMEMBERED_HEADERS_BYTES:
            if len(self._media_types) >= _REMEMBERED_MEDIA_TYPES:
                self._media_types.clear()
            self._media_types[key] = media_type
        return media_type

    async def _answer(
        self, scope: Scope, receive: Receive, body: bytes, media_type: bytes
    ) -> bytes | Response | None:
        """The response body; the refusal of credentials that do not hold; or None to leave
        the request to the stack."""
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError:  # not UTF-8, not JSON, too deep: the stack says which
            return None
        if not isinstance(params, dict):
            return None
        query = params.get("query")
        if not isinstance(query, str):
            return None
        plan = self.documents.plan(query, params.get("operationName"))
        if plan is None:
            return None
        try:
            context = await self.context_getter(Request(scope, receive), None)  # type: ignore[arg-type]
        except GatewayError as error:
            # Answered here as the view answers it: handing the request on would prove the
            # credentials twice (for an unknown token, two database reads per request).
            return credentials_refusal(error, media_type.decode(), self.www_authenticate)
        data = await self.documents.execute(plan, context, params.get("variables"))
        if data is None:
            return None
        return orjson.dumps({"data": data})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers the lane reads, by name (the first of each, as Starlette's
    `Headers.get` reads them: ASGI servers give names in lower case)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value
    return found


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The messages received for the body, and the body: None when the client went away, or
    when more than `limit` bytes came whatever the Content-Length said (the stack's body
    limit then refuses it; the lane never holds more than that)."""
    received = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return received, None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return received, None
        if not message.get("more_body", False):
            if not chunks:
                return received, chunk  # the usual: the whole body in one message
            chunks.append(chunk)
            return received, b"".join(chunks)
        chunks.append(chunk)


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """`receive` for the stack: the messages the lane received, then the connection's."""
    pending = list(received)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


__all__ = ["RecognizedLane"]
