"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey and
GetAccessKeyLastUsed.

A key belongs to an IAM user or, when allowed, to the root user; each has at most
`ACCESS_KEYS_PER_USER`. Calls that name no user act on the caller's own keys, as AWS's do
("IAM determines the user name implicitly based on the access key signing the request").
The secret is shown once, by `create_access_key`; it is stored as a hash (`hash_secret`, for
the `GatewayKey` header) and sealed with the gateway's cipher (`seal_secret`, for verifying
SigV4 signatures, which needs the secret itself).
Key writes are not permission changes (`changes_permissions=False`), but every one of them is
a local write, so this replica's cached authentications are dropped at once: a deactivated or
deleted key stops working on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from gateway import clock
from gateway.errors import AccessDenied, LimitExceeded, NoSuchEntity, ValidationError
from gateway.ids import ACCESS_KEY_PREFIX, new_unique_id
from gateway.models import AccessKey, AccessKeyStatus, PrincipalKind, RootUser, User
from gateway.services.identities import USER, attempted_arn, reload
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.users import user_by_name
from gateway.services.validation import NON_USER_CREDENTIALS, check_length, violation
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreateAccessKey"
UPDATE = "iam:UpdateAccessKey"
DELETE = "iam:DeleteAccessKey"

ACCESS_KEYS_PER_USER = 2
"""Quota: access keys per user, and per root user (AWS's)."""
ROOT_ACCESS_KEYS_ALLOWED = False
"""Whether root may have access keys at all. AWS's best practice is none, so the gateway
refuses them unless its operator turns `GATEWAY_ROOT_ACCESS_KEYS` on (passed as
`root_keys_allowed` by the API)."""
ROOT_KEYS_DISABLED = (
    "Access keys for the root user are disabled on this gateway: create them for an IAM user "
    "instead (an operator can allow them with GATEWAY_ROOT_ACCESS_KEYS)."
)
SECRET_BYTES = 30
"""A secret is 30 random bytes, 40 characters of URL-safe base64 (AWS's are 40 too)."""
NOT_USED = "N/A"
"""What GetAccessKeyLastUsed reports for a service or region it does not know (AWS's value)."""
SERVICE_NAME = "gateway"
"""The service name recorded when a key authenticates a request."""


@dataclass(frozen=True, slots=True)
class NewAccessKey:
    """A key just created, with its secret: the only time the secret exists outside a hash."""

    key: AccessKey
    secret: str
    user_name: str | None


@dataclass(frozen=True, slots=True)
class LastUsed:
    """GetAccessKeyLastUsed's answer; `used_at` is None for a key never used."""

    user_name: str | None
    used_at: datetime | None
    service_name: str
    region: str


def new_secret() -> str:
    """A fresh secret access key (240 random bits)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(access_key_id: str, secret: str) -> str:
    """The stored form of a secret: HMAC-SHA256 keyed by the key's id.

    A slow password hash (Argon2) protects secrets people choose, which can be guessed; these
    are 240 random bits that no one can enumerate, so a single fast hash is as strong and keeps
    every request's check to microseconds instead of ~50 ms. Keying the HMAC with the key id
    binds the hash to its key: a hash copied to another row verifies nothing.
    """
    return hmac.new(access_key_id.encode(), secret.encode(), hashlib.sha256).hexdigest()


def seal_secret(cipher: SeedCipher | None, access_key_id: str, secret: str) -> str | None:
    """The secret encrypted for the key `access_key_id` (the id bound in as associated data),
    or None without a cipher: such a key cannot sign SigV4 requests. Every API path passes
    the app's cipher; only tests and tools that never sign leave it out."""
    return cipher.seal(secret, access_key_id) if cipher is not None else None


def secret_matches(access_key_id: str, secret: str, stored_hash: str) -> bool:
    """Whether `secret` is the one whose hash is `stored_hash` (in constant time)."""
    return hmac.compare_digest(hash_secret(access_key_id, secret), stored_hash)


def _no_such_key(access_key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Whose keys a call is about: an IAM user, or the root user (`user` None), and its ARN."""

    user: User | None
    arn: str
    root_id: int | None = None

    @property
    def name(self) -> str | None:
        """The user name; None for root."""
        return self.user.name if self.user is not None else None

    def keys(self, using: BaseDBAsyncClient | None = None) -> QuerySet[AccessKey]:
        """The owner's keys."""
        if self.user is not None:
            return AccessKey.filter(user_id=self.user.id).using_db(using)
        return AccessKey.filter(root_id=self.root_id).using_db(using)


async def owner_of(actor: Principal, user_name: str | None) -> KeyOwner:
    """The user named `user_name`, or the caller when it is None."""
    if user_name is not None:
        user = await user_by_name(actor.account_id, user_name)
        return KeyOwner(user, user.arn)
    if actor.is_root:
        root = await RootUser.get(account_id=actor.account_id)
        return KeyOwner(None, actor.arn, root.id)
    if actor.kind is PrincipalKind.ROLE:
        raise ValidationError(NON_USER_CREDENTIALS)
    caller = await User.get_or_none(id=actor.id)
    if caller is None:
        raise NoSuchEntity(f"The user with name {actor.name} cannot be found.")
    return KeyOwner(caller, caller.arn)


def _target(actor: Principal, user_name: str | None) -> str:
    if user_name is None:
        return actor.arn
    return attempted_arn("user", actor.account_id, "/", user_name)


async def _fresh_owner(owner: KeyOwner, using: BaseDBAsyncClient) -> KeyOwner:
    """The owner read again inside the write (row-locked where the database can)."""
    if owner.user is None:
        return owner
    return KeyOwner(await reload(USER, owner.user, using), owner.arn)


async def create_access_key(
    actor: Principal,
    user_name: str | None = None,
    *,
    root_keys_allowed: bool = ROOT_ACCESS_KEYS_ALLOWED,
    cipher: SeedCipher | None = None,
) -> NewAccessKey:
    """A new Active key for the user (the caller when `user_name` is None), with its secret,
    sealed with `cipher` so that the key can sign SigV4 requests.

    LimitExceeded past `ACCESS_KEYS_PER_USER`; AccessDenied for a root key unless
    `root_keys_allowed`. Root keys are flagged in the audit event (`rootAccessKey`).
    """
    action = CREATE
    async with audited_precheck(actor, action, _target(actor, user_name)):
        owner = await owner_of(actor, user_name)
        if owner.user is None and not root_keys_allowed:
            raise AccessDenied(ROOT_KEYS_DISABLED)

    secret = new_secret()
    async with writing(actor, action, owner.arn, changes_permissions=False) as tx:
        conn = tx.connection
        owner = await _fresh_owner(owner, conn)
        if await owner.keys(conn).count() >= ACCESS_KEYS_PER_USER:
            raise LimitExceeded(
                f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}"
            )
        key_id = new_unique_id(ACCESS_KEY_PREFIX)
        key = await AccessKey.create(
            id=key_id,
            account_id=actor.account_id,
            user_id=owner.user.id if owner.user is not None else None,
            root_id=owner.root_id,
            secret_hash=hash_secret(key_id, secret),
            secret_sealed=seal_secret(cipher, key_id, secret),
            status=AccessKeyStatus.ACTIVE.value,
            created_at=clock.now(),
            using_db=conn,
        )
        tx.details.update(accessKeyId=key_id, userName=owner.name)
        if owner.user is None:
            tx.details["rootAccessKey"] = True
    return NewAccessKey(key, secret, owner.name)


async def list_access_keys(
    actor: Principal, user_name: str | None = None
) -> tuple[KeyOwner, list[AccessKey]]:
    """The user's keys (the caller's when `user_name` is None), oldest first, and their
    owner; no secrets."""
    owner = await owner_of(actor, user_name)
    return owner, await owner.keys().order_by("created_at", "id")


async def _owned_key(owner: KeyOwner, access_key_id: str, using: BaseDBAsyncClient) -> AccessKey:
    key = await owner.keys(using).filter(id=access_key_id).select_for_update().first()
    if key is None:
        raise _no_such_key(access_key_id)
    return key


def _check_key_id(access_key_id: str) -> None:
    check_length(access_key_id, "accessKeyId", minimum=16, maximum=128)


async def update_access_key(
    actor: Principal, access_key_id: str, status: str, user_name: str | None = None
) -> AccessKey:
    """Make the key Active or Inactive. An Inactive key fails authentication at once."""
    action = UPDATE
    async with audited_precheck(actor, action, _target(actor, user_name)):
        _check_key_id(access_key_id)
        if status not in {s.value for s in AccessKeyStatus}:
            raise violation(
                status, "status", "Member must satisfy enum value set: [Active, Inactive]"
            )
        owner = await owner_of(actor, user_name)

    async with writing(actor, action, owner.arn, changes_permissions=False) as tx:
        conn = tx.connection
        owner = await _fresh_owner(owner, conn)
        key = await _owned_key(owner, access_key_id, conn)
        key.status = status
        await key.save(using_db=conn, update_fields=["status"])
        tx.details.update(accessKeyId=key.id, userName=owner.name, status=status)
    return key


async def delete_access_key(
    actor: Principal, access_key_id: str, user_name: str | None = None
) -> None:
    """Delete the key for good; it fails authentication at once."""
    action = DELETE
    async with audited_precheck(actor, action, _target(actor, user_name)):
        _check_key_id(access_key_id)
        owner = await owner_of(actor, user_name)

    async with writing(actor, action, owner.arn, changes_permissions=False) as tx:
        conn = tx.connection
        owner = await _fresh_owner(owner, conn)
        key = await _owned_key(owner, access_key_id, conn)
        await key.delete(using_db=conn)
        tx.details.update(accessKeyId=access_key_id, userName=owner.name)


async def get_access_key_last_used(actor: Principal, access_key_id: str) -> LastUsed:
    """When and where the key (any of the account's) last authenticated a request.

    The gateway has no regions: the region is always "N/A", as AWS reports an unknown one.
    """
    _check_key_id(access_key_id)
    key = await AccessKey.filter(id=access_key_id, account_id=actor.account_id).first()
    if key is None:
        raise _no_such_key(access_key_id)
    user_name = None
    if key.user_id is not None:
        user = await User.get(id=key.user_id)
        user_name = user.name
    return LastUsed(
        user_name=user_name,
        used_at=key.last_used_at,
        service_name=key.last_used_service or NOT_USED,
        region=NOT_USED,
    )
