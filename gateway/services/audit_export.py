"""Exporting the audit trail as CloudTrail log records, for tools that read CloudTrail.

`export` writes the events of a time range in CloudTrail's log-file format,
`{"Records": [...]}` (what CloudTrail delivers to S3, one record per event, oldest first), or
as JSON lines (one record per line). It reads in batches and writes as it goes, so an export
of millions of events needs little memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TextIO

from tortoise.expressions import Q

from gateway.errors import InvalidInput
from gateway.models import AuditEvent
from gateway.services.audit_lookup import INVALID_TIME_RANGE
from gateway.services.cloudtrail import cloudtrail_record

BATCH = 1000


async def events_between(
    since: datetime, until: datetime, *, account_id: str | None = None, batch: int = BATCH
) -> AsyncIterator[AuditEvent]:
    """Every event from `since` to `until` (both included), oldest first, of one account or
    all, read `batch` at a time."""
    if since > until:
        raise InvalidInput(INVALID_TIME_RANGE)
    query = AuditEvent.filter(occurred_at__gte=since, occurred_at__lte=until)
    if account_id is not None:
        query = query.filter(account_id=account_id)
    position: tuple[datetime, int] | None = None
    while True:
        page = query
        if position is not None:
            moment, last = position
            page = page.filter(occurred_at__gte=moment).filter(
                Q(occurred_at__gt=moment) | Q(id__gt=last)
            )
        rows = await page.order_by("occurred_at", "id").limit(batch)
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        position = (rows[-1].occurred_at, rows[-1].id)


async def export(
    out: TextIO,
    since: datetime,
    until: datetime,
    *,
    account_id: str | None = None,
    json_lines: bool = False,
) -> int:
    """Write the events from `since` to `until` to `out` as CloudTrail records; returns how
    many were written."""
    if since > until:
        raise InvalidInput(INVALID_TIME_RANGE)
    count = 0
    if not json_lines:
        out.write('{"Records":[')
    async for event in events_between(since, until, account_id=account_id):
        text = json.dumps(cloudtrail_record(event), separators=(",", ":"), ensure_ascii=False)
        if json_lines:
            out.write(text + "\n")
        else:
            out.write(("," if count else "") + "\n" + text)
        count += 1
    if not json_lines:
        out.write("\n]}\n")
    return count
