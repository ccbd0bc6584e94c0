"""Per-request GraphQL context: who is calling, their decisions, the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.access_keys import SCHEME as KEY_SCHEME
from gateway.auth.access_keys import authenticate_key
from gateway.auth.sessions import Authenticated, SessionCache, authenticate
from gateway.config import Settings
from gateway.errors import Unauthenticated
from gateway.graphql.loaders import Loaders, ReadCache
from gateway.policy import Decision
from gateway.services.audit import record_denial, record_refusal
from gateway.services.authorization import Authorizer, access_denied, session_refusal
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher, cipher_for

BEARER = "bearer "


@dataclass(slots=True)
class AppState:
    """What the app keeps for all requests (on `app.state.gateway`)."""

    settings: Settings
    authorizer: Authorizer
    sessions: SessionCache
    reads: ReadCache
    _cipher: SeedCipher | None = None

    @property
    def cipher(self) -> SeedCipher:
        """The TOTP seed cipher, made on first use (it may create the local key file)."""
        if self._cipher is None:
            self._cipher = cipher_for(self.settings)
        return self._cipher


@dataclass(slots=True)
class GatewayContext:
    """Everything a resolver may need for this one request; nothing here outlives it."""

    request: Request
    response: Response | None
    state: AppState
    _auth: Authenticated | None = None
    _decisions: dict[tuple[str, str, tuple[tuple[str, str], ...]], Decision] = field(
        default_factory=dict
    )
    _loaders: Loaders | None = None

    @property
    def settings(self) -> Settings:
        """The gateway's settings."""
        return self.state.settings

    @property
    def cipher(self) -> SeedCipher:
        """The cipher that opens TOTP seeds."""
        return self.state.cipher

    @property
    def source_ip(self) -> str:
        """The client's address."""
        client = self.request.client
        return client.host if client is not None else ""

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (created on first use, after authentication)."""
        if self._loaders is None:
            if self._auth is None:
                raise Unauthenticated("This operation needs a signed-in caller.")
            principal = self._auth.principal
            self._loaders = Loaders(self.state.reads, principal.account_id, self._auth.generation)
        return self._loaders

    def bearer_token(self) -> str | None:
        """The session token from `Authorization: Bearer …`, if any."""
        header = self.request.headers.get("authorization", "")
        if header[: len(BEARER)].lower() != BEARER:
            return None
        return header[len(BEARER) :].strip() or None

    def access_key_credential(self) -> str | None:
        """The `<id>:<secret>` of `Authorization: GatewayKey …`, if any (see
        gateway.auth.access_keys)."""
        header = self.request.headers.get("authorization", "")
        if header[: len(KEY_SCHEME)].lower() != KEY_SCHEME:
            return None
        return header[len(KEY_SCHEME) :].strip() or None

    async def authenticated(self) -> Authenticated:
        """The caller, proven by its session token (`Bearer`) or an access key (`GatewayKey`);
        Unauthenticated otherwise. Both share the app's credential cache."""
        if self._auth is None:
            cache = self.state.sessions
            token = self.bearer_token()
            if token is not None:
                self._auth = await authenticate(token, source_ip=self.source_ip, cache=cache)
                return self._auth
            credential = self.access_key_credential()
            if credential is None:
                raise Unauthenticated("This operation needs a signed-in caller.")
            self._auth = await authenticate_key(credential, source_ip=self.source_ip, cache=cache)
        return self._auth

    async def principal(self) -> Principal:
        """The calling principal."""
        return (await self.authenticated()).principal

    async def decide(
        self, action: str, resource: str, context: dict[str, str] | None = None
    ) -> Decision:
        """The caller's decision for `action` on `resource`, once per request and triple."""
        key = (action, resource, tuple(sorted((context or {}).items())))
        decision = self._decisions.get(key)
        if decision is None:
            auth = await self.authenticated()
            decision = await self.state.authorizer.decide(
                auth.principal, auth.generation, action, resource, context
            )
            self._decisions[key] = decision
        return decision

    async def require(
        self, action: str, resource: str, context: dict[str, str] | None = None
    ) -> Principal:
        """The caller, if allowed to do `action` on `resource`; AccessDenied otherwise (and
        the refusal of a restricted session: see `refuse_restricted`). Denials are recorded."""
        principal = await self.principal()
        await self.refuse_restricted(principal, action, resource)
        decision = await self.decide(action, resource, context)
        if not decision.allowed:
            await record_denial(principal, action, resource, decision)
            raise access_denied(principal, action, resource, decision)
        return principal

    async def refuse_restricted(self, principal: Principal, action: str, resource: str) -> None:
        """Raise (and record) the refusal of a session that may not do `action` whatever its
        policies say: one that must change its password first, or GetSessionToken credentials
        without MFA calling IAM (`gateway.services.authorization.session_refusal`)."""
        refusal = session_refusal(principal, action)
        if refusal is not None:
            await record_refusal(principal, action, resource, refusal)
            raise refusal


async def build_context(request: Request, response: Response | None = None) -> GatewayContext:
    """The context for one GraphQL request (the view's context getter)."""
    return GatewayContext(request=request, response=response, state=app_state(request))


def app_state(request: Request) -> AppState:
    """The app-wide state, made on first use from the app's settings."""
    app_state: Any = request.app.state
    state: AppState | None = getattr(app_state, "gateway", None)
    if state is None:
        settings: Settings = app_state.settings
        state = AppState(
            settings=settings,
            authorizer=Authorizer(),
            sessions=SessionCache(settings.session_cache_seconds),
            reads=ReadCache(),
        )
        app_state.gateway = state
    return state
