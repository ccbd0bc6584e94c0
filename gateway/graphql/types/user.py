"""The IAM user type and its login profile."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry

from gateway import models
from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import Connection, PolicyDocument, Tag, slice_connection
from gateway.services import access_keys, inline_policies, login_profiles

if TYPE_CHECKING:
    from gateway.graphql.types.access_key import AccessKey
    from gateway.graphql.types.group import Group
    from gateway.graphql.types.policy import Policy

GroupType = Annotated["Group", strawberry.lazy("gateway.graphql.types.group")]
AccessKeyType = Annotated["AccessKey", strawberry.lazy("gateway.graphql.types.access_key")]
PolicyType = Annotated["Policy", strawberry.lazy("gateway.graphql.types.policy")]
Info = strawberry.Info[GatewayContext, None]


@strawberry.type(description="A user's console password settings (the password itself never).")
class LoginProfile:
    user_name: str
    create_date: datetime
    password_reset_required: bool

    @classmethod
    def from_model(cls, user_name: str, profile: models.LoginProfile) -> LoginProfile:
        """The GraphQL view of a login profile."""
        return cls(
            user_name=user_name,
            create_date=profile.created_at,
            password_reset_required=profile.password_reset_required,
        )


@strawberry.type(description="A policy embedded in one user, group or role.")
class InlinePolicy:
    policy_name: str
    document: PolicyDocument

    @classmethod
    def from_model(cls, policy: models.InlinePolicy) -> InlinePolicy:
        """The GraphQL view of a stored inline policy."""
        return cls(policy_name=policy.name, document=PolicyDocument(text=policy.document))


@strawberry.type(description="The managed policy that caps an identity's permissions.")
class PermissionsBoundary:
    permissions_boundary_type: str
    permissions_boundary_arn: str


@strawberry.type(
    description="An IAM user: a person or application with its own credentials. A new user "
    "has no permissions."
)
class User:
    id: strawberry.ID = strawberry.field(description="The unique id (AIDA…).")
    user_name: str
    path: str
    arn: str
    create_date: datetime
    password_last_used: datetime | None
    account_id: strawberry.Private[str]
    tag_map: strawberry.Private[dict[str, str]]
    boundary_policy_id: strawberry.Private[str | None]

    @strawberry.field(description="The unique id (AIDA…) by AWS's name, UserId; the same as `id`.")
    def user_id(self) -> strawberry.ID:
        return self.id

    @classmethod
    def from_model(cls, user: models.User) -> User:
        """The GraphQL view of a user."""
        return cls(
            id=strawberry.ID(user.id),
            user_name=user.name,
            path=user.path,
            arn=user.arn,
            create_date=user.created_at,
            password_last_used=user.password_last_used,
            account_id=user.account_id,
            tag_map=dict(user.tags),
            boundary_policy_id=user.permissions_boundary_id,
        )

    AUTHZ_VALUES: ClassVar[Mapping[str, str]] = {"arn": "arn"}
    """What `@authorize` templates of this object's fields name (gateway.graphql.authorize)."""

    @strawberry.field(
        description="The user's tags.",
        extensions=[authorize("iam:ListUserTags", "{arn}")],
    )
    def tags(self) -> list[Tag] | None:
        return Tag.list_of(self.tag_map)

    @strawberry.field(
        description="The groups the user belongs to.",
        extensions=[authorize("iam:ListGroupsForUser", "{arn}")],
    )
    async def groups(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[GroupType] | None:
        from gateway.graphql.types.group import Group

        found = await info.context.loaders.groups_of_user.load((self.account_id, self.id))
        return slice_connection(found, lambda g: g.name_lower, Group.from_model, first, after)

    @strawberry.field(
        description="Managed policies attached to the user.",
        extensions=[authorize("iam:ListAttachedUserPolicies", "{arn}")],
    )
    async def attached_policies(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PolicyType] | None:
        from gateway.graphql.types.policy import Policy

        found = await info.context.loaders.attached_policies.load(("user", self.id))
        return slice_connection(found, lambda p: p.arn, Policy.from_model, first, after)

    @strawberry.field(
        description="Names of the user's inline policies.",
        extensions=[authorize("iam:ListUserPolicies", "{arn}")],
    )
    async def inline_policy_names(self, info: Info) -> list[str] | None:
        actor = await info.context.principal()
        return await inline_policies.list_user_policies(actor, self.user_name)

    @strawberry.field(
        description="One of the user's inline policies.",
        extensions=[authorize("iam:GetUserPolicy", "{arn}")],
    )
    async def inline_policy(self, info: Info, policy_name: str) -> InlinePolicy | None:
        actor = await info.context.principal()
        found = await inline_policies.get_user_policy(
            actor, user_name=self.user_name, policy_name=policy_name
        )
        return InlinePolicy.from_model(found)

    @strawberry.field(
        description="The user's console password settings.",
        extensions=[authorize("iam:GetLoginProfile", "{arn}")],
    )
    async def login_profile(self, info: Info) -> LoginProfile | None:
        actor = await info.context.principal()
        profile = await login_profiles.get_login_profile(actor, self.user_name)
        return LoginProfile.from_model(self.user_name, profile)

    @strawberry.field(
        description="The user's access keys, without secrets (ListAccessKeys).",
        extensions=[authorize("iam:ListAccessKeys", "{arn}")],
    )
    async def access_keys(self, info: Info) -> list[AccessKeyType] | None:
        from gateway.graphql.types.access_key import AccessKey

        actor = await info.context.principal()
        _, found = await access_keys.list_access_keys(actor, self.user_name)
        return [AccessKey.from_model(key, self.user_name, self.arn) for key in found]

    @strawberry.field(description="The policy capping the user's permissions, if any.")
    async def permissions_boundary(self, info: Info) -> PermissionsBoundary | None:
        if self.boundary_policy_id is None:
            return None
        arn = await info.context.loaders.policy_arn.load(self.boundary_policy_id)
        if arn is None:
            return None
        return PermissionsBoundary(
            permissions_boundary_type="PermissionsBoundaryPolicy", permissions_boundary_arn=arn
        )
