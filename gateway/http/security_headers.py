"""Headers that make browsers treat the gateway's responses conservatively.

Every HTTP response gets, unless it already has them: `X-Content-Type-Options: nosniff`,
`Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` and a Content-Security-Policy that
allows nothing (`default-src 'none'; frame-ancestors 'none'`): API responses are data, never
documents. The GraphiQL page sends its own, narrower policy.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

RAW_DEFAULT_HEADERS = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in DEFAULT_HEADERS.items()
)
"""`DEFAULT_HEADERS` as ASGI header pairs, encoded once."""


class SecurityHeadersMiddleware:
    """ASGI middleware adding `DEFAULT_HEADERS` to responses that lack them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(raw for raw in RAW_DEFAULT_HEADERS if raw[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
