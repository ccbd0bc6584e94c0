"""The test databases: which backend the run uses (`GATEWAY_TEST_DB`), and PostgreSQL's
administration (create, drop, empty) for the fixtures in `tests/conftest.py` and the tests that
start gateways of their own."""

from __future__ import annotations

import os
import secrets

import asyncpg
import pytest

BACKEND = os.environ.get("GATEWAY_TEST_DB", "sqlite").strip().lower() or "sqlite"
if BACKEND not in {"sqlite", "postgres"}:
    raise pytest.UsageError(f"GATEWAY_TEST_DB must be 'sqlite' or 'postgres', got {BACKEND!r}")

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
MIGRATIONS_TABLE = "tortoise_migrations"


async def pg_admin(statement: str) -> None:
    """Run one statement on the server's `postgres` database."""
    connection = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_pg_database(prefix: str) -> str:
    """Create a database with a unique name starting with `prefix`; return its name."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    return name


async def drop_pg_database(name: str) -> None:
    """Drop the database `name`, closing its connections."""
    await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty_pg_tables(database_url: str) -> None:
    """Delete every row of every table but the migrations' record."""
    # DELETE, not TRUNCATE: on these tiny tables it takes ~2 ms where TRUNCATE takes ~70 ms.
    # Foreign-key triggers are off for the statement batch (replica role; we are superuser),
    # so the tables can be emptied in any order.
    connection = await asyncpg.connect(database_url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1",
            MIGRATIONS_TABLE,
        )
        deletes = "".join(f'DELETE FROM "{row["tablename"]}"; ' for row in tables)
        await connection.execute(
            f"SET session_replication_role = replica; {deletes}"
            "SET session_replication_role = DEFAULT;"
        )
    finally:
        await connection.close()
