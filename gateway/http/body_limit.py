"""Refuse request bodies larger than a limit, before the application reads them.

Nothing in uvicorn, Starlette or Strawberry limits a body's size. This middleware answers 413
when `Content-Length` announces too many bytes, and, for bodies without one (chunked
transfer encoding), counts the bytes as the application receives them and answers 413 as
soon as the count passes the limit. The body of a 413 is a GraphQL response with one error.

Before answering, the rest of the body is read and thrown away (up to `DRAIN_LIMIT` bytes),
so that the client, still sending, reads the 413 instead of a connection reset.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
DRAIN_LIMIT = 1_048_576
"""Most bytes of a refused body read and discarded before the 413 (beyond: just close)."""


class BodyTooLarge(Exception):
    """Raised into the application when a streamed body passes the limit."""


class BodySizeLimitMiddleware:
    """ASGI middleware answering 413 for HTTP request bodies over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            if declared <= DRAIN_LIMIT:
                await _drain(receive)
            await self._refuse(send, 413, self._too_large_message())
            return
        if declared is None and _has_header(scope, b"content-length"):
            await self._refuse(send, 400, "The Content-Length header is not a valid number.")
            return

        received = 0
        body_complete = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, body_complete
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if response_started:  # pragma: no cover - the app answered before reading it all
                raise
            if not body_complete:
                await _drain(receive)
            await self._refuse(send, 413, self._too_large_message())

    def _too_large_message(self) -> str:
        return f"The request body is larger than the limit of {self.max_bytes} bytes."

    @staticmethod
    async def _refuse(send: Send, status: int, message: str) -> None:
        code = PAYLOAD_TOO_LARGE if status == 413 else "BAD_REQUEST"
        body = json.dumps(
            {"errors": [{"message": message, "extensions": {"code": code}}]},
            separators=(",", ":"),
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read and discard the rest of the request body, up to `DRAIN_LIMIT` bytes."""
    drained = 0
    while drained <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


def _has_header(scope: Scope, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in scope["headers"])


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
            return length if length >= 0 else None
    return None
