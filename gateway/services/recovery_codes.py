"""One-time recovery codes: a gateway addition (AWS has none) for a user who lost their device.

`generate_recovery_codes` replaces the owner's codes with ten new ones, shown once. Each is
16 random characters (80 bits) from an unambiguous alphabet, written in four groups
(`k7pq-3mzt-…`), so a single SHA-256 is a safe way to store it: it cannot be guessed, only
looked up. At sign-in a recovery code stands in for the MFA code once (`redeem`); redeeming
is an atomic conditional update, so two requests cannot both use one code.
"""

from __future__ import annotations

import hashlib
import secrets

from tortoise.queryset import QuerySet

from gateway import clock
from gateway.errors import InvalidInput
from gateway.models import RecoveryCode
from gateway.services.mfa_devices import Owner, has_mfa, owner_named, target_arn
from gateway.services.principal import Principal
from gateway.services.writes import audited_precheck, writing

GENERATE = "gateway:GenerateRecoveryCodes"
COUNT = 10
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
GROUPS, GROUP_LENGTH = 4, 4
NO_DEVICE = "Recovery codes need an enabled MFA device: enable one first."


async def own_codes_allowed(caller: Principal, resource: str) -> bool:
    """Whether the caller may make recovery codes for `resource` without a policy: only for
    itself, in a session that signed in with MFA (a fresh proof that it holds the device)."""
    return resource == caller.arn and caller.mfa_authenticated_at is not None


def new_code() -> str:
    """A fresh recovery code such as `k7pq-3mzt-9xwa-c2hd`."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def normalized(code: str) -> str:
    """A code as typed, without spaces or dashes and in lower case."""
    return "".join(ch for ch in code.lower() if ch not in " -")


def hash_code(code: str) -> str:
    """The stored form of a recovery code."""
    return hashlib.sha256(normalized(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    """Whether `code` has a recovery code's shape (rather than a six-digit TOTP code)."""
    return len(normalized(code)) == GROUPS * GROUP_LENGTH


async def generate_recovery_codes(actor: Principal, user_name: str | None = None) -> list[str]:
    """Ten new recovery codes for the user (or the caller), replacing any earlier ones; shown
    only in this answer. InvalidInput unless the owner has an enabled MFA device."""
    async with audited_precheck(actor, GENERATE, target_arn(actor, user_name)):
        owner = await owner_named(actor, user_name)
        if not await has_mfa(owner):
            raise InvalidInput(NO_DEVICE)
    codes = [new_code() for _ in range(COUNT)]
    now = clock.now()
    async with writing(actor, GENERATE, owner.arn, changes_permissions=False) as tx:
        await _codes_of(owner).using_db(tx.connection).delete()
        await RecoveryCode.bulk_create(
            [
                RecoveryCode(
                    account_id=owner.account_id,
                    user_id=owner.user_id,
                    root_id=owner.root_id,
                    code_hash=hash_code(code),
                    created_at=now,
                )
                for code in codes
            ],
            using_db=tx.connection,
        )
        tx.details.update(owner=owner.arn, count=COUNT)
    return codes


async def remaining(owner: Owner) -> int:
    """How many of the owner's recovery codes are still unused."""
    return await _codes_of(owner).filter(used_at__isnull=True).count()


async def redeem(owner: Owner, code: str) -> bool:
    """Use up one of the owner's unused codes; False if `code` is not one of them."""
    used = (
        await _codes_of(owner)
        .filter(code_hash=hash_code(code), used_at__isnull=True)
        .update(used_at=clock.now())
    )
    return bool(used)


def _codes_of(owner: Owner) -> QuerySet[RecoveryCode]:
    if owner.user_id is not None:
        return RecoveryCode.filter(user_id=owner.user_id)
    return RecoveryCode.filter(root_id=owner.root_id)
