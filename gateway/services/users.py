"""IAM users: create, read, list, rename or move, tag, delete.

A user name is unique in its account ignoring case (`name_lower`), and keeps the case it was
created with. Every write is one transaction with its audit event (`writing`); input is
validated, and the entity looked up, before the transaction opens, and a request rejected there
gets its Failed audit event from `audited_precheck` (gateway.services.writes). Inside the
transaction the entity is read again (locked on PostgreSQL), since it may have changed.

Also here, for the other aggregates: `attempted_arn` and `page_by_name`
(keyset pages ordered by `name_lower`, for users, groups and roles alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, RawSQL
from tortoise.queryset import QuerySet

from gateway import arns
from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    GatewayError,
    LimitExceeded,
    NoSuchEntity,
)
from gateway.ids import USER_PREFIX, new_unique_id
from gateway.models import (
    AccessKey,
    EntityKind,
    Group,
    GroupMembership,
    InlinePolicy,
    LoginProfile,
    ManagedPolicy,
    MfaDevice,
    PolicyAttachment,
    Role,
    SecurityKey,
    User,
)
from gateway.services import targets
from gateway.services.pagination import Page, decode_cursor, encode_cursor, page_size
from gateway.services.principal import Principal
from gateway.services.targets import Kind
from gateway.services.validation import (
    MAX_TAGS,
    check_length,
    check_name,
    check_path,
    check_path_prefix,
    check_tags,
)
from gateway.services.writes import audit_safe, audited_precheck, writing

USERS_PER_ACCOUNT = 5000
"""Quota: IAM users per account (AWS's default)."""
MAX_USER_NAME = 64
MAX_EXISTING_NAME = 128
"""Names in lookups: AWS accepts up to 128 characters there (and finds nothing)."""

Named = TypeVar("Named", User, Group, Role)


# -- shared by the services of this package ----------------------------------------------------


def attempted_arn(resource_type: str, account_id: str, path: str, name: str) -> str:
    """The ARN a request names, for its audit event, even when its path or name is invalid."""
    if not (path.startswith("/") and path.endswith("/")):
        path = "/"
    return audit_safe(arns.iam_arn(account_id, resource_type, path, name))


def under_path(query: QuerySet[Named], path_prefix: str) -> QuerySet[Named]:
    """Only the entities whose path starts with `path_prefix` (case-sensitively, as AWS).

    Compares a SUBSTR of the path for equality rather than using LIKE, which SQLite treats
    case-insensitively and which would need escaping.
    """
    check_path_prefix(path_prefix)
    if path_prefix == "/":
        return query
    head = RawSQL(f"SUBSTR(path, 1, {len(path_prefix)})")
    return query.annotate(path_head=head).filter(path_head=path_prefix)


async def page_by_name(
    query: QuerySet[Named], *, first: int | None, after: str | None
) -> Page[Named]:
    """One keyset page of `query` in `name_lower` order, after the cursor `after`."""
    size = page_size(first)
    key = decode_cursor(after)
    if key is not None:
        query = query.filter(name_lower__gt=key)
    rows = await query.order_by("name_lower").limit(size + 1)
    return Page(rows[:size], len(rows) > size, _name_cursor)


def _name_cursor(item: User | Group | Role) -> str:
    return encode_cursor(item.name_lower)


# -- users --------------------------------------------------------------------------------------


def _no_such_user(user_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The user with name {user_name} cannot be found.")


def _user_exists(user_name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"User with name {user_name} already exists.")


async def user_by_name(
    account_id: str,
    user_name: str,
    *,
    using: BaseDBAsyncClient | None = None,
    lock: bool = False,
) -> User:
    """The user named `user_name` (any case) in the account; NoSuchEntity if there is none.
    `lock` row-locks it (where the database can) in `using`'s transaction."""
    check_name(user_name, "userName", maximum=MAX_EXISTING_NAME)
    user = await targets.stored(Kind.USER, account_id, user_name, using=using, lock=lock)
    if not isinstance(user, User):
        raise _no_such_user(user_name)
    return user


async def reload_user(user: User, using: BaseDBAsyncClient) -> User:
    """`user` read again inside a write (row-locked where the database can)."""
    fresh = await User.filter(id=user.id).using_db(using).select_for_update().first()
    if fresh is None:
        raise _no_such_user(user.name)
    return fresh


async def attachable_policy(
    account_id: str, policy_arn: str, using: BaseDBAsyncClient
) -> ManagedPolicy:
    """The managed policy `policy_arn` that this account may attach (its own or AWS-managed)."""
    policy = (
        await ManagedPolicy.filter(Q(account_id=account_id) | Q(account_id__isnull=True))
        .filter(arn=policy_arn, is_attachable=True)
        .using_db(using)
        .first()
    )
    if policy is None:
        raise NoSuchEntity(f"Policy {policy_arn} does not exist or is not attachable.")
    return policy


async def create_user(
    actor: Principal,
    *,
    user_name: str,
    path: str = "/",
    tags: Mapping[str, str] | None = None,
    permissions_boundary: str | None = None,
) -> User:
    """Create a user with no permissions.

    EntityAlreadyExists if the name is taken (ignoring case), LimitExceeded past
    `USERS_PER_ACCOUNT`; `permissions_boundary`, a managed policy ARN, must name a policy the
    account can attach (NoSuchEntity otherwise), whose boundary usage count goes up by one.
    """
    action = "iam:CreateUser"
    account_id = actor.account_id
    new_tags = dict(tags or {})
    async with audited_precheck(actor, action, attempted_arn("user", account_id, path, user_name)):
        check_name(user_name, "userName", maximum=MAX_USER_NAME)
        check_path(path)
        check_tags(new_tags)
        if permissions_boundary is not None:
            check_length(permissions_boundary, "permissionsBoundary", minimum=20, maximum=2048)

    arn = arns.user_arn(account_id, path, user_name)
    async with writing(actor, action, arn, changes_policies=False) as tx:
        conn = tx.connection
        taken = User.filter(account_id=account_id, name_lower=user_name.lower()).using_db(conn)
        if await taken.exists():
            raise _user_exists(user_name)
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
            raise _user_exists(user_name) from error
        if boundary is not None:
            await count_boundary_use(boundary.id, +1, conn)
        tx.details.update(userName=user_name, userId=user.id)
    return user


async def count_boundary_use(policy_id: str, delta: int, using: BaseDBAsyncClient) -> None:
    """Move the policy's boundary usage count by `delta`, atomically, in `using`'s write."""
    await (
        ManagedPolicy.filter(id=policy_id)
        .using_db(using)
        .update(boundary_usage_count=F("boundary_usage_count") + delta)
    )


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
    action = "iam:UpdateUser"
    account_id = actor.account_id
    async with audited_precheck(actor, action, attempted_arn("user", account_id, "/", user_name)):
        if new_user_name is not None:
            check_name(new_user_name, "newUserName", maximum=MAX_USER_NAME)
        if new_path is not None:
            check_path(new_path, "newPath")
        user = await user_by_name(account_id, user_name)

    async with writing(actor, action, user.arn) as tx:
        user = await reload_user(user, tx.connection)
        old_name = user.name
        await rename(user, tx.connection, new_user_name, new_path, arns.user_arn, _user_exists)
        tx.details.update(userName=old_name, newUserName=user.name, newPath=user.path)
    return user


async def rename(
    entity: Named,
    connection: BaseDBAsyncClient,
    new_name: str | None,
    new_path: str | None,
    arn_of: Callable[[str, str, str], str],
    exists: Callable[[str], EntityAlreadyExists],
) -> None:
    """Give a user or group a new name and/or path (and so a new ARN), in `connection`'s
    transaction; `exists(name)` is raised when another entity of its kind has the name."""
    name = new_name if new_name is not None else entity.name
    path = new_path if new_path is not None else entity.path
    if name.lower() != entity.name_lower:
        taken = type(entity).filter(account_id=entity.account_id, name_lower=name.lower())
        if await taken.using_db(connection).exists():
            raise exists(name)
    entity.name, entity.name_lower, entity.path = name, name.lower(), path
    entity.arn = arn_of(entity.account_id, path, name)
    try:
        await entity.save(using_db=connection, update_fields=["name", "name_lower", "path", "arn"])
    except IntegrityError as error:
        raise exists(name) from error


async def delete_user(actor: Principal, user_name: str) -> None:
    """Delete the user.

    DeleteConflict while it still has anything AWS makes you remove first, checked in the
    order of AWS's DeleteUser reference (see `_deletion_blockers`). A permissions boundary
    does not block: its policy's boundary usage count goes down by one.
    """
    action = "iam:DeleteUser"
    async with audited_precheck(
        actor, action, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)

    async with writing(actor, action, user.arn) as tx:
        conn = tx.connection
        user = await reload_user(user, conn)
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


async def tag_user(actor: Principal, user_name: str, tags: Mapping[str, str]) -> User:
    """Add tags to the user, replacing those with the same key (keys compare ignoring case,
    the new key's case wins). LimitExceeded past 50 tags."""
    action = "iam:TagUser"
    new_tags = dict(tags)
    attempted = attempted_arn("user", actor.account_id, "/", user_name)
    async with audited_precheck(actor, action, attempted):
        check_tags(new_tags)

    # The user is found (and locked) inside the write: one look-up, not one before and one in.
    async with writing(actor, action, attempted, changes_policies=False) as tx:
        conn = tx.connection
        user = await user_by_name(actor.account_id, user_name, using=conn, lock=True)
        tx.resource = user.arn
        replaced = {key.lower() for key in new_tags}
        kept = {key: value for key, value in user.tags.items() if key.lower() not in replaced}
        check_tags(new_tags, existing=kept)
        user.tags = {**kept, **new_tags}
        await user.save(using_db=conn, update_fields=["tags"])
        tx.details.update(userName=user.name, tagKeys=sorted(new_tags))
    return user


async def untag_user(actor: Principal, user_name: str, tag_keys: Sequence[str]) -> User:
    """Remove the tags with these keys (ignoring case); keys the user lacks are ignored."""
    action = "iam:UntagUser"
    attempted = attempted_arn("user", actor.account_id, "/", user_name)
    async with audited_precheck(actor, action, attempted):
        if len(tag_keys) > MAX_TAGS:
            raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
        for key in tag_keys:
            check_length(key, "tagKeys.member", maximum=128)

    async with writing(actor, action, attempted, changes_policies=False) as tx:
        conn = tx.connection
        user = await user_by_name(actor.account_id, user_name, using=conn, lock=True)
        tx.resource = user.arn
        removed = {key.lower() for key in tag_keys}
        user.tags = {key: value for key, value in user.tags.items() if key.lower() not in removed}
        await user.save(using_db=conn, update_fields=["tags"])
        tx.details.update(userName=user.name, tagKeys=list(tag_keys))
    return user


async def list_user_tags(actor: Principal, user_name: str) -> dict[str, str]:
    """The user's tags, key to value."""
    user = await get_user(actor, user_name)
    return dict(user.tags)
