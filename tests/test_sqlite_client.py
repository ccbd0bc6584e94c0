"""SQLite through `gateway.sqlite_client`: a transaction starts with `BEGIN` alone, and one left
open on the shared connection is rolled back, never committed by the next write."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from gateway.db import SQLITE_ENGINE, tortoise_config
from gateway.models import Account
from gateway.notifications import is_postgres
from gateway.sqlite_client import GatewaySqliteClient


def test_sqlite_urls_get_the_gateways_engine_and_others_are_left_alone() -> None:
    sqlite = tortoise_config("sqlite:///var/lib/gateway/gateway.db")["connections"]["default"]
    postgres_url = "postgres://gateway@db.internal:5432/gateway"
    postgres = tortoise_config(postgres_url)["connections"]["default"]

    assert sqlite["engine"] == SQLITE_ENGINE
    assert sqlite["credentials"]["file_path"] == "/var/lib/gateway/gateway.db"
    assert postgres == postgres_url


@pytest.fixture
def on_sqlite(database_url: str) -> None:
    if is_postgres(database_url):
        pytest.skip("the SQLite engine")


@pytest.mark.usefixtures("on_sqlite")
async def test_the_gateway_runs_on_its_sqlite_client(db: TortoiseContext) -> None:
    assert isinstance(connections.get("default"), GatewaySqliteClient)


@pytest.mark.usefixtures("on_sqlite")
async def test_a_transaction_begins_with_begin_alone(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = connections.get("default")._connection
    calls: list[str] = []

    def recording(name: str) -> Callable[..., Awaitable[Any]]:
        original = getattr(raw, name)

        async def record(*args: Any) -> Any:
            calls.append(f"{name} {args[0]}" if args else name)
            return await original(*args)

        return record

    for name in ("commit", "rollback", "execute"):
        monkeypatch.setattr(raw, name, recording(name))

    async with in_transaction() as connection:
        await Account.filter(id=account.id).using_db(connection).update(alias="begun")

    assert calls == ["execute BEGIN", "commit"]
    assert (await Account.get(id=account.id)).alias == "begun"


@pytest.mark.usefixtures("on_sqlite")
async def test_a_write_whose_commit_fails_is_rolled_back_at_once(account: Account) -> None:
    # A foreign key checked only at COMMIT makes SQLite refuse the COMMIT and keep the
    # transaction open; the write before the bad row must not stay pending on the connection.
    raw = connections.get("default")._connection

    async def doomed_write() -> None:
        async with in_transaction() as connection:
            await Account.filter(id=account.id).using_db(connection).update(alias="doomed")
            await connection.execute_query("PRAGMA defer_foreign_keys = ON")
            await connection.execute_query(
                "UPDATE accounts SET id = '999999999999' WHERE id = ?", [account.id]
            )

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await doomed_write()

    assert not raw.in_transaction
    await Account.filter(id=account.id).update(name="later")  # outside any transaction
    stored = await Account.get(id=account.id)
    assert stored.alias != "doomed"
    assert stored.name == "later"


@pytest.mark.usefixtures("on_sqlite")
async def test_a_transaction_left_open_is_rolled_back_not_committed_by_the_next_write(
    account: Account,
) -> None:
    # A write whose COMMIT failed leaves its transaction open on the one shared connection;
    # its caller was told it failed. Tortoise's own client would commit it with the next
    # write's (its BEGIN starts with a COMMIT).
    raw = connections.get("default")._connection
    await raw.execute("BEGIN")
    await raw.execute("UPDATE accounts SET name = 'stranded' WHERE id = ?", (account.id,))
    assert raw.in_transaction

    async with in_transaction() as connection:
        await Account.filter(id=account.id).using_db(connection).update(alias="after")

    stored = await Account.get(id=account.id)
    assert stored.alias == "after"
    assert stored.name != "stranded"
    assert not raw.in_transaction
