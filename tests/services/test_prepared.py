"""Prepared statements: the SQL Tortoise would run, made once, run again with new values."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.models import Account, User
from gateway.services.prepared import prepared_select, prepared_update
from gateway.services.principal import Principal
from gateway.services.users import create_user


def by_name(account: str, key: str) -> QuerySet[User]:
    return User.filter(account_id=account, name_lower=key).select_related(
        "account", "permissions_boundary"
    )


BY_NAME = prepared_select(by_name)


def tortoise_sql(query: Any) -> tuple[str, list[Any]]:
    """What Tortoise itself sends for `query`."""
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    return sql, values


async def test_a_select_finds_what_tortoise_finds_with_the_same_sql(root: Principal) -> None:
    await create_user(root, user_name="Alice", path="/staff/")
    await create_user(root, user_name="Bob")

    for key in ("alice", "bob", "nobody"):
        expected = await by_name(root.account_id, key)
        found = await BY_NAME.fetch(root.account_id, key)
        assert [(u.id, u.name, u.path, u.arn, u.tags) for u in found] == [
            (u.id, u.name, u.path, u.arn, u.tags) for u in expected
        ]
    alice = await BY_NAME.first(root.account_id, "alice")
    assert alice is not None
    assert alice.account.id == root.account_id  # select_related: loaded with the row
    assert alice.permissions_boundary is None
    assert await BY_NAME.first(root.account_id, "nobody") is None

    connection = connections.get("default")
    compiled = BY_NAME._compiled[connection.query_class]
    sql, values = tortoise_sql(by_name(root.account_id, "alice"))
    assert (compiled.sql, compiled.bind([root.account_id, "alice"])) == (sql, values)


async def test_values_go_where_their_placeholders_are(root: Principal) -> None:
    await create_user(root, user_name="Alice")
    swapped = prepared_select(
        lambda key, account: User.filter(name_lower=key, account_id=account).limit(1)
    )
    assert [u.name for u in await swapped.fetch("alice", root.account_id)] == ["Alice"]
    assert await swapped.fetch(root.account_id, "alice") == []


async def test_a_locked_select_locks_inside_the_write_where_the_database_can(
    root: Principal,
) -> None:
    await create_user(root, user_name="Alice")
    locked = prepared_select(
        lambda account, key: (
            User.filter(account_id=account, name_lower=key).select_for_update().limit(1)
        )
    )
    async with in_transaction() as tx:
        found = await locked.first(root.account_id, "alice", using=tx)
        assert found is not None
        assert found.name == "Alice"
        compiled = locked._compiled[tx.query_class]
    assert compiled.sql.endswith("FOR UPDATE") == tx.capabilities.support_for_update


async def test_an_update_changes_the_rows_and_counts_them(root: Principal) -> None:
    bump = prepared_update(
        lambda account: Account.filter(id=account).update(
            authz_generation=F("authz_generation") + 1
        )
    )
    before = (await Account.get(id=root.account_id)).authz_generation
    async with in_transaction() as tx:
        assert await bump.run(root.account_id, using=tx) == 1
    assert await bump.run(root.account_id) == 1  # on the connection Tortoise would choose
    assert await bump.run("000000000000") == 0
    assert (await Account.get(id=root.account_id)).authz_generation == before + 2


@pytest.mark.parametrize(
    "build",
    [
        # the value reaches the parameters twice
        lambda name: User.filter(Q(name_lower=name) | Q(name=name)),
        # Tortoise changes it on the way (a LIKE pattern)
        lambda name: User.filter(name__startswith=name),
    ],
)
async def test_placeholders_that_do_not_reach_the_sql_once_unchanged_are_refused(
    root: Principal, build: Any
) -> None:
    statement = prepared_select(build)
    with pytest.raises(ValueError, match="exactly once, unchanged"):
        await statement.fetch("alice")


async def test_a_statement_takes_as_many_values_as_its_builder(root: Principal) -> None:
    with pytest.raises(TypeError, match="takes 2 values, not 1"):
        await BY_NAME.fetch(root.account_id)
