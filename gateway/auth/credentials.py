"""The one door for credentials: an `Authorization` header value → the caller it proves.

HTTP requests and WebSocket connections (their `connection_init` payload) both come through
`authenticate_header`, so a scheme added here works for both:

- `Bearer <token>`: a sign-in session or temporary credentials' session token
  (`gateway.auth.sessions`);
- `GatewayKey <access key id>:<secret>`: an access key (`gateway.auth.access_keys`).

Scheme names are compared ignoring case. Anything else, or nothing, is Unauthenticated.
"""

from __future__ import annotations

from gateway.auth.access_keys import SCHEME as KEY_SCHEME
from gateway.auth.access_keys import authenticate_key
from gateway.auth.sessions import Authenticated, SessionCache, authenticate
from gateway.errors import Unauthenticated

BEARER = "bearer "
NEEDS_CREDENTIALS = "This operation needs a signed-in caller."


async def authenticate_header(
    header: str | None, *, source_ip: str, cache: SessionCache | None = None
) -> Authenticated:
    """The caller that `header` (an `Authorization` value) proves; Unauthenticated (or
    ExpiredToken) otherwise."""
    token = bearer_token(header)
    if token is not None:
        return await authenticate(token, source_ip=source_ip, cache=cache)
    credential = access_key_credential(header)
    if credential is not None:
        return await authenticate_key(credential, source_ip=source_ip, cache=cache)
    raise Unauthenticated(NEEDS_CREDENTIALS)


def bearer_token(header: str | None) -> str | None:
    """The token of `Bearer <token>`, if that is what `header` holds."""
    return _after(header, BEARER)


def access_key_credential(header: str | None) -> str | None:
    """The `<id>:<secret>` of `GatewayKey <id>:<secret>`, if that is what `header` holds."""
    return _after(header, KEY_SCHEME)


def _after(header: str | None, scheme: str) -> str | None:
    if not header or header[: len(scheme)].lower() != scheme:
        return None
    return header[len(scheme) :].strip() or None
