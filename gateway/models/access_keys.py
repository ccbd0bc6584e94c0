"""Access keys: the long-term credentials that scripts sign their requests with."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account, RootUser
    from gateway.models.users import User


class AccessKeyStatus(StrEnum):
    """Whether a key may authenticate requests."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"


class AccessKey(Model):
    """An `AKIA…` access key of an IAM user, or of the root user (`root` set, `user` null).

    The secret is shown once, at creation. Kept are `secret_hash` (see
    `gateway.services.access_keys.hash_secret`), which checks the `GatewayKey` header, and
    `secret_sealed`, the secret encrypted with the gateway's key (`gateway.services.seeds`,
    the key id bound in), which verifies SigV4 signatures. Keys made before the gateway sealed
    secrets have no `secret_sealed` and cannot sign: they must be rotated.
    `last_used_at` / `last_used_service` feed GetAccessKeyLastUsed and are refreshed at most
    once a minute, not on every request.
    """

    id = fields.CharField(max_length=21, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="access_keys", on_delete=fields.CASCADE
    )
    account_id: str
    # The services refuse to delete a user that still has keys (AWS's DeleteConflict); the
    # cascade only serves deletions of whole accounts.
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="access_keys", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser", related_name="access_keys", null=True, on_delete=fields.CASCADE
    )
    root_id: int | None
    secret_hash = fields.CharField(max_length=64)
    secret_sealed = fields.TextField(null=True)
    status = fields.CharField(max_length=8, default=AccessKeyStatus.ACTIVE.value)
    created_at: datetime = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    last_used_service = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "access_keys"
