"""Queries and mutations on IAM users, their passwords, tags and permissions boundaries."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import BOUNDARY_KEY, NEW_USER, USER, authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.common import Connection, TagInput, connection, tag_pairs
from gateway.graphql.types.user import LoginProfile, User
from gateway.services import boundaries, identities, login_profiles, users

Info = strawberry.Info[GatewayContext, None]


@strawberry.input(description="A new IAM user.")
class CreateUserInput:
    user_name: str
    path: str = "/"
    tags: list[TagInput] | None = None
    permissions_boundary: str | None = strawberry.field(
        default=None, description="ARN of a managed policy that caps the user's permissions."
    )


@strawberry.type
class UserQueries:
    @strawberry.field(
        description="One user (GetUser).", extensions=[authorize("iam:GetUser", USER)]
    )
    async def user(self, info: Info, user_name: str) -> User | None:
        actor = await info.context.principal()
        return User.from_model(await users.get_user(actor, user_name))

    @strawberry.field(
        description="The account's users, by name (ListUsers).",
        extensions=[authorize("iam:ListUsers", "*")],
    )
    async def users(
        self, info: Info, path_prefix: str = "/", first: int | None = None, after: str | None = None
    ) -> Connection[User] | None:
        actor = await info.context.principal()
        page = await users.list_users(actor, path_prefix=path_prefix, first=first, after=after)
        return connection(page, User.from_model)


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Create a user with no permissions (CreateUser).",
        extensions=[
            authorize(
                users.CREATE,
                USER,
                context=BOUNDARY_KEY,
            )
        ],
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> User | None:
        actor = await info.context.principal()
        user = await users.create_user(
            actor,
            user_name=input.user_name,
            path=input.path,
            tags=tag_pairs(input.tags),
            permissions_boundary=input.permissions_boundary,
        )
        return User.from_model(user)

    @strawberry.mutation(
        description="Rename a user or move it to another path (UpdateUser).",
        extensions=[authorize(users.UPDATE, USER, destination=NEW_USER)],
    )
    async def update_user(
        self,
        info: Info,
        user_name: str,
        new_user_name: str | None = None,
        new_path: str | None = None,
    ) -> User | None:
        actor = await info.context.principal()
        user = await users.update_user(
            actor, user_name, new_user_name=new_user_name, new_path=new_path
        )
        return User.from_model(user)

    @strawberry.mutation(
        description="Delete a user that has no credentials, groups or policies left (DeleteUser).",
        extensions=[authorize(users.DELETE, USER)],
    )
    async def delete_user(self, info: Info, user_name: str) -> bool | None:
        actor = await info.context.principal()
        await users.delete_user(actor, user_name)
        return True

    @strawberry.mutation(
        description="Add or replace tags on a user (TagUser).",
        extensions=[authorize(identities.USER.action(identities.TAG), USER)],
    )
    async def tag_user(self, info: Info, user_name: str, tags: list[TagInput]) -> User | None:
        actor = await info.context.principal()
        return User.from_model(await users.tag_user(actor, user_name, tag_pairs(tags)))

    @strawberry.mutation(
        description="Remove tags from a user (UntagUser).",
        extensions=[authorize(identities.USER.action(identities.UNTAG), USER)],
    )
    async def untag_user(self, info: Info, user_name: str, tag_keys: list[str]) -> User | None:
        actor = await info.context.principal()
        return User.from_model(await users.untag_user(actor, user_name, tag_keys))

    @strawberry.mutation(
        description="Give a user a console password (CreateLoginProfile).",
        extensions=[authorize(login_profiles.CREATE, USER)],
    )
    async def create_login_profile(
        self, info: Info, user_name: str, password: str, password_reset_required: bool = False
    ) -> LoginProfile | None:
        actor = await info.context.principal()
        profile = await login_profiles.create_login_profile(
            actor, user_name, password=password, password_reset_required=password_reset_required
        )
        return LoginProfile.from_model(user_name, profile)

    @strawberry.mutation(
        description="Reset a user's password or its reset flag (UpdateLoginProfile).",
        extensions=[authorize(login_profiles.UPDATE, USER)],
    )
    async def update_login_profile(
        self,
        info: Info,
        user_name: str,
        password: str | None = None,
        password_reset_required: bool | None = None,
    ) -> LoginProfile | None:
        actor = await info.context.principal()
        profile = await login_profiles.update_login_profile(
            actor, user_name, password=password, password_reset_required=password_reset_required
        )
        return LoginProfile.from_model(user_name, profile)

    @strawberry.mutation(
        description="Remove a user's console password (DeleteLoginProfile).",
        extensions=[authorize(login_profiles.DELETE, USER)],
    )
    async def delete_login_profile(self, info: Info, user_name: str) -> bool | None:
        actor = await info.context.principal()
        await login_profiles.delete_login_profile(actor, user_name)
        return True

    @strawberry.mutation(
        description="Cap a user's permissions with a managed policy (PutUserPermissionsBoundary).",
        extensions=[
            authorize(
                identities.USER.action(boundaries.PUT),
                USER,
                context=BOUNDARY_KEY,
            )
        ],
    )
    async def put_user_permissions_boundary(
        self, info: Info, user_name: str, permissions_boundary: str
    ) -> User | None:
        actor = await info.context.principal()
        user = await boundaries.put_user_permissions_boundary(
            actor, user_name=user_name, permissions_boundary=permissions_boundary
        )
        return User.from_model(user)

    @strawberry.mutation(
        description="Remove a user's permissions boundary (DeleteUserPermissionsBoundary).",
        extensions=[authorize(identities.USER.action(boundaries.DELETE), USER)],
    )
    async def delete_user_permissions_boundary(self, info: Info, user_name: str) -> User | None:
        actor = await info.context.principal()
        user = await boundaries.delete_user_permissions_boundary(actor, user_name=user_name)
        return User.from_model(user)
