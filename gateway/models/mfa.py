"""Virtual MFA devices, one-time recovery codes, and sign-in challenges waiting for a code."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account, RootUser
    from gateway.models.users import User


class MfaDevice(Model):
    """A virtual TOTP device (RFC 6238): `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`.

    Created unassigned (CreateVirtualMFADevice); enabling it assigns it to one IAM user or to
    the root user (`user` / `root`, at most one set) and records `enabled_at`. The Base32 seed
    is kept only encrypted (`seed_ciphertext`, see `gateway.services.seeds`). `last_used_step`
    is the latest TOTP time step accepted for the device: a code is only accepted for a later
    step, with an atomic conditional update, so a code is never accepted twice, on any replica.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="mfa_devices", on_delete=fields.CASCADE
    )
    account_id: str
    name = fields.CharField(max_length=226)
    name_lower = fields.CharField(max_length=226)
    path = fields.CharField(max_length=512, default="/")
    serial_number = fields.CharField(max_length=1024, unique=True)
    seed_ciphertext = fields.TextField()
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mfa_devices", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser", related_name="mfa_devices", null=True, on_delete=fields.CASCADE
    )
    root_id: int | None
    enabled_at = fields.DatetimeField(null=True)
    last_used_step = fields.BigIntField(null=True)
    # Time steps the device's clock runs ahead of ours (negative: behind), set by
    # ResyncMFADevice; codes are checked around `now + drift_steps`.
    drift_steps = fields.IntField(default=0)
    last_used_at = fields.DatetimeField(null=True)
    created_at: datetime = fields.DatetimeField()
    tags: dict[str, str] = fields.JSONField(default=dict)

    class Meta:
        table = "mfa_devices"
        unique_together = (("account", "name_lower"),)

    def __str__(self) -> str:
        return self.serial_number


class RecoveryCode(Model):
    """One single-use recovery code of a user or root user, stored only as a hash.

    A gateway addition (AWS has none): it stands in for the MFA code once, then `used_at` is
    set, atomically, so it never works twice.
    """

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    account_id: str
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser", related_name="recovery_codes", null=True, on_delete=fields.CASCADE
    )
    root_id: int | None
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at: datetime = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "recovery_codes"


class MfaChallenge(Model):
    """A password sign-in waiting for its second factor (`signIn` answered `MfaRequired`).

    The challenge token is stored only as a hash. It expires after a few minutes and allows
    `MAX_ATTEMPTS` codes (`attempts` is raised atomically before each code is checked), and is
    spent (`completed_at`) by the first right code. `password_change_required` carries the
    password check's verdict to the session the challenge opens.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    token_hash = fields.CharField(max_length=128, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="mfa_challenges", on_delete=fields.CASCADE
    )
    account_id: str
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mfa_challenges", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser", related_name="mfa_challenges", null=True, on_delete=fields.CASCADE
    )
    root_id: int | None
    created_at: datetime = fields.DatetimeField()
    expires_at: datetime = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    completed_at = fields.DatetimeField(null=True)
    source_ip = fields.CharField(max_length=45, default="")
    password_change_required = fields.BooleanField(default=False)

    class Meta:
        table = "mfa_challenges"
