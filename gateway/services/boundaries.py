"""Permissions boundaries: Put/Delete User and Role PermissionsBoundary.

A boundary is a managed policy (the account's own or AWS-managed) that caps what a user's or
role's identity policies can grant. An identity has at most one; putting another replaces it.
`ManagedPolicy.boundary_usage_count` follows, atomically, in the same transaction, and a
policy in use as a boundary cannot be deleted. Removing a boundary the identity does not have
succeeds and changes nothing.

Written once against an `Identity` (gateway.services.identities), exposed per kind.
"""

from __future__ import annotations

from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

from gateway.errors import NoSuchEntity
from gateway.models import Role, User
from gateway.services.identities import ROLE, USER, Identity, by_name, count_boundary_use
from gateway.services.policies import check_policy_arn, find_policy
from gateway.services.principal import Principal
from gateway.services.validation import check_name
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations, per kind (`Identity.action`): the
# resolvers' @authorize reads them too.
PUT = "Put{kind}PermissionsBoundary"
DELETE = "Delete{kind}PermissionsBoundary"

Bounded = TypeVar("Bounded", User, Role)


async def _find(
    actor: Principal,
    identity: Identity[Bounded],
    name: str,
    connection: BaseDBAsyncClient | None = None,
) -> Bounded:
    return await by_name(
        identity, actor.account_id, name, using=connection, lock=connection is not None
    )


async def _put(actor: Principal, identity: Identity[Bounded], name: str, boundary: str) -> Bounded:
    action = identity.action(PUT)
    async with audited_precheck(actor, action, identity.arn(actor.account_id, name)):
        check_name(name, identity.name_field, maximum=identity.max_name)
        check_policy_arn(boundary, "permissionsBoundary")
        entity = await _find(actor, identity, name)
    async with writing(actor, action, entity.arn) as tx:
        entity = await _find(actor, identity, name, tx.connection)
        policy = await find_policy(actor.account_id, boundary, using_db=tx.connection)
        if policy is None or not policy.is_attachable:
            raise NoSuchEntity(f"Scope ARN: {boundary} does not exist or is not attachable.")
        tx.details["permissionsBoundary"] = boundary
        previous = entity.permissions_boundary_id
        if previous != policy.id:
            if previous is not None:
                await count_boundary_use(previous, -1, tx.connection)
            await count_boundary_use(policy.id, +1, tx.connection)
            await (
                identity.model.filter(id=entity.id)
                .using_db(tx.connection)
                .update(permissions_boundary_id=policy.id)
            )
            entity.permissions_boundary_id = policy.id
    return entity


async def _delete(actor: Principal, identity: Identity[Bounded], name: str) -> Bounded:
    action = identity.action(DELETE)
    async with audited_precheck(actor, action, identity.arn(actor.account_id, name)):
        check_name(name, identity.name_field, maximum=identity.max_name)
        entity = await _find(actor, identity, name)
    async with writing(actor, action, entity.arn) as tx:
        entity = await _find(actor, identity, name, tx.connection)
        previous = entity.permissions_boundary_id
        if previous is not None:
            await count_boundary_use(previous, -1, tx.connection)
            await (
                identity.model.filter(id=entity.id)
                .using_db(tx.connection)
                .update(permissions_boundary_id=None)
            )
            entity.permissions_boundary_id = None
            tx.details["removed"] = previous
    return entity


async def put_user_permissions_boundary(
    actor: Principal, *, user_name: str, permissions_boundary: str
) -> User:
    """PutUserPermissionsBoundary: set (or replace) the user's boundary to a policy ARN."""
    return await _put(actor, USER, user_name, permissions_boundary)


async def delete_user_permissions_boundary(actor: Principal, *, user_name: str) -> User:
    """DeleteUserPermissionsBoundary: the user's permissions are no longer capped."""
    return await _delete(actor, USER, user_name)


async def put_role_permissions_boundary(
    actor: Principal, *, role_name: str, permissions_boundary: str
) -> Role:
    """PutRolePermissionsBoundary: set (or replace) the role's boundary to a policy ARN."""
    return await _put(actor, ROLE, role_name, permissions_boundary)


async def delete_role_permissions_boundary(actor: Principal, *, role_name: str) -> Role:
    """DeleteRolePermissionsBoundary: the role's permissions are no longer capped."""
    return await _delete(actor, ROLE, role_name)
