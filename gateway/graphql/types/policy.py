"""Managed policies and their versions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

import strawberry

from gateway import models
from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import PolicyDocument, Tag
from gateway.graphql.types.group import Group
from gateway.graphql.types.role import Role
from gateway.graphql.types.user import User
from gateway.services import attachments, policy_versions

Info = strawberry.Info[GatewayContext, None]


@strawberry.type(description="One version of a managed policy's document.")
class PolicyVersion:
    version_id: str
    is_default_version: bool
    create_date: datetime
    document: PolicyDocument

    @classmethod
    def from_model(cls, version: models.PolicyVersion) -> PolicyVersion:
        """The GraphQL view of a policy version."""
        return cls(
            version_id=version.version_id,
            is_default_version=version.is_default,
            create_date=version.created_at,
            document=PolicyDocument(text=version.document),
        )


@strawberry.type(description="The users, groups and roles a managed policy is attached to.")
class PolicyEntities:
    users: list[User]
    groups: list[Group]
    roles: list[Role]


@strawberry.type(
    description="A managed policy: a standalone policy with its own ARN and up to five "
    "versions. AWS-managed ones (arn:aws:iam::aws:policy/…) ship with the gateway."
)
class Policy:
    id: strawberry.ID = strawberry.field(description="The unique id (ANPA…).")
    policy_name: str
    path: str
    arn: str
    description: str
    default_version_id: str
    attachment_count: int
    permissions_boundary_usage_count: int
    is_attachable: bool
    create_date: datetime
    update_date: datetime
    tag_map: strawberry.Private[dict[str, str]]

    @strawberry.field(
        description="The unique id (ANPA…) by AWS's name, PolicyId; the same as `id`."
    )
    def policy_id(self) -> strawberry.ID:
        return self.id

    @classmethod
    def from_model(cls, policy: models.ManagedPolicy) -> Policy:
        """The GraphQL view of a managed policy."""
        return cls(
            id=strawberry.ID(policy.id),
            policy_name=policy.name,
            path=policy.path,
            arn=policy.arn,
            description=policy.description,
            default_version_id=policy.default_version_id,
            attachment_count=policy.attachment_count,
            permissions_boundary_usage_count=policy.boundary_usage_count,
            is_attachable=policy.is_attachable,
            create_date=policy.created_at,
            update_date=policy.updated_at,
            tag_map=dict(policy.tags),
        )

    AUTHZ_VALUES: ClassVar[Mapping[str, str]] = {"arn": "arn"}
    """What `@authorize` templates of this object's fields name (gateway.graphql.authorize)."""

    @strawberry.field(
        description="The policy's tags.",
        extensions=[authorize("iam:ListPolicyTags", "{arn}")],
    )
    def tags(self) -> list[Tag] | None:
        return Tag.list_of(self.tag_map)

    @strawberry.field(
        description="The version in force.",
        extensions=[authorize("iam:GetPolicyVersion", "{arn}")],
    )
    async def default_version(self, info: Info) -> PolicyVersion | None:
        version = await info.context.loaders.default_version.load(str(self.id))
        return PolicyVersion.from_model(version) if version is not None else None

    @strawberry.field(
        description="Every version, newest first.",
        extensions=[authorize("iam:ListPolicyVersions", "{arn}")],
    )
    async def versions(self, info: Info) -> list[PolicyVersion] | None:
        actor = await info.context.principal()
        found = await policy_versions.list_policy_versions(actor, self.arn)
        return [PolicyVersion.from_model(v) for v in found]

    @strawberry.field(
        description="The users, groups and roles the policy is attached to.",
        extensions=[authorize("iam:ListEntitiesForPolicy", "{arn}")],
    )
    async def attached_to(self, info: Info) -> PolicyEntities | None:
        actor = await info.context.principal()
        entities = await attachments.list_entities_for_policy(actor, self.arn)
        return PolicyEntities(
            users=[User.from_model(u) for u in entities.users],
            groups=[Group.from_model(g) for g in entities.groups],
            roles=[Role.from_model(r) for r in entities.roles],
        )
