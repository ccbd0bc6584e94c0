"""The account: its alias, its name and its root user's e-mail (root-only changes)."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.authorization_details import AccountAuthorizationDetails
from gateway.services import accounts, authorization_details, root_tasks

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="The account's alias, if it has one (ListAccountAliases).",
        extensions=[authorize("iam:ListAccountAliases", "*")],
    )
    async def account_aliases(self, info: Info) -> list[str] | None:
        return await accounts.list_account_aliases(await info.context.principal())

    @strawberry.field(
        description="Every user, group, role and managed policy of the account with their "
        "policy documents (GetAccountAuthorizationDetails), a page at a time: `first` entities "
        "(AWS's MaxItems: 100 by default, at most 1,000) `after` a page's end cursor (Marker). "
        "`filter`: User, Group, Role, LocalManagedPolicy, AWSManagedPolicy.",
        extensions=[authorize("iam:GetAccountAuthorizationDetails", "*")],
    )
    async def account_authorization_details(
        self,
        info: Info,
        filter: list[str] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AccountAuthorizationDetails | None:
        actor = await info.context.principal()
        found = await authorization_details.get_account_authorization_details(
            actor, filter=filter, first=first, after=after
        )
        return AccountAuthorizationDetails.from_details(found)

    @strawberry.field(
        description="The account's name (GetAccountName); null when it has none.",
        extensions=[authorize("iam:GetAccountName", "*")],
    )
    async def account_name(self, info: Info) -> str | None:
        return await root_tasks.get_account_name(await info.context.principal())

    @strawberry.field(
        description="The root user's sign-in e-mail address (GetAccountEmailAddress).",
        extensions=[authorize("iam:GetAccountEmailAddress", "*")],
    )
    async def account_email_address(self, info: Info) -> str | None:
        return await root_tasks.get_account_email_address(await info.context.principal())


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Give the account an alias to sign in with (CreateAccountAlias).",
        extensions=[authorize(accounts.CREATE_ALIAS, "*")],
    )
    async def create_account_alias(self, info: Info, account_alias: str) -> str | None:
        account = await accounts.create_account_alias(await info.context.principal(), account_alias)
        return account.alias

    @strawberry.mutation(
        description="Remove the account's alias (DeleteAccountAlias).",
        extensions=[authorize(accounts.DELETE_ALIAS, "*")],
    )
    async def delete_account_alias(self, info: Info, account_alias: str) -> bool | None:
        await accounts.delete_account_alias(await info.context.principal(), account_alias)
        return True

    @strawberry.mutation(
        description="Rename the account (UpdateAccountName). Root only: no policy grants it, "
        "not even AdministratorAccess.",
        extensions=[authorize(root_tasks.UPDATE_ACCOUNT_NAME, "*")],
    )
    async def update_account_name(self, info: Info, account_name: str) -> str | None:
        account = await root_tasks.update_account_name(await info.context.principal(), account_name)
        return account.name

    @strawberry.mutation(
        description="Change the root user's sign-in e-mail (UpdateAccountEmailAddress), proving "
        "the root password. Root only: no policy grants it, not even AdministratorAccess.",
        extensions=[authorize(root_tasks.UPDATE_EMAIL, "*")],
    )
    async def update_account_email_address(
        self, info: Info, email: str, password: str
    ) -> str | None:
        return await root_tasks.update_account_email_address(
            await info.context.principal(), email, password
        )
