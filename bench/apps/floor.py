"""The HTTP floor of `authorize`: what uvicorn alone costs the gateway's request and answer.

A bare ASGI app, no framework: for ``POST /graphql`` it reads the body, parses it with orjson
and looks its ``Authorization`` header up in a dict, as the gateway's recognized lane starts,
then sends a prepared decision with the headers the gateway's answers carry (the security
headers, ``Cache-Control``, a request id) and a body of the size of ``(a)``'s. Nothing
decides, authenticates or records anything: the gap between this and ``(a)`` is the gateway's
own work, and what is left of ``(a)``'s cost is the HTTP stack's, which no gateway code can
remove.
"""

from __future__ import annotations

from typing import Any

import orjson

ANSWER = orjson.dumps(
    {
        "data": {
            "authorize": {
                "effect": "ALLOW",
                "statements": [
                    {"policy": "arn:aws:iam::123456789012:policy/SelfService", "sid": "Own"},
                    {"policy": "arn:aws:iam::aws:policy/IAMReadOnlyAccess", "sid": None},
                ],
                "missingContextKeys": [],
            }
        }
    }
)
HEADERS = [
    (b"cache-control", b"no-store"),
    (b"content-length", b"%d" % len(ANSWER)),
    (b"content-type", b"application/graphql-response+json"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
HEALTHY = b'{"status":"ok"}'
_callers: dict[bytes, str] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """(f) the prepared decision for `POST /graphql`; 200 for `GET /healthz`."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/graphql" and scope["method"] == "POST":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        request = orjson.loads(body)
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        # What the lane does before it decides anything: read the document, look the caller up.
        request.get("query")
        _callers.get(authorization)
        request_id = b"%032x" % id(request)
        headers = [*HEADERS, (b"x-request-id", request_id)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": ANSWER})
        return
    status, answer = (200, HEALTHY) if scope["path"] == "/healthz" else (404, b"{}")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer})
