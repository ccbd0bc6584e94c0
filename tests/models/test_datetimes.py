"""Stored dates and times come back as the instants that were stored, in UTC, to the
microsecond: on SQLite they are text, which Tortoise parses with ciso8601 (its `accel`
extra, a dependency of the gateway for the speed of every read)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import ciso8601
import pytest
from tortoise.fields import data

from gateway.models import Account, RootUser

INSTANTS = [
    datetime(2026, 12, 5, 6, 30, 0, tzinfo=UTC),
    datetime(2026, 12, 5, 6, 30, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 5, 6, 30, 59, 999_999, tzinfo=UTC),
    datetime(2028, 2, 29, 23, 59, 59, 500_000, tzinfo=timezone(timedelta(hours=5, minutes=45))),
    datetime(1970, 1, 1, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(1901, 3, 4, 5, 6, 7, 89, tzinfo=UTC),
    datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-12))),
]


def test_tortoise_reads_times_with_ciso8601() -> None:
    assert getattr(data, "parse_datetime") is ciso8601.parse_datetime  # noqa: B009


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
async def test_a_stored_instant_reads_back_as_itself_in_utc(
    account: Account, instant: datetime
) -> None:
    await RootUser.filter(account_id=account.id).update(password_last_used=instant)

    stored = await RootUser.get(account_id=account.id)

    assert stored.password_last_used == instant
    assert stored.password_last_used is not None
    assert stored.password_last_used.utcoffset() == timedelta(0)
