"""Long account-wide work that lets the event loop breathe.

One uvicorn worker answers every request, applications' `authorize` calls included, on one
event loop. An analysis of a big account (findings, the credential report, last accessed) is
seconds of pure Python: left in one piece, it would freeze every other caller for as long, so
anyone allowed to ask for a report could stall the gateway. Two tools keep each stretch short:

- `Breather`: awaited in a long loop, it hands the loop over (`asyncio.sleep(0)`) once
  `BREATH_EVERY` of work passed since the last time, and is nearly free otherwise;
- `pages` / `value_pages`: a query read a page at a time (keyset by primary key), because
  Tortoise builds every row of a result on the loop's thread at once (datetimes and JSON
  parsed in Python), which for tens of thousands of rows is itself a long stall.

The database itself stays on the loop (aiosqlite and asyncpg already wait off it); only the
CPU between the awaits is cut up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

BREATH_EVERY = 0.005
"""Seconds of work after which a `Breather` hands the loop over: short enough that other
requests wait a few milliseconds at most, long enough that the hand-overs cost nothing."""

PAGE_ROWS = 500
"""Rows read per page: Tortoise builds five hundred plain rows in some 5 to 15 ms."""

_M = TypeVar("_M", bound=Model)


class Breather:
    """Await `breathe()` in a long loop: it yields to the event loop when `every` seconds
    passed since it last did (or since the breather was made), else returns at once."""

    __slots__ = ("_every", "_since")

    def __init__(self, every: float = BREATH_EVERY) -> None:
        self._every = every
        self._since = time.perf_counter()

    async def breathe(self) -> None:
        """Let other tasks run if this one has held the loop for `every` seconds or more."""
        if time.perf_counter() - self._since >= self._every:
            await asyncio.sleep(0)
            self._since = time.perf_counter()


async def pages(query: QuerySet[_M], size: int = PAGE_ROWS) -> AsyncIterator[list[_M]]:
    """The query's objects, `size` at a time, by primary key (the query's own order is
    replaced: sort what you read if the order matters)."""
    pk = query.model._meta.pk_attr
    last: Any = None
    while True:
        page = query if last is None else query.filter(**{f"{pk}__gt": last})
        found = await page.order_by(pk).limit(size)
        if found:
            yield found
        if len(found) < size:
            return
        last = found[-1].pk


async def value_pages(
    query: QuerySet[_M], *fields: str, size: int = PAGE_ROWS
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """`query.values_list(*fields)`, `size` rows at a time, by primary key (as `pages`)."""
    pk = query.model._meta.pk_attr
    read = fields if pk in fields else (*fields, pk)
    at = read.index(pk)
    last: Any = None
    while True:
        page = query if last is None else query.filter(**{f"{pk}__gt": last})
        found = await page.order_by(pk).limit(size).values_list(*read)
        if found:
            yield [tuple(row[: len(fields)]) for row in found]
        if len(found) < size:
            return
        last = found[-1][at]


async def all_of(query: QuerySet[_M], breather: Breather) -> list[_M]:
    """Every object of the query (in primary-key order), read by `pages`, with `breather`
    given a turn after each page."""
    found: list[_M] = []
    async for page in pages(query):
        found += page
        await breather.breathe()
    return found


async def all_values(
    query: QuerySet[_M], *fields: str, breather: Breather
) -> list[tuple[Any, ...]]:
    """`query.values_list(*fields)` whole (in primary-key order), read by `value_pages`, with
    `breather` given a turn after each page."""
    found: list[tuple[Any, ...]] = []
    async for page in value_pages(query, *fields):
        found += page
        await breather.breathe()
    return found
