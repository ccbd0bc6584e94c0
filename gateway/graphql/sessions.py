"""Signing in and out, asking who one is, one's sessions, and revoking or unlocking a user's."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import USER, authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.identity import CallerIdentity, SignInPayload
from gateway.graphql.types.session import SessionInfo
from gateway.graphql.types.user import User
from gateway.services import sessions, signin, signin_throttling
from gateway.services.security_keys import RelyingParty
from gateway.services.signin_throttling import Lockout

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class SessionQueries:
    @strawberry.field(
        description="Who is calling (GetCallerIdentity): needs no permission and cannot be "
        "denied, as in AWS.",
        extensions=[no_permission("sts:GetCallerIdentity", during_password_change=True)],
    )
    async def who_am_i(self, info: Info) -> CallerIdentity:
        return CallerIdentity.from_principal(await info.context.principal())

    @strawberry.field(
        description="The calling IAM user (null for the root user). Its nested fields carry "
        "their own permissions.",
        extensions=[no_permission("sts:GetCallerIdentity", during_password_change=True)],
    )
    async def me(self, info: Info) -> User | None:
        auth = await info.context.authenticated()
        return User.from_model(auth.user) if auth.user is not None else None

    @strawberry.field(
        description="The caller's active sessions (sign-ins and GetSessionToken credentials), "
        "newest first; `current` marks the one this request uses. Needs no permission: "
        "they are the caller's own.",
        extensions=[no_permission("gateway:ListSessions")],
    )
    async def sessions(self, info: Info) -> list[SessionInfo]:
        actor = await info.context.principal()
        found = await sessions.active_sessions(actor)
        return [SessionInfo.from_model(s, current_id=actor.session_id) for s in found]


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        description="Sign in as an IAM user of an account (its 12-digit id or its alias).",
        extensions=[no_permission(signin.SIGN_IN, anonymous=True)],
    )
    async def sign_in(
        self, info: Info, account: str, user_name: str, password: str
    ) -> SignInPayload:
        signed_in = await signin.sign_in_user(
            account,
            user_name,
            password,
            source_ip=info.context.source_ip,
            ttl_seconds=info.context.settings.session_ttl_seconds,
            lockout=Lockout.from_settings(info.context.settings),
            relying_party=RelyingParty.from_settings(info.context.settings),
        )
        return sign_in_payload(signed_in)

    @strawberry.mutation(
        description="Sign in as an account's root user, with its e-mail. Under "
        "GATEWAY_ROOT_MFA=required a root user without an MFA device gets a session that may "
        "only enrol one (`identity.mfaEnrollmentRequired`).",
        extensions=[no_permission(signin.SIGN_IN, anonymous=True)],
    )
    async def sign_in_root(self, info: Info, email: str, password: str) -> SignInPayload:
        signed_in = await signin.sign_in_root(
            email,
            password,
            source_ip=info.context.source_ip,
            ttl_seconds=info.context.settings.session_ttl_seconds,
            lockout=Lockout.from_settings(info.context.settings),
            relying_party=RelyingParty.from_settings(info.context.settings),
            require_mfa=info.context.settings.root_mfa_required,
        )
        return sign_in_payload(signed_in)

    @strawberry.mutation(
        description="End the current session; its token stops working.",
        extensions=[no_permission(signin.SIGN_OUT, during_password_change=True)],
    )
    async def sign_out(self, info: Info) -> bool:
        await signin.sign_out(await info.context.principal())
        return True

    @strawberry.mutation(
        description="End one of the caller's own active sessions, by its id in `sessions` "
        "(a gateway operation: signing out another browser). Needs no permission: it is the "
        "caller's own.",
        extensions=[no_permission(sessions.REVOKE_OWN)],
    )
    async def revoke_session(self, info: Info, session_id: str) -> bool:
        await sessions.revoke_own_session(await info.context.principal(), session_id)
        return True

    @strawberry.mutation(
        description="End every session of a user, GetSessionToken credentials included (a "
        "gateway operation); their tokens fail on the next request. Returns how many.",
        extensions=[authorize(sessions.REVOKE, USER)],
    )
    async def revoke_sessions(self, info: Info, user_name: str) -> int | None:
        actor = await info.context.principal()
        return await sessions.revoke_sessions(actor, user_name)

    @strawberry.mutation(
        description="Lift a user's sign-in lockout and forget its failed attempts (a gateway "
        "operation: AWS has no lockout). True if there was anything to clear.",
        extensions=[authorize(signin_throttling.UNLOCK, USER)],
    )
    async def unlock_login_profile(self, info: Info, user_name: str) -> bool | None:
        actor = await info.context.principal()
        return await signin_throttling.unlock_login_profile(actor, user_name)


def sign_in_payload(signed_in: signin.SignedIn) -> SignInPayload:
    """The GraphQL answer for a new session."""
    return SignInPayload(
        token=signed_in.token,
        expiration=signed_in.expires_at,
        identity=CallerIdentity.from_principal(signed_in.principal),
    )
