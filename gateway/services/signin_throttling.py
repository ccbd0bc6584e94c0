"""Lockout and throttling of sign-in (AWS has none; Keycloak's brute-force detection does).

Sign-in attempts are counted in the database (`SignInThrottle`), so that every replica sees
the same counts, on three counters:

- the identity from this address: the identity is the user or root user tried, by ARN (a user
  name that does not exist is counted per account and lower-case name, and an unknown root
  e-mail per e-mail, so that guessing names is throttled exactly like guessing passwords, and
  the lockout tells nothing about which names exist); the address is the client's IP address
  (`gateway.http.client_address`). This is the counter that locks an identity, and only from
  that address: an anonymous party cannot lock the root user, or anyone, out from everywhere;
- the identity from every address: it never locks, but sets how long the previous counter's
  locks last (Keycloak's brute-force detection makes its waits grow per user likewise), so
  that an attacker moving from address to address meets longer and longer locks;
- the source address, whoever is tried: it locks the address.

An attempt is counted *before* its password or code is looked at (`reserve`): it counts as a
failure on each counter until it proves otherwise. When a counter reaches its threshold
(`Lockout.identity_failures` for an identity from one address, `address_failures`), it is
locked for `delay_seconds`, doubled once per failure beyond the threshold (30 s, 60 s, 120 s,
…, up to `max_delay_seconds`); for an identity, the failures counted are the more of those from
this address and those from every address. A counter forgets after `window_seconds` without a
failure or a lock. While locked, sign-in is refused with `Throttled` and
`extensions.retryAfterSeconds`, even with the right password, which is then not checked at all
(a refused attempt costs no password hash). Refused attempts are not counted: waiting out a
lock is enough. An attempt that did not fail is taken back (`release`); a successful sign-in
clears the identity's counter for its address and takes the attempt back from the others
(`succeed`); `unlock_login_profile` clears all of an identity's counters.

Reserving is one transaction holding the counters' rows, so that attempts are admitted one at
a time whatever their number and whichever replica they reach: never more than a threshold of
them are evaluated per lock, on PostgreSQL as on SQLite. The price: while the attempt that
reaches a threshold is being checked, the counter is already locked, so an attempt arriving in
those milliseconds is refused even if the first one then succeeds (and lifts the lock). An
attempt cut short (a crash, a dropped connection) stays counted as a failure.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateway import clock
from gateway.config import Settings
from gateway.errors import ServiceFailure, Throttled
from gateway.models import SignInThrottle
from gateway.services.identities import attempted_arn
from gateway.services.principal import Principal
from gateway.services.users import user_by_name
from gateway.services.writes import audited_precheck, writing

MAX_KEY = 255
UNLOCK = "gateway:UnlockLoginProfile"
TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Try again in {seconds} seconds."
RESERVE_TRIES = 5
RESERVE_FAILED = "The sign-in attempt could not be counted; try again."


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
    """One counted thing: its key, the failures that lock it (None: it never locks), the
    identity it belongs to (None for an address), whose failures set the length of its locks
    (`paced_by`, a key; None: its own), and whether a successful sign-in clears it."""

    key: str
    threshold: int | None
    identity: str | None = None
    paced_by: str | None = None
    cleared_by_success: bool = False


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


def attempts_key(identity: str, source_ip: str) -> str:
    """The key of an identity (a key) tried from one source address."""
    return _key(f"{identity}@{source_ip}")


def _key(text: str) -> str:
    # Names come from the caller and may be long: past the column's width, a hash stands in.
    if len(text) <= MAX_KEY:
        return text
    kind, _, _ = text.partition(":")
    return f"{kind}:sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def counters(identity: str, source_ip: str, lockout: Lockout) -> list[Counter]:
    """The counters a sign-in of `identity` (a key) from `source_ip` touches: the identity from
    that address (which locks, for as long as the identity's failures from everywhere say),
    the identity (which only counts), and the address (which locks)."""
    found = [
        Counter(
            attempts_key(identity, source_ip),
            lockout.identity_failures,
            identity=identity,
            paced_by=identity,
            cleared_by_success=True,
        ),
        Counter(identity, None, identity=identity),
    ]
    if source_ip:
        found.append(Counter(address_key(source_ip), lockout.address_failures))
    return found


async def reserve(keys: list[Counter], lockout: Lockout) -> Attempt:
    """Count an attempt as failed on every counter, before anything is verified; Throttled
    (and nothing counted) if one of them is locked now.

    Everything happens in one transaction that holds the counters' rows (`SELECT … FOR
    UPDATE` on PostgreSQL; on SQLite a transaction has the one connection to itself), so that
    however many attempts arrive at once, on however many replicas, they are admitted one by
    one: the attempt that reaches a threshold locks its counter there and then, and those
    behind it are refused without being evaluated. `release` takes the count back when the
    attempt did not fail.
    """
    ordered = sorted({counter.key for counter in keys})
    for _ in range(RESERVE_TRIES):
        now = clock.now()
        async with in_transaction() as connection:
            # Missing rows are created first (INSERT … ON CONFLICT DO NOTHING), in key order
            # like the locks below, so that concurrent first attempts cannot deadlock.
            await SignInThrottle.bulk_create(
                [
                    SignInThrottle(
                        key=counter.key, identity=counter.identity, failures=0, last_failed_at=now
                    )
                    for counter in sorted(keys, key=lambda counter: counter.key)
                ],
                ignore_conflicts=True,
                using_db=connection,
            )
            rows = {
                row.key: row
                for row in await SignInThrottle.filter(key__in=ordered)
                .select_for_update()
                .order_by("key")
                .using_db(connection)
            }
            if len(rows) < len(ordered):
                continue  # cleared by a success meanwhile: start again
            locked = [end for row in rows.values() if (end := _lock_of(row, now)) is not None]
            if locked:
                raise throttled(max(locked) - now)
            attempt = Attempt(counters=keys)
            for counter in keys:
                _count(rows[counter.key], lockout, now)
            for counter in keys:
                attempt.locks[counter.key] = _lock(rows, counter, lockout, now)
            for row in rows.values():
                await row.save(
                    using_db=connection,
                    update_fields=["failures", "last_failed_at", "locked_until"],
                )
            return attempt
    raise ServiceFailure(RESERVE_FAILED)  # pragma: no cover - cleared under every try


@dataclass(slots=True)
class Attempt:
    """A reserved attempt: counted as failed on its counters until `release` or `succeed`
    says otherwise.

    `locks` keeps, per key, the lock before this attempt and the one after it, so that a
    release lifts only a lock it set."""

    counters: list[Counter]
    locks: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)


def _lock_of(row: SignInThrottle, now: datetime) -> datetime | None:
    """When the row's lock ends, if it is locked now."""
    until = row.locked_until
    return until if isinstance(until, datetime) and until > now else None


def _count(row: SignInThrottle, lockout: Lockout, now: datetime) -> None:
    """Count one attempt on `row`, forgetting an old streak first."""
    quiet_since = now - timedelta(seconds=lockout.window_seconds)
    ended = row.locked_until is None or row.locked_until <= quiet_since
    if ended and row.last_failed_at <= quiet_since:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now


def _lock(
    rows: dict[str, SignInThrottle], counter: Counter, lockout: Lockout, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """Lock the counter's row if it has reached its threshold, for as long as its pace says
    (its own failures, or its identity's from every address, whichever is more). Returns
    (the lock before, the lock after)."""
    row = rows[counter.key]
    before = row.locked_until
    if counter.threshold is not None and row.failures >= counter.threshold:
        paced = rows[counter.paced_by].failures if counter.paced_by in rows else 0
        delay = lockout.delay(max(row.failures, paced), counter.threshold)
        row.locked_until = now + timedelta(seconds=delay)
    return before, row.locked_until


async def release(attempt: Attempt) -> None:
    """Take back an attempt's count: it did not fail (a right password that still needs an
    MFA code, say). A lock the attempt set is lifted; any other stays."""
    async with in_transaction() as connection:
        rows = (
            await SignInThrottle.filter(key__in=sorted(c.key for c in attempt.counters))
            .select_for_update()
            .order_by("key")
            .using_db(connection)
        )
        for row in rows:
            before, after = attempt.locks.get(row.key, (None, None))
            row.failures = max(0, row.failures - 1)
            if after is not None and row.locked_until == after:
                row.locked_until = before
            if row.failures == 0:
                await row.delete(using_db=connection)  # nothing left to remember
            else:
                await row.save(using_db=connection, update_fields=["failures", "locked_until"])


async def succeed(attempt: Attempt) -> None:
    """The attempt proved who it was: forget the identity's failures from this address and lift
    its lock there, and take the attempt back from the other counters (the identity's count
    from every address, which keeps pacing the locks of other addresses, and the address's)."""
    cleared = [counter.key for counter in attempt.counters if counter.cleared_by_success]
    await SignInThrottle.filter(key__in=cleared).delete()
    others = [counter for counter in attempt.counters if not counter.cleared_by_success]
    if others:
        await release(Attempt(counters=others, locks=attempt.locks))


def throttled(remaining: timedelta) -> Throttled:
    """The `Throttled` error for a lock that ends in `remaining`."""
    seconds = max(1, math.ceil(remaining.total_seconds()))
    return Throttled(TOO_MANY_ATTEMPTS.format(seconds=seconds), retryAfterSeconds=seconds)


async def clear(identity: str, using: BaseDBAsyncClient | None = None) -> int:
    """Forget an identity's failures and lift its locks, from every address (an unlock, or
    an operator's reset of the root password); the number of counters cleared."""
    return await (
        SignInThrottle.filter(Q(key=identity) | Q(identity=identity)).using_db(using).delete()
    )


async def unlock_login_profile(actor: Principal, user_name: str) -> bool:
    """Lift a user's sign-in lock and forget its failures (an administrator's recovery; the
    `@authorize` directive asks for `gateway:UnlockLoginProfile` on the user's ARN).

    True if the user had failures or a lock to clear, from any address; NoSuchEntity for an
    unknown user. Source addresses stay locked until their lock ends.
    """
    async with audited_precheck(
        actor, UNLOCK, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)
    async with writing(actor, UNLOCK, user.arn, changes_permissions=False) as tx:
        cleared = await clear(identity_key(user.arn), tx.connection)
        tx.details.update(userName=user.name, cleared=bool(cleared))
    return bool(cleared)
