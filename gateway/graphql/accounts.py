"""The account: its alias."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.authorization_details import AccountAuthorizationDetails
from gateway.services import accounts, authorization_details

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
        description="Every user, group and managed policy of the account with their policy "
        "documents (GetAccountAuthorizationDetails). `filter`: User, Group, LocalManagedPolicy, "
        "AWSManagedPolicy.",
        extensions=[authorize("iam:GetAccountAuthorizationDetails", "*")],
    )
    async def account_authorization_details(
        self, info: Info, filter: list[str] | None = None
    ) -> AccountAuthorizationDetails | None:
        actor = await info.context.principal()
        found = await authorization_details.get_account_authorization_details(actor, filter=filter)
        return AccountAuthorizationDetails.from_details(found)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Give the account an alias to sign in with (CreateAccountAlias).",
        extensions=[authorize("iam:CreateAccountAlias", "*")],
    )
    async def create_account_alias(self, info: Info, account_alias: str) -> str | None:
        account = await accounts.create_account_alias(await info.context.principal(), account_alias)
        return account.alias

    @strawberry.mutation(
        description="Remove the account's alias (DeleteAccountAlias).",
        extensions=[authorize("iam:DeleteAccountAlias", "*")],
    )
    async def delete_account_alias(self, info: Info, account_alias: str) -> bool | None:
        await accounts.delete_account_alias(await info.context.principal(), account_alias)
        return True
