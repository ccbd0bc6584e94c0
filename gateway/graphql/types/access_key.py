"""Access keys (never their secrets, except once in `NewAccessKey`) and temporary credentials."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import ClassVar

import strawberry

from gateway import models
from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.services import access_keys
from gateway.services.session_tokens import TemporaryCredentials

Info = strawberry.Info[GatewayContext, None]


@strawberry.enum(description="Whether a key may authenticate requests.")
class AccessKeyStatus(Enum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@strawberry.type(description="When and where an access key last authenticated a request.")
class AccessKeyLastUsed:
    last_used_date: datetime | None = strawberry.field(description="Null if never used.")
    service_name: str = strawberry.field(
        description='The signing service: "gateway" (GraphQL), "iam" or "sts" (the Query '
        'APIs); "N/A" if never used.'
    )
    region: str = strawberry.field(description='Always "N/A": the gateway has no regions.')


@strawberry.type(description="An access key of a user or of the root user (no secret).")
class AccessKey:
    access_key_id: str
    status: AccessKeyStatus
    create_date: datetime
    user_name: str | None = strawberry.field(description="Null for a root user's key.")
    owner_arn: strawberry.Private[str]

    @classmethod
    def from_model(cls, key: models.AccessKey, user_name: str | None, owner_arn: str) -> AccessKey:
        """The GraphQL view of a key."""
        return cls(
            access_key_id=key.id,
            status=AccessKeyStatus(key.status),
            create_date=key.created_at,
            user_name=user_name,
            owner_arn=owner_arn,
        )

    AUTHZ_VALUES: ClassVar[Mapping[str, str]] = {"ownerArn": "owner_arn"}
    """What `@authorize` templates of this object's fields name (gateway.graphql.authorize)."""

    @strawberry.field(
        description="When and where the key was last used (GetAccessKeyLastUsed).",
        extensions=[authorize("iam:GetAccessKeyLastUsed", "{ownerArn}")],
    )
    async def last_used(self, info: Info) -> AccessKeyLastUsed | None:
        actor = await info.context.principal()
        found = await access_keys.get_access_key_last_used(actor, self.access_key_id)
        return AccessKeyLastUsed(
            last_used_date=found.used_at, service_name=found.service_name, region=found.region
        )


@strawberry.type(description="A new access key. The secret is shown only here, once.")
class NewAccessKey:
    access_key_id: str
    secret_access_key: str = strawberry.field(
        description="The secret: sign requests with it (AWS Signature Version 4, service "
        "`gateway` for /graphql, `iam`/`sts` for /aws/)."
    )
    status: AccessKeyStatus
    create_date: datetime
    user_name: str | None

    @classmethod
    def from_result(cls, created: access_keys.NewAccessKey) -> NewAccessKey:
        """The GraphQL view of a key just created."""
        return cls(
            access_key_id=created.key.id,
            secret_access_key=created.secret,
            status=AccessKeyStatus(created.key.status),
            create_date=created.key.created_at,
            user_name=created.user_name,
        )


@strawberry.type(
    description="Temporary credentials (GetSessionToken). Secret and token are shown only "
    "here, once."
)
class Credentials:
    access_key_id: str = strawberry.field(description="The temporary key id (ASIA…).")
    secret_access_key: str = strawberry.field(
        description="With accessKeyId and sessionToken (X-Amz-Security-Token): signs "
        "requests with AWS Signature Version 4."
    )
    session_token: str = strawberry.field(
        description="Alone: `Authorization: Bearer <sessionToken>`."
    )
    expiration: datetime

    @classmethod
    def from_result(cls, credentials: TemporaryCredentials) -> Credentials:
        """The GraphQL view of GetSessionToken's answer."""
        return cls(
            access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            session_token=credentials.session_token,
            expiration=credentials.expiration,
        )
