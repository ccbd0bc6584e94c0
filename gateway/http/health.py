"""Health endpoints for orchestrators: is the process alive, and is it ready for traffic.

- `GET /healthz`: liveness. 200 `{"status": "ok"}` whenever the process answers HTTP at all; it
  reads nothing, so a database outage does not get healthy replicas restarted.
- `GET /readyz`: readiness. 200 when the database answers and every migration in
  `migrations/` is applied (`{"status": "ok", "database": "ok", "migrations": "ok"}`); 503
  otherwise, saying which (`"database": "unreachable"`, or `"migrations": "pending"` with the
  names of those not applied yet). The image's health check and compose's start order use it.

Neither is cached by a proxy, and a failure is logged in one line, never with a traceback.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise.connection import get_connection

from gateway.db import pending_migrations

logger = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> Response:
    """200 while the process serves requests."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> Response:
    """200 when the database answers and its schema is at the latest migration, else 503."""
    try:
        pending = await pending_migrations(get_connection("default"))
    except Exception as error:
        logger.warning("Readiness: the database does not answer (%s)", type(error).__name__)
        body = {"status": "unavailable", "database": "unreachable"}
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    if pending:
        logger.warning("Readiness: %d migrations are not applied yet", len(pending))
        body = {"status": "unavailable", "database": "ok", "migrations": "pending"}
        return JSONResponse({**body, "pending": pending}, status_code=503, headers=NO_STORE)
    body = {"status": "ok", "database": "ok", "migrations": "ok"}
    return JSONResponse(body, headers=NO_STORE)
