"""Reading the audit trail: filters, newest-first keyset pages, one account only
(gateway/services/audit_lookup.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway import clock
from gateway.errors import InvalidInput
from gateway.models import AuditEvent, Outcome, PrincipalKind
from gateway.services.audit_lookup import EventFilter, lookup_events
from gateway.services.principal import Principal
from gateway.services.writes import record

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.using(clock.FrozenClock(START)) as frozen:
        assert isinstance(frozen, clock.FrozenClock)
        yield frozen


def user(account_id: str, name: str) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        account_id=account_id,
        arn=f"arn:aws:iam::{account_id}:user/{name}",
        id=f"AIDA{name.upper():0<17}"[:21],
        name=name,
        source_ip="192.0.2.1" if name == "jorge" else "198.51.100.2",
    )


async def names(account_id: str, wanted: EventFilter, **page: object) -> list[str]:
    """`who:action` of each event found, in order."""
    found = await lookup_events(account_id, wanted, **page)  # type: ignore[arg-type]
    return [
        f"{e.principal_arn.rsplit(':', 1)[-1].rsplit('/', 1)[-1]}:{e.action}" for e in found.items
    ]


@pytest.fixture
async def trail(root: Principal, other_root: Principal, frozen: clock.FrozenClock) -> str:
    """A morning of events in the account (and one in another account), a minute apart."""
    await AuditEvent.all().delete()  # the bootstraps' own events
    account = root.account_id
    jorge, maria = user(account, "jorge"), user(account, "maria")
    arn = f"arn:aws:iam::{account}:user/"
    writes = [
        (root, "iam:CreateUser", arn + "jorge", Outcome.ALLOWED, None),
        (root, "iam:CreateUser", arn + "maria", Outcome.ALLOWED, None),
        (jorge, "iam:ListUsers", "*", Outcome.DENIED, "AccessDenied"),
        (
            maria,
            "iam:CreateGroup",
            f"arn:aws:iam::{account}:group/Cashiers",
            Outcome.FAILED,
            "LimitExceeded",
        ),
        (
            jorge,
            "sts:AssumeRole",
            f"arn:aws:iam::{account}:role/shop/Cashier",
            Outcome.ALLOWED,
            None,
        ),
        (root, "iam:DeleteUser", arn + "maria", Outcome.ALLOWED, None),
    ]
    for actor, action, resource, outcome, code in writes:
        frozen.advance(minutes=1)
        await record(actor, action, resource, outcome, error_code=code)
    await record(other_root, "iam:CreateUser", "arn:aws:iam::x:user/z", Outcome.ALLOWED)
    return account


async def test_the_newest_event_comes_first(trail: str) -> None:
    assert await names(trail, EventFilter()) == [
        "root:iam:DeleteUser",
        "jorge:sts:AssumeRole",
        "maria:iam:CreateGroup",
        "jorge:iam:ListUsers",
        "root:iam:CreateUser",
        "root:iam:CreateUser",
    ]


async def test_another_accounts_events_are_never_seen(trail: str, other_root: Principal) -> None:
    assert await names(other_root.account_id, EventFilter()) == ["root:iam:CreateUser"]
    assert "x:user/z" not in repr(await lookup_events(trail, EventFilter()))


CASES = {
    "principal": (
        EventFilter(principal_arn="arn:aws:iam::{a}:user/jorge"),
        ["jorge:sts:AssumeRole", "jorge:iam:ListUsers"],
    ),
    "principal prefix": (
        EventFilter(principal_arn="arn:aws:iam::{a}:user/m*"),
        ["maria:iam:CreateGroup"],
    ),
    "action ignoring case": (
        EventFilter(action="IAM:createuser"),
        ["root:iam:CreateUser", "root:iam:CreateUser"],
    ),
    "action prefix": (
        EventFilter(action="iam:Create*"),
        ["maria:iam:CreateGroup", "root:iam:CreateUser", "root:iam:CreateUser"],
    ),
    "resource": (
        EventFilter(resource="arn:aws:iam::{a}:user/maria"),
        ["root:iam:DeleteUser", "root:iam:CreateUser"],
    ),
    "resource prefix": (
        EventFilter(resource="arn:aws:iam::{a}:role/*"),
        ["jorge:sts:AssumeRole"],
    ),
    "resource prefix is case-sensitive": (
        EventFilter(resource="arn:aws:iam::{a}:USER/*"),
        [],
    ),
    "outcome": (EventFilter(outcome=Outcome.DENIED), ["jorge:iam:ListUsers"]),
    "error code": (EventFilter(error_code="LimitExceeded"), ["maria:iam:CreateGroup"]),
    "source address": (
        EventFilter(source_ip="192.0.2.1"),
        ["jorge:sts:AssumeRole", "jorge:iam:ListUsers"],
    ),
    "read-only": (
        EventFilter(read_only=True),
        ["jorge:sts:AssumeRole", "jorge:iam:ListUsers"],
    ),
    "event source": (EventFilter(event_source="sts.amazonaws.com"), ["jorge:sts:AssumeRole"]),
    "time range": (
        EventFilter(start_time=START + timedelta(minutes=3), end_time=START + timedelta(minutes=5)),
        ["jorge:sts:AssumeRole", "maria:iam:CreateGroup", "jorge:iam:ListUsers"],
    ),
    "combined": (
        EventFilter(principal_arn="arn:aws:iam::{a}:root", action="iam:DeleteUser"),
        ["root:iam:DeleteUser"],
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_filters(trail: str, case: str) -> None:
    wanted, expected = CASES[case]
    fill = {
        name: getattr(wanted, name).replace("{a}", trail)
        for name in ("principal_arn", "resource")
        if getattr(wanted, name) is not None
    }
    concrete = dataclasses.replace(wanted, **fill)
    assert await names(trail, concrete) == expected


async def test_a_request_id_finds_its_events(trail: str) -> None:
    event = await AuditEvent.filter(account_id=trail, action="iam:ListUsers").get()
    await AuditEvent.filter(id=event.id).update(request_id="req-42")
    assert await names(trail, EventFilter(request_id="req-42")) == ["jorge:iam:ListUsers"]
    assert await names(trail, EventFilter(event_id=event.event_id)) == ["jorge:iam:ListUsers"]


async def test_pages_follow_one_another_without_gaps_or_repeats_even_within_one_instant(
    root: Principal, frozen: clock.FrozenClock
) -> None:
    await AuditEvent.all().delete()
    for n in range(7):  # seven events at one instant: only the id orders them
        await record(
            root, "iam:TagUser", f"arn:aws:iam::{root.account_id}:user/u{n}", Outcome.ALLOWED
        )
    frozen.advance(seconds=1)
    for n in range(7, 10):
        await record(
            root, "iam:TagUser", f"arn:aws:iam::{root.account_id}:user/u{n}", Outcome.ALLOWED
        )
    seen: list[str] = []
    after = None
    while True:
        page = await lookup_events(root.account_id, EventFilter(), first=3, after=after)
        seen += [e.resource.rsplit("/", 1)[-1] for e in page.items]
        if not page.has_next:
            break
        after = page.end_cursor
    assert seen == [f"u{n}" for n in reversed(range(10))]


@pytest.mark.parametrize(
    ("wanted", "page", "message"),
    [
        (
            EventFilter(start_time=START, end_time=START - timedelta(seconds=1)),
            {},
            "The start time must not be after the end time (LookupEvents' "
            "InvalidTimeRangeException).",
        ),
        (
            EventFilter(action="iam:*User"),
            {},
            "The filter 'action' takes a '*' only at its end (a prefix), got 'iam:*User'.",
        ),
        (
            EventFilter(resource="x" * 2049),
            {},
            "The filter 'resource' must be at most 2048 characters.",
        ),
        (EventFilter(), {"first": 51}, "'first' must be between 1 and 50, got 51."),
        (EventFilter(), {"first": 0}, "'first' must be between 1 and 50, got 0."),
        (
            EventFilter(),
            {"after": "bm90LWEtY3Vyc29y"},
            "Invalid pagination cursor.",
        ),
    ],
)
async def test_bad_filters_and_pages_are_refused_clearly(
    root: Principal, wanted: EventFilter, page: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await lookup_events(root.account_id, wanted, **page)  # type: ignore[arg-type]
    assert raised.value.message == message


TRICKY = ["a%b", "a_b", "a'b", 'a"b', "a\\b", "a%", "äb", "ab"]


@pytest.mark.parametrize("tricky", TRICKY)
async def test_filter_text_is_data_never_sql_nor_a_pattern(root: Principal, tricky: str) -> None:
    await AuditEvent.all().delete()
    for resource in TRICKY:
        await record(root, "iam:TagUser", resource, Outcome.ALLOWED)
    exact = await lookup_events(root.account_id, EventFilter(resource=tricky))
    assert [e.resource for e in exact.items] == [tricky]
    prefix = await lookup_events(root.account_id, EventFilter(resource=tricky[:2] + "*"))
    assert sorted(e.resource for e in prefix.items) == sorted(
        r for r in TRICKY if r.startswith(tricky[:2])
    )
