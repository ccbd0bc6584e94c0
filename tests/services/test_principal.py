"""The request context a principal brings to every decision, from wherever it calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from gateway import clock
from gateway.services.principal import ADDRESSES_REMEMBERED, Principal

INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(INSTANTS, st.lists(st.integers(min_value=-3_000_000, max_value=3_000_000), max_size=5))
def test_time_keys_are_those_of_the_instant_asked_at(start: datetime, steps_us: list[int]) -> None:
    # Formatted once a second (cached): each request still sees its own second, also when
    # the clock is set back.
    principal = Principal.root("111122223333", session_issued_at=start)
    frozen = clock.FrozenClock(start)
    with clock.using(frozen):
        for step in [0, *steps_us]:
            frozen.advance(microseconds=step)
            now = frozen.now()
            context = principal.request_context()
            assert context["aws:CurrentTime"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert context["aws:EpochTime"] == str(int(now.timestamp()))
            assert context["aws:TokenIssueTime"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_time_keys_follow_the_clock_zone() -> None:
    # One instant, two zones: the cache must not give one zone's text to the other.
    instant = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    principal = Principal.root("111122223333")
    with clock.using(clock.FrozenClock(instant)):
        in_utc = principal.request_context()["aws:CurrentTime"]
    with clock.using(clock.FrozenClock(instant.astimezone(timezone(timedelta(hours=2))))):
        shifted = principal.request_context()["aws:CurrentTime"]
    assert in_utc == "2026-03-01T12:00:00Z"
    assert shifted == "2026-03-01T14:00:00Z"  # as strftime prints it, cached or not


@given(st.lists(st.ip_addresses().map(str), min_size=1, max_size=3 * ADDRESSES_REMEMBERED))
def test_a_principal_from_another_address_is_itself_but_for_aws_source_ip(
    addresses: list[str],
) -> None:
    # Applications ask from their servers, not from where their users signed in: the copy
    # for an address is kept (for the first few), and never tells another address.
    principal = Principal.root("111122223333", session_id="s-1", source_ip="198.51.100.7")
    for address in addresses:
        moved = principal.from_address(address)
        assert moved.request_context()["aws:SourceIp"] == address
        assert moved == Principal.root("111122223333", session_id="s-1", source_ip=address)
    assert principal.from_address("198.51.100.7") is principal
    assert principal.request_context()["aws:SourceIp"] == "198.51.100.7"
    remembered = list(dict.fromkeys(a for a in addresses if a != "198.51.100.7"))
    for address in remembered[:ADDRESSES_REMEMBERED]:
        assert principal.from_address(address) is principal.from_address(address)
