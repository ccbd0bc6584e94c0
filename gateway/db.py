"""The database configuration shared by the app, the CLI, the tests and Tortoise's own CLI.

`tortoise_config(url)` is the one Tortoise config of the project: app label `models` (the
label in `"models.User"` references), the models in `gateway.models`, migrations in the
top-level `migrations` package, timezone-aware UTC datetimes.

Schema changes go through Tortoise's built-in migrations; from the repository root::

    .venv/bin/tortoise makemigrations      # write migrations/NNNN_….py after a model change
    .venv/bin/tortoise migrate             # apply them (or: gateway migrate)

Tortoise's CLI finds the config through `[tool.tortoise] tortoise_orm` in pyproject.toml,
which points at `gateway.tortoise_cli.TORTOISE_ORM` (built from `GATEWAY_DATABASE_URL` when
that module is imported: nothing here reads the environment on import, so a bad setting
cannot break `gateway --help`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as _migrate

APP_LABEL = "models"
MODELS_MODULE = "gateway.models"
MIGRATIONS_MODULE = "migrations"
MIGRATIONS_TABLE = "tortoise_migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Return the Tortoise config for the gateway's models on `database_url`."""
    return {
        "connections": {"default": database_url},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


MigrationProgress = Callable[[str, str, str], object]
"""Called as `progress(event, app_label, migration_name)`; event is `apply_start`,
`apply_done`, `rollback_start` or `rollback_done`."""


@asynccontextmanager
async def orm(database_url: str) -> AsyncIterator[TortoiseContext]:
    """An initialised Tortoise context on `database_url` for the block (CLI commands)."""
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        yield context


def migration_names() -> list[str]:
    """The names of the migrations in `migrations/` (`0001_initial`, …), in order."""
    package = importlib.import_module(MIGRATIONS_MODULE)
    found = pkgutil.iter_modules(package.__path__)
    return sorted(module.name for module in found if module.name[:4].isdigit())


async def pending_migrations(connection: BaseDBAsyncClient) -> list[str]:
    """The migrations in `migrations/` not yet applied to the database of `connection`;
    raises whatever the driver raises when the database does not answer."""
    _, rows = await connection.execute_query(f"SELECT app, name FROM {MIGRATIONS_TABLE}")
    applied = {row["name"] for row in rows if row["app"] == APP_LABEL}
    return [name for name in migration_names() if name not in applied]


async def migrate(database_url: str, progress: MigrationProgress | None = None) -> None:
    """Apply every migration in `migrations/` not yet applied to `database_url`.

    Runs in its own Tortoise context, so it neither needs nor disturbs one the caller has
    open; the context's connections are closed when it returns.
    """
    async with TortoiseContext():
        await _migrate(config=tortoise_config(database_url), progress=progress)
