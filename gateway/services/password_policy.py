"""The account password policy (AWS's Update/Get/DeleteAccountPasswordPolicy), and the rules
it sets for passwords: content, expiry and reuse.

An account has at most one custom policy; without one, AWS's default rules apply
(`DEFAULT_PASSWORD_POLICY`). As in AWS, an update is not partial: a setting left out reverts
to its default (minimum length 6, no character class required, users may not change their own
password unless a policy allows it, passwords never expire, reuse allowed, no hard expiry).
The root user's password is never subject to the account's policy.

`policy_for` gives the rules in force as a `PasswordPolicy`, which login profiles and
`change_password` check passwords against. Reuse prevention reads `PasswordHistory`: every
password a user is given is remembered there (as its hash), trimmed to the policy's count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from gateway import clock
from gateway.errors import NoSuchEntity, ValidationError
from gateway.models import AccountPasswordPolicy, LoginProfile, PasswordHistory
from gateway.services.passwords import DEFAULT_PASSWORD_POLICY, PasswordPolicy, verify_password
from gateway.services.principal import Principal
from gateway.services.writes import audited_precheck, writing

MIN_LENGTH_RANGE = (6, 128)
MAX_AGE_RANGE = (1, 1095)
REUSE_RANGE = (1, 24)
DEFAULT_MINIMUM_LENGTH = 6

UPDATE = "iam:UpdateAccountPasswordPolicy"
DELETE = "iam:DeleteAccountPasswordPolicy"
RESOURCE = "*"


def _no_policy(account_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Password Policy with domain name {account_id} cannot be found.")


def _range_errors(field: str, value: int | None, bounds: tuple[int, int]) -> list[str]:
    if value is None:
        return []
    low, high = bounds
    if value < low:
        constraint = f"Member must have value greater than or equal to {low}"
    elif value > high:
        constraint = f"Member must have value less than or equal to {high}"
    else:
        return []
    return [f"Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"]


def _check_settings(
    minimum_password_length: int | None,
    max_password_age: int | None,
    password_reuse_prevention: int | None,
) -> None:
    errors = [
        *_range_errors("minimumPasswordLength", minimum_password_length, MIN_LENGTH_RANGE),
        *_range_errors("maxPasswordAge", max_password_age, MAX_AGE_RANGE),
        *_range_errors("passwordReusePrevention", password_reuse_prevention, REUSE_RANGE),
    ]
    if errors:
        plural = "error" if len(errors) == 1 else "errors"
        raise ValidationError(f"{len(errors)} validation {plural} detected: " + "; ".join(errors))


async def update_account_password_policy(
    actor: Principal,
    *,
    minimum_password_length: int | None = None,
    require_symbols: bool = False,
    require_numbers: bool = False,
    require_uppercase_characters: bool = False,
    require_lowercase_characters: bool = False,
    allow_users_to_change_password: bool = False,
    max_password_age: int | None = None,
    password_reuse_prevention: int | None = None,
    hard_expiry: bool = False,
) -> AccountPasswordPolicy:
    """Set the account's password policy; every setting left out takes its default.

    ValidationError (AWS's message, every bad value listed) for a minimum length outside
    6..128, a max age outside 1..1095 days or a reuse prevention outside 1..24.
    """
    async with audited_precheck(actor, UPDATE, RESOURCE):
        _check_settings(minimum_password_length, max_password_age, password_reuse_prevention)

    settings = {
        "minimum_password_length": minimum_password_length or DEFAULT_MINIMUM_LENGTH,
        "require_symbols": require_symbols,
        "require_numbers": require_numbers,
        "require_uppercase_characters": require_uppercase_characters,
        "require_lowercase_characters": require_lowercase_characters,
        "allow_users_to_change_password": allow_users_to_change_password,
        "max_password_age": max_password_age,
        "password_reuse_prevention": password_reuse_prevention,
        "hard_expiry": hard_expiry,
    }
    async with writing(actor, UPDATE, RESOURCE, changes_policies=False) as tx:
        conn = tx.connection
        policy = (
            await AccountPasswordPolicy.filter(account_id=actor.account_id)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if policy is None:
            policy = await AccountPasswordPolicy.create(
                account_id=actor.account_id, using_db=conn, **settings
            )
        else:
            policy.update_from_dict(settings)
            await policy.save(using_db=conn)
        tx.details.update({_camel(key): value for key, value in settings.items()})
    return policy


async def get_account_password_policy(actor: Principal) -> AccountPasswordPolicy:
    """The account's custom password policy; NoSuchEntity if it has none."""
    policy = await AccountPasswordPolicy.get_or_none(account_id=actor.account_id)
    if policy is None:
        raise _no_policy(actor.account_id)
    return policy


async def delete_account_password_policy(actor: Principal) -> None:
    """Remove the custom policy, so that AWS's default rules apply; NoSuchEntity if none."""
    async with writing(actor, DELETE, RESOURCE, changes_policies=False) as tx:
        conn = tx.connection
        deleted = (
            await AccountPasswordPolicy.filter(account_id=actor.account_id).using_db(conn).delete()
        )
        if not deleted:
            raise _no_policy(actor.account_id)


async def policy_for(account_id: str, *, using: BaseDBAsyncClient | None = None) -> PasswordPolicy:
    """The password rules in force in the account: its custom policy, else AWS's default."""
    stored = await AccountPasswordPolicy.filter(account_id=account_id).using_db(using).first()
    if stored is None:
        return DEFAULT_PASSWORD_POLICY
    return PasswordPolicy(
        minimum_password_length=stored.minimum_password_length,
        require_uppercase_characters=stored.require_uppercase_characters,
        require_lowercase_characters=stored.require_lowercase_characters,
        require_numbers=stored.require_numbers,
        require_symbols=stored.require_symbols,
        minimum_character_types=0,
        allow_users_to_change_password=stored.allow_users_to_change_password,
        max_password_age=stored.max_password_age,
        password_reuse_prevention=stored.password_reuse_prevention,
        hard_expiry=stored.hard_expiry,
    )


async def users_may_change_passwords(account_id: str) -> bool:
    """Whether the account's policy lets every IAM user change their own password."""
    return (await policy_for(account_id)).allow_users_to_change_password


def password_expired(profile: LoginProfile, policy: PasswordPolicy, now: datetime) -> bool:
    """Whether the profile's password is older than the policy's max age."""
    if policy.max_password_age is None:
        return False
    changed = profile.password_changed_at or profile.created_at
    return now - changed > timedelta(days=policy.max_password_age)


async def reused(user_id: str, password: str, current_hash: str, policy: PasswordPolicy) -> bool:
    """Whether `password` is one of the user's last `password_reuse_prevention` passwords
    (the current one included)."""
    count = policy.password_reuse_prevention
    if not count:
        return False
    if await verify_password(current_hash, password):
        return True
    recent = (
        await PasswordHistory.filter(user_id=user_id)
        .order_by("-created_at", "-id")
        .limit(count)
        .values_list("password_hash", flat=True)
    )
    for old in recent:
        if await verify_password(str(old), password):
            return True
    return False


async def remember_password(
    user_id: str, password_hash: str, policy: PasswordPolicy, using: BaseDBAsyncClient
) -> None:
    """Record the user's new password for reuse prevention, keeping only as many as the
    policy asks for (none while reuse prevention is off)."""
    keep = policy.password_reuse_prevention or 0
    history = PasswordHistory.filter(user_id=user_id).using_db(using)
    if not keep:
        await history.delete()
        return
    await PasswordHistory.create(
        user_id=user_id, password_hash=password_hash, created_at=clock.now(), using_db=using
    )
    kept = await history.order_by("-created_at", "-id").limit(keep).values_list("id", flat=True)
    await (
        PasswordHistory.filter(user_id=user_id).exclude(id__in=list(kept)).using_db(using).delete()
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
