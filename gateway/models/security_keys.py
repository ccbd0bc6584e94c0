"""FIDO security keys and passkeys (WebAuthn credentials) used as MFA devices, and the
WebAuthn challenges of their ceremonies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account, RootUser
    from gateway.models.users import User


class SecurityKey(Model):
    """A WebAuthn credential registered as an MFA device of one IAM user or root user
    (`user` / `root`, exactly one set): `arn:aws:iam::ACCOUNT:u2f/user/NAME/DEVICE-ID`.

    Only public material is stored: the credential id (base64url) the browser names it by,
    its COSE public key, and `sign_count`, the authenticator's signature counter, which only
    moves forward (an atomic conditional update): an assertion whose counter does not exceed
    it comes from a cloned key or a replay and is refused. Authenticators that keep no counter
    (most passkeys) always report 0, and are accepted while both stay 0.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="security_keys", on_delete=fields.CASCADE
    )
    account_id: str
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="security_keys", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser", related_name="security_keys", null=True, on_delete=fields.CASCADE
    )
    root_id: int | None
    name = fields.CharField(max_length=128)
    serial_number = fields.CharField(max_length=256, unique=True)
    credential_id = fields.CharField(max_length=1400, unique=True)
    public_key = fields.BinaryField()
    sign_count = fields.BigIntField(default=0)
    aaguid = fields.CharField(max_length=36, default="")
    attestation_format = fields.CharField(max_length=32, default="none")
    transports: list[str] = fields.JSONField(default=list)
    multi_device = fields.BooleanField(default=False)
    """Whether the credential may be synced to other devices (a passkey), per its flags."""
    backed_up = fields.BooleanField(default=False)
    enabled_at: datetime = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "security_keys"

    def __str__(self) -> str:
        return self.serial_number


class CeremonyKind(StrEnum):
    """What a WebAuthn challenge is for."""

    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


class WebAuthnChallenge(Model):
    """The random challenge of one WebAuthn ceremony, single-use (`used_at`, set atomically
    before the browser's answer is checked) and short-lived.

    A registration belongs to the principal that started it (`actor_arn`, and `actor_session`:
    its session or access key), who alone may complete it, for the owner `user` / `root`, under
    the device name `name`. An authentication is bound to one sign-in's MFA challenge
    (`mfa_challenge_hash`, the hash of its token): its assertion completes that sign-in only.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    kind = fields.CharEnumField(CeremonyKind, max_length=16)
    challenge = fields.CharField(max_length=128, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="webauthn_challenges", on_delete=fields.CASCADE
    )
    account_id: str
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webauthn_challenges", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser",
        related_name="webauthn_challenges",
        null=True,
        on_delete=fields.CASCADE,
    )
    root_id: int | None
    name = fields.CharField(max_length=128, default="")
    actor_arn = fields.CharField(max_length=2048, default="")
    actor_session = fields.CharField(max_length=128, default="")
    mfa_challenge_hash = fields.CharField(max_length=128, null=True, db_index=True)
    created_at: datetime = fields.DatetimeField()
    expires_at: datetime = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webauthn_challenges"
