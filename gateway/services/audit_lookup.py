"""Reading the audit trail: LookupEvents, newest first, filtered, keyset-paged; and the events
a live subscriber has not seen yet.

Every read is confined to one account: the caller's. Filters combine with AND:

- `start_time`, `end_time`: `eventTime` within the range, both ends included;
- `principal_arn`: the caller's ARN exactly, or a prefix ending in `*`;
- `action`: the IAM action ignoring case (`iam:CreateUser`), or a prefix ending in `*`
  (`iam:Create*`);
- `resource`: exactly (ARNs are case-sensitive), or a prefix ending in `*`;
- `outcome`, `error_code`, `source_ip`, `request_id`, `event_id`, `event_source`,
  `event_name`, `read_only`: exactly.

Pages follow LookupEvents: at most 50 events (`first`, default 50), the cursor being the last
event's time and id. The composite indexes of `AuditEvent` make a page for one principal or
one request a short index range scan whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from pypika_tortoise.terms import Function as SqlFunction
from tortoise.expressions import Function, Q
from tortoise.queryset import QuerySet

from gateway.errors import InvalidInput
from gateway.models import AuditEvent, Outcome
from gateway.services.pagination import INVALID_CURSOR, Page, decode_cursor, encode_cursor

MAX_RESULTS = 50
"""LookupEvents' MaxResults: 1 to 50, 50 by default."""
MAX_FILTER_LENGTH = 2048
INVALID_TIME_RANGE = (
    "The start time must not be after the end time (LookupEvents' InvalidTimeRangeException)."
)


class _Substr(SqlFunction):
    def __init__(self, term: Any, start: Any, length: Any, alias: str | None = None) -> None:
        super().__init__("SUBSTR", term, start, length, alias=alias)


class _Head(Function):
    """`SUBSTR(column, 1, n)`: a case-sensitive prefix test on SQLite and PostgreSQL alike
    (SQLite's LIKE ignores case; PostgreSQL's SUBSTRING also takes patterns, which leaves its
    parameters' types ambiguous)."""

    database_func = _Substr


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to read (see the module docstring); every field optional."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    principal_arn: str | None = None
    action: str | None = None
    resource: str | None = None
    outcome: Outcome | None = None
    error_code: str | None = None
    source_ip: str | None = None
    request_id: str | None = None
    event_id: str | None = None
    event_source: str | None = None
    event_name: str | None = None
    read_only: bool | None = None

    def check(self) -> None:
        """InvalidInput for a filter that can match nothing by construction or is abusive."""
        if self.start_time and self.end_time and self.start_time > self.end_time:
            raise InvalidInput(INVALID_TIME_RANGE)
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, str) and len(value) > MAX_FILTER_LENGTH:
                raise InvalidInput(
                    f"The filter '{item.name}' must be at most {MAX_FILTER_LENGTH} characters."
                )
        for name in ("action", "resource", "principal_arn"):
            value = getattr(self, name)
            if value is not None and "*" in value[:-1]:
                raise InvalidInput(
                    f"The filter '{name}' takes a '*' only at its end (a prefix), got '{value}'."
                )


def filtered(account_id: str, wanted: EventFilter) -> QuerySet[AuditEvent]:
    """The account's events that `wanted` selects (unordered)."""
    wanted.check()
    query = AuditEvent.filter(account_id=account_id)
    if wanted.start_time is not None:
        query = query.filter(occurred_at__gte=wanted.start_time)
    if wanted.end_time is not None:
        query = query.filter(occurred_at__lte=wanted.end_time)
    if wanted.principal_arn is not None:
        query = _match(query, "principal_arn", wanted.principal_arn)
    if wanted.action is not None:
        if wanted.action.endswith("*"):
            query = query.filter(action__istartswith=wanted.action[:-1])
        else:
            query = query.filter(action__iexact=wanted.action)
    if wanted.resource is not None:
        query = _match(query, "resource", wanted.resource)
    exact = {
        "outcome": wanted.outcome.value if wanted.outcome is not None else None,
        "error_code": wanted.error_code,
        "source_ip": wanted.source_ip,
        "request_id": wanted.request_id,
        "event_id": wanted.event_id,
        "event_source": wanted.event_source,
        "event_name": wanted.event_name,
        "read_only": wanted.read_only,
    }
    conditions = {name: value for name, value in exact.items() if value is not None}
    return query.filter(**conditions) if conditions else query


async def lookup_events(
    account_id: str, wanted: EventFilter, *, first: int | None = None, after: str | None = None
) -> Page[AuditEvent]:
    """One page of the account's events that `wanted` selects, newest first."""
    size = _page_size(first)
    query = filtered(account_id, wanted)
    position = _decode(after)
    if position is not None:
        moment, event_id = position
        # Written so that the time bound is a plain range (an index range scan starts there)
        # and the id only breaks ties within one instant.
        query = query.filter(occurred_at__lte=moment).filter(
            Q(occurred_at__lt=moment) | Q(id__lt=event_id)
        )
    rows = await query.order_by("-occurred_at", "-id").limit(size + 1)
    return Page(rows[:size], len(rows) > size, _cursor)


async def events_by_ids(
    account_id: str, ids: Sequence[int], wanted: EventFilter
) -> list[AuditEvent]:
    """Those of the events `ids` that are the account's and that `wanted` selects, in id order
    (what a live subscriber was told about)."""
    if not ids:
        return []
    return await filtered(account_id, wanted).filter(id__in=list(ids)).order_by("id")


async def events_after(
    account_id: str, last_id: int, wanted: EventFilter, *, limit: int = 100
) -> list[AuditEvent]:
    """The account's events with an id above `last_id` that `wanted` selects, in id order (for
    subscribers polling one SQLite database, where ids are committed in order)."""
    query = filtered(account_id, wanted).filter(id__gt=last_id)
    return await query.order_by("id").limit(limit)


async def last_event_id() -> int:
    """The highest event id so far (0 for none)."""
    latest: list[Any] = await AuditEvent.all().order_by("-id").limit(1).values_list("id", flat=True)
    return int(latest[0]) if latest else 0


def _match(query: QuerySet[AuditEvent], column: str, value: str) -> QuerySet[AuditEvent]:
    if not value.endswith("*"):
        return query.filter(**{column: value})
    prefix = value[:-1]
    if not prefix:
        return query
    head = f"{column}_head"
    return query.annotate(**{head: _Head(column, 1, len(prefix))}).filter(**{head: prefix})


def _page_size(first: int | None) -> int:
    if first is None:
        return MAX_RESULTS
    if not 1 <= first <= MAX_RESULTS:
        raise InvalidInput(f"'first' must be between 1 and {MAX_RESULTS}, got {first}.")
    return first


def _cursor(event: AuditEvent) -> str:
    return encode_cursor(f"{event.occurred_at.isoformat()}|{event.id}")


def _decode(cursor: str | None) -> tuple[datetime, int] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    moment, _, event_id = key.rpartition("|")
    try:
        parsed = datetime.fromisoformat(moment)
        number = int(event_id)
    except ValueError:
        raise InvalidInput(INVALID_CURSOR) from None
    if parsed.tzinfo is None:
        raise InvalidInput(INVALID_CURSOR)
    return parsed, number
