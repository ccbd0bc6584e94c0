"""Attaching managed policies to identities: Attach/Detach/ListAttached User/Group/Role Policies
and ListEntitiesForPolicy.

Attachments name their identity by kind and unique id (`PolicyAttachment.entity_kind` /
`entity_id`), so every operation here is written once against an `Identity` description
(gateway.services.identities) and exposed per kind (USER, GROUP, ROLE) through thin wrappers.

As in AWS, attaching a policy that is already attached succeeds and changes nothing, and an
identity holds at most 10 managed policies (PoliciesPerUser / PoliciesPerGroup /
PoliciesPerRole, AWS's default quotas). `ManagedPolicy.attachment_count` moves with each
attachment, atomically (`F()`), in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import F, Subquery

from gateway.errors import LimitExceeded
from gateway.models import EntityKind, Group, ManagedPolicy, PolicyAttachment, Role, User
from gateway.services.identities import GROUP, ROLE, USER, Identity, by_name, under_path
from gateway.services.pagination import Page, page_size
from gateway.services.policies import (
    after_name_key,
    check_enum,
    check_policy_arn,
    find_policy,
    localize_counts,
    page_of_policies,
    policy_not_attachable,
    policy_not_found,
)
from gateway.services.principal import Principal
from gateway.services.validation import check_name, check_path_prefix
from gateway.services.writes import audited_precheck, writing

# --- attach / detach -------------------------------------------------------------------------


# The IAM actions of this module's operations, per kind (`Identity.action`): the
# resolvers' @authorize reads them too.
ATTACH = "Attach{kind}Policy"
DETACH = "Detach{kind}Policy"


async def _attach(
    actor: Principal, identity: Identity[Any], name: str, policy_arn: str
) -> ManagedPolicy:
    action = identity.action(ATTACH)
    async with audited_precheck(actor, action, identity.arn(actor.account_id, name)):
        check_name(name, identity.name_field, maximum=identity.max_name)
        check_policy_arn(policy_arn)
        entity = await by_name(identity, actor.account_id, name)
    async with writing(actor, action, entity.arn) as tx:
        entity = await by_name(identity, actor.account_id, name, using=tx.connection, lock=True)
        policy = await find_policy(actor.account_id, policy_arn, using_db=tx.connection)
        if policy is None or not policy.is_attachable:
            raise policy_not_attachable(policy_arn)
        tx.details["policyArn"] = policy_arn
        mine = PolicyAttachment.filter(entity_kind=identity.kind.value, entity_id=entity.id)
        if await mine.filter(policy_id=policy.id).using_db(tx.connection).exists():
            tx.details["alreadyAttached"] = True
        else:
            if await mine.using_db(tx.connection).count() >= identity.policy_quota:
                raise LimitExceeded(
                    f"Cannot exceed quota for PoliciesPer{identity.title}: {identity.policy_quota}"
                )
            await PolicyAttachment.create(
                policy_id=policy.id,
                entity_kind=identity.kind.value,
                entity_id=entity.id,
                using_db=tx.connection,
            )
            await (
                ManagedPolicy.filter(id=policy.id)
                .using_db(tx.connection)
                .update(attachment_count=F("attachment_count") + 1)
            )
    attached = await find_policy(actor.account_id, policy_arn)
    assert attached is not None  # attached a moment ago; policies in use cannot be deleted
    await localize_counts(actor.account_id, [attached])
    return attached


async def _detach(actor: Principal, identity: Identity[Any], name: str, policy_arn: str) -> None:
    action = identity.action(DETACH)
    async with audited_precheck(actor, action, identity.arn(actor.account_id, name)):
        check_name(name, identity.name_field, maximum=identity.max_name)
        check_policy_arn(policy_arn)
        entity = await by_name(identity, actor.account_id, name)
    async with writing(actor, action, entity.arn) as tx:
        entity = await by_name(identity, actor.account_id, name, using=tx.connection, lock=True)
        policy = await find_policy(actor.account_id, policy_arn, using_db=tx.connection)
        if policy is None:
            raise policy_not_found(policy_arn)
        deleted = (
            await PolicyAttachment.filter(
                policy_id=policy.id, entity_kind=identity.kind.value, entity_id=entity.id
            )
            .using_db(tx.connection)
            .delete()
        )
        if not deleted:
            raise policy_not_found(policy_arn)
        await (
            ManagedPolicy.filter(id=policy.id)
            .using_db(tx.connection)
            .update(attachment_count=F("attachment_count") - 1)
        )
        tx.details["policyArn"] = policy_arn


async def attach_user_policy(actor: Principal, *, user_name: str, policy_arn: str) -> ManagedPolicy:
    """AttachUserPolicy; returns the policy (already attached: no change, no error)."""
    return await _attach(actor, USER, user_name, policy_arn)


async def detach_user_policy(actor: Principal, *, user_name: str, policy_arn: str) -> None:
    """DetachUserPolicy; NoSuchEntity "Policy … was not found." when it is not attached."""
    await _detach(actor, USER, user_name, policy_arn)


async def attach_group_policy(
    actor: Principal, *, group_name: str, policy_arn: str
) -> ManagedPolicy:
    """AttachGroupPolicy; returns the policy (already attached: no change, no error)."""
    return await _attach(actor, GROUP, group_name, policy_arn)


async def detach_group_policy(actor: Principal, *, group_name: str, policy_arn: str) -> None:
    """DetachGroupPolicy; NoSuchEntity "Policy … was not found." when it is not attached."""
    await _detach(actor, GROUP, group_name, policy_arn)


async def attach_role_policy(actor: Principal, *, role_name: str, policy_arn: str) -> ManagedPolicy:
    """AttachRolePolicy; returns the policy (already attached: no change, no error)."""
    return await _attach(actor, ROLE, role_name, policy_arn)


async def detach_role_policy(actor: Principal, *, role_name: str, policy_arn: str) -> None:
    """DetachRolePolicy; NoSuchEntity "Policy … was not found." when it is not attached."""
    await _detach(actor, ROLE, role_name, policy_arn)


# --- reads ---------------------------------------------------------------------------------------


async def _list_attached(
    actor: Principal,
    identity: Identity[Any],
    name: str,
    path_prefix: str,
    first: int | None,
    after: str | None,
) -> Page[ManagedPolicy]:
    check_name(name, identity.name_field, maximum=identity.max_name)
    check_path_prefix(path_prefix)
    size = page_size(first)
    entity = await by_name(identity, actor.account_id, name)
    query = ManagedPolicy.filter(
        id__in=Subquery(
            PolicyAttachment.filter(entity_kind=identity.kind.value, entity_id=entity.id).values(
                "policy_id"
            )
        ),
        path__startswith=path_prefix,
    )
    after_key = after_name_key(after)
    if after_key is not None:
        query = query.filter(after_key)
    page = page_of_policies(await query.order_by("name_lower", "id").limit(size + 1), size)
    await localize_counts(actor.account_id, page.items)
    return page


async def list_attached_user_policies(
    actor: Principal,
    user_name: str,
    *,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[ManagedPolicy]:
    """ListAttachedUserPolicies, ordered by policy name."""
    return await _list_attached(actor, USER, user_name, path_prefix, first, after)


async def list_attached_group_policies(
    actor: Principal,
    group_name: str,
    *,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[ManagedPolicy]:
    """ListAttachedGroupPolicies, ordered by policy name."""
    return await _list_attached(actor, GROUP, group_name, path_prefix, first, after)


async def list_attached_role_policies(
    actor: Principal,
    role_name: str,
    *,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[ManagedPolicy]:
    """ListAttachedRolePolicies, ordered by policy name."""
    return await _list_attached(actor, ROLE, role_name, path_prefix, first, after)


ENTITY_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


@dataclass(frozen=True, slots=True)
class PolicyEntities:
    """ListEntitiesForPolicy's answer: the caller's identities the policy is attached to."""

    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)


async def list_entities_for_policy(
    actor: Principal,
    policy_arn: str,
    *,
    entity_filter: str | None = None,
    path_prefix: str = "/",
) -> PolicyEntities:
    """ListEntitiesForPolicy: users, groups and roles of the caller's account, each ordered
    by name.

    `entity_filter` (User, Group, Role) narrows the answer; the identities' paths must start
    with `path_prefix`. Attachments in other accounts never show.
    """
    check_policy_arn(policy_arn)
    if entity_filter is not None:
        check_enum(entity_filter, "entityFilter", ENTITY_FILTERS)
    check_path_prefix(path_prefix)
    policy = await find_policy(actor.account_id, policy_arn)
    if policy is None:
        raise policy_not_found(policy_arn)

    def attached(kind: EntityKind) -> Subquery:
        return Subquery(
            PolicyAttachment.filter(policy_id=policy.id, entity_kind=kind.value).values("entity_id")
        )

    users: list[User] = []
    groups: list[Group] = []
    roles: list[Role] = []
    if entity_filter in (None, "User"):
        users = await under_path(
            User.filter(account_id=actor.account_id, id__in=attached(EntityKind.USER)),
            path_prefix,
        ).order_by("name_lower")
    if entity_filter in (None, "Group"):
        groups = await under_path(
            Group.filter(account_id=actor.account_id, id__in=attached(EntityKind.GROUP)),
            path_prefix,
        ).order_by("name_lower")
    if entity_filter in (None, "Role"):
        roles = await under_path(
            Role.filter(account_id=actor.account_id, id__in=attached(EntityKind.ROLE)),
            path_prefix,
        ).order_by("name_lower")
    return PolicyEntities(users=users, groups=groups, roles=roles)


async def attached_policies_for(
    entity_kind: EntityKind | str, entity_ids: Iterable[str]
) -> dict[str, list[ManagedPolicy]]:
    """Each identity's attached policies, ordered by name, in one query (for loaders).

    Every id in `entity_ids` is a key of the answer (with an empty list when nothing is
    attached). The policies' counts are the stored ones: not localized.
    """
    ids: Sequence[str] = list(dict.fromkeys(entity_ids))
    answer: dict[str, list[ManagedPolicy]] = defaultdict(list)
    if ids:
        rows = await PolicyAttachment.filter(
            entity_kind=EntityKind(entity_kind).value, entity_id__in=ids
        ).select_related("policy")
        for row in sorted(rows, key=lambda a: (a.policy.name_lower, a.policy.id)):
            answer[row.entity_id].append(row.policy)
    return {entity_id: answer[entity_id] for entity_id in ids}
