"""Queries and mutations on access keys, and GetSessionToken.

Without `userName`, the access-key fields act on the caller's own keys (root's included), and
are authorized on the caller's ARN (`{callerArn}`), as AWS does.
"""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import CALLER, USER, authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.access_key import (
    AccessKey,
    AccessKeyStatus,
    Credentials,
    NewAccessKey,
)
from gateway.services import access_keys, session_tokens
from gateway.services.principal import Principal
from gateway.services.signin_throttling import Lockout

Info = strawberry.Info[GatewayContext, None]


async def keys_of(actor: Principal, user_name: str | None) -> list[AccessKey]:
    """The GraphQL views of the keys of `user_name` (the caller's without one)."""
    owner, found = await access_keys.list_access_keys(actor, user_name)
    return [AccessKey.from_model(key, owner.name, owner.arn) for key in found]


@strawberry.type
class AccessKeyQueries:
    @strawberry.field(
        description="A user's access keys, or the caller's without userName (ListAccessKeys).",
        extensions=[authorize("iam:ListAccessKeys", USER, fallback=CALLER)],
    )
    async def access_keys(self, info: Info, user_name: str | None = None) -> list[AccessKey] | None:
        return await keys_of(await info.context.principal(), user_name)


@strawberry.type
class AccessKeyMutations:
    @strawberry.mutation(
        description="A new access key for a user, or for the caller without userName "
        "(CreateAccessKey). Root keys only where GATEWAY_ROOT_ACCESS_KEYS allows them.",
        extensions=[authorize(access_keys.CREATE, USER, fallback=CALLER)],
    )
    async def create_access_key(
        self, info: Info, user_name: str | None = None
    ) -> NewAccessKey | None:
        actor = await info.context.principal()
        created = await access_keys.create_access_key(
            actor,
            user_name,
            root_keys_allowed=info.context.settings.root_access_keys,
            cipher=info.context.cipher,
        )
        return NewAccessKey.from_result(created)

    @strawberry.mutation(
        description="Make an access key Active or Inactive (UpdateAccessKey).",
        extensions=[authorize(access_keys.UPDATE, USER, fallback=CALLER)],
    )
    async def update_access_key(
        self,
        info: Info,
        access_key_id: str,
        status: AccessKeyStatus,
        user_name: str | None = None,
    ) -> AccessKey | None:
        actor = await info.context.principal()
        key = await access_keys.update_access_key(actor, access_key_id, status.value, user_name)
        owner = await access_keys.owner_of(actor, user_name)
        return AccessKey.from_model(key, owner.name, owner.arn)

    @strawberry.mutation(
        description="Delete an access key (DeleteAccessKey).",
        extensions=[authorize(access_keys.DELETE, USER, fallback=CALLER)],
    )
    async def delete_access_key(
        self, info: Info, access_key_id: str, user_name: str | None = None
    ) -> bool | None:
        actor = await info.context.principal()
        await access_keys.delete_access_key(actor, access_key_id, user_name)
        return True

    @strawberry.mutation(
        description="Temporary credentials for a caller authenticated with a long-term access "
        "key (GetSessionToken). Needs no permission and cannot be denied, as in AWS. With "
        "serialNumber and tokenCode (the caller's own MFA device and its current code) the "
        "credentials carry MFA and may call IAM operations; without, they may call none.",
        extensions=[no_permission(session_tokens.ACTION)],
    )
    async def get_session_token(
        self,
        info: Info,
        duration_seconds: int | None = None,
        serial_number: str | None = None,
        token_code: str | None = None,
    ) -> Credentials:
        actor = await info.context.principal()
        credentials = await session_tokens.get_session_token(
            actor,
            duration_seconds=duration_seconds,
            serial_number=serial_number,
            token_code=token_code,
            cipher=info.context.cipher,
            lockout=Lockout.from_settings(info.context.settings),
        )
        return Credentials.from_result(credentials)
