"""Permissions boundaries: Put/Delete UserPermissionsBoundary.

A boundary is a managed policy (the account's own or AWS-managed) that caps what a user's
identity policies can grant. A user has at most one; putting another replaces it.
`ManagedPolicy.boundary_usage_count` follows, atomically, in the same transaction, and a
policy in use as a boundary cannot be deleted. Removing a boundary the user does not have
succeeds and changes nothing.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from gateway.errors import NoSuchEntity
from gateway.models import ManagedPolicy, User
from gateway.services.attachments import USER, find_entity
from gateway.services.policies import check_policy_arn, find_policy
from gateway.services.principal import Principal
from gateway.services.validation import check_name
from gateway.services.writes import audited_precheck, writing


async def _count(policy_id: str, delta: int, connection: BaseDBAsyncClient) -> None:
    await (
        ManagedPolicy.filter(id=policy_id)
        .using_db(connection)
        .update(boundary_usage_count=F("boundary_usage_count") + delta)
    )


async def put_user_permissions_boundary(
    actor: Principal, *, user_name: str, permissions_boundary: str
) -> User:
    """PutUserPermissionsBoundary: set (or replace) the user's boundary to a policy ARN."""
    action = "iam:PutUserPermissionsBoundary"
    async with audited_precheck(actor, action, USER.arn(actor.account_id, user_name)):
        check_name(user_name, USER.name_field, maximum=USER.max_name)
        check_policy_arn(permissions_boundary, "permissionsBoundary")
        user = await find_entity(actor, USER, user_name)
    async with writing(actor, action, user.arn) as tx:
        user = await find_entity(actor, USER, user_name, using_db=tx.connection, lock=True)
        assert isinstance(user, User)
        policy = await find_policy(actor.account_id, permissions_boundary, using_db=tx.connection)
        if policy is None or not policy.is_attachable:
            raise NoSuchEntity(
                f"Scope ARN: {permissions_boundary} does not exist or is not attachable."
            )
        tx.details["permissionsBoundary"] = permissions_boundary
        previous = user.permissions_boundary_id
        if previous != policy.id:
            if previous is not None:
                await _count(previous, -1, tx.connection)
            await _count(policy.id, +1, tx.connection)
            await (
                User.filter(id=user.id)
                .using_db(tx.connection)
                .update(permissions_boundary_id=policy.id)
            )
            user.permissions_boundary_id = policy.id
    return user


async def delete_user_permissions_boundary(actor: Principal, *, user_name: str) -> User:
    """DeleteUserPermissionsBoundary: the user's permissions are no longer capped."""
    action = "iam:DeleteUserPermissionsBoundary"
    async with audited_precheck(actor, action, USER.arn(actor.account_id, user_name)):
        check_name(user_name, USER.name_field, maximum=USER.max_name)
        user = await find_entity(actor, USER, user_name)
    async with writing(actor, action, user.arn) as tx:
        user = await find_entity(actor, USER, user_name, using_db=tx.connection, lock=True)
        assert isinstance(user, User)
        previous = user.permissions_boundary_id
        if previous is not None:
            await _count(previous, -1, tx.connection)
            await (
                User.filter(id=user.id).using_db(tx.connection).update(permissions_boundary_id=None)
            )
            user.permissions_boundary_id = None
            tx.details["removed"] = previous
    return user
