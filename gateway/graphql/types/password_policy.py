"""The account password policy type."""

from __future__ import annotations

import strawberry

from gateway import models


@strawberry.type(
    description="The account's custom password policy (GetAccountPasswordPolicy). Null "
    "`maxPasswordAge`: passwords never expire; null `passwordReusePrevention`: reuse allowed."
)
class PasswordPolicy:
    minimum_password_length: int
    require_symbols: bool
    require_numbers: bool
    require_uppercase_characters: bool
    require_lowercase_characters: bool
    allow_users_to_change_password: bool
    expire_passwords: bool = strawberry.field(description="True when `maxPasswordAge` is set.")
    max_password_age: int | None
    password_reuse_prevention: int | None
    hard_expiry: bool

    @classmethod
    def from_model(cls, policy: models.AccountPasswordPolicy) -> PasswordPolicy:
        """The GraphQL view of an account password policy."""
        return cls(
            minimum_password_length=policy.minimum_password_length,
            require_symbols=policy.require_symbols,
            require_numbers=policy.require_numbers,
            require_uppercase_characters=policy.require_uppercase_characters,
            require_lowercase_characters=policy.require_lowercase_characters,
            allow_users_to_change_password=policy.allow_users_to_change_password,
            expire_passwords=policy.max_password_age is not None,
            max_password_age=policy.max_password_age,
            password_reuse_prevention=policy.password_reuse_prevention,
            hard_expiry=policy.hard_expiry,
        )
