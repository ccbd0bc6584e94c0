"""Signing in and out, and asking who one is."""

from __future__ import annotations

import strawberry

from gateway.auth import signin
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.identity import CallerIdentity, SignInPayload
from gateway.graphql.types.user import User

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class SessionQueries:
    @strawberry.field(
        description="Who is calling (GetCallerIdentity): needs no permission and cannot be "
        "denied, as in AWS."
    )
    async def who_am_i(self, info: Info) -> CallerIdentity:
        return CallerIdentity.from_principal(await info.context.principal())

    @strawberry.field(
        description="The calling IAM user (null for the root user). Its nested fields carry "
        "their own permissions."
    )
    async def me(self, info: Info) -> User | None:
        auth = await info.context.authenticated()
        return User.from_model(auth.user) if auth.user is not None else None


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        description="Sign in as an IAM user of an account (its 12-digit id or its alias)."
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
        )
        return _payload(signed_in)

    @strawberry.mutation(description="Sign in as an account's root user, with its e-mail.")
    async def sign_in_root(self, info: Info, email: str, password: str) -> SignInPayload:
        signed_in = await signin.sign_in_root(
            email,
            password,
            source_ip=info.context.source_ip,
            ttl_seconds=info.context.settings.session_ttl_seconds,
        )
        return _payload(signed_in)

    @strawberry.mutation(description="End the current session; its token stops working.")
    async def sign_out(self, info: Info) -> bool:
        await signin.sign_out(await info.context.principal())
        return True


def _payload(signed_in: signin.SignedIn) -> SignInPayload:
    return SignInPayload(
        token=signed_in.token,
        expiration=signed_in.expires_at,
        identity=CallerIdentity.from_principal(signed_in.principal),
    )
