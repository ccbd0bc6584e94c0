"""A write is answered as failed only when its change was not made (issue 9 item 8): a COMMIT
whose answer is lost after it took effect (a PostgreSQL restart, a dropped connection) is a
success, told by the write's audit event; one that did not take effect fails and changes
nothing. The database is real; only the answer to COMMIT is lost, at the client's end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from gateway.models import AuditEvent, Group
from gateway.services.groups import create_group
from gateway.services.principal import Principal
from tests.databases import BACKEND

LOST = "the connection dropped before COMMIT's answer arrived"


async def lose_commit_answers(monkeypatch: pytest.MonkeyPatch, *, took_effect: bool) -> None:
    """From now on, every transaction's COMMIT raises ConnectionResetError: after the real
    COMMIT took effect (`took_effect`), or after a real ROLLBACK instead."""
    async with in_transaction() as connection:
        wrapper = type(connection)
    real_commit: Callable[[Any], Awaitable[None]] = wrapper.commit
    real_rollback: Callable[[Any], Awaitable[None]] = wrapper.rollback

    async def commit(self: Any) -> None:
        await (real_commit(self) if took_effect else real_rollback(self))
        raise ConnectionResetError(LOST)

    monkeypatch.setattr(wrapper, "commit", commit)


async def test_a_commit_whose_answer_was_lost_but_took_effect_is_a_success(
    db: TortoiseContext, root: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    if BACKEND != "postgres":
        pytest.skip("a SQLite COMMIT is local: its answer cannot be lost")
    await lose_commit_answers(monkeypatch, took_effect=True)
    group = await create_group(root, group_name="Baristas")
    monkeypatch.undo()
    assert await Group.filter(id=group.id).exists()
    assert await AuditEvent.filter(action="iam:CreateGroup", outcome="Allowed").count() == 1


async def test_a_commit_that_did_not_take_effect_fails_and_changes_nothing(
    db: TortoiseContext, root: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    await lose_commit_answers(monkeypatch, took_effect=False)
    with pytest.raises(ConnectionResetError, match=LOST):
        await create_group(root, group_name="Baristas")
    monkeypatch.undo()
    assert not await Group.exists()
    assert not await AuditEvent.filter(action="iam:CreateGroup", outcome="Allowed").exists()
