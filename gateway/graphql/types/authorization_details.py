"""GetAccountAuthorizationDetails: the account's users, groups, roles and policies in one
answer."""

from __future__ import annotations

import strawberry

from gateway import models
from gateway.graphql.types.common import PageInfo, PolicyDocument, Tag
from gateway.graphql.types.policy import Policy, PolicyVersion
from gateway.graphql.types.user import InlinePolicy
from gateway.services import authorization_details as details


def _inline(policies: tuple[models.InlinePolicy, ...]) -> list[InlinePolicy]:
    return [InlinePolicy.from_model(p) for p in policies]


@strawberry.type(description="A user with its groups and policies.")
class UserDetail:
    user_name: str
    user_id: str
    arn: str
    path: str
    group_names: list[str]
    attached_policy_arns: list[str]
    inline_policies: list[InlinePolicy]
    permissions_boundary_arn: str | None

    @classmethod
    def from_detail(cls, detail: details.UserDetail) -> UserDetail:
        """The GraphQL view of one user's details."""
        return cls(
            user_name=detail.user.name,
            user_id=detail.user.id,
            arn=detail.user.arn,
            path=detail.user.path,
            group_names=list(detail.group_names),
            attached_policy_arns=[p.arn for p in detail.attached_policies],
            inline_policies=_inline(detail.inline_policies),
            permissions_boundary_arn=detail.permissions_boundary_arn,
        )


@strawberry.type(description="A group with its policies.")
class GroupDetail:
    group_name: str
    group_id: str
    arn: str
    path: str
    attached_policy_arns: list[str]
    inline_policies: list[InlinePolicy]

    @classmethod
    def from_detail(cls, detail: details.GroupDetail) -> GroupDetail:
        """The GraphQL view of one group's details."""
        return cls(
            group_name=detail.group.name,
            group_id=detail.group.id,
            arn=detail.group.arn,
            path=detail.group.path,
            attached_policy_arns=[p.arn for p in detail.attached_policies],
            inline_policies=_inline(detail.inline_policies),
        )


@strawberry.type(description="A role with its trust policy and permission policies.")
class RoleDetail:
    role_name: str
    role_id: str
    arn: str
    path: str
    assume_role_policy_document: PolicyDocument
    attached_policy_arns: list[str]
    inline_policies: list[InlinePolicy]
    permissions_boundary_arn: str | None
    tags: list[Tag]

    @classmethod
    def from_detail(cls, detail: details.RoleDetail) -> RoleDetail:
        """The GraphQL view of one role's details."""
        return cls(
            role_name=detail.role.name,
            role_id=detail.role.id,
            arn=detail.role.arn,
            path=detail.role.path,
            assume_role_policy_document=PolicyDocument(text=detail.role.assume_role_policy),
            attached_policy_arns=[p.arn for p in detail.attached_policies],
            inline_policies=_inline(detail.inline_policies),
            permissions_boundary_arn=detail.permissions_boundary_arn,
            tags=Tag.list_of(detail.role.tags),
        )


@strawberry.type(description="A managed policy with all its versions.")
class PolicyDetail:
    policy: Policy
    versions: list[PolicyVersion]


@strawberry.type(
    description="A page of the account's users, groups, roles and managed policies, with "
    "documents: users first, then groups, roles and policies, each in name order. "
    "`pageInfo.endCursor` (AWS's Marker) starts the next page while `pageInfo.hasNextPage` "
    "(IsTruncated)."
)
class AccountAuthorizationDetails:
    users: list[UserDetail]
    groups: list[GroupDetail]
    roles: list[RoleDetail]
    policies: list[PolicyDetail]
    page_info: PageInfo

    @classmethod
    def from_details(cls, found: details.AuthorizationDetails) -> AccountAuthorizationDetails:
        """The GraphQL view of one page of the export."""
        return cls(
            users=[UserDetail.from_detail(u) for u in found.users],
            groups=[GroupDetail.from_detail(g) for g in found.groups],
            roles=[RoleDetail.from_detail(r) for r in found.roles],
            policies=[
                PolicyDetail(
                    policy=Policy.from_model(p.policy),
                    versions=[PolicyVersion.from_model(v) for v in p.versions],
                )
                for p in found.policies
            ],
            page_info=PageInfo(has_next_page=found.has_next, end_cursor=found.end_cursor),
        )
