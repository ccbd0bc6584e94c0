"""The real gateway on a clock the test moves: `uvicorn --factory tests.e2e.clocked_app:create_app`.

Every request, and the app's lifespan with its background chores, runs on one shared
`FrozenClock` that starts at the real now; `POST /__test__/clock` with `{"days": n}` (or
`hours`, `seconds`) moves it forward and answers the new time. Only the tests serve this
route: the gateway's own app has no way to move its clock.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import clock
from gateway.app import create_app as create_gateway

CLOCK_PATH = "/__test__/clock"


class ClockedApp:
    """The gateway behind a middleware that puts it on `self.clock`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.clock = clock.FrozenClock(clock.SystemClock().now())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CLOCK_PATH:
            await self._move(receive, send)
            return
        with clock.using(self.clock):
            await self.app(scope, receive, send)

    async def _move(self, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        delta: dict[str, Any] = json.loads(body or b"{}")
        self.clock.current += timedelta(**{k: float(v) for k, v in delta.items()})
        answer = json.dumps({"now": self.clock.current.isoformat()}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def create_app() -> ClockedApp:
    """The gateway from the environment's settings, on a movable clock."""
    return ClockedApp(create_gateway())
