"""Credentials → principal: the one place that reads a request's `Authorization` header.

The header's scheme (compared ignoring case) picks a validator from a table:

- `Bearer <token>`: a session token (signIn, verifyMfa, switchRole, getSessionToken,
  assumeRole), checked by `gateway.auth.sessions.authenticate`;
- `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: a request signed with AWS
  Signature Version 4 by an access key (`X-Amz-Security-Token` for temporary ones), checked by
  `gateway.auth.signed_requests.authenticate_signed`;
- `GatewayKey <id>:<secret>`: an access key sent as is, only with `GATEWAY_KEY_HEADER=true`,
  checked by `gateway.auth.access_keys.authenticate_key`.

No header: an anonymous request (sign-in needs none). A header that is present but unusable
— an unknown scheme (`Token x`), a bare token, a scheme that is turned off, an empty value —
is `Unauthenticated` saying the header was not understood, never silently anonymous; the
GraphQL view answers it with 401 and `WWW-Authenticate` naming the schemes this gateway
takes (`challenge`). The header's value is never quoted back (it may be a secret).

Each endpoint says which SigV4 signing services it serves: `gateway` for `/graphql`, `iam`
and `sts` for the Query APIs at `/aws/`. A WebSocket's `connection_init` payload carries its
`Authorization` value with no request to sign (`authenticate_header` without a request), so
there Bearer (and GatewayKey where it is on) are taken, and SigV4 is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request

from gateway.auth import sigv4
from gateway.auth.access_keys import authenticate_key
from gateway.auth.sessions import Authenticated, SessionCache, authenticate
from gateway.auth.signed_requests import authenticate_signed
from gateway.errors import Unauthenticated
from gateway.services.seeds import SeedCipher

BEARER = "bearer"
SIGV4 = sigv4.ALGORITHM.lower()
GATEWAY_KEY = "gatewaykey"
GRAPHQL_SERVICES = frozenset({"gateway"})
"""The SigV4 signing service of the GraphQL endpoint."""

NOT_SIGNABLE = (
    "A WebSocket's connection_init cannot carry an AWS Signature Version 4 signature: send "
    "'Bearer <session token>' (getSessionToken or assumeRole give one for an access key)."
)
NOT_UNDERSTOOD = (
    "The Authorization header was not understood: send 'Bearer <session token>', or sign the "
    "request with AWS Signature Version 4 ('AWS4-HMAC-SHA256 Credential=…')."
)
KEY_HEADER_OFF = (
    "The GatewayKey authorization scheme is turned off on this gateway "
    "(GATEWAY_KEY_HEADER=false): sign the request with AWS Signature Version 4 instead, so "
    "that the secret never travels."
)


@dataclass(slots=True)
class Presented:
    """The credentials of one request, as a validator sees them. (Not frozen: one is made for
    every request, and a frozen dataclass costs twice as much to make.)"""

    request: Request | None
    """The HTTP request, or None for a WebSocket's `connection_init` payload."""
    header: str
    """The whole `Authorization` header."""
    value: str
    """What follows the scheme, stripped."""
    services: Collection[str]
    source_ip: str


Validator = Callable[[Presented], Awaitable[Authenticated]]


class Authenticator:
    """Turns a request's credentials into the `Authenticated` caller (see the module).

    `cipher` gives the cipher that opens access-key secrets (made on first use); `cache` is
    the app's credential cache, shared by every scheme.
    """

    def __init__(
        self, *, cache: SessionCache, cipher: Callable[[], SeedCipher], key_header: bool
    ) -> None:
        self.cache = cache
        self._cipher = cipher
        self.validators: dict[str, Validator] = {BEARER: self._bearer, SIGV4: self._signed}
        if key_header:
            self.validators[GATEWAY_KEY] = self._gateway_key

    def challenge(self) -> str:
        """The `WWW-Authenticate` value of a 401: the schemes accepted here."""
        return challenge(key_header=GATEWAY_KEY in self.validators)

    async def authenticate(
        self,
        request: Request,
        *,
        source_ip: str,
        services: Collection[str] = GRAPHQL_SERVICES,
    ) -> Authenticated | None:
        """The caller, or None for a request without an `Authorization` header.

        Unauthenticated (or a subclass with AWS's code, or ExpiredToken) for a header that is
        present but not understood, or whose credentials do not hold.
        """
        return await self.authenticate_header(
            request.headers.get("authorization"),
            request=request,
            source_ip=source_ip,
            services=services,
        )

    async def authenticate_header(
        self,
        header: str | None,
        *,
        request: Request | None,
        source_ip: str,
        services: Collection[str] = GRAPHQL_SERVICES,
    ) -> Authenticated | None:
        """The caller an `Authorization` value proves, or None without one; as
        `authenticate`, for a value that did not come in an HTTP request's header (a
        WebSocket's `connection_init` payload) when `request` is None."""
        if header is None:
            return None
        scheme, _, value = header.strip().partition(" ")
        validator = self.validators.get(scheme.lower())
        if validator is None:
            raise Unauthenticated(
                KEY_HEADER_OFF if scheme.lower() == GATEWAY_KEY else NOT_UNDERSTOOD
            )
        value = value.strip()
        if not value:
            raise Unauthenticated(NOT_UNDERSTOOD)
        return await validator(Presented(request, header, value, services, source_ip))

    # Plain functions handing back the coroutine they call: a coroutine less per request.
    def _bearer(self, presented: Presented) -> Awaitable[Authenticated]:
        return authenticate(presented.value, source_ip=presented.source_ip, cache=self.cache)

    def _gateway_key(self, presented: Presented) -> Awaitable[Authenticated]:
        return authenticate_key(presented.value, source_ip=presented.source_ip, cache=self.cache)

    async def _signed(self, presented: Presented) -> Authenticated:
        if presented.request is None:
            raise Unauthenticated(NOT_SIGNABLE)
        return await authenticate_signed(
            await http_request(presented.request),
            presented.header,
            services=presented.services,
            cipher=self._cipher(),
            source_ip=presented.source_ip,
            cache=self.cache,
        )


def challenge(*, key_header: bool) -> str:
    """The `WWW-Authenticate` value naming the schemes a gateway takes (`GatewayKey` only
    with `GATEWAY_KEY_HEADER`)."""
    schemes = ["Bearer", sigv4.ALGORITHM] + (["GatewayKey"] if key_header else [])
    return ", ".join(schemes)


async def http_request(request: Request) -> sigv4.HttpRequest:
    """The request as SigV4 verifies it: raw path and query, headers, body (read once; the
    body stays readable for the endpoint)."""
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(scope["path"])
    return sigv4.HttpRequest(
        method=request.method,
        path=path.split("?", 1)[0],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=[
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in scope["headers"]
        ],
        body=await request.body(),
    )
