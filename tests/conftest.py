"""Database fixtures shared by the whole suite.

`GATEWAY_TEST_DB` picks the backend: unset or `sqlite` for SQLite files, `postgres` for
PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust authentication).

The schema always comes from the project's migrations, as in production, never from
`generate_schemas()`. Migrating is the slow part, so it runs once per session:

- SQLite: the session migrates a template file; each test gets its own copy of it.
- PostgreSQL: the session CREATEs a database with a unique name, migrates it, and DROPs it at
  the end, so concurrent runs never see each other's data; each test starts by deleting
  every row.

Tests ask for `db` (an initialised Tortoise context on a clean, migrated database) and just
use the models; `database_url` alone suits tests that start their own gateway process;
`await new_empty_database()` makes databases with no tables at all, for migration tests.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher
from tortoise.context import TortoiseContext

from gateway.db import migrate, tortoise_config
from gateway.models import Account, User
from gateway.services.accounts import bootstrap_account
from gateway.services.passwords import using_hasher
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher

BACKEND = os.environ.get("GATEWAY_TEST_DB", "sqlite").strip().lower() or "sqlite"
if BACKEND not in {"sqlite", "postgres"}:
    raise pytest.UsageError(f"GATEWAY_TEST_DB must be 'sqlite' or 'postgres', got {BACKEND!r}")

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
MIGRATIONS_TABLE = "tortoise_migrations"


def pytest_report_header() -> str:
    """Say which database backend the run uses."""
    return f"gateway test database: {BACKEND}"


TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ is `e2e` (real servers, a browser) and everything under
    tests/bench/ is `bench`, so `pytest -m "not e2e and not bench"` is the quick lane; tests
    elsewhere that start a server carry the mark themselves (or through a fixture's param)."""
    for item in items:
        try:
            package = item.path.relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if package == "e2e":
            item.add_marker(pytest.mark.e2e)
        elif package == "bench":
            item.add_marker(pytest.mark.bench)


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _create_pg_database(prefix: str) -> str:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    return name


async def _drop_pg_database(name: str) -> None:
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _empty_pg_tables(database_url: str) -> None:
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


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per session: a template file or a PG database URL."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("template") / "gateway.db"
        asyncio.run(migrate(f"sqlite://{path}"))
        yield str(path)
        return
    # Sync fixture, own event loops: Tortoise connections must not outlive their loop, and
    # each test runs in a loop of its own.
    name = asyncio.run(_create_pg_database("gateway_test"))
    try:
        url = f"{PG_SERVER}/{name}"
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(_drop_pg_database(name))


@pytest.fixture
async def database_url(_migrated_template: str, tmp_path: Path) -> str:
    """URL of a migrated database with no rows, private to this test."""
    if BACKEND == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(_migrated_template, path)
        return f"sqlite://{path}"
    await _empty_pg_tables(_migrated_template)
    return _migrated_template


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[TortoiseContext]:
    """An initialised Tortoise context on `database_url`, active for the test's duration."""
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        yield context


@pytest.fixture
async def new_empty_database(tmp_path: Path) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """A factory of brand-new databases without any tables, dropped after the test.

    For tests of the migrations themselves, which must start from nothing.
    """
    created: list[str] = []
    numbers = itertools.count()

    async def new() -> str:
        if BACKEND == "sqlite":
            return f"sqlite://{tmp_path / f'empty-{next(numbers)}.db'}"
        name = await _create_pg_database("gateway_test_empty")
        created.append(name)
        return f"{PG_SERVER}/{name}"

    yield new
    for name in created:
        await _drop_pg_database(name)


# -- accounts and principals shared by every test package ------------------------------

TEST_SECRET_KEY = "test-only-seed-key-0123456789abcdef"
"""The GATEWAY_SECRET_KEY of every gateway the tests start (in process or as a server)."""
os.environ["GATEWAY_SECRET_KEY"] = TEST_SECRET_KEY
os.environ["GATEWAY_KEY_HEADER"] = "true"
"""The servers the tests start take `GatewayKey` too (off by default: tests/auth/test_credentials.py
checks that), so the tests of that scheme keep running against real servers."""

ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "Root-Passw0rd"
GOOD_PASSWORD = "Sup3r-Secret"


@pytest.fixture(autouse=True)
async def cheap_hashing() -> AsyncIterator[None]:
    """Argon2id with the smallest parameters: the default costs ~50 ms per hash."""
    with using_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)):
        yield


def principal_for_root(account_id: str) -> Principal:
    """The root user of `account_id` as an acting principal."""
    return Principal.root(account_id)


def principal_for_user(user: User) -> Principal:
    """An IAM user as an acting principal."""
    return Principal.user(user)


@pytest.fixture
async def account(db: TortoiseContext) -> Account:
    """A bootstrapped account (root e-mail ROOT_EMAIL, password ROOT_PASSWORD)."""
    created, _ = await bootstrap_account(email=ROOT_EMAIL, password=ROOT_PASSWORD)
    return created


@pytest.fixture
def root(account: Account) -> Principal:
    """The root user of `account`."""
    return principal_for_root(account.id)


@pytest.fixture
def cipher() -> SeedCipher:
    """The seed cipher of the gateways the tests start."""
    return SeedCipher(TEST_SECRET_KEY)
