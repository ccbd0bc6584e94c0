"""The policies in force for a user or a role: what the authorizer evaluates.

`identity_policies(account_id, user_id)` gathers, in a fixed five queries whatever the numbers
of groups and policies:

- the default version of every managed policy attached to the user,
- the user's inline policies,
- for each of the user's groups (by group name): the default versions of the policies
  attached to the group, then the group's inline policies,

each parsed into a `gateway.policy.Policy`, plus the user's permissions boundary (the default
version of that policy) if any. A managed policy attached both to the user and to a group is
listed once. `role_policies(account_id, role_id)` does the same for a role, in four queries:
its attached policies, then its inline policies, and its boundary (never its trust policy,
which says who may assume the role, not what the role may do). Labels, which decisions quote
to say which policy decided:

- a managed policy: its ARN, `arn:aws:iam::aws:policy/IAMReadOnlyAccess`;
- an inline policy: its identity's ARN, `:inline/` and its name,
  `arn:aws:iam::111122223333:user/alice:inline/AllowBucket`,
  `arn:aws:iam::111122223333:group/Cashiers:inline/ListOrders`,
  `arn:aws:iam::111122223333:role/Cashier:inline/OpenTill`.

Parsing is pure, so parsed documents are kept in a bounded LRU cache keyed by (label, text):
an unchanged policy comes back as the same `Policy` object, which also keeps its compiled
form (`gateway.policy.compile_policies` caches it on the object).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tortoise.expressions import Q

from gateway.errors import NoSuchEntity
from gateway.models import (
    EntityKind,
    Group,
    GroupMembership,
    InlinePolicy,
    PolicyAttachment,
    PolicyVersion,
    Role,
    User,
)
from gateway.policy import Policy, parse_policy
from gateway.services.breathing import Breather, all_values

PARSE_CACHE_SIZE = 4096
ENTITIES_PER_QUERY = 500
"""Identities whose policies `account_policies` reads per query."""


@dataclass(frozen=True, slots=True)
class EffectivePolicies:
    """An identity's policies (a user's own and its groups', or a role's) and permissions
    boundary, parsed."""

    identity: tuple[Policy, ...]
    boundary: Policy | None


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def parsed(label: str, text: str) -> Policy:
    """`text` parsed as an identity policy named `label` (cached; stored documents are valid)."""
    return parse_policy(text, "identity", name=label)


def inline_label(entity_arn: str, policy_name: str) -> str:
    """How decisions name an inline policy: `<identity ARN>:inline/<policy name>`."""
    return f"{entity_arn}:inline/{policy_name}"


async def identity_policies(account_id: str, user_id: str) -> EffectivePolicies:
    """The policies in force for user `user_id` of `account_id`; see the module docstring."""
    user = await User.filter(id=user_id, account_id=account_id).first()
    if user is None:
        raise NoSuchEntity(f"The user with id {user_id} cannot be found.")
    groups = await Group.filter(account_id=account_id, memberships__user_id=user_id).order_by(
        "name_lower"
    )
    group_ids = [group.id for group in groups]
    owned_by = Q(entity_kind=EntityKind.USER.value, entity_id=user_id) | Q(
        entity_kind=EntityKind.GROUP.value, entity_id__in=group_ids or [""]
    )
    attachments = await PolicyAttachment.filter(owned_by).values_list("entity_id", "policy_id")
    inline = await InlinePolicy.filter(owned_by).order_by("name")
    wanted = {str(policy_id) for _, policy_id in attachments}
    if user.permissions_boundary_id is not None:
        wanted.add(user.permissions_boundary_id)
    versions = await _default_versions(wanted)

    attached_to: dict[str, list[tuple[str, str]]] = {}
    for entity_id, policy_id in attachments:
        if str(policy_id) in versions:
            attached_to.setdefault(str(entity_id), []).append(versions[str(policy_id)])
    inline_of: dict[str, list[InlinePolicy]] = {}
    for policy in inline:
        inline_of.setdefault(policy.entity_id, []).append(policy)

    policies: list[Policy] = []
    seen: set[str] = set()
    for entity_id, entity_arn in [(user.id, user.arn), *((g.id, g.arn) for g in groups)]:
        for arn, document in sorted(attached_to.get(entity_id, [])):
            if arn not in seen:
                seen.add(arn)
                policies.append(parsed(arn, document))
        for policy in inline_of.get(entity_id, []):
            policies.append(parsed(inline_label(entity_arn, policy.name), policy.document))

    boundary = None
    if user.permissions_boundary_id is not None and user.permissions_boundary_id in versions:
        arn, document = versions[user.permissions_boundary_id]
        boundary = parsed(arn, document)
    return EffectivePolicies(identity=tuple(policies), boundary=boundary)


async def role_policies(account_id: str, role_id: str) -> EffectivePolicies:
    """The policies in force for role `role_id` of `account_id`; see the module docstring.

    NoSuchEntity if the account has no such role.
    """
    role = await Role.filter(id=role_id, account_id=account_id).first()
    if role is None:
        raise NoSuchEntity(f"The role with id {role_id} cannot be found.")
    owned_by = Q(entity_kind=EntityKind.ROLE.value, entity_id=role_id)
    attached = await PolicyAttachment.filter(owned_by).values_list("policy_id", flat=True)
    inline = await InlinePolicy.filter(owned_by).order_by("name")
    wanted = {str(policy_id) for policy_id in attached}
    if role.permissions_boundary_id is not None:
        wanted.add(role.permissions_boundary_id)
    versions = await _default_versions(wanted)

    policies = [
        parsed(arn, document)
        for arn, document in sorted(versions[str(pid)] for pid in attached if str(pid) in versions)
    ]
    policies.extend(parsed(inline_label(role.arn, p.name), p.document) for p in inline)
    boundary = None
    if role.permissions_boundary_id is not None and role.permissions_boundary_id in versions:
        arn, document = versions[role.permissions_boundary_id]
        boundary = parsed(arn, document)
    return EffectivePolicies(identity=tuple(policies), boundary=boundary)


async def group_policies(account_id: str, group_id: str) -> EffectivePolicies:
    """The policies attached to or embedded in group `group_id` (groups have no boundary).

    NoSuchEntity if the account has no such group.
    """
    group = await Group.filter(id=group_id, account_id=account_id).first()
    if group is None:
        raise NoSuchEntity(f"The group with id {group_id} cannot be found.")
    owned_by = Q(entity_kind=EntityKind.GROUP.value, entity_id=group_id)
    attached = await PolicyAttachment.filter(owned_by).values_list("policy_id", flat=True)
    inline = await InlinePolicy.filter(owned_by).order_by("name")
    versions = await _default_versions({str(policy_id) for policy_id in attached})
    policies = [parsed(arn, document) for arn, document in sorted(versions.values())]
    policies.extend(parsed(inline_label(group.arn, p.name), p.document) for p in inline)
    return EffectivePolicies(identity=tuple(policies), boundary=None)


async def _default_versions(policy_ids: set[str]) -> dict[str, tuple[str, str]]:
    """Each managed policy's ARN and default document, by policy id (one query)."""
    if not policy_ids:
        return {}
    rows = await PolicyVersion.filter(
        policy_id__in=sorted(policy_ids), is_default=True
    ).values_list("policy_id", "policy__arn", "document")
    return {str(pid): (str(arn), str(document)) for pid, arn, document in rows}


@dataclass(frozen=True, slots=True)
class AccountPolicies:
    """Every user's and role's identity policies in one account, read together (a fixed
    number of queries whatever the account's size), for account-wide analyses."""

    users: dict[str, tuple[Policy, ...]]
    roles: dict[str, tuple[Policy, ...]]


async def account_policies(account_id: str) -> AccountPolicies:
    """The identity policies of every user (its groups' included) and every role of the
    account, as `identity_policies` and `role_policies` give them one by one."""
    breather = Breather()
    users = await all_values(User.filter(account_id=account_id), "id", "arn", breather=breather)
    roles = await Role.filter(account_id=account_id).values_list("id", "arn")
    groups = await Group.filter(account_id=account_id).order_by("name_lower")
    group_ids = [g.id for g in groups]
    in_groups = GroupMembership.filter(group_id__in=group_ids or [""])
    memberships = await all_values(in_groups, "user_id", "group_id", breather=breather)
    entity_ids = [str(i) for i, _ in users] + [str(i) for i, _ in roles] + group_ids
    attachments: list[tuple[Any, ...]] = []
    inline: list[InlinePolicy] = []
    # A few hundred ids per query: one list of every id of a big account is a statement
    # that takes long to build (on the event loop's thread) and to run.
    for start in range(0, len(entity_ids), ENTITIES_PER_QUERY):
        owned = Q(entity_id__in=entity_ids[start : start + ENTITIES_PER_QUERY])
        attachments += await PolicyAttachment.filter(owned).values_list("entity_id", "policy_id")
        inline += await InlinePolicy.filter(owned).order_by("name")
        await breather.breathe()
    versions = await _default_versions({str(policy_id) for _, policy_id in attachments})

    attached_to: dict[str, list[tuple[str, str]]] = {}
    for entity_id, policy_id in attachments:
        if str(policy_id) in versions:
            attached_to.setdefault(str(entity_id), []).append(versions[str(policy_id)])
    inline_of: dict[str, list[InlinePolicy]] = {}
    for policy in inline:
        inline_of.setdefault(policy.entity_id, []).append(policy)
    arn_of = {g.id: g.arn for g in groups} | {str(i): str(a) for i, a in [*users, *roles]}

    def own(entity_id: str, seen: set[str]) -> list[Policy]:
        found = []
        for arn, document in sorted(attached_to.get(entity_id, [])):
            if arn not in seen:
                seen.add(arn)
                found.append(parsed(arn, document))
        for policy in inline_of.get(entity_id, []):
            found.append(parsed(inline_label(arn_of[entity_id], policy.name), policy.document))
        return found

    groups_of: dict[str, set[str]] = {}
    for user_id, group_id in memberships:
        groups_of.setdefault(str(user_id), set()).add(str(group_id))
    user_policies = {}
    for user_id, _ in users:
        await breather.breathe()
        seen: set[str] = set()
        policies = own(str(user_id), seen)
        for group_id in group_ids:
            if group_id in groups_of.get(str(user_id), ()):
                policies += own(group_id, seen)
        user_policies[str(user_id)] = tuple(policies)
    role_policies_by_id = {str(role_id): tuple(own(str(role_id), set())) for role_id, _ in roles}
    return AccountPolicies(users=user_policies, roles=role_policies_by_id)
