"""Retention: deleting audit events older than `GATEWAY_AUDIT_RETENTION_DAYS`, in small
batches (`gateway.services.pruning.delete_in_batches`), so that no request waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from tortoise.expressions import Q

from gateway import clock
from gateway.models import AuditEvent
from gateway.services.pruning import BATCH, PAUSE_SECONDS, delete_in_batches

logger = logging.getLogger("gateway.audit_retention")

EVERY_SECONDS = 3600.0


async def prune(before: datetime, *, batch: int = BATCH, pause: float = PAUSE_SECONDS) -> int:
    """Delete every event that happened before `before`, `batch` at a time; returns how many."""
    return await delete_in_batches(
        AuditEvent, Q(occurred_at__lt=before), order_by="occurred_at", batch=batch, pause=pause
    )


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
