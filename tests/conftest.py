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
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from tortoise.context import TortoiseContext

from gateway.db import migrate, tortoise_config
from gateway.models import Account
from gateway.services.accounts import bootstrap_account
from gateway.services.passwords import using_hasher
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from tests.databases import (
    BACKEND,
    PG_SERVER,
    create_pg_database,
    drop_pg_database,
    empty_pg_tables,
)
from tests.helpers import (  # noqa: F401  (also importable from here, as they used to be)
    GOOD_PASSWORD,
    ROOT_EMAIL,
    ROOT_PASSWORD,
    TEST_SECRET_KEY,
    principal_for_root,
    principal_for_user,
)


def pytest_report_header() -> str:
    """Say which database backend the run uses."""
    return f"gateway test database: {BACKEND}"


TESTS = Path(__file__).resolve().parent


BACKEND_FREE = frozenset({"policy", "bench"})
"""Test packages that use no test database (the pure policy engine; the benchmarks, which make
their own): they run on the SQLite pass and are skipped when GATEWAY_TEST_DB=postgres, where
they would only repeat themselves."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ is `e2e` (real servers, a browser) and everything under
    tests/bench/ is `bench`, so `pytest -m "not e2e and not bench"` is the quick lane; tests
    elsewhere that start a server carry the mark themselves (or through a fixture's param).
    On PostgreSQL, the BACKEND_FREE packages are skipped."""
    once = pytest.mark.skip(reason="uses no test database: run on the SQLite pass")
    for item in items:
        try:
            package = item.path.relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if package == "e2e":
            item.add_marker(pytest.mark.e2e)
        elif package == "bench":
            item.add_marker(pytest.mark.bench)
        if BACKEND == "postgres" and package in BACKEND_FREE:
            item.add_marker(once)


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
    name = asyncio.run(create_pg_database("gateway_test"))
    try:
        url = f"{PG_SERVER}/{name}"
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(drop_pg_database(name))


@pytest.fixture
async def database_url(_migrated_template: str, tmp_path: Path) -> str:
    """URL of a migrated database with no rows, private to this test."""
    if BACKEND == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(_migrated_template, path)
        return f"sqlite://{path}"
    await empty_pg_tables(_migrated_template)
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
        name = await create_pg_database("gateway_test_empty")
        created.append(name)
        return f"{PG_SERVER}/{name}"

    yield new
    for name in created:
        await drop_pg_database(name)


# -- the environment of every gateway the tests start ---------------------------------

os.environ["GATEWAY_SECRET_KEY"] = TEST_SECRET_KEY
os.environ["GATEWAY_KEY_HEADER"] = "true"
"""The servers the tests start take `GatewayKey` too (off by default:
tests/graphql/test_credentials.py checks that), so the tests of that scheme keep running against
real servers."""


@pytest.fixture(autouse=True)
async def cheap_hashing() -> AsyncIterator[None]:
    """Argon2id with the smallest parameters: the default costs ~50 ms per hash."""
    with using_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)):
        yield


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
