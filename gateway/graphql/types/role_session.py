"""Role sessions: AssumeRole's answer, a console switch's, and the roles one may assume."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway import models
from gateway.graphql.types.access_key import Credentials
from gateway.graphql.types.identity import CallerIdentity
from gateway.services.role_sessions import AssumedRole
from gateway.services.role_switching import Switched


@strawberry.type(description="The identity of a role session (AWS's AssumedRoleUser).")
class AssumedRoleUser:
    arn: str = strawberry.field(
        description="arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, the session's ARN."
    )
    assumed_role_id: str = strawberry.field(
        description="AROA…:SESSION, the role's unique id and the session name (aws:userid)."
    )


@strawberry.type(description="Temporary credentials for a role (AssumeRole). Shown only here.")
class AssumeRolePayload:
    credentials: Credentials
    assumed_role_user: AssumedRoleUser
    packed_policy_size: int | None = strawberry.field(
        description="How much of the session policies' packed limit is used, in percent "
        "(null without session policies)."
    )
    source_identity: str | None

    @classmethod
    def from_result(cls, assumed: AssumedRole) -> AssumeRolePayload:
        """The GraphQL view of AssumeRole's answer."""
        return cls(
            credentials=Credentials.from_result(assumed.credentials),
            assumed_role_user=AssumedRoleUser(
                arn=assumed.arn, assumed_role_id=assumed.assumed_role_id
            ),
            packed_policy_size=assumed.packed_policy_size,
            source_identity=assumed.source_identity,
        )


@strawberry.type(description="A console session after switchRole or switchBack.")
class SwitchPayload:
    token: str = strawberry.field(
        description="The new bearer token, shown only here: `Authorization: Bearer <token>`."
    )
    expiration: datetime
    identity: CallerIdentity

    @classmethod
    def from_result(cls, switched: Switched) -> SwitchPayload:
        """The GraphQL view of a switch."""
        return cls(
            token=switched.token,
            expiration=switched.expires_at,
            identity=CallerIdentity.from_principal(switched.principal),
        )


@strawberry.type(
    description="A role the caller may assume now: its trust policy names the caller (or its "
    "account) and the caller's policies allow sts:AssumeRole on it. Only what a role switcher "
    "shows; reading the role itself needs iam:GetRole in its account."
)
class AssumableRole:
    arn: str
    role_name: str
    account: str
    path: str
    description: str
    max_session_duration: int

    @classmethod
    def from_model(cls, role: models.Role) -> AssumableRole:
        """The switcher's view of a role."""
        return cls(
            arn=role.arn,
            role_name=role.name,
            account=role.account_id,
            path=role.path,
            description=role.description,
            max_session_duration=role.max_session_duration,
        )
