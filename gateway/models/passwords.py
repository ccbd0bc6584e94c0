"""The account password policy and the password history that its reuse prevention reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account
    from gateway.models.users import User


class AccountPasswordPolicy(Model):
    """An account's custom password policy (AWS's UpdateAccountPasswordPolicy settings).

    At most one per account; an account without one gets AWS's default rules. Null
    `max_password_age` means passwords never expire, null `password_reuse_prevention` that
    old passwords may be reused.
    """

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="password_policy", on_delete=fields.CASCADE
    )
    account_id: str
    minimum_password_length = fields.IntField(default=6)
    require_symbols = fields.BooleanField(default=False)
    require_numbers = fields.BooleanField(default=False)
    require_uppercase_characters = fields.BooleanField(default=False)
    require_lowercase_characters = fields.BooleanField(default=False)
    allow_users_to_change_password = fields.BooleanField(default=False)
    max_password_age = fields.IntField(null=True)
    password_reuse_prevention = fields.IntField(null=True)
    hard_expiry = fields.BooleanField(default=False)

    class Meta:
        table = "account_password_policies"


class PasswordHistory(Model):
    """A hash of a password a user has had, kept for reuse prevention.

    Holds the user's most recent passwords, the current one included, at most as many as the
    account's `password_reuse_prevention` asks for (none while it is off).
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="password_history", on_delete=fields.CASCADE
    )
    user_id: str
    password_hash = fields.CharField(max_length=255)
    created_at: datetime = fields.DatetimeField(db_index=True)

    class Meta:
        table = "password_history"
