"""The account password policy, and changing one's own password."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import CALLER, authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.password_policy import PasswordPolicy
from gateway.services import password_changes, password_policy
from gateway.services.principal import Principal

Info = strawberry.Info[GatewayContext, None]


@strawberry.input(
    description="A whole password policy: as in AWS, a setting left out takes its default "
    "(minimum length 6, everything else off)."
)
class PasswordPolicyInput:
    minimum_password_length: int | None = strawberry.field(
        default=None, description="6 to 128; default 6."
    )
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = strawberry.field(
        default=False,
        description="Every IAM user may change their own password, whatever their policies.",
    )
    max_password_age: int | None = strawberry.field(
        default=None, description="Days a password stays valid, 1 to 1095; default: for ever."
    )
    password_reuse_prevention: int | None = strawberry.field(
        default=None, description="How many recent passwords may not be reused, 1 to 24."
    )
    hard_expiry: bool = strawberry.field(
        default=False,
        description="An expired password cannot sign in at all: an administrator must reset it.",
    )


async def _users_may_change_passwords(principal: Principal, resource: str) -> bool:
    return await password_policy.users_may_change_passwords(principal.account_id)


@strawberry.type
class PasswordPolicyQueries:
    @strawberry.field(
        description="The account's custom password policy (GetAccountPasswordPolicy); "
        "NoSuchEntity when it has none and AWS's default rules apply.",
        extensions=[authorize("iam:GetAccountPasswordPolicy", "*")],
    )
    async def account_password_policy(self, info: Info) -> PasswordPolicy | None:
        actor = await info.context.principal()
        return PasswordPolicy.from_model(await password_policy.get_account_password_policy(actor))


@strawberry.type
class PasswordPolicyMutations:
    @strawberry.mutation(
        description="Set the account's password policy (UpdateAccountPasswordPolicy).",
        extensions=[authorize(password_policy.UPDATE, "*")],
    )
    async def update_account_password_policy(
        self, info: Info, input: PasswordPolicyInput
    ) -> PasswordPolicy | None:
        actor = await info.context.principal()
        policy = await password_policy.update_account_password_policy(
            actor,
            minimum_password_length=input.minimum_password_length,
            require_symbols=input.require_symbols,
            require_numbers=input.require_numbers,
            require_uppercase_characters=input.require_uppercase_characters,
            require_lowercase_characters=input.require_lowercase_characters,
            allow_users_to_change_password=input.allow_users_to_change_password,
            max_password_age=input.max_password_age,
            password_reuse_prevention=input.password_reuse_prevention,
            hard_expiry=input.hard_expiry,
        )
        return PasswordPolicy.from_model(policy)

    @strawberry.mutation(
        description="Remove the account's password policy: AWS's default rules apply again "
        "(DeleteAccountPasswordPolicy).",
        extensions=[authorize(password_policy.DELETE, "*")],
    )
    async def delete_account_password_policy(self, info: Info) -> bool | None:
        await password_policy.delete_account_password_policy(await info.context.principal())
        return True

    @strawberry.mutation(
        description="Change the caller's own password, given the old one (ChangePassword). "
        "Allowed by iam:ChangePassword on the caller (IAMUserChangePassword grants it) or, for "
        "every user, by the password policy's allowUsersToChangePassword. Ends the caller's "
        "other sessions.",
        extensions=[
            authorize(password_changes.ACTION, CALLER, allowed_by=_users_may_change_passwords)
        ],
    )
    async def change_password(
        self, info: Info, old_password: str, new_password: str
    ) -> bool | None:
        actor = await info.context.principal()
        await password_changes.change_password(
            actor, old_password=old_password, new_password=new_password
        )
        return True
