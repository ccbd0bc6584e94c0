"""The IAM role type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry

from gateway import models
from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import Connection, PolicyDocument, Tag, slice_connection
from gateway.graphql.types.user import InlinePolicy, PermissionsBoundary
from gateway.services import inline_policies

if TYPE_CHECKING:
    from gateway.graphql.types.policy import Policy

PolicyType = Annotated["Policy", strawberry.lazy("gateway.graphql.types.policy")]
Info = strawberry.Info[GatewayContext, None]


@strawberry.type(description="When a session of the role was last issued (AWS's RoleLastUsed).")
class RoleLastUsed:
    last_used_date: datetime | None


@strawberry.type(
    description="An IAM role: an identity without long-term credentials. Its trust policy says "
    "who may assume it; its permission policies say what a session of the role may do."
)
class Role:
    id: strawberry.ID = strawberry.field(description="The unique id (AROA…).")
    role_name: str
    path: str
    arn: str
    create_date: datetime
    description: str
    max_session_duration: int = strawberry.field(
        description="The longest session of the role, in seconds (3,600 to 43,200)."
    )
    assume_role_policy_document: PolicyDocument = strawberry.field(
        description="The trust policy: who may assume the role, and on which conditions."
    )
    role_last_used: RoleLastUsed
    account_id: strawberry.Private[str]
    name_lower: strawberry.Private[str]
    tag_map: strawberry.Private[dict[str, str]]
    boundary_policy_id: strawberry.Private[str | None]

    @strawberry.field(description="The unique id (AROA…) by AWS's name, RoleId; the same as `id`.")
    def role_id(self) -> strawberry.ID:
        return self.id

    @classmethod
    def from_model(cls, role: models.Role) -> Role:
        """The GraphQL view of a role."""
        return cls(
            id=strawberry.ID(role.id),
            role_name=role.name,
            path=role.path,
            arn=role.arn,
            create_date=role.created_at,
            description=role.description,
            max_session_duration=role.max_session_duration,
            assume_role_policy_document=PolicyDocument(text=role.assume_role_policy),
            role_last_used=RoleLastUsed(last_used_date=role.last_used_at),
            account_id=role.account_id,
            name_lower=role.name_lower,
            tag_map=dict(role.tags),
            boundary_policy_id=role.permissions_boundary_id,
        )

    AUTHZ_VALUES: ClassVar[Mapping[str, str]] = {"arn": "arn"}
    """What `@authorize` templates of this object's fields name (gateway.graphql.authorize)."""

    @strawberry.field(
        description="The role's tags.",
        extensions=[authorize("iam:ListRoleTags", "{arn}")],
    )
    def tags(self) -> list[Tag] | None:
        return Tag.list_of(self.tag_map)

    @strawberry.field(
        description="Managed policies attached to the role.",
        extensions=[authorize("iam:ListAttachedRolePolicies", "{arn}")],
    )
    async def attached_policies(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PolicyType] | None:
        from gateway.graphql.types.policy import Policy

        found = await info.context.loaders.attached_policies.load(("role", self.id))
        return slice_connection(found, lambda p: p.arn, Policy.from_model, first, after)

    @strawberry.field(
        description="Names of the role's inline policies.",
        extensions=[authorize("iam:ListRolePolicies", "{arn}")],
    )
    async def inline_policy_names(self, info: Info) -> list[str] | None:
        actor = await info.context.principal()
        return await inline_policies.list_role_policies(actor, self.role_name)

    @strawberry.field(
        description="One of the role's inline policies.",
        extensions=[authorize("iam:GetRolePolicy", "{arn}")],
    )
    async def inline_policy(self, info: Info, policy_name: str) -> InlinePolicy | None:
        actor = await info.context.principal()
        found = await inline_policies.get_role_policy(
            actor, role_name=self.role_name, policy_name=policy_name
        )
        return InlinePolicy.from_model(found)

    @strawberry.field(description="The policy capping the role's permissions, if any.")
    async def permissions_boundary(self, info: Info) -> PermissionsBoundary | None:
        if self.boundary_policy_id is None:
            return None
        arn = await info.context.loaders.policy_arn.load(self.boundary_policy_id)
        if arn is None:
            return None
        return PermissionsBoundary(
            permissions_boundary_type="PermissionsBoundaryPolicy", permissions_boundary_arn=arn
        )
