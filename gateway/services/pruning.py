"""Deleting rows nobody needs any more, without holding up requests.

`delete_in_batches` deletes what a filter matches a batch at a time (each its own short
statement, by primary key), with a pause between batches, so that it never holds locks long
enough to keep a request waiting, and replicas pruning at once merely share the work. Audit
retention (`gateway.services.audit_retention`) and `prune_expired` use it.

`prune_expired` removes what only an attacker could make pile up, since each is created by an
unauthenticated or half-authenticated request and nothing else ever deletes it:

- sign-in counters (`SignInThrottle`) that went quiet: no failure within the lockout window
  and no lock that ended within it. Such a row counts exactly as an absent one (the next
  failure starts a new streak), so forgetting it changes no lockout; a guesser trying one new
  user name after another would otherwise add a row per name;
- MFA sign-in challenges and WebAuthn ceremonies past their expiry (they are refused from that
  moment, used or not), after `EXPIRED_GRACE` so that an answer arriving just late is still
  told "expired" by the code that reads them.

The app's lifespan runs `keep_pruned` as a chore: now, then every `EVERY_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from gateway import clock
from gateway.models import MfaChallenge, SignInThrottle, WebAuthnChallenge
from gateway.services.signin_throttling import Lockout

logger = logging.getLogger("gateway.pruning")

BATCH = 1000
PAUSE_SECONDS = 0.05
EVERY_SECONDS = 600.0
EXPIRED_GRACE = timedelta(hours=1)
"""How long a challenge is kept after it expired."""


async def delete_in_batches(
    model: type[Model],
    condition: Q,
    *,
    order_by: str,
    batch: int = BATCH,
    pause: float = PAUSE_SECONDS,
) -> int:
    """Delete every `model` row matching `condition`, oldest (`order_by`) first, `batch` at a
    time; returns how many."""
    deleted = 0
    while True:
        ids: list[Any] = (
            await model.filter(condition)
            .order_by(order_by)
            .limit(batch)
            .values_list(model._meta.pk_attr, flat=True)
        )
        if not ids:
            return deleted
        deleted += await model.filter(pk__in=ids).delete()
        await asyncio.sleep(pause)


async def prune_expired(
    now: datetime, lockout: Lockout, *, batch: int = BATCH, pause: float = PAUSE_SECONDS
) -> dict[str, int]:
    """Delete quiet sign-in counters and expired challenges (see the module); returns how many
    rows of each kind went."""
    quiet_since = now - timedelta(seconds=lockout.window_seconds)
    expired_before = now - EXPIRED_GRACE
    deleted = {
        "sign-in counters": await delete_in_batches(
            SignInThrottle,
            Q(last_failed_at__lte=quiet_since)
            & (Q(locked_until__isnull=True) | Q(locked_until__lte=quiet_since)),
            order_by="last_failed_at",
            batch=batch,
            pause=pause,
        )
    }
    challenges: tuple[tuple[str, type[Model]], ...] = (
        ("MFA challenges", MfaChallenge),
        ("WebAuthn ceremonies", WebAuthnChallenge),
    )
    for kind, model in challenges:
        deleted[kind] = await delete_in_batches(
            model,
            Q(expires_at__lt=expired_before),
            order_by="expires_at",
            batch=batch,
            pause=pause,
        )
    return deleted


async def keep_pruned(lockout: Lockout, *, every: float = EVERY_SECONDS) -> None:
    """`prune_expired` now and then every `every` seconds, until cancelled."""
    while True:
        try:
            deleted = await prune_expired(clock.now(), lockout)
            if any(deleted.values()):
                logger.info(
                    "Deleted expired rows: %s",
                    ", ".join(f"{count} {kind}" for kind, count in deleted.items() if count),
                )
        except Exception:
            logger.exception("Deleting expired rows failed; trying again later")
        await asyncio.sleep(every)
