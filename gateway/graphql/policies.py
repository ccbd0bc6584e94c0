"""Queries and mutations on managed policies, versions, attachments and inline policies."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.graphql.authorize import GROUP, POLICY, POLICY_ARN_KEY, USER, authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import (
    Connection,
    TagInput,
    connection,
    tag_pairs,
)
from gateway.graphql.types.group import Group
from gateway.graphql.types.policy import Policy, PolicyVersion
from gateway.graphql.types.user import InlinePolicy, User
from gateway.services import (
    attachments,
    groups,
    identities,
    inline_policies,
    policies,
    policy_versions,
    users,
)

Info = strawberry.Info[GatewayContext, None]


@strawberry.enum(description="Which managed policies to list.")
class PolicyScope(Enum):
    ALL = "All"
    AWS = "AWS"
    LOCAL = "Local"


@strawberry.input(description="A new customer-managed policy.")
class CreatePolicyInput:
    policy_name: str
    policy_document: str
    path: str = "/"
    description: str = ""
    tags: list[TagInput] | None = None


@strawberry.type
class PolicyQueries:
    @strawberry.field(
        description="One managed policy (GetPolicy).",
        extensions=[authorize("iam:GetPolicy", "{policyArn}")],
    )
    async def policy(self, info: Info, policy_arn: str) -> Policy | None:
        actor = await info.context.principal()
        return Policy.from_model(await policies.get_policy(actor, policy_arn))

    @strawberry.field(
        description="Managed policies, by name (ListPolicies).",
        extensions=[authorize("iam:ListPolicies", "*")],
    )
    async def policies(
        self,
        info: Info,
        scope: PolicyScope = PolicyScope.ALL,
        only_attached: bool = False,
        path_prefix: str = "/",
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Policy] | None:
        actor = await info.context.principal()
        page = await policies.list_policies(
            actor,
            scope=scope.value,
            only_attached=only_attached,
            path_prefix=path_prefix,
            first=first,
            after=after,
        )
        return connection(page, Policy.from_model)

    @strawberry.field(
        description="One version of a managed policy (GetPolicyVersion).",
        extensions=[authorize("iam:GetPolicyVersion", "{policyArn}")],
    )
    async def policy_version(
        self, info: Info, policy_arn: str, version_id: str
    ) -> PolicyVersion | None:
        actor = await info.context.principal()
        return PolicyVersion.from_model(
            await policy_versions.get_policy_version(actor, policy_arn, version_id)
        )


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(
        description="Create a managed policy; its document becomes version v1 (CreatePolicy).",
        extensions=[authorize(policies.CREATE, POLICY)],
    )
    async def create_policy(self, info: Info, input: CreatePolicyInput) -> Policy | None:
        actor = await info.context.principal()
        policy = await policies.create_policy(
            actor,
            policy_name=input.policy_name,
            policy_document=input.policy_document,
            path=input.path,
            description=input.description,
            tags=tag_pairs(input.tags),
        )
        return Policy.from_model(policy)

    @strawberry.mutation(
        description="Delete a managed policy that is attached nowhere (DeletePolicy).",
        extensions=[authorize(policies.DELETE, "{policyArn}")],
    )
    async def delete_policy(self, info: Info, policy_arn: str) -> bool | None:
        actor = await info.context.principal()
        await policies.delete_policy(actor, policy_arn)
        return True

    @strawberry.mutation(
        description="Add a version to a managed policy, at most five (CreatePolicyVersion).",
        extensions=[authorize(policy_versions.CREATE, "{policyArn}")],
    )
    async def create_policy_version(
        self, info: Info, policy_arn: str, policy_document: str, set_as_default: bool = False
    ) -> PolicyVersion | None:
        actor = await info.context.principal()
        version = await policy_versions.create_policy_version(
            actor, policy_arn, policy_document=policy_document, set_as_default=set_as_default
        )
        return PolicyVersion.from_model(version)

    @strawberry.mutation(
        description="Delete a version that is not the default (DeletePolicyVersion).",
        extensions=[authorize(policy_versions.DELETE, "{policyArn}")],
    )
    async def delete_policy_version(
        self, info: Info, policy_arn: str, version_id: str
    ) -> bool | None:
        actor = await info.context.principal()
        await policy_versions.delete_policy_version(actor, policy_arn, version_id)
        return True

    @strawberry.mutation(
        description="Choose the version in force, e.g. to roll back (SetDefaultPolicyVersion).",
        extensions=[authorize(policy_versions.SET_DEFAULT, "{policyArn}")],
    )
    async def set_default_policy_version(
        self, info: Info, policy_arn: str, version_id: str
    ) -> Policy | None:
        actor = await info.context.principal()
        await policy_versions.set_default_policy_version(actor, policy_arn, version_id)
        return Policy.from_model(await policies.get_policy(actor, policy_arn))

    @strawberry.mutation(
        description="Add or replace tags on a managed policy (TagPolicy).",
        extensions=[authorize(policies.TAG, "{policyArn}")],
    )
    async def tag_policy(self, info: Info, policy_arn: str, tags: list[TagInput]) -> Policy | None:
        actor = await info.context.principal()
        return Policy.from_model(await policies.tag_policy(actor, policy_arn, tags=tag_pairs(tags)))

    @strawberry.mutation(
        description="Remove tags from a managed policy (UntagPolicy).",
        extensions=[authorize(policies.UNTAG, "{policyArn}")],
    )
    async def untag_policy(self, info: Info, policy_arn: str, tag_keys: list[str]) -> Policy | None:
        actor = await info.context.principal()
        return Policy.from_model(await policies.untag_policy(actor, policy_arn, tag_keys=tag_keys))

    @strawberry.mutation(
        description="Attach a managed policy to a user (AttachUserPolicy).",
        extensions=[
            authorize(identities.USER.action(attachments.ATTACH), USER, context=POLICY_ARN_KEY)
        ],
    )
    async def attach_user_policy(self, info: Info, user_name: str, policy_arn: str) -> User | None:
        actor = await info.context.principal()
        await attachments.attach_user_policy(actor, user_name=user_name, policy_arn=policy_arn)
        return User.from_model(await users.get_user(actor, user_name))

    @strawberry.mutation(
        description="Detach a managed policy from a user (DetachUserPolicy).",
        extensions=[
            authorize(identities.USER.action(attachments.DETACH), USER, context=POLICY_ARN_KEY)
        ],
    )
    async def detach_user_policy(self, info: Info, user_name: str, policy_arn: str) -> User | None:
        actor = await info.context.principal()
        await attachments.detach_user_policy(actor, user_name=user_name, policy_arn=policy_arn)
        return User.from_model(await users.get_user(actor, user_name))

    @strawberry.mutation(
        description="Attach a managed policy to a group (AttachGroupPolicy).",
        extensions=[
            authorize(identities.GROUP.action(attachments.ATTACH), GROUP, context=POLICY_ARN_KEY)
        ],
    )
    async def attach_group_policy(
        self, info: Info, group_name: str, policy_arn: str
    ) -> Group | None:
        actor = await info.context.principal()
        await attachments.attach_group_policy(actor, group_name=group_name, policy_arn=policy_arn)
        return Group.from_model(await groups.get_group(actor, group_name))

    @strawberry.mutation(
        description="Detach a managed policy from a group (DetachGroupPolicy).",
        extensions=[
            authorize(identities.GROUP.action(attachments.DETACH), GROUP, context=POLICY_ARN_KEY)
        ],
    )
    async def detach_group_policy(
        self, info: Info, group_name: str, policy_arn: str
    ) -> Group | None:
        actor = await info.context.principal()
        await attachments.detach_group_policy(actor, group_name=group_name, policy_arn=policy_arn)
        return Group.from_model(await groups.get_group(actor, group_name))

    @strawberry.mutation(
        description="Create or replace an inline policy of a user (PutUserPolicy).",
        extensions=[authorize(identities.USER.action(inline_policies.PUT), USER)],
    )
    async def put_user_policy(
        self, info: Info, user_name: str, policy_name: str, policy_document: str
    ) -> InlinePolicy | None:
        actor = await info.context.principal()
        found = await inline_policies.put_user_policy(
            actor, user_name=user_name, policy_name=policy_name, policy_document=policy_document
        )
        return InlinePolicy.from_model(found)

    @strawberry.mutation(
        description="Delete an inline policy of a user (DeleteUserPolicy).",
        extensions=[authorize(identities.USER.action(inline_policies.DELETE), USER)],
    )
    async def delete_user_policy(self, info: Info, user_name: str, policy_name: str) -> bool | None:
        actor = await info.context.principal()
        await inline_policies.delete_user_policy(
            actor, user_name=user_name, policy_name=policy_name
        )
        return True

    @strawberry.mutation(
        description="Create or replace an inline policy of a group (PutGroupPolicy).",
        extensions=[authorize(identities.GROUP.action(inline_policies.PUT), GROUP)],
    )
    async def put_group_policy(
        self, info: Info, group_name: str, policy_name: str, policy_document: str
    ) -> InlinePolicy | None:
        actor = await info.context.principal()
        found = await inline_policies.put_group_policy(
            actor, group_name=group_name, policy_name=policy_name, policy_document=policy_document
        )
        return InlinePolicy.from_model(found)

    @strawberry.mutation(
        description="Delete an inline policy of a group (DeleteGroupPolicy).",
        extensions=[authorize(identities.GROUP.action(inline_policies.DELETE), GROUP)],
    )
    async def delete_group_policy(
        self, info: Info, group_name: str, policy_name: str
    ) -> bool | None:
        actor = await info.context.principal()
        await inline_policies.delete_group_policy(
            actor, group_name=group_name, policy_name=policy_name
        )
        return True
