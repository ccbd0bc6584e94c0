"""Per-request GraphQL context: who is calling, their decisions, the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.credentials import Authenticator
from gateway.auth.sessions import Authenticated, SessionCache
from gateway.config import Settings
from gateway.errors import AccessDenied, PasswordChangeRequired, Unauthenticated
from gateway.graphql.loaders import Loaders, ReadCache
from gateway.policy import Decision
from gateway.services.audit import record_denial, record_refusal
from gateway.services.authorization import Authorizer, access_denied
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher, cipher_for

PASSWORD_CHANGE_ACTIONS = frozenset({"iam:ChangePassword", "iam:GetAccountPasswordPolicy"})
"""What a session that must change its password may still do (besides whoAmI, me, signOut)."""
IAM_NEEDS_MFA = (
    "Temporary credentials from getSessionToken without MFA cannot call IAM operations (as in "
    "AWS): sign the request with the access key itself."
)
PASSWORD_CHANGE_REQUIRED = (
    "Your password has expired or must be reset: change it with changePassword before doing "
    "anything else."
)


@dataclass(slots=True)
class AppState:
    """What the app keeps for all requests (on `app.state.gateway`)."""

    settings: Settings
    authorizer: Authorizer
    sessions: SessionCache
    reads: ReadCache
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

    async def authenticate(self) -> None:
        """Prove the request's credentials, if it carries any (`gateway.auth.credentials`):
        done once, before anything runs, so that a header that is present but unusable is
        refused (Unauthenticated, 401) instead of being taken for an anonymous caller."""
        self._auth = await self.state.authenticator.authenticate(
            self.request, source_ip=self.source_ip
        )

    async def authenticated(self) -> Authenticated:
        """The caller, as `authenticate` proved it; Unauthenticated for an anonymous request."""
        if self._auth is None:
            raise Unauthenticated("This operation needs a signed-in caller.")
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
        """The caller, if allowed to do `action` on `resource`; AccessDenied otherwise.

        A session that must change its password first is refused everything else with
        PasswordChangeRequired, and GetSessionToken credentials without MFA every IAM action
        with AccessDenied (both recorded as denials).
        """
        principal = await self.principal()
        if principal.temporary_without_mfa and iam_action(action):
            denied = AccessDenied(IAM_NEEDS_MFA)
            await record_refusal(principal, action, resource, denied)
            raise denied
        if principal.password_change_required and action not in PASSWORD_CHANGE_ACTIONS:
            refused = PasswordChangeRequired(PASSWORD_CHANGE_REQUIRED)
            await record_refusal(principal, action, resource, refused)
            raise refused
        decision = await self.decide(action, resource, context)
        if not decision.allowed:
            await record_denial(principal, action, resource, decision)
            raise access_denied(principal, action, resource, decision)
        return principal


def iam_action(action: str) -> bool:
    """Whether `action` is an IAM operation (`iam:…`, any case)."""
    return action.lower().startswith("iam:")


async def build_context(request: Request, response: Response | None = None) -> GatewayContext:
    """The context for one GraphQL request (the view's context getter), its caller
    authenticated; a GatewayError (401) for credentials that do not hold."""
    context = GatewayContext(request=request, response=response, state=app_state(request))
    await context.authenticate()
    return context


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
