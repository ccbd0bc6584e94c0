"""Access activity: allowed decisions tallied in memory, written in batches, summed across
replicas (gateway/services/access_activity.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway import clock
from gateway.models import AccessActivity, PrincipalKind, Role
from gateway.policy import Decision, Effect
from gateway.services import access_activity
from gateway.services.access_activity import (
    ActivityRecorder,
    actions_used,
    services_used,
    used_through_roles,
)
from gateway.services.principal import Principal

ALLOW = Decision(effect=Effect.ALLOW)
DENY = Decision(effect=Effect.IMPLICIT_DENY, denied_by="identity")
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.using(clock.FrozenClock(START)) as frozen:
        assert isinstance(frozen, clock.FrozenClock)
        yield frozen


def jorge(account_id: str) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        account_id=account_id,
        arn=f"arn:aws:iam::{account_id}:user/jorge",
        id="AIDAEXAMPLEJORGE0001",
        name="jorge",
    )


def till_session(account_id: str, source_identity: str | None) -> Principal:
    role = Role(
        id="AROAEXAMPLECASHIER01",
        account_id=account_id,
        name="Cashier",
        path="/shop/",
        arn=f"arn:aws:iam::{account_id}:role/shop/Cashier",
        tags={},
    )
    return Principal.role_session(role, "till-1", source_identity=source_identity)


async def test_allowed_decisions_are_counted_per_principal_and_action_and_denials_are_not(
    root: Principal, frozen: clock.FrozenClock
) -> None:
    recorder = ActivityRecorder()
    user = jorge(root.account_id)
    recorder.note(user, "s3:ListBucket", ALLOW)
    frozen.advance(minutes=5)
    recorder.note(user, "S3:listbucket", ALLOW)  # the same action: IAM ignores case
    recorder.note(user, "iam:ListUsers", DENY)
    assert recorder.pending == 1
    assert await AccessActivity.all().count() == 0, "nothing is written before a flush"

    assert await recorder.flush() == 1
    [row] = await actions_used(root.account_id, user.arn)
    assert (row.action, row.service, row.count) == ("s3:ListBucket", "s3", 2)
    assert (row.first_allowed_at, row.last_allowed_at) == (
        START,
        START.replace(minute=5),
    )
    assert recorder.pending == 0


async def test_two_replicas_add_up_in_one_row_and_the_latest_time_wins(
    root: Principal, frozen: clock.FrozenClock
) -> None:
    one, two = ActivityRecorder(), ActivityRecorder()
    user = jorge(root.account_id)
    for _ in range(3):
        one.note(user, "s3:ListBucket", ALLOW)
    frozen.advance(hours=1)
    for _ in range(4):
        two.note(user, "s3:ListBucket", ALLOW)
    await two.flush()
    await one.flush()  # older news arriving last does not move the time back
    [row] = await actions_used(root.account_id, user.arn)
    assert row.count == 7
    assert row.last_allowed_at == START.replace(hour=13)
    assert row.first_allowed_at == START


async def test_each_key_is_written_at_most_once_per_flush(root: Principal) -> None:
    recorder = ActivityRecorder()
    user = jorge(root.account_id)
    for n in range(1000):
        recorder.note(user, f"pos:Action{n % 3}", ALLOW)
    assert recorder.pending == 3
    assert await recorder.flush() == 3
    assert await AccessActivity.all().count() == 3


async def test_a_role_sessions_use_is_the_roles_with_its_source_identity_beside_it(
    root: Principal,
) -> None:
    recorder = ActivityRecorder()
    account = root.account_id
    recorder.note(till_session(account, "jorge"), "pos:OpenDrawer", ALLOW)
    recorder.note(till_session(account, "jorge"), "pos:OpenDrawer", ALLOW)
    recorder.note(till_session(account, None), "pos:OpenDrawer", ALLOW)
    recorder.note(till_session(account, None), "pos:PrintReceipt", ALLOW)
    await recorder.flush()
    role_arn = f"arn:aws:iam::{account}:role/shop/Cashier"
    by_action = {row.action: row.count for row in await actions_used(account, role_arn)}
    assert by_action == {"pos:OpenDrawer": 3, "pos:PrintReceipt": 1}
    through = await used_through_roles(account, "jorge")
    assert [(r.principal_arn, r.action, r.count) for r in through] == [
        (role_arn, "pos:OpenDrawer", 2)
    ]
    [service] = await services_used(account, role_arn)
    assert (service.service, service.count) == ("pos", 4)


async def test_made_up_actions_cannot_exhaust_memory(root: Principal) -> None:
    recorder = ActivityRecorder(max_pending=10)
    user = jorge(root.account_id)
    for n in range(100):
        recorder.note(user, f"app:Made{n}", ALLOW)
    recorder.note(user, "not an action", ALLOW)
    assert recorder.pending == 10
    assert await recorder.flush() == 10


async def test_accounts_do_not_see_each_others_activity(
    root: Principal, other_root: Principal
) -> None:
    recorder = ActivityRecorder()
    recorder.note(jorge(root.account_id), "s3:ListBucket", ALLOW)
    await recorder.flush()
    assert await actions_used(other_root.account_id, jorge(root.account_id).arn) == []


async def test_a_flush_the_database_refuses_halfway_loses_nothing_and_counts_nothing_twice(
    root: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_activity, "FLUSH_CHUNK", 2)
    real_upsert = access_activity._upsert
    calls = 0

    async def refused_the_second_time(items: list[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the database went away")  # an outage, in the middle
        await real_upsert(items)

    monkeypatch.setattr(access_activity, "_upsert", refused_the_second_time)
    recorder = ActivityRecorder()
    user = jorge(root.account_id)
    for n in range(5):
        recorder.note(user, f"pos:Action{n}", ALLOW)
        recorder.note(user, f"pos:Action{n}", ALLOW)
    assert await recorder.flush() == 2  # the first chunk made it
    assert recorder.pending == 3  # the rest waits for the next flush
    assert await recorder.flush() == 3
    counts = {row.action: row.count for row in await actions_used(root.account_id, user.arn)}
    assert counts == {f"pos:Action{n}": 2 for n in range(5)}
