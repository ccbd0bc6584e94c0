"""IAM users: create, read, list, rename or move, tag, delete.

A user name is unique in its account ignoring case (`name_lower`), and keeps the case it was
created with. Every write is one transaction with its audit event (`writing`); input is
validated, and the entity looked up, before the transaction opens, and a request rejected there
gets its Failed audit event from `audited_precheck` (gateway.services.writes). Inside the
transaction the entity is read again (locked on PostgreSQL), since it may have changed.

What users share with groups and roles (look-ups, renames, pages, tags) is written once in
`gateway.services.identities`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from gateway import arns
from gateway.errors import DeleteConflict, GatewayError, LimitExceeded
from gateway.ids import USER_PREFIX, new_unique_id
from gateway.models import (
    AccessKey,
    EntityKind,
    GroupMembership,
    InlinePolicy,
    LoginProfile,
    MfaDevice,
    PolicyAttachment,
    SecurityKey,
    User,
)
from gateway.services import identities
from gateway.services import tags as tagging
from gateway.services.identities import (
    USER,
    attachable_policy,
    attempted_arn,
    count_boundary_use,
    page_by_name,
    reload,
    under_path,
)
from gateway.services.pagination import Page
from gateway.services.principal import Principal
from gateway.services.validation import check_length, check_name, check_path
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreateUser"
UPDATE = "iam:UpdateUser"
DELETE = "iam:DeleteUser"

USERS_PER_ACCOUNT = 5000
"""Quota: IAM users per account (AWS's default)."""
MAX_USER_NAME = 64

# -- users --------------------------------------------------------------------------------------


async def user_by_name(
    account_id: str,
    user_name: str,
    *,
    using: BaseDBAsyncClient | None = None,
    lock: bool = False,
) -> User:
    """The user named `user_name` (any case) in the account; NoSuchEntity if there is none
    (`identities.by_name` for users: what the services acting on a user look it up with).
    `lock` row-locks it (where the database can) in `using`'s transaction."""
    return await identities.by_name(USER, account_id, user_name, using=using, lock=lock)


async def create_user(
    actor: Principal,
    *,
    user_name: str,
    path: str = "/",
    tags: tagging.TagsIn | None = None,
    permissions_boundary: str | None = None,
) -> User:
    """Create a user with no permissions.

    EntityAlreadyExists if the name is taken (ignoring case), LimitExceeded past
    `USERS_PER_ACCOUNT`; `permissions_boundary`, a managed policy ARN, must name a policy the
    account can attach (NoSuchEntity otherwise), whose boundary usage count goes up by one.
    """
    action = CREATE
    account_id = actor.account_id
    async with audited_precheck(actor, action, attempted_arn("user", account_id, path, user_name)):
        check_name(user_name, "userName", maximum=MAX_USER_NAME)
        check_path(path)
        new_tags = tagging.checked(tags or {})
        if permissions_boundary is not None:
            check_length(permissions_boundary, "permissionsBoundary", minimum=20, maximum=2048)

    arn = arns.user_arn(account_id, path, user_name)
    async with writing(actor, action, arn, changes_policies=False) as tx:
        conn = tx.connection
        taken = User.filter(account_id=account_id, name_lower=user_name.lower()).using_db(conn)
        if await taken.exists():
            raise USER.exists(user_name)
        if await User.filter(account_id=account_id).using_db(conn).count() >= USERS_PER_ACCOUNT:
            raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {USERS_PER_ACCOUNT}")
        boundary = None
        if permissions_boundary is not None:
            boundary = await attachable_policy(account_id, permissions_boundary, conn)
        try:
            user = await User.create(
                id=new_unique_id(USER_PREFIX),
                account_id=account_id,
                name=user_name,
                name_lower=user_name.lower(),
                path=path,
                arn=arn,
                tags=new_tags,
                permissions_boundary_id=boundary.id if boundary else None,
                using_db=conn,
            )
        except IntegrityError as error:
            # Lost a race with a concurrent CreateUser of the same name.
            raise USER.exists(user_name) from error
        if boundary is not None:
            await count_boundary_use(boundary.id, +1, conn)
        tx.details.update(userName=user_name, userId=user.id)
    return user


async def get_user(actor: Principal, user_name: str) -> User:
    """The user named `user_name` in the caller's account; NoSuchEntity if there is none."""
    return await user_by_name(actor.account_id, user_name)


async def find_user(account_id: str, user_name: str) -> User | None:
    """The user named `user_name` (any case) in the account, or None; for sign-in.

    Whatever the caller typed: a name no user can have finds no one, without a query.
    """
    try:
        check_name(user_name, "userName", maximum=MAX_USER_NAME)
    except GatewayError:
        return None
    return await User.filter(account_id=account_id, name_lower=user_name.lower()).first()


async def list_users(
    actor: Principal,
    *,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[User]:
    """The account's users whose path starts with `path_prefix`, by name (ignoring case)."""
    query = under_path(User.filter(account_id=actor.account_id), path_prefix)
    return await page_by_name(query, first=first, after=after)


async def update_user(
    actor: Principal,
    user_name: str,
    *,
    new_user_name: str | None = None,
    new_path: str | None = None,
) -> User:
    """Rename the user and/or move it to another path; its ARN follows.

    EntityAlreadyExists if another user has the new name (ignoring case); changing only the
    case of the name is allowed.
    """
    action = UPDATE
    account_id = actor.account_id
    async with audited_precheck(actor, action, attempted_arn("user", account_id, "/", user_name)):
        if new_user_name is not None:
            check_name(new_user_name, "newUserName", maximum=MAX_USER_NAME)
        if new_path is not None:
            check_path(new_path, "newPath")
        user = await user_by_name(account_id, user_name)

    async with writing(actor, action, user.arn) as tx:
        user = await reload(USER, user, tx.connection)
        old_name = user.name
        await identities.rename(USER, user, tx.connection, new_user_name, new_path)
        tx.details.update(userName=old_name, newUserName=user.name, newPath=user.path)
    return user


async def delete_user(actor: Principal, user_name: str) -> None:
    """Delete the user.

    DeleteConflict while it still has anything AWS makes you remove first, checked in the
    order of AWS's DeleteUser reference (see `_deletion_blockers`). A permissions boundary
    does not block: its policy's boundary usage count goes down by one.
    """
    action = DELETE
    async with audited_precheck(
        actor, action, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)

    async with writing(actor, action, user.arn) as tx:
        conn = tx.connection
        user = await reload(USER, user, conn)
        for blockers, message in _deletion_blockers(user):
            if await blockers.using_db(conn).exists():
                raise DeleteConflict(message)
        if user.permissions_boundary_id is not None:
            await count_boundary_use(user.permissions_boundary_id, -1, conn)
        await user.delete(using_db=conn)
        tx.details.update(userName=user.name, userId=user.id)


def _deletion_blockers(user: User) -> list[tuple[QuerySet[Any], str]]:
    """What must go before the user can, in AWS's order, each with AWS's DeleteConflict message.

    Hook: signing certificates, SSH keys and service-specific credentials come with their
    issues; insert their queries between the access keys and the MFA devices, where AWS lists
    them.
    """
    kind = EntityKind.USER.value
    return [
        (
            LoginProfile.filter(user_id=user.id),
            "Cannot delete entity, must delete login profile first.",
        ),
        (
            AccessKey.filter(user_id=user.id),
            "Cannot delete entity, must delete access keys first.",
        ),
        (
            MfaDevice.filter(user_id=user.id),
            "Cannot delete entity, must delete MFA device first.",
        ),
        (
            SecurityKey.filter(user_id=user.id),
            "Cannot delete entity, must delete MFA device first.",
        ),
        (
            InlinePolicy.filter(entity_kind=kind, entity_id=user.id),
            "Cannot delete entity, must delete policies first.",
        ),
        (
            PolicyAttachment.filter(entity_kind=kind, entity_id=user.id),
            "Cannot delete entity, must detach all policies first.",
        ),
        (
            GroupMembership.filter(user_id=user.id),
            "Cannot delete entity, must remove users from group first.",
        ),
    ]


async def tag_user(actor: Principal, user_name: str, tags: tagging.TagsIn) -> User:
    """TagUser: add tags to the user, replacing those with the same key (keys compare ignoring
    case, the new key's case wins); the rules are gateway.services.tags'."""
    return await identities.tag(actor, USER, user_name, tags)


async def untag_user(actor: Principal, user_name: str, tag_keys: Sequence[str]) -> User:
    """UntagUser: remove the tags with these keys (ignoring case); absent keys are ignored."""
    return await identities.untag(actor, USER, user_name, tag_keys)


async def list_user_tags(actor: Principal, user_name: str) -> dict[str, str]:
    """The user's tags, key to value."""
    user = await get_user(actor, user_name)
    return dict(user.tags)
