"""Deleting what only an attacker could make pile up (gateway/services/pruning.py)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.models import CeremonyKind, MfaChallenge, SignInThrottle, WebAuthnChallenge
from gateway.services.principal import Principal
from gateway.services.pruning import EXPIRED_GRACE, prune_expired
from gateway.services.signin_throttling import Lockout

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LOCKOUT = Lockout(window_seconds=900)
WINDOW = timedelta(seconds=LOCKOUT.window_seconds)
SECOND = timedelta(seconds=1)


async def counter(key: str, last_failed_at: datetime, locked_until: datetime | None) -> None:
    await SignInThrottle.create(
        key=key, identity=None, failures=7, last_failed_at=last_failed_at, locked_until=locked_until
    )


async def test_only_sign_in_counters_that_went_quiet_are_forgotten(root: Principal) -> None:
    await SignInThrottle.all().delete()
    # Forgotten: no failure and no lock end within the window (the next failure would start
    # a new streak from zero anyway).
    await counter("name:old-guess", NOW - WINDOW - SECOND, None)
    await counter("name:old-lock", NOW - 2 * WINDOW, NOW - WINDOW - SECOND)
    # Kept: a failure within the window, a lock still on, a lock that ended within the window.
    await counter("name:recent", NOW - WINDOW + SECOND, None)
    await counter("name:locked", NOW - 2 * WINDOW, NOW + WINDOW)
    await counter("name:lock-ended-lately", NOW - 2 * WINDOW, NOW - WINDOW + SECOND)

    deleted = await prune_expired(NOW, LOCKOUT, batch=1, pause=0)

    assert deleted["sign-in counters"] == 2
    left: set[Any] = set(await SignInThrottle.all().values_list("key", flat=True))
    assert left == {"name:recent", "name:locked", "name:lock-ended-lately"}


async def test_challenges_go_an_hour_after_they_expired(root: Principal) -> None:
    await MfaChallenge.all().delete()
    await WebAuthnChallenge.all().delete()
    for name, expires_at in (
        ("old", NOW - EXPIRED_GRACE - SECOND),
        ("lately", NOW - EXPIRED_GRACE + SECOND),
        ("live", NOW + timedelta(minutes=5)),
    ):
        await MfaChallenge.create(
            id=f"mfa-{name}",
            token_hash=secrets.token_hex(16),
            account_id=root.account_id,
            created_at=expires_at - timedelta(minutes=5),
            expires_at=expires_at,
        )
        await WebAuthnChallenge.create(
            id=f"ceremony-{name}",
            kind=CeremonyKind.AUTHENTICATION,
            challenge=secrets.token_hex(16),
            account_id=root.account_id,
            created_at=expires_at - timedelta(minutes=5),
            expires_at=expires_at,
        )

    deleted = await prune_expired(NOW, LOCKOUT, pause=0)

    assert deleted == {"sign-in counters": 0, "MFA challenges": 1, "WebAuthn ceremonies": 1}
    challenges: set[Any] = set(await MfaChallenge.all().values_list("id", flat=True))
    ceremonies: set[Any] = set(await WebAuthnChallenge.all().values_list("id", flat=True))
    assert challenges == {"mfa-lately", "mfa-live"}
    assert ceremonies == {"ceremony-lately", "ceremony-live"}


async def test_nothing_expired_deletes_nothing(root: Principal) -> None:
    await SignInThrottle.all().delete()
    await counter("name:recent", NOW, None)
    assert await prune_expired(NOW, LOCKOUT, pause=0) == {
        "sign-in counters": 0,
        "MFA challenges": 0,
        "WebAuthn ceremonies": 0,
    }
    assert await SignInThrottle.all().count() == 1
