"""Retention: old audit events deleted in batches (gateway/services/audit_retention.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway import clock
from gateway.models import AuditEvent, Outcome
from gateway.services.audit_retention import prune
from gateway.services.principal import Principal
from gateway.services.writes import record

NOW = datetime(2026, 6, 1, tzinfo=UTC)


async def test_events_older_than_the_cutoff_go_in_batches_and_newer_ones_stay(
    root: Principal,
) -> None:
    await AuditEvent.all().delete()
    for days_ago in (100, 95, 91, 90, 10, 0):
        for _ in range(3):
            with clock.using(clock.FrozenClock(NOW - timedelta(days=days_ago))):
                await record(root, "iam:TagUser", "arn", Outcome.ALLOWED)
    deleted = await prune(NOW - timedelta(days=90), batch=2, pause=0)
    assert deleted == 9
    left = await AuditEvent.all().values_list("occurred_at", flat=True)
    assert len(left) == 9
    assert min(left) == NOW - timedelta(days=90)


async def test_nothing_to_prune_deletes_nothing(root: Principal) -> None:
    before = await AuditEvent.all().count()
    assert await prune(datetime(2000, 1, 1, tzinfo=UTC), pause=0) == 0
    assert await AuditEvent.all().count() == before
