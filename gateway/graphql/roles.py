"""Queries and mutations on IAM roles: trust policies, permission policies, boundaries, tags."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import BOUNDARY_KEY, POLICY_ARN_KEY, ROLE, authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import (
    Connection,
    TagInput,
    connection,
    tag_pairs,
)
from gateway.graphql.types.role import Role
from gateway.graphql.types.user import InlinePolicy
from gateway.services import attachments, boundaries, identities, inline_policies, roles

Info = strawberry.Info[GatewayContext, None]


@strawberry.input(description="A new IAM role.")
class CreateRoleInput:
    role_name: str
    assume_role_policy_document: str = strawberry.field(
        description="The trust policy (JSON): who may assume the role."
    )
    path: str = "/"
    description: str = ""
    max_session_duration: int = strawberry.field(
        default=roles.MIN_SESSION_DURATION,
        description="The longest session of the role, in seconds (3,600 to 43,200).",
    )
    tags: list[TagInput] | None = None
    permissions_boundary: str | None = strawberry.field(
        default=None, description="ARN of a managed policy that caps the role's permissions."
    )


@strawberry.type
class RoleQueries:
    @strawberry.field(
        description="One role (GetRole).", extensions=[authorize("iam:GetRole", ROLE)]
    )
    async def role(self, info: Info, role_name: str) -> Role | None:
        actor = await info.context.principal()
        return Role.from_model(await roles.get_role(actor, role_name))

    @strawberry.field(
        description="The account's roles, by name (ListRoles).",
        extensions=[authorize("iam:ListRoles", "*")],
    )
    async def roles(
        self, info: Info, path_prefix: str = "/", first: int | None = None, after: str | None = None
    ) -> Connection[Role] | None:
        actor = await info.context.principal()
        page = await roles.list_roles(actor, path_prefix=path_prefix, first=first, after=after)
        return connection(page, Role.from_model)


@strawberry.type
class RoleMutations:
    @strawberry.mutation(
        description="Create a role with a trust policy and no permissions (CreateRole).",
        extensions=[
            authorize(
                roles.CREATE,
                ROLE,
                context=BOUNDARY_KEY,
            )
        ],
    )
    async def create_role(self, info: Info, input: CreateRoleInput) -> Role | None:
        actor = await info.context.principal()
        role = await roles.create_role(
            actor,
            role_name=input.role_name,
            assume_role_policy_document=input.assume_role_policy_document,
            path=input.path,
            description=input.description,
            max_session_duration=input.max_session_duration,
            tags=tag_pairs(input.tags),
            permissions_boundary=input.permissions_boundary,
        )
        return Role.from_model(role)

    @strawberry.mutation(
        description="Change a role's description or maximum session duration (UpdateRole).",
        extensions=[authorize(roles.UPDATE, ROLE)],
    )
    async def update_role(
        self,
        info: Info,
        role_name: str,
        description: str | None = None,
        max_session_duration: int | None = None,
    ) -> Role | None:
        actor = await info.context.principal()
        role = await roles.update_role(
            actor, role_name, description=description, max_session_duration=max_session_duration
        )
        return Role.from_model(role)

    @strawberry.mutation(
        description="Replace a role's trust policy (UpdateAssumeRolePolicy).",
        extensions=[authorize(roles.UPDATE_TRUST, ROLE)],
    )
    async def update_assume_role_policy(
        self, info: Info, role_name: str, policy_document: str
    ) -> Role | None:
        actor = await info.context.principal()
        role = await roles.update_assume_role_policy(
            actor, role_name=role_name, policy_document=policy_document
        )
        return Role.from_model(role)

    @strawberry.mutation(
        description="Delete a role with no policies left, ending its sessions (DeleteRole).",
        extensions=[authorize(roles.DELETE, ROLE)],
    )
    async def delete_role(self, info: Info, role_name: str) -> bool | None:
        actor = await info.context.principal()
        await roles.delete_role(actor, role_name)
        return True

    @strawberry.mutation(
        description="Attach a managed policy to a role (AttachRolePolicy).",
        extensions=[
            authorize(identities.ROLE.action(attachments.ATTACH), ROLE, context=POLICY_ARN_KEY)
        ],
    )
    async def attach_role_policy(self, info: Info, role_name: str, policy_arn: str) -> Role | None:
        actor = await info.context.principal()
        await attachments.attach_role_policy(actor, role_name=role_name, policy_arn=policy_arn)
        return Role.from_model(await roles.get_role(actor, role_name))

    @strawberry.mutation(
        description="Detach a managed policy from a role (DetachRolePolicy).",
        extensions=[
            authorize(identities.ROLE.action(attachments.DETACH), ROLE, context=POLICY_ARN_KEY)
        ],
    )
    async def detach_role_policy(self, info: Info, role_name: str, policy_arn: str) -> Role | None:
        actor = await info.context.principal()
        await attachments.detach_role_policy(actor, role_name=role_name, policy_arn=policy_arn)
        return Role.from_model(await roles.get_role(actor, role_name))

    @strawberry.mutation(
        description="Add or replace one of a role's inline policies (PutRolePolicy).",
        extensions=[authorize(identities.ROLE.action(inline_policies.PUT), ROLE)],
    )
    async def put_role_policy(
        self, info: Info, role_name: str, policy_name: str, policy_document: str
    ) -> InlinePolicy | None:
        actor = await info.context.principal()
        found = await inline_policies.put_role_policy(
            actor, role_name=role_name, policy_name=policy_name, policy_document=policy_document
        )
        return InlinePolicy.from_model(found)

    @strawberry.mutation(
        description="Delete one of a role's inline policies (DeleteRolePolicy).",
        extensions=[authorize(identities.ROLE.action(inline_policies.DELETE), ROLE)],
    )
    async def delete_role_policy(self, info: Info, role_name: str, policy_name: str) -> bool | None:
        actor = await info.context.principal()
        await inline_policies.delete_role_policy(
            actor, role_name=role_name, policy_name=policy_name
        )
        return True

    @strawberry.mutation(
        description="Cap a role's permissions with a managed policy (PutRolePermissionsBoundary).",
        extensions=[
            authorize(
                identities.ROLE.action(boundaries.PUT),
                ROLE,
                context=BOUNDARY_KEY,
            )
        ],
    )
    async def put_role_permissions_boundary(
        self, info: Info, role_name: str, permissions_boundary: str
    ) -> Role | None:
        actor = await info.context.principal()
        role = await boundaries.put_role_permissions_boundary(
            actor, role_name=role_name, permissions_boundary=permissions_boundary
        )
        return Role.from_model(role)

    @strawberry.mutation(
        description="Remove a role's permissions boundary (DeleteRolePermissionsBoundary).",
        extensions=[authorize(identities.ROLE.action(boundaries.DELETE), ROLE)],
    )
    async def delete_role_permissions_boundary(self, info: Info, role_name: str) -> Role | None:
        actor = await info.context.principal()
        role = await boundaries.delete_role_permissions_boundary(actor, role_name=role_name)
        return Role.from_model(role)

    @strawberry.mutation(
        description="Add or replace tags on a role (TagRole).",
        extensions=[authorize(identities.ROLE.action(identities.TAG), ROLE)],
    )
    async def tag_role(self, info: Info, role_name: str, tags: list[TagInput]) -> Role | None:
        actor = await info.context.principal()
        return Role.from_model(await roles.tag_role(actor, role_name, tag_pairs(tags)))

    @strawberry.mutation(
        description="Remove tags from a role (UntagRole).",
        extensions=[authorize(identities.ROLE.action(identities.UNTAG), ROLE)],
    )
    async def untag_role(self, info: Info, role_name: str, tag_keys: list[str]) -> Role | None:
        actor = await info.context.principal()
        return Role.from_model(await roles.untag_role(actor, role_name, tag_keys))
