"""Retention: deleting audit events older than `GATEWAY_AUDIT_RETENTION_DAYS`.

Deletion goes in small batches (each its own short statement, by primary key), with a pause
between batches, so that it never holds locks long enough to keep a request waiting, and
replicas pruning at once merely share the work.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from gateway import clock
from gateway.models import AuditEvent

logger = logging.getLogger("gateway.audit_retention")

BATCH = 1000
PAUSE_SECONDS = 0.05
EVERY_SECONDS = 3600.0


async def prune(before: datetime, *, batch: int = BATCH, pause: float = PAUSE_SECONDS) -> int:
    """Delete every event that happened before `before`, `batch` at a time; returns how many."""
    deleted = 0
    while True:
        ids = (
            await AuditEvent.filter(occurred_at__lt=before)
            .order_by("occurred_at")
            .limit(batch)
            .values_list("id", flat=True)
        )
        if not ids:
            return deleted
        deleted += await AuditEvent.filter(id__in=list(ids)).delete()
        await asyncio.sleep(pause)


async def keep(days: int, *, every: float = EVERY_SECONDS) -> None:
    """Prune events older than `days` days now and then every `every` seconds, until
    cancelled (the app's lifespan runs it when `days` is set)."""
    while True:
        try:
            deleted = await prune(clock.now() - timedelta(days=days))
            if deleted:
                logger.info("Deleted %d audit events older than %d days", deleted, days)
        except Exception:
            logger.exception("Pruning old audit events failed; trying again later")
        await asyncio.sleep(every)
