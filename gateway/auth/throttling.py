"""Lockout and throttling of sign-in (AWS has none; Keycloak's brute-force detection does).

Failed sign-ins are counted per identity and per source address, in the database
(`SignInThrottle`), so that every replica sees the same counts:

- the identity is the user or root user tried, by ARN; a user name that does not exist is
  counted per account and lower-case name, and an unknown root e-mail per e-mail, so that
  guessing names is throttled exactly like guessing passwords, and the lockout tells nothing
  about which names exist;
- the source address is the client's IP address.

When a counter reaches its threshold (`Lockout.identity_failures`, `address_failures`), that
identity or address is locked for `delay_seconds`; each further failure once the lock is over
doubles the delay (30 s, 60 s, 120 s, …) up to `max_delay_seconds`. A counter forgets after
`window_seconds` without a failure or a lock. While locked, sign-in is refused with `Throttled`
and `extensions.retryAfterSeconds`, even with the right password, which is then not checked
(the caller still pays for one decoy verification, so the time does not tell a lock from a
wrong password). Refused attempts are not counted: waiting out a lock is enough. A successful
sign-in clears the identity's counter (not the address's); `unlock` clears it too (the
`unlockLoginProfile` mutation).

Every change is an atomic SQL update (`F("failures") + 1`, conditional updates), never a
read-modify-write, so that concurrent failures on several replicas each count once, on
PostgreSQL as on SQLite.

MFA codes will be counted here too: a wrong code is a `record_failure` on the same keys as
the password, and `check` runs before a code is verified.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F, Q

from gateway import clock
from gateway.config import Settings
from gateway.errors import Throttled
from gateway.models import SignInThrottle
from gateway.services.identities import attempted_arn
from gateway.services.principal import Principal
from gateway.services.users import user_by_name
from gateway.services.writes import audited_precheck, writing

MAX_KEY = 255
UNLOCK = "gateway:UnlockLoginProfile"
TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Try again in {seconds} seconds."


@dataclass(frozen=True, slots=True)
class Lockout:
    """The thresholds and delays (see the module docstring; `Settings.lockout_*`)."""

    identity_failures: int = 5
    address_failures: int = 20
    window_seconds: int = 900
    delay_seconds: int = 30
    max_delay_seconds: int = 900

    @classmethod
    def from_settings(cls, settings: Settings) -> Lockout:
        """The lockout a gateway process is configured with."""
        return cls(
            identity_failures=settings.lockout_identity_failures,
            address_failures=settings.lockout_address_failures,
            window_seconds=settings.lockout_window_seconds,
            delay_seconds=settings.lockout_delay_seconds,
            max_delay_seconds=settings.lockout_max_delay_seconds,
        )

    def delay(self, failures: int, threshold: int) -> int:
        """Seconds of lockout after `failures` failures (0 below the threshold)."""
        if failures < threshold:
            return 0
        doublings = min(failures - threshold, 32)
        return min(self.delay_seconds * (1 << doublings), self.max_delay_seconds)


DEFAULT_LOCKOUT = Lockout()


@dataclass(frozen=True, slots=True)
class Counter:
    """One counted thing: its key and the failures that lock it."""

    key: str
    threshold: int


def identity_key(arn: str) -> str:
    """The key of a known user or root user."""
    return _key(f"identity:{arn}")


def unknown_user_key(account: str, user_name: str) -> str:
    """The key of a user name that does not exist in `account` (id, or the text given)."""
    return _key(f"name:{account.strip().lower()}:{user_name.lower()}")


def unknown_root_key(email: str) -> str:
    """The key of a root e-mail that belongs to no account."""
    return _key(f"email:{email.strip().lower()}")


def address_key(source_ip: str) -> str:
    """The key of a source address."""
    return _key(f"address:{source_ip}")


def _key(text: str) -> str:
    # Names come from the caller and may be long: past the column's width, a hash stands in.
    if len(text) <= MAX_KEY:
        return text
    kind, _, _ = text.partition(":")
    return f"{kind}:sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def counters(identity: str, source_ip: str, lockout: Lockout) -> list[Counter]:
    """The counters a sign-in of `identity` (a key) from `source_ip` touches."""
    found = [Counter(identity, lockout.identity_failures)]
    if source_ip:
        found.append(Counter(address_key(source_ip), lockout.address_failures))
    return found


async def check(keys: list[Counter]) -> Throttled | None:
    """The refusal for a sign-in whose identity or address is locked now; None if neither."""
    now = clock.now()
    locked = await SignInThrottle.filter(
        key__in=[counter.key for counter in keys], locked_until__gt=now
    )
    ends = [row.locked_until for row in locked if isinstance(row.locked_until, datetime)]
    if not ends:
        return None
    return throttled(max(ends) - now)


def throttled(remaining: timedelta) -> Throttled:
    """The `Throttled` error for a lock that ends in `remaining`."""
    seconds = max(1, math.ceil(remaining.total_seconds()))
    return Throttled(TOO_MANY_ATTEMPTS.format(seconds=seconds), retryAfterSeconds=seconds)


async def record_failure(keys: list[Counter], lockout: Lockout) -> None:
    """Count one failed attempt on each counter, locking those that reach their threshold."""
    for counter in keys:
        await _count(counter, lockout)


async def _count(counter: Counter, lockout: Lockout) -> None:
    now = clock.now()
    quiet_since = now - timedelta(seconds=lockout.window_seconds)
    # Create the row if it is missing (INSERT … ON CONFLICT DO NOTHING: concurrent first
    # failures create it once), forget an old streak, then count.
    await SignInThrottle.bulk_create(
        [SignInThrottle(key=counter.key, failures=0, last_failed_at=now)], ignore_conflicts=True
    )
    rows = SignInThrottle.filter(key=counter.key)
    # Only one of several concurrent resets matches: the first moves last_failed_at to now.
    await rows.filter(
        Q(locked_until=None) | Q(locked_until__lte=quiet_since),
        last_failed_at__lte=quiet_since,
    ).update(failures=0, last_failed_at=now, locked_until=None)
    await rows.update(failures=F("failures") + 1, last_failed_at=now)
    row = await rows.first()
    delay = lockout.delay(row.failures if row is not None else 0, counter.threshold)
    if delay:
        until = now + timedelta(seconds=delay)
        # Never shorten a lock another replica has just lengthened.
        await rows.filter(Q(locked_until=None) | Q(locked_until__lt=until)).update(
            locked_until=until
        )


async def clear(key: str) -> None:
    """Forget an identity's failures and lift its lock (a success, or an unlock)."""
    await SignInThrottle.filter(key=key).delete()


async def unlock_login_profile(actor: Principal, user_name: str) -> bool:
    """Lift a user's sign-in lock and forget its failures (an administrator's recovery; the
    `@authorize` directive asks for `gateway:UnlockLoginProfile` on the user's ARN).

    True if the user had failures or a lock to clear; NoSuchEntity for an unknown user.
    Source addresses stay locked until their lock ends.
    """
    async with audited_precheck(
        actor, UNLOCK, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)
    async with writing(actor, UNLOCK, user.arn, changes_permissions=False) as tx:
        cleared = (
            await SignInThrottle.filter(key=identity_key(user.arn)).using_db(tx.connection).delete()
        )
        tx.details.update(userName=user.name, cleared=bool(cleared))
    return bool(cleared)
