"""The migrations in `migrations/` build exactly the schema that `gateway.models` describes.

Runs on the backend `GATEWAY_TEST_DB` selects. Three angles:

- Tortoise's autodetector, comparing the models with the state the migration files add up
  to, finds nothing to write (what `tortoise makemigrations` would say: "No changes").
- A fresh database migrated to head has nothing left to apply.
- Its tables, columns, keys and indexes, read back from the database catalogue, equal those of
  a database built straight from the models by `generate_schemas()`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.recorder import MigrationRecorder

import gateway.models
from gateway.db import APP_LABEL, migrate, tortoise_config

MIGRATIONS_TABLE = "tortoise_migrations"
NewDatabase = Callable[[], Awaitable[str]]
Shape = dict[str, dict[str, Any]]


async def test_models_have_no_changes_missing_from_the_migrations(
    db: TortoiseContext, database_url: str
) -> None:
    assert db.apps is not None
    apps_config = tortoise_config(database_url)["apps"]

    writers = await MigrationAutodetector(db.apps, apps_config).changes()

    pending = {writer.name: [op.describe() for op in writer.operations] for writer in writers}
    assert pending == {}, "models changed without a migration: run `tortoise makemigrations`"


async def test_fresh_database_migrated_to_head_has_nothing_left_to_apply(
    new_empty_database: NewDatabase,
) -> None:
    url = await new_empty_database()

    await migrate(url)

    config = tortoise_config(url)
    async with TortoiseContext() as context:
        await context.init(config=config)
        executor = MigrationExecutor(context.db(), config["apps"])
        await executor.loader.build_graph()
        assert await executor.plan() == []
        applied = await MigrationRecorder(context.db()).applied_migrations()
    on_disk = MigrationLoader(config["apps"], MigrationRecorder(None))
    on_disk.load_disk()
    assert set(applied) == set(on_disk.disk_migrations)
    assert applied, "no migration was applied"


async def test_migrating_twice_changes_nothing(new_empty_database: NewDatabase) -> None:
    url = await new_empty_database()
    await migrate(url)
    before = await _shape_of(url)

    await migrate(url)

    assert await _shape_of(url) == before


async def test_migrated_schema_equals_the_schema_generated_from_the_models(
    new_empty_database: NewDatabase,
) -> None:
    migrated_url, generated_url = await new_empty_database(), await new_empty_database()
    await migrate(migrated_url)
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(generated_url))
        await context.generate_schemas(safe=False)

    migrated, generated = await _shape_of(migrated_url), await _shape_of(generated_url)

    assert sorted(migrated) == sorted(model._meta.db_table for model in gateway.models.__models__)
    for table in sorted(generated):
        assert migrated.get(table) == generated[table], f"table {table} differs"


async def test_lookups_the_services_make_are_indexed(database_url: str) -> None:
    shape = await _shape_of(database_url)

    def indexed(table: str, *columns: str, unique: bool = False) -> bool:
        return any(
            cols[: len(columns)] == columns and (is_unique or not unique)
            for cols, is_unique in shape[table]["indexes"]
        )

    for table in ("users", "groups", "managed_policies"):
        assert indexed(table, "account_id", "name_lower", unique=True), table
        assert indexed(table, "arn", unique=True), table
    assert indexed("policy_attachments", "entity_id")
    assert indexed("inline_policies", "entity_id")
    assert indexed("sessions", "token_hash", unique=True)
    assert indexed("audit_events", "occurred_at")
    assert indexed("audit_events", "account_id", "occurred_at")


def test_table_descriptions_have_no_semicolons() -> None:
    # Tortoise puts each model's docstring summary into the DDL as a table comment, and its
    # SQLite backend splits DDL scripts on ";": a semicolon there breaks `migrate` on SQLite.
    for model in gateway.models.__models__:
        assert ";" not in (model._meta.table_description or ""), model.__name__


def test_app_label_matches_the_model_references() -> None:
    assert gateway.models.User._meta.app == APP_LABEL


async def _shape_of(url: str) -> Shape:
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(url))
        return await _schema_shape(context.db())


async def _schema_shape(connection: BaseDBAsyncClient) -> Shape:
    """Tables with their columns, primary key, indexes (by column set) and foreign keys.

    Index and constraint names are left out: they are generated, and need not agree.
    """
    if connection.capabilities.dialect == "sqlite":
        return await _sqlite_shape(connection)
    return await _postgres_shape(connection)


async def _sqlite_shape(connection: BaseDBAsyncClient) -> Shape:
    tables = await connection.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    shape: Shape = {}
    for row in tables:
        table = row["name"]
        if table == MIGRATIONS_TABLE:
            continue
        columns = await connection.execute_query_dict(f'PRAGMA table_info("{table}")')
        indexes = set()
        for index in await connection.execute_query_dict(f'PRAGMA index_list("{table}")'):
            members = await connection.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            names = tuple(m["name"] for m in sorted(members, key=lambda m: m["seqno"]))
            indexes.add((names, bool(index["unique"])))
        foreign_keys = await connection.execute_query_dict(f'PRAGMA foreign_key_list("{table}")')
        shape[table] = {
            "columns": {
                c["name"]: (c["type"].upper(), bool(c["notnull"]), c["dflt_value"]) for c in columns
            },
            "primary_key": tuple(
                c["name"] for c in sorted(columns, key=lambda c: c["pk"]) if c["pk"]
            ),
            "indexes": sorted(indexes),
            "foreign_keys": sorted(
                (fk["from"], fk["table"], fk["to"], fk["on_delete"]) for fk in foreign_keys
            ),
        }
    return shape


_PG_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL"}


async def _postgres_shape(connection: BaseDBAsyncClient) -> Shape:
    columns = await connection.execute_query_dict(
        """
        SELECT table_name, column_name, data_type, character_maximum_length,
               is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'public'
        """
    )
    indexes = await connection.execute_query_dict(
        """
        SELECT t.relname AS table_name, ix.indisunique AS is_unique, ix.indisprimary AS is_pk,
               array_agg(a.attname ORDER BY k.ordinality) AS columns
        FROM pg_index ix
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ordinality)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indisprimary
        """
    )
    foreign_keys = await connection.execute_query_dict(
        """
        SELECT src.relname AS table_name, a.attname AS column_name, dst.relname AS target,
               b.attname AS target_column, c.confdeltype::text AS on_delete
        FROM pg_constraint c
        JOIN pg_class src ON src.oid = c.conrelid
        JOIN pg_class dst ON dst.oid = c.confrelid
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]
        WHERE c.contype = 'f'
        """
    )
    shape: Shape = {}
    for c in columns:
        if c["table_name"] == MIGRATIONS_TABLE:
            continue
        table = shape.setdefault(
            c["table_name"], {"columns": {}, "primary_key": (), "indexes": [], "foreign_keys": []}
        )
        table["columns"][c["column_name"]] = (
            c["data_type"],
            c["character_maximum_length"],
            c["is_nullable"] == "NO",
            c["column_default"],
        )
    for ix in indexes:
        if ix["table_name"] in shape:
            table = shape[ix["table_name"]]
            if ix["is_pk"]:
                table["primary_key"] = tuple(ix["columns"])
            else:
                table["indexes"].append((tuple(ix["columns"]), ix["is_unique"]))
    for fk in foreign_keys:
        if fk["table_name"] in shape:
            shape[fk["table_name"]]["foreign_keys"].append(
                (
                    fk["column_name"],
                    fk["target"],
                    fk["target_column"],
                    _PG_ON_DELETE[fk["on_delete"]],
                )
            )
    for table in shape.values():
        table["indexes"] = sorted(set(table["indexes"]))
        table["foreign_keys"] = sorted(table["foreign_keys"])
    return shape
