"""Sign-in sessions: the bearer tokens that GraphQL requests carry."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account, RootUser
    from gateway.models.roles import Role
    from gateway.models.users import User


class PrincipalKind(StrEnum):
    """Who a session acts as."""

    ROOT = "root"
    USER = "user"
    ROLE = "role"


class Session(Model):
    """A signed-in principal's session.

    The bearer token itself is never stored: `token_hash` is its hash, looked up on every
    request. Exactly one of `root` / `user` / `role` is set, by `principal_kind`; a role
    session's account is the role's, which may differ from the account of whoever assumed it
    (cross-account). A session is valid while `revoked_at` is null and `expires_at` is in
    the future. The MFA columns record how the session was authenticated, for
    `aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge`. `password_change_required`
    restricts the session to changing its password.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    token_hash = fields.CharField(max_length=128, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: str
    principal_kind = fields.CharField(max_length=8)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    user_id: str | None
    root: fields.ForeignKeyNullableRelation[RootUser] = fields.ForeignKeyField(
        "models.RootUser", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    root_id: int | None
    created_at: datetime = fields.DatetimeField(auto_now_add=True)
    expires_at: datetime = fields.DatetimeField(db_index=True)
    last_used_at: datetime = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    source_ip = fields.CharField(max_length=45, default="")
    mfa_authenticated = fields.BooleanField(default=False)
    mfa_authenticated_at = fields.DatetimeField(null=True)
    # Set at sign-in when the password has expired or an administrator asked for a reset: the
    # session may then only change the password (and ask who it is, and sign out).
    password_change_required = fields.BooleanField(default=False)
    # Set for a root sign-in without an MFA device while GATEWAY_ROOT_MFA=required: the session
    # may only enrol a device (and ask who it is, and sign out).
    mfa_enrollment_required = fields.BooleanField(default=False)
    # Temporary credentials from GetSessionToken (null for sign-in sessions): the `ASIA…` key
    # id, the hash of its secret and the secret sealed with the gateway's key (SigV4 needs it
    # back), which authenticate like the bearer token does, and the long-term `AKIA…` key that
    # asked for them (kept as text: the session outlives the key).
    access_key_id = fields.CharField(max_length=21, null=True, unique=True)
    secret_hash = fields.CharField(max_length=64, null=True)
    secret_sealed = fields.TextField(null=True)
    via_access_key = fields.CharField(max_length=21, null=True)
    # Role sessions (AssumeRole, switchRole): the role, the session name in the assumed-role
    # ARN, the session policies passed at assume time ([{"label", "document"}], intersected
    # with the role's permissions), who assumed it and with which source identity, whether it
    # was assumed from another role session (chaining caps it at one hour), and, for a console
    # switch, the session it replaced, which `switchBack` returns to.
    role: fields.ForeignKeyNullableRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    role_id: str | None
    role_session_name = fields.CharField(max_length=64, null=True)
    session_policies: list[dict[str, str]] = fields.JSONField(default=list)
    assumed_by_arn = fields.CharField(max_length=1024, null=True)
    source_identity = fields.CharField(max_length=64, null=True)
    chained = fields.BooleanField(default=False)
    switched_from_id = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "sessions"
