"""Groups and their members.

Group names are unique in the account ignoring case, like user names. Groups hold users, never
other groups; a user belongs to at most `GROUPS_PER_USER` groups. AddUserToGroup and
RemoveUserFromGroup are authorized, and audited, on the group's ARN, as AWS does.

`groups_for_users` and `users_for_groups` serve the GraphQL DataLoaders: one SQL query for a
whole batch, whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from gateway import arns
from gateway.errors import DeleteConflict, LimitExceeded, NoSuchEntity
from gateway.ids import GROUP_PREFIX, new_unique_id
from gateway.models import (
    EntityKind,
    Group,
    GroupMembership,
    InlinePolicy,
    PolicyAttachment,
    User,
)
from gateway.services import identities
from gateway.services.identities import (
    GROUP,
    USER,
    attempted_arn,
    page_by_name,
    reload,
    under_path,
)
from gateway.services.pagination import Page
from gateway.services.principal import Principal
from gateway.services.users import user_by_name
from gateway.services.validation import check_name, check_path
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreateGroup"
UPDATE = "iam:UpdateGroup"
DELETE = "iam:DeleteGroup"
ADD_USER = "iam:AddUserToGroup"
REMOVE_USER = "iam:RemoveUserFromGroup"

GROUPS_PER_USER = 10
"""Quota: groups a user can be a member of (AWS's default)."""
MAX_GROUP_NAME = 128


async def group_by_name(
    account_id: str, group_name: str, *, using: BaseDBAsyncClient | None = None
) -> Group:
    """The group named `group_name` (any case) in the account; NoSuchEntity if there is none."""
    return await identities.by_name(GROUP, account_id, group_name, using=using)


async def create_group(actor: Principal, *, group_name: str, path: str = "/") -> Group:
    """Create an empty group; EntityAlreadyExists if the name is taken (ignoring case)."""
    action = CREATE
    account_id = actor.account_id
    async with audited_precheck(
        actor, action, attempted_arn("group", account_id, path, group_name)
    ):
        check_name(group_name, "groupName", maximum=MAX_GROUP_NAME)
        check_path(path)

    arn = arns.group_arn(account_id, path, group_name)
    async with writing(actor, action, arn, changes_policies=False) as tx:
        conn = tx.connection
        taken = Group.filter(account_id=account_id, name_lower=group_name.lower()).using_db(conn)
        if await taken.exists():
            raise GROUP.exists(group_name)
        try:
            group = await Group.create(
                id=new_unique_id(GROUP_PREFIX),
                account_id=account_id,
                name=group_name,
                name_lower=group_name.lower(),
                path=path,
                arn=arn,
                using_db=conn,
            )
        except IntegrityError as error:
            raise GROUP.exists(group_name) from error
        tx.details.update(groupName=group_name, groupId=group.id)
    return group


async def get_group(actor: Principal, group_name: str) -> Group:
    """The group named `group_name` in the caller's account; NoSuchEntity if there is none."""
    return await group_by_name(actor.account_id, group_name)


async def list_groups(
    actor: Principal,
    *,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[Group]:
    """The account's groups whose path starts with `path_prefix`, by name (ignoring case)."""
    query = under_path(Group.filter(account_id=actor.account_id), path_prefix)
    return await page_by_name(query, first=first, after=after)


async def update_group(
    actor: Principal,
    group_name: str,
    *,
    new_group_name: str | None = None,
    new_path: str | None = None,
) -> Group:
    """Rename the group and/or move it to another path; its ARN follows.

    EntityAlreadyExists if another group has the new name (ignoring case).
    """
    action = UPDATE
    account_id = actor.account_id
    async with audited_precheck(actor, action, attempted_arn("group", account_id, "/", group_name)):
        if new_group_name is not None:
            check_name(new_group_name, "newGroupName", maximum=MAX_GROUP_NAME)
        if new_path is not None:
            check_path(new_path, "newPath")
        group = await group_by_name(account_id, group_name)

    async with writing(actor, action, group.arn) as tx:
        group = await reload(GROUP, group, tx.connection)
        old_name = group.name
        await identities.rename(GROUP, group, tx.connection, new_group_name, new_path)
        tx.details.update(groupName=old_name, newGroupName=group.name, newPath=group.path)
    return group


async def delete_group(actor: Principal, group_name: str) -> None:
    """Delete the group.

    DeleteConflict while it has members, inline policies or attached managed policies, checked
    in that order (the order of AWS's DeleteGroup reference).
    """
    action = DELETE
    async with audited_precheck(
        actor, action, attempted_arn("group", actor.account_id, "/", group_name)
    ):
        group = await group_by_name(actor.account_id, group_name)

    async with writing(actor, action, group.arn) as tx:
        conn = tx.connection
        group = await reload(GROUP, group, conn)
        kind = EntityKind.GROUP.value
        if await GroupMembership.filter(group_id=group.id).using_db(conn).exists():
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        inline = InlinePolicy.filter(entity_kind=kind, entity_id=group.id).using_db(conn)
        if await inline.exists():
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        attached = PolicyAttachment.filter(entity_kind=kind, entity_id=group.id).using_db(conn)
        if await attached.exists():
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        await group.delete(using_db=conn)
        tx.details.update(groupName=group.name, groupId=group.id)


async def add_user_to_group(actor: Principal, *, group_name: str, user_name: str) -> None:
    """Make the user a member of the group. Adding a member again succeeds and changes
    nothing (as AWS); LimitExceeded if the user is already in `GROUPS_PER_USER` groups."""
    action = ADD_USER
    account_id = actor.account_id
    async with audited_precheck(actor, action, attempted_arn("group", account_id, "/", group_name)):
        group = await group_by_name(account_id, group_name)
        user = await user_by_name(account_id, user_name)

    async with writing(actor, action, group.arn) as tx:
        conn = tx.connection
        group = await reload(GROUP, group, conn)
        # Lock the user: concurrent additions must not take it past the quota together.
        user = await reload(USER, user, conn)
        tx.details.update(groupName=group.name, userName=user.name)
        memberships = GroupMembership.filter(user_id=user.id).using_db(conn)
        if await memberships.filter(group_id=group.id).exists():
            return
        if await memberships.count() >= GROUPS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")
        await GroupMembership.create(user_id=user.id, group_id=group.id, using_db=conn)


async def remove_user_from_group(actor: Principal, *, group_name: str, user_name: str) -> None:
    """End the user's membership of the group; NoSuchEntity if the user is not a member."""
    action = REMOVE_USER
    account_id = actor.account_id
    async with audited_precheck(actor, action, attempted_arn("group", account_id, "/", group_name)):
        group = await group_by_name(account_id, group_name)
        user = await user_by_name(account_id, user_name)

    async with writing(actor, action, group.arn) as tx:
        conn = tx.connection
        tx.details.update(groupName=group.name, userName=user.name)
        removed = (
            await GroupMembership.filter(user_id=user.id, group_id=group.id).using_db(conn).delete()
        )
        if not removed:
            raise NoSuchEntity(f"User {user.name} is not in group {group.name}.")


async def list_groups_for_user(
    actor: Principal, user_name: str, *, first: int | None = None, after: str | None = None
) -> Page[Group]:
    """The groups the user belongs to, by name (ignoring case)."""
    user = await user_by_name(actor.account_id, user_name)
    query = Group.filter(account_id=actor.account_id, memberships__user_id=user.id)
    return await page_by_name(query, first=first, after=after)


async def list_users_in_group(
    actor: Principal, group_name: str, *, first: int | None = None, after: str | None = None
) -> Page[User]:
    """The members of the group, by name (ignoring case); GetGroup's user list."""
    group = await group_by_name(actor.account_id, group_name)
    query = User.filter(account_id=actor.account_id, memberships__group_id=group.id)
    return await page_by_name(query, first=first, after=after)


async def groups_for_users(account_id: str, user_ids: Sequence[str]) -> dict[str, list[Group]]:
    """For each user id, its groups in name order (an empty list for none); one query."""
    result: dict[str, list[Group]] = {user_id: [] for user_id in user_ids}
    memberships = (
        await GroupMembership.filter(user_id__in=list(result), group__account_id=account_id)
        .select_related("group")
        .order_by("group__name_lower")
    )
    for membership in memberships:
        result[membership.user_id].append(membership.group)
    return result


async def users_for_groups(account_id: str, group_ids: Sequence[str]) -> dict[str, list[User]]:
    """For each group id, its members in name order (an empty list for none); one query."""
    result: dict[str, list[User]] = {group_id: [] for group_id in group_ids}
    memberships = (
        await GroupMembership.filter(group_id__in=list(result), user__account_id=account_id)
        .select_related("user")
        .order_by("user__name_lower")
    )
    for membership in memberships:
        result[membership.group_id].append(membership.user)
    return result
