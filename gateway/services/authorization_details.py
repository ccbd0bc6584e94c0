"""GetAccountAuthorizationDetails: a snapshot of who may do what in the caller's account.

The answer has AWS's shape: users (with their groups, attached policies, inline policies and
permissions boundary), groups (with attached and inline policies), roles (with their trust
policy, attached and inline policies, and boundary) and managed policies (with every
version). As in AWS, `policies` holds the account's own policies and those AWS-managed
policies that the account uses (attached, or set as a boundary). `filter` takes AWS's entity
filter values (User, Role, Group, LocalManagedPolicy, AWSManagedPolicy) to narrow the answer.

It runs a fixed number of queries (eleven) whatever the size of the account, and is not
paginated: accounts here are small enough to export in one piece.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q

from gateway.models import (
    EntityKind,
    Group,
    GroupMembership,
    InlinePolicy,
    ManagedPolicy,
    PolicyAttachment,
    PolicyVersion,
    Role,
    User,
)
from gateway.services.policies import check_enum, localize_counts
from gateway.services.principal import Principal

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


@dataclass(frozen=True, slots=True)
class UserDetail:
    """A user and everything that grants or caps its permissions."""

    user: User
    group_names: tuple[str, ...]
    attached_policies: tuple[ManagedPolicy, ...]
    inline_policies: tuple[InlinePolicy, ...]
    permissions_boundary_arn: str | None


@dataclass(frozen=True, slots=True)
class GroupDetail:
    """A group and the policies that apply to its members."""

    group: Group
    attached_policies: tuple[ManagedPolicy, ...]
    inline_policies: tuple[InlinePolicy, ...]


@dataclass(frozen=True, slots=True)
class RoleDetail:
    """A role, its trust policy, and everything that grants or caps its permissions."""

    role: Role
    attached_policies: tuple[ManagedPolicy, ...]
    inline_policies: tuple[InlinePolicy, ...]
    permissions_boundary_arn: str | None


@dataclass(frozen=True, slots=True)
class PolicyDetail:
    """A managed policy with all of its versions, newest first."""

    policy: ManagedPolicy
    versions: tuple[PolicyVersion, ...]


@dataclass(frozen=True, slots=True)
class AuthorizationDetails:
    """GetAccountAuthorizationDetails' answer; each list is ordered by name."""

    users: tuple[UserDetail, ...]
    groups: tuple[GroupDetail, ...]
    roles: tuple[RoleDetail, ...]
    policies: tuple[PolicyDetail, ...]


async def get_account_authorization_details(
    actor: Principal, *, filter: Sequence[str] | None = None
) -> AuthorizationDetails:
    """GetAccountAuthorizationDetails for the caller's account; see the module docstring."""
    wanted = set(FILTERS if not filter else (check_enum(f, "filter", FILTERS) for f in filter))
    account = actor.account_id
    users = await User.filter(account_id=account).order_by("name_lower")
    groups = await Group.filter(account_id=account).order_by("name_lower")
    roles = await Role.filter(account_id=account).order_by("name_lower")
    user_ids = [u.id for u in users]
    group_ids = [g.id for g in groups]
    role_ids = [r.id for r in roles]
    names = {g.id: g.name for g in groups}

    memberships = await GroupMembership.filter(group__account_id=account).values_list(
        "user_id", "group_id"
    )
    owned = (
        Q(entity_kind=EntityKind.USER.value, entity_id__in=user_ids or [""])
        | Q(entity_kind=EntityKind.GROUP.value, entity_id__in=group_ids or [""])
        | Q(entity_kind=EntityKind.ROLE.value, entity_id__in=role_ids or [""])
    )
    attachments = await PolicyAttachment.filter(owned).values_list("entity_id", "policy_id")
    inline = await InlinePolicy.filter(owned).order_by("name")

    used = {str(policy_id) for _, policy_id in attachments}
    used |= {u.permissions_boundary_id for u in users if u.permissions_boundary_id}
    used |= {r.permissions_boundary_id for r in roles if r.permissions_boundary_id}
    policies = await ManagedPolicy.filter(
        Q(account_id=account) | Q(account_id__isnull=True, id__in=sorted(used) or [""])
    ).order_by("name_lower", "id")
    await localize_counts(account, policies)
    by_id = {p.id: p for p in policies}
    versions = await PolicyVersion.filter(policy_id__in=list(by_id) or [""]).order_by("-id")

    groups_of: dict[str, list[str]] = defaultdict(list)
    for user_id, group_id in memberships:
        groups_of[str(user_id)].append(names[str(group_id)])
    attached: dict[str, list[ManagedPolicy]] = defaultdict(list)
    for entity_id, policy_id in attachments:
        attached[str(entity_id)].append(by_id[str(policy_id)])
    inline_of: dict[str, list[InlinePolicy]] = defaultdict(list)
    for policy in inline:
        inline_of[policy.entity_id].append(policy)
    versions_of: dict[str, list[PolicyVersion]] = defaultdict(list)
    for version in versions:
        versions_of[version.policy_id].append(version)

    def by_name(policies: list[ManagedPolicy]) -> tuple[ManagedPolicy, ...]:
        return tuple(sorted(policies, key=lambda p: (p.name_lower, p.id)))

    user_details = tuple(
        UserDetail(
            user=user,
            group_names=tuple(sorted(groups_of[user.id], key=str.lower)),
            attached_policies=by_name(attached[user.id]),
            inline_policies=tuple(inline_of[user.id]),
            permissions_boundary_arn=(
                by_id[user.permissions_boundary_id].arn if user.permissions_boundary_id else None
            ),
        )
        for user in users
        if "User" in wanted
    )
    group_details = tuple(
        GroupDetail(
            group=group,
            attached_policies=by_name(attached[group.id]),
            inline_policies=tuple(inline_of[group.id]),
        )
        for group in groups
        if "Group" in wanted
    )
    role_details = tuple(
        RoleDetail(
            role=role,
            attached_policies=by_name(attached[role.id]),
            inline_policies=tuple(inline_of[role.id]),
            permissions_boundary_arn=(
                by_id[role.permissions_boundary_id].arn if role.permissions_boundary_id else None
            ),
        )
        for role in roles
        if "Role" in wanted
    )
    policy_details = tuple(
        PolicyDetail(policy=policy, versions=tuple(versions_of[policy.id]))
        for policy in policies
        if ("AWSManagedPolicy" if policy.account_id is None else "LocalManagedPolicy") in wanted
    )
    return AuthorizationDetails(
        users=user_details, groups=group_details, roles=role_details, policies=policy_details
    )
