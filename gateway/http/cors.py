"""Cross-origin access for browser applications: only the origins the settings list.

Starlette's `CORSMiddleware` with `Settings.cors_origins` (no wildcard): GET and POST, the
headers a GraphQL client sends (`Authorization`, `Content-Type`, `Accept`, `X-Request-ID`), no
cookies (credentials are bearer tokens). With no origins configured there is no middleware at
all, and browsers refuse cross-origin calls.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway.config import Settings
from gateway.http.request_id import HEADER as REQUEST_ID_HEADER

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Accept", REQUEST_ID_HEADER)
PREFLIGHT_MAX_AGE = 600


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS middleware for `settings` (none when no origin is allowed)."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=[REQUEST_ID_HEADER],
            allow_credentials=False,
            max_age=PREFLIGHT_MAX_AGE,
        )
    ]
