"""Per-request GraphQL context: who is calling, their decisions, the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from gateway.auth.credentials import Authenticator
from gateway.auth.sessions import Authenticated, SessionCache
from gateway.config import Settings
from gateway.errors import Unauthenticated
from gateway.graphql.loaders import Loaders, ReadCache
from gateway.notifications import NotificationHub
from gateway.policy import Decision
from gateway.services.access_activity import ActivityRecorder
from gateway.services.audit import record_denial, record_refusal
from gateway.services.authorization import Authorizer, session_refusal
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher, cipher_for
from gateway.services.writes import CHANGES_CHANNEL


@dataclass(slots=True)
class AppState:
    """What the app keeps for all requests (on `app.state.gateway`)."""

    settings: Settings
    authorizer: Authorizer
    sessions: SessionCache
    reads: ReadCache
    activity: ActivityRecorder = field(default_factory=ActivityRecorder)
    """Tallies of allowed decisions (access activity), flushed by the app's lifespan."""
    notifications: NotificationHub | None = None
    """The process's LISTEN/NOTIFY hub, when the app's lifespan started one."""
    _cipher: SeedCipher | None = None
    _authenticator: Authenticator | None = None

    @property
    def cipher(self) -> SeedCipher:
        """The cipher of TOTP seeds and access-key secrets, made on first use (it may create
        the local key file)."""
        if self._cipher is None:
            self._cipher = cipher_for(self.settings)
        return self._cipher

    @property
    def authenticator(self) -> Authenticator:
        """Credentials → caller, for every endpoint (`gateway.auth.credentials`)."""
        if self._authenticator is None:
            self._authenticator = Authenticator(
                cache=self.sessions,
                cipher=lambda: self.cipher,
                key_header=self.settings.key_header,
            )
        return self._authenticator


@dataclass(slots=True)
class GatewayContext:
    """Everything a resolver may need for this one request (or one operation of a WebSocket
    connection); nothing here outlives it.

    `connection_params` is the payload of a WebSocket's `connection_init` (Strawberry sets it):
    its `Authorization` entry stands in for the HTTP header.
    """

    request: HTTPConnection
    response: Response | None
    state: AppState
    connection_params: dict[str, Any] | None = None
    counts_activity: bool = True
    """Whether this context's allowed decisions count as access activity (not for the
    re-checks of a live subscription, which are the gateway's, not the caller's use)."""
    _auth: Authenticated | None = None
    _proven: bool = False
    _decisions: dict[tuple[str, str, tuple[tuple[str, str], ...]], Decision] | None = None
    """Made on first use: most requests (the lane's) never ask `decide`."""
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
        client = self.request.scope.get("client")  # as `request.client` reads it
        return client[0] if client else ""

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (created on first use, after authentication)."""
        if self._loaders is None:
            if self._auth is None:
                raise Unauthenticated("This operation needs a signed-in caller.")
            principal = self._auth.principal
            self._loaders = Loaders(self.state.reads, principal.account_id, self._auth.generation)
        return self._loaders

    def authorization(self) -> str | None:
        """The `Authorization` value: the HTTP header, or for a WebSocket the entry of that
        name (any case) in its `connection_init` payload."""
        if self.connection_params is None:
            # As `request.headers.get` reads it (the first), without making the Headers.
            name: bytes
            value: bytes
            for name, value in self.request.scope["headers"]:
                if name == b"authorization":
                    return value.decode("latin-1")
            return None
        for key, value in self.connection_params.items():
            if isinstance(key, str) and key.lower() == "authorization":
                return value if isinstance(value, str) else None
        return None

    async def authenticate(self) -> None:
        """Prove the caller's credentials, if it sent any (`gateway.auth.credentials`): for
        an HTTP request, done by `build_context` before anything runs, so that a header that
        is present but unusable is refused (Unauthenticated, 401) instead of being taken for
        an anonymous caller; for a WebSocket, on first use, from its `connection_init`."""
        http = self.request if isinstance(self.request, Request) else None
        self._auth = await self.state.authenticator.authenticate_header(
            self.authorization(),
            request=http if self.connection_params is None else None,
            source_ip=self.source_ip,
        )
        self._proven = True

    async def authenticated(self) -> Authenticated:
        """The caller, as `authenticate` proved it; Unauthenticated for an anonymous one."""
        if self._auth is None and not self._proven:
            await self.authenticate()
        if self._auth is None:
            raise Unauthenticated("This operation needs a signed-in caller.")
        return self._auth

    def fresh(self, *, counts_activity: bool = True) -> GatewayContext:
        """A new context for the same connection: nothing remembered, the caller to be proven
        again (through the app's credential cache, which a change retires at once:
        `SessionCache`) and every decision made again."""
        return GatewayContext(
            request=self.request,
            response=None,
            state=self.state,
            connection_params=self.connection_params,
            counts_activity=counts_activity,
        )

    async def principal(self) -> Principal:
        """The calling principal."""
        return (await self.authenticated()).principal

    async def decide(
        self, action: str, resource: str, context: dict[str, str] | None = None
    ) -> Decision:
        """The caller's decision for `action` on `resource`, once per request and triple."""
        key = (action, resource, tuple(sorted((context or {}).items())))
        decisions = self._decisions
        if decisions is None:
            decisions = self._decisions = {}
        decision = decisions.get(key)
        if decision is None:
            auth = await self.authenticated()
            decision = await self.state.authorizer.decide(
                auth.principal, auth.policy_generation, action, resource, context
            )
            decisions[key] = decision
            if self.counts_activity:
                self.state.activity.note(auth.principal, action, decision)
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
            raise await record_denial(principal, action, resource, decision)
        return principal

    async def refuse_restricted(self, principal: Principal, action: str, resource: str) -> None:
        """Raise (and record) the refusal of a session that may not do `action` whatever its
        policies say: one that must change its password first, or GetSessionToken credentials
        without MFA calling IAM (`gateway.services.authorization.session_refusal`)."""
        refusal = session_refusal(principal, action)
        if refusal is not None:
            await record_refusal(principal, action, resource, refusal)
            raise refusal


async def build_context(
    request: HTTPConnection, response: Response | None = None
) -> GatewayContext:
    """The context for one GraphQL request or WebSocket connection (the view's context
    getter). An HTTP request's caller is authenticated here, before anything runs (a
    GatewayError, 401, for credentials that do not hold); a WebSocket's when it first asks,
    from its `connection_init`, and it has no response to decorate."""
    if not isinstance(response, Response):
        response = None
    context = GatewayContext(
        request=request, response=response, state=gateway_state(request.scope["app"])
    )
    if request.scope["type"] == "http":
        await context.authenticate()
    return context


def app_state(request: HTTPConnection) -> AppState:
    """The app-wide state, made on first use from the app's settings."""
    return gateway_state(request.app)


def gateway_state(app: Any) -> AppState:
    """The app-wide state of a gateway app (`app.state.gateway`), made on first use from its
    settings; with the app's notification hub, its session cache hears of every change
    committed through another replica (`CHANGES_CHANNEL`)."""
    # Read from the app object itself: Starlette's `app.state` answers every attribute through
    # a Python `__getattr__`, and this runs on every request.
    state: AppState | None = getattr(app, "_gateway_state", None)
    if state is None:
        app_state: Any = app.state
        settings: Settings = app_state.settings
        hub: NotificationHub | None = getattr(app_state, "notifications", None)
        state = AppState(
            settings=settings,
            authorizer=Authorizer(),
            sessions=SessionCache(
                settings.session_cache_seconds,
                quiet_ttl=settings.session_cache_quiet_seconds,
                hearing=hub.hearing if hub is not None else lambda: None,
            ),
            reads=ReadCache(),
            activity=getattr(app_state, "activity", None) or ActivityRecorder(),
            notifications=hub,
        )
        if hub is not None:
            hub.subscribe(CHANGES_CHANNEL, state.sessions.changed)
        app_state.gateway = state
        app._gateway_state = state
    return state
