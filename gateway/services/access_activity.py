"""Access activity: what each principal was allowed to do, when last and how often.

Every allowed decision the gateway makes for a caller counts: each guarded field it resolves,
each `authorize` answer that allows. Counting must not slow those down, so decisions are
tallied in memory, per account, principal, source identity and action, and written in
batches by `ActivityRecorder.run` (in the app's lifespan): one upsert per key and interval
(`GATEWAY_ACCESS_ACTIVITY_FLUSH_SECONDS`, 60 s by default), so at most one write per principal
and action per minute. The upsert adds to the stored count and keeps the latest time, so the
replicas' tallies add up in the same row (`gateway.models.AccessActivity`).

A role session's use is the role's (its ARN), with the session's source identity beside it,
so that both "what does this role use" and "what did jorge do through roles" can be read.
Denied calls are not counted here; they are individual audit events.

Reading (`actions_used`, `services_used`, `used_through_roles`) sees what has been flushed:
at most one interval behind.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from gateway import clock
from gateway.models import AccessActivity, PrincipalKind
from gateway.policy import Decision
from gateway.services.principal import Principal

logger = logging.getLogger("gateway.access_activity")

DEFAULT_INTERVAL = 60.0
MAX_PENDING = 100_000
"""Distinct keys tallied between two flushes; past it, new keys are dropped (and logged) until
the next flush, so that a flood of made-up actions cannot exhaust memory."""
FLUSH_CHUNK = 500
"""Upserts per transaction when flushing."""
_ACTION = re.compile(r"^[A-Za-z0-9-]{1,60}:[A-Za-z0-9*?_-]{1,120}$")
_TYPES = {PrincipalKind.ROOT: "Root", PrincipalKind.USER: "User", PrincipalKind.ROLE: "Role"}
_COLUMNS = (
    "account_id, principal_arn, principal_type, source_identity, service, action, action_key, "
    "first_allowed_at, last_allowed_at, count"
)

Key = tuple[str, str, str, str]
"""(account id, principal ARN, source identity, action in lower case)."""


@dataclass(slots=True)
class _Tally:
    principal_type: str
    action: str
    count: int
    first: datetime
    last: datetime


class ActivityRecorder:
    """One process's tallies of allowed decisions, and their flushing (see the module)."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, max_pending: int = MAX_PENDING) -> None:
        self.interval = interval
        self.max_pending = max_pending
        self._pending: dict[Key, _Tally] = {}
        self._dropped = 0

    def note(self, principal: Principal, action: str, decision: Decision) -> None:
        """Count `decision` for `principal` doing `action`, if it allows (the hook that every
        place deciding for a caller calls once per decision; costs a dictionary update)."""
        if not decision.allowed:
            return
        role = principal.role
        owner = role.arn if role is not None else principal.arn
        key = (principal.account_id, owner, principal.source_identity or "", action.lower())
        now = clock.now()
        tally = self._pending.get(key)
        if tally is not None:
            tally.count += 1
            tally.last = now
        elif len(self._pending) < self.max_pending and _ACTION.match(action):
            self._pending[key] = _Tally(_TYPES[principal.kind], action, 1, now, now)
        else:
            self._dropped += 1

    @property
    def pending(self) -> int:
        """Keys tallied since the last flush."""
        return len(self._pending)

    async def flush(self) -> int:
        """Write every tally (one upsert per key) and start afresh; returns the keys written.
        If the database refuses, the tallies are kept for the next flush."""
        if self._dropped:
            logger.warning(
                "Access activity: %d decisions not counted (too many keys)", self._dropped
            )
            self._dropped = 0
        if not self._pending:
            return 0
        batch, self._pending = self._pending, {}
        # Sorted keys: concurrent flushes from two replicas lock rows in the same order. Short
        # transactions: SQLite has one writer, and requests' writes must not wait for a flush.
        items = sorted(batch.items())
        for start in range(0, len(items), FLUSH_CHUNK):
            chunk = items[start : start + FLUSH_CHUNK]
            try:
                await _upsert(chunk)
            except Exception:
                logger.exception("Access activity could not be written; keeping it for next time")
                self._merge_back(dict(items[start:]))
                return start
        return len(items)

    async def run(self) -> None:
        """Flush every `interval` seconds until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                await self.flush()
        finally:
            await asyncio.shield(self.flush())

    def _merge_back(self, batch: dict[Key, _Tally]) -> None:
        for key, tally in batch.items():
            current = self._pending.get(key)
            if current is None:
                self._pending[key] = tally
            else:
                current.count += tally.count
                current.first = min(current.first, tally.first)
                current.last = max(current.last, tally.last)


async def _upsert(items: list[tuple[Key, _Tally]]) -> None:
    """One transaction adding `items` to the stored rows."""
    connection = get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    if postgres:
        marks = ", ".join(f"${n}" for n in range(1, 11))
        later, earlier = "GREATEST", "LEAST"
    else:
        marks = ", ".join("?" * 10)
        later, earlier = "MAX", "MIN"
    sql = (
        f"INSERT INTO access_activity ({_COLUMNS}) VALUES ({marks}) "
        "ON CONFLICT (account_id, principal_arn, source_identity, action_key) DO UPDATE SET "
        "count = access_activity.count + excluded.count, "
        f"last_allowed_at = {later}(access_activity.last_allowed_at, excluded.last_allowed_at), "
        f"first_allowed_at = {earlier}(access_activity.first_allowed_at, "
        "excluded.first_allowed_at)"
    )
    time_field = AccessActivity._meta.fields_map["last_allowed_at"]
    rows: list[list[Any]] = []
    for (account_id, owner, source_identity, action_key), tally in items:
        rows.append(
            [
                account_id,
                owner,
                tally.principal_type,
                source_identity,
                action_key.partition(":")[0],
                tally.action,
                action_key,
                time_field.to_db_value(tally.first, AccessActivity),
                time_field.to_db_value(tally.last, AccessActivity),
                tally.count,
            ]
        )
    async with in_transaction() as tx:
        await tx.execute_many(sql, rows)


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceActivity:
    """A principal's use of one service (IAM's service last accessed)."""

    service: str
    last_allowed_at: datetime
    count: int
    actions: tuple[AccessActivity, ...]


async def actions_used(
    account_id: str, principal_arn: str, *, service: str | None = None
) -> list[AccessActivity]:
    """What `principal_arn` (a user, the root user or a role) was allowed, per action (summed
    over source identities), most recently used first; optionally for one service."""
    query = AccessActivity.filter(account_id=account_id, principal_arn=principal_arn)
    if service is not None:
        query = query.filter(service=service.lower())
    return _summed(await query.order_by("action_key"))


async def services_used(account_id: str, principal_arn: str) -> list[ServiceActivity]:
    """What `principal_arn` was allowed, per service, most recently used first."""
    by_service: dict[str, list[AccessActivity]] = {}
    for row in await actions_used(account_id, principal_arn):
        by_service.setdefault(row.service, []).append(row)
    services = [
        ServiceActivity(
            service=name,
            last_allowed_at=max(row.last_allowed_at for row in rows),
            count=sum(row.count for row in rows),
            actions=tuple(rows),
        )
        for name, rows in by_service.items()
    ]
    return sorted(services, key=lambda s: (s.last_allowed_at, s.service), reverse=True)


async def used_through_roles(account_id: str, source_identity: str) -> list[AccessActivity]:
    """What role sessions with this source identity were allowed, per role and action, most
    recently used first."""
    rows = await AccessActivity.filter(account_id=account_id, source_identity=source_identity)
    return sorted(rows, key=lambda row: (row.last_allowed_at, row.action_key), reverse=True)


def _summed(rows: Sequence[AccessActivity]) -> list[AccessActivity]:
    """One row per action: a role's sessions with different source identities added up."""
    merged: dict[str, AccessActivity] = {}
    for row in rows:
        seen = merged.get(row.action_key)
        if seen is None:
            merged[row.action_key] = row
            continue
        merged[row.action_key] = AccessActivity(
            account_id=row.account_id,
            principal_arn=row.principal_arn,
            principal_type=row.principal_type,
            source_identity="",
            service=row.service,
            action=seen.action,
            action_key=row.action_key,
            first_allowed_at=min(seen.first_allowed_at, row.first_allowed_at),
            last_allowed_at=max(seen.last_allowed_at, row.last_allowed_at),
            count=seen.count + row.count,
        )
    return sorted(merged.values(), key=lambda r: (r.last_allowed_at, r.action_key), reverse=True)
