"""Inline policies: Put/Get/List/Delete User, Group and Role Policy.

An inline policy belongs to one identity and is named uniquely within it, ignoring case:
putting a policy under a name the identity already uses (in any case) replaces that policy's
document and keeps its name. AWS caps the inline policies of one identity together, not each
one: all of a user's documents add up to at most 2,048 characters, a group's to 5,120 (a
role's to 10,240), whitespace excluded; going over is LimitExceeded "Maximum policy size of
2048 bytes exceeded for user bob".
"""

from __future__ import annotations

from typing import Any

from gateway.errors import LimitExceeded, NoSuchEntity, from_policy_error
from gateway.models import InlinePolicy
from gateway.policy import PolicyValidationError, parse_policy, policy_size
from gateway.services.identities import GROUP, ROLE, USER, Identity, by_name
from gateway.services.policies import POLICY_NAME_MAX
from gateway.services.principal import Principal
from gateway.services.validation import check_name
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations, per kind (`Identity.action`): the
# resolvers' @authorize reads them too.
PUT = "Put{kind}Policy"
DELETE = "Delete{kind}Policy"


def _not_found(identity: Identity[Any], policy_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {identity.label} policy with name {policy_name} cannot be found.")


def _check_names(identity: Identity[Any], name: str, policy_name: str) -> None:
    check_name(name, identity.name_field, maximum=identity.max_name)
    check_name(policy_name, "policyName", maximum=POLICY_NAME_MAX)


async def _put(
    actor: Principal, identity: Identity[Any], name: str, policy_name: str, policy_document: str
) -> InlinePolicy:
    action = identity.action(PUT)
    async with audited_precheck(actor, action, identity.arn(actor.account_id, name)):
        _check_names(identity, name, policy_name)
        try:
            parse_policy(policy_document, "identity")
        except PolicyValidationError as error:
            raise from_policy_error(error) from error
        entity = await by_name(identity, actor.account_id, name)
    async with writing(actor, action, entity.arn) as tx:
        entity = await by_name(identity, actor.account_id, name, using=tx.connection, lock=True)
        existing = await InlinePolicy.filter(
            entity_kind=identity.kind.value, entity_id=entity.id
        ).using_db(tx.connection)
        same = [p for p in existing if p.name.lower() == policy_name.lower()]
        others = sum(policy_size(p.document) for p in existing if p not in same)
        if others + policy_size(policy_document) > identity.inline_size:
            raise LimitExceeded(
                f"Maximum policy size of {identity.inline_size} bytes exceeded for "
                f"{identity.label} {entity.name}"
            )
        tx.details["policyName"] = policy_name
        if same:
            policy = same[0]
            policy.document = policy_document
            await policy.save(update_fields=["document", "updated_at"], using_db=tx.connection)
        else:
            policy = await InlinePolicy.create(
                entity_kind=identity.kind.value,
                entity_id=entity.id,
                name=policy_name,
                document=policy_document,
                using_db=tx.connection,
            )
    return policy


async def _get(
    actor: Principal, identity: Identity[Any], name: str, policy_name: str
) -> InlinePolicy:
    _check_names(identity, name, policy_name)
    entity = await by_name(identity, actor.account_id, name)
    for policy in await InlinePolicy.filter(entity_kind=identity.kind.value, entity_id=entity.id):
        if policy.name.lower() == policy_name.lower():
            return policy
    raise _not_found(identity, policy_name)


async def _list(actor: Principal, identity: Identity[Any], name: str) -> list[str]:
    check_name(name, identity.name_field, maximum=identity.max_name)
    entity = await by_name(identity, actor.account_id, name)
    names = await InlinePolicy.filter(
        entity_kind=identity.kind.value, entity_id=entity.id
    ).values_list("name", flat=True)
    return sorted((str(n) for n in names), key=lambda n: (n.lower(), n))


async def _delete(actor: Principal, identity: Identity[Any], name: str, policy_name: str) -> None:
    action = identity.action(DELETE)
    async with audited_precheck(actor, action, identity.arn(actor.account_id, name)):
        _check_names(identity, name, policy_name)
        entity = await by_name(identity, actor.account_id, name)
    async with writing(actor, action, entity.arn) as tx:
        entity = await by_name(identity, actor.account_id, name, using=tx.connection, lock=True)
        existing = await InlinePolicy.filter(
            entity_kind=identity.kind.value, entity_id=entity.id
        ).using_db(tx.connection)
        same = [p.id for p in existing if p.name.lower() == policy_name.lower()]
        if not same:
            raise _not_found(identity, policy_name)
        await InlinePolicy.filter(id__in=same).using_db(tx.connection).delete()
        tx.details["policyName"] = policy_name


async def put_user_policy(
    actor: Principal, *, user_name: str, policy_name: str, policy_document: str
) -> InlinePolicy:
    """PutUserPolicy: add or replace one of the user's inline policies."""
    return await _put(actor, USER, user_name, policy_name, policy_document)


async def get_user_policy(actor: Principal, user_name: str, policy_name: str) -> InlinePolicy:
    """GetUserPolicy: one inline policy of the user, by name (ignoring case)."""
    return await _get(actor, USER, user_name, policy_name)


async def list_user_policies(actor: Principal, user_name: str) -> list[str]:
    """ListUserPolicies: the names of the user's inline policies, sorted."""
    return await _list(actor, USER, user_name)


async def delete_user_policy(actor: Principal, *, user_name: str, policy_name: str) -> None:
    """DeleteUserPolicy."""
    await _delete(actor, USER, user_name, policy_name)


async def put_group_policy(
    actor: Principal, *, group_name: str, policy_name: str, policy_document: str
) -> InlinePolicy:
    """PutGroupPolicy: add or replace one of the group's inline policies."""
    return await _put(actor, GROUP, group_name, policy_name, policy_document)


async def get_group_policy(actor: Principal, group_name: str, policy_name: str) -> InlinePolicy:
    """GetGroupPolicy: one inline policy of the group, by name (ignoring case)."""
    return await _get(actor, GROUP, group_name, policy_name)


async def list_group_policies(actor: Principal, group_name: str) -> list[str]:
    """ListGroupPolicies: the names of the group's inline policies, sorted."""
    return await _list(actor, GROUP, group_name)


async def delete_group_policy(actor: Principal, *, group_name: str, policy_name: str) -> None:
    """DeleteGroupPolicy."""
    await _delete(actor, GROUP, group_name, policy_name)


async def put_role_policy(
    actor: Principal, *, role_name: str, policy_name: str, policy_document: str
) -> InlinePolicy:
    """PutRolePolicy: add or replace one of the role's inline policies."""
    return await _put(actor, ROLE, role_name, policy_name, policy_document)


async def get_role_policy(actor: Principal, role_name: str, policy_name: str) -> InlinePolicy:
    """GetRolePolicy: one inline policy of the role, by name (ignoring case)."""
    return await _get(actor, ROLE, role_name, policy_name)


async def list_role_policies(actor: Principal, role_name: str) -> list[str]:
    """ListRolePolicies: the names of the role's inline policies, sorted."""
    return await _list(actor, ROLE, role_name)


async def delete_role_policy(actor: Principal, *, role_name: str, policy_name: str) -> None:
    """DeleteRolePolicy."""
    await _delete(actor, ROLE, role_name, policy_name)
