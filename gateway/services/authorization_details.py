"""GetAccountAuthorizationDetails: a snapshot of who may do what in the caller's account.

The answer has AWS's shape: users (with their groups, attached policies, inline policies and
permissions boundary), groups (with attached and inline policies), roles (with their trust
policy, attached and inline policies, and boundary) and managed policies (with every
version). As in AWS, `policies` holds the account's own policies and those AWS-managed
policies that the account uses (attached, or set as a boundary). `filter` takes AWS's entity
filter values (User, Role, Group, LocalManagedPolicy, AWSManagedPolicy) to narrow the answer.

The answer is paged as AWS pages it (MaxItems and Marker, here `first` and `after`): one list
of users, then groups, then roles, then policies, each in name order, cut after `first`
entities (100 by default, at most 1,000); the cursor says where the next page starts. A page
costs a fixed number of queries (at most fourteen) whatever the size of the account, and its
work is bounded by its size, so exporting a large account never holds a worker for long.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from gateway.errors import InvalidInput
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
from gateway.services.pagination import decode_cursor, encode_cursor, page_size
from gateway.services.policies import check_enum, localize_counts
from gateway.services.principal import Principal

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
SECTIONS = ("users", "groups", "roles", "policies")
"""The order of the answer's lists, which a cursor names."""


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
    """One page of GetAccountAuthorizationDetails' answer; each list is ordered by name.
    `end_cursor` (AWS's Marker) starts the next page when `has_next` (IsTruncated)."""

    users: tuple[UserDetail, ...]
    groups: tuple[GroupDetail, ...]
    roles: tuple[RoleDetail, ...]
    policies: tuple[PolicyDetail, ...]
    has_next: bool = False
    end_cursor: str | None = None


async def get_account_authorization_details(
    actor: Principal,
    *,
    filter: Sequence[str] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> AuthorizationDetails:
    """One page of GetAccountAuthorizationDetails for the caller's account; see the module
    docstring. InvalidInput for a page size out of 1..1000 or a cursor it did not issue."""
    wanted = set(FILTERS if not filter else (check_enum(f, "filter", FILTERS) for f in filter))
    size = page_size(first)
    start, last = _position(after)
    account = actor.account_id
    policy_kinds = {"LocalManagedPolicy", "AWSManagedPolicy"} & wanted
    queries: dict[str, Any] = {
        "users": User.filter(account_id=account) if "User" in wanted else None,
        "groups": Group.filter(account_id=account) if "Group" in wanted else None,
        "roles": Role.filter(account_id=account) if "Role" in wanted else None,
        "policies": _policies(account, policy_kinds) if policy_kinds else None,
    }
    found: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    remaining, has_next, end = size, False, None
    for index, section in enumerate(SECTIONS):
        query = queries[section]
        if index < start or query is None:
            continue
        if index == start and last is not None:
            query = query.filter(_after(section, last))
        if remaining == 0:
            has_next = await query.exists()
            if has_next:
                break
            continue
        rows = await query.order_by(*_ORDER[section]).limit(remaining + 1)
        if len(rows) > remaining:
            rows, has_next = rows[:remaining], True
        found[section] = rows
        remaining -= len(rows)
        if rows:
            end = encode_cursor(f"{index}:{_key(section, rows[-1])}")
        if has_next:
            break
    return await _details(account, found, has_next=has_next, end_cursor=end)


_ORDER = {
    "users": ("name_lower",),
    "groups": ("name_lower",),
    "roles": ("name_lower",),
    "policies": ("name_lower", "id"),
}


def _key(section: str, row: Any) -> str:
    """The sort key of a row, as the cursor holds it."""
    if section == "policies":
        return f"{row.name_lower}\x00{row.id}"
    return str(row.name_lower)


def _after(section: str, key: str) -> Q:
    """The rows of `section` after the sort key `key`."""
    if section == "policies":
        name, _, policy_id = key.partition("\x00")
        return Q(name_lower__gt=name) | Q(name_lower=name, id__gt=policy_id)
    return Q(name_lower__gt=key)


def _position(after: str | None) -> tuple[int, str | None]:
    """The section a cursor points into and the last sort key before it (0, None: the start)."""
    key = decode_cursor(after)
    if key is None:
        return 0, None
    index, sep, last = key.partition(":")
    if not sep or not index.isdigit() or int(index) >= len(SECTIONS):
        raise InvalidInput(f"Invalid pagination cursor: '{after}'.")
    return int(index), last


def _policies(account: str, kinds: set[str]) -> Any:
    """The account's own managed policies and the AWS-managed ones it uses, as asked."""
    used = (
        Q(
            id__in=Subquery(
                PolicyAttachment.filter(_owned_by(account)).distinct().values("policy_id")
            )
        )
        | Q(
            id__in=Subquery(
                User.filter(account_id=account, permissions_boundary_id__isnull=False).values(
                    "permissions_boundary_id"
                )
            )
        )
        | Q(
            id__in=Subquery(
                Role.filter(account_id=account, permissions_boundary_id__isnull=False).values(
                    "permissions_boundary_id"
                )
            )
        )
    )
    local = Q(account_id=account)
    shared = Q(Q(account_id__isnull=True), used)
    if kinds == {"LocalManagedPolicy"}:
        return ManagedPolicy.filter(local)
    if kinds == {"AWSManagedPolicy"}:
        return ManagedPolicy.filter(shared)
    return ManagedPolicy.filter(local | shared)


def _owned_by(account: str) -> Q:
    """Attachments and inline policies of the account's users, groups and roles."""
    return (
        Q(
            entity_kind=EntityKind.USER.value,
            entity_id__in=Subquery(User.filter(account_id=account).values("id")),
        )
        | Q(
            entity_kind=EntityKind.GROUP.value,
            entity_id__in=Subquery(Group.filter(account_id=account).values("id")),
        )
        | Q(
            entity_kind=EntityKind.ROLE.value,
            entity_id__in=Subquery(Role.filter(account_id=account).values("id")),
        )
    )


async def _details(
    account: str, found: dict[str, list[Any]], *, has_next: bool, end_cursor: str | None
) -> AuthorizationDetails:
    """The page's entities with what grants or caps their permissions (at most ten
    queries, each bounded by the page)."""
    users: list[User] = found["users"]
    groups: list[Group] = found["groups"]
    roles: list[Role] = found["roles"]
    page_policies: list[ManagedPolicy] = found["policies"]
    entity_ids = [u.id for u in users] + [g.id for g in groups] + [r.id for r in roles]

    memberships = (
        await GroupMembership.filter(user_id__in=[u.id for u in users]).values_list(
            "user_id", "group__name"
        )
        if users
        else []
    )
    attachments = (
        await PolicyAttachment.filter(entity_id__in=entity_ids).values_list(
            "entity_id", "policy_id"
        )
        if entity_ids
        else []
    )
    inline = (
        await InlinePolicy.filter(entity_id__in=entity_ids).order_by("name") if entity_ids else []
    )
    referenced = {str(policy_id) for _, policy_id in attachments}
    referenced |= {u.permissions_boundary_id for u in users if u.permissions_boundary_id}
    referenced |= {r.permissions_boundary_id for r in roles if r.permissions_boundary_id}
    by_id = {p.id: p for p in page_policies}
    missing = sorted(referenced - set(by_id))
    if missing:
        by_id.update({p.id: p for p in await ManagedPolicy.filter(id__in=missing)})
    await localize_counts(account, page_policies)
    versions = (
        await PolicyVersion.filter(policy_id__in=[p.id for p in page_policies]).order_by("-id")
        if page_policies
        else []
    )

    groups_of: dict[str, list[str]] = defaultdict(list)
    for user_id, group_name in memberships:
        groups_of[str(user_id)].append(str(group_name))
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

    def boundary(policy_id: str | None) -> str | None:
        return by_id[policy_id].arn if policy_id else None

    return AuthorizationDetails(
        users=tuple(
            UserDetail(
                user=user,
                group_names=tuple(sorted(groups_of[user.id], key=str.lower)),
                attached_policies=by_name(attached[user.id]),
                inline_policies=tuple(inline_of[user.id]),
                permissions_boundary_arn=boundary(user.permissions_boundary_id),
            )
            for user in users
        ),
        groups=tuple(
            GroupDetail(
                group=group,
                attached_policies=by_name(attached[group.id]),
                inline_policies=tuple(inline_of[group.id]),
            )
            for group in groups
        ),
        roles=tuple(
            RoleDetail(
                role=role,
                attached_policies=by_name(attached[role.id]),
                inline_policies=tuple(inline_of[role.id]),
                permissions_boundary_arn=boundary(role.permissions_boundary_id),
            )
            for role in roles
        ),
        policies=tuple(
            PolicyDetail(policy=policy, versions=tuple(versions_of[policy.id]))
            for policy in page_policies
        ),
        has_next=has_next,
        end_cursor=end_cursor,
    )
