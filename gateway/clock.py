"""The time as the gateway sees it: a seam so that expiry and lockout can be tested."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time (timezone-aware UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant, from the operating system."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self.current

    def monotonic(self) -> float:
        """The instant as seconds, for code that measures intervals as `time.monotonic` does
        (`SessionCache(monotonic=…)`): it moves only when the clock is advanced."""
        return self.current.timestamp()

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a `timedelta(**delta)`."""
        self.current += timedelta(**delta)


_clock: ContextVar[Clock | None] = ContextVar("gateway_clock", default=None)


def now() -> datetime:
    """The current instant by the clock in use."""
    clock = _clock.get()
    # The system clock's `now` inlined: every request asks a few times.
    return _system_now(UTC) if clock is None else clock.now()


_system_now = datetime.now


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Use `clock` for the duration of the block (in this context)."""
    token = _clock.set(clock)
    try:
        yield clock
    finally:
        _clock.reset(token)
