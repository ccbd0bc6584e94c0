"""Queries and mutations on IAM groups and their members."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import GROUP, NEW_GROUP, authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import Connection, connection
from gateway.graphql.types.group import Group
from gateway.services import groups

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class GroupQueries:
    @strawberry.field(
        description="One group (GetGroup).", extensions=[authorize("iam:GetGroup", GROUP)]
    )
    async def group(self, info: Info, group_name: str) -> Group | None:
        actor = await info.context.principal()
        return Group.from_model(await groups.get_group(actor, group_name))

    @strawberry.field(
        description="The account's groups, by name (ListGroups).",
        extensions=[authorize("iam:ListGroups", "*")],
    )
    async def groups(
        self, info: Info, path_prefix: str = "/", first: int | None = None, after: str | None = None
    ) -> Connection[Group] | None:
        actor = await info.context.principal()
        page = await groups.list_groups(actor, path_prefix=path_prefix, first=first, after=after)
        return connection(page, Group.from_model)


@strawberry.type
class GroupMutations:
    @strawberry.mutation(
        description="Create a group (CreateGroup).",
        extensions=[authorize(groups.CREATE, GROUP)],
    )
    async def create_group(self, info: Info, group_name: str, path: str = "/") -> Group | None:
        actor = await info.context.principal()
        return Group.from_model(await groups.create_group(actor, group_name=group_name, path=path))

    @strawberry.mutation(
        description="Rename a group or move it to another path (UpdateGroup).",
        extensions=[authorize(groups.UPDATE, GROUP, destination=NEW_GROUP)],
    )
    async def update_group(
        self,
        info: Info,
        group_name: str,
        new_group_name: str | None = None,
        new_path: str | None = None,
    ) -> Group | None:
        actor = await info.context.principal()
        group = await groups.update_group(
            actor, group_name, new_group_name=new_group_name, new_path=new_path
        )
        return Group.from_model(group)

    @strawberry.mutation(
        description="Delete a group with no members or policies (DeleteGroup).",
        extensions=[authorize(groups.DELETE, GROUP)],
    )
    async def delete_group(self, info: Info, group_name: str) -> bool | None:
        actor = await info.context.principal()
        await groups.delete_group(actor, group_name)
        return True

    @strawberry.mutation(
        description="Add a user to a group (AddUserToGroup; authorized on the group).",
        extensions=[authorize(groups.ADD_USER, GROUP)],
    )
    async def add_user_to_group(self, info: Info, group_name: str, user_name: str) -> Group | None:
        actor = await info.context.principal()
        await groups.add_user_to_group(actor, group_name=group_name, user_name=user_name)
        return Group.from_model(await groups.get_group(actor, group_name))

    @strawberry.mutation(
        description="Remove a user from a group (RemoveUserFromGroup).",
        extensions=[authorize(groups.REMOVE_USER, GROUP)],
    )
    async def remove_user_from_group(
        self, info: Info, group_name: str, user_name: str
    ) -> Group | None:
        actor = await info.context.principal()
        await groups.remove_user_from_group(actor, group_name=group_name, user_name=user_name)
        return Group.from_model(await groups.get_group(actor, group_name))
