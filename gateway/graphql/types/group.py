"""The IAM group type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry

from gateway import models
from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import Connection, slice_connection
from gateway.graphql.types.user import InlinePolicy, User
from gateway.services import inline_policies

if TYPE_CHECKING:
    from gateway.graphql.types.policy import Policy

PolicyType = Annotated["Policy", strawberry.lazy("gateway.graphql.types.policy")]
Info = strawberry.Info[GatewayContext, None]


@strawberry.type(description="A set of users; policies attached to it apply to its members.")
class Group:
    id: strawberry.ID = strawberry.field(description="The unique id (AGPA…).")
    group_name: str
    path: str
    arn: str
    create_date: datetime
    account_id: strawberry.Private[str]
    name_lower: strawberry.Private[str]

    @strawberry.field(description="The unique id (AGPA…) by AWS's name, GroupId; the same as `id`.")
    def group_id(self) -> strawberry.ID:
        return self.id

    @classmethod
    def from_model(cls, group: models.Group) -> Group:
        """The GraphQL view of a group."""
        return cls(
            id=strawberry.ID(group.id),
            group_name=group.name,
            path=group.path,
            arn=group.arn,
            create_date=group.created_at,
            account_id=group.account_id,
            name_lower=group.name_lower,
        )

    AUTHZ_VALUES: ClassVar[Mapping[str, str]] = {"arn": "arn"}
    """What `@authorize` templates of this object's fields name (gateway.graphql.authorize)."""

    @strawberry.field(
        description="The group's members (GetGroup).",
        extensions=[authorize("iam:GetGroup", "{arn}")],
    )
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[User] | None:
        found = await info.context.loaders.users_of_group.load((self.account_id, self.id))
        return slice_connection(found, lambda u: u.name_lower, User.from_model, first, after)

    @strawberry.field(
        description="Managed policies attached to the group.",
        extensions=[authorize("iam:ListAttachedGroupPolicies", "{arn}")],
    )
    async def attached_policies(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PolicyType] | None:
        from gateway.graphql.types.policy import Policy

        found = await info.context.loaders.attached_policies.load(("group", self.id))
        return slice_connection(found, lambda p: p.arn, Policy.from_model, first, after)

    @strawberry.field(
        description="Names of the group's inline policies.",
        extensions=[authorize("iam:ListGroupPolicies", "{arn}")],
    )
    async def inline_policy_names(self, info: Info) -> list[str] | None:
        actor = await info.context.principal()
        return await inline_policies.list_group_policies(actor, self.group_name)

    @strawberry.field(
        description="One of the group's inline policies.",
        extensions=[authorize("iam:GetGroupPolicy", "{arn}")],
    )
    async def inline_policy(self, info: Info, policy_name: str) -> InlinePolicy | None:
        actor = await info.context.principal()
        found = await inline_policies.get_group_policy(
            actor, group_name=self.group_name, policy_name=policy_name
        )
        return InlinePolicy.from_model(found)
