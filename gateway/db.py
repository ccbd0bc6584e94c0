"""The database configuration shared by the app, the CLI, the tests and Tortoise's own CLI.

`tortoise_config(url)` is the one Tortoise config of the project: app label `models` (the
label in `"models.User"` references), the models in `gateway.models`, migrations in the
top-level `migrations` package, timezone-aware UTC datetimes, and SQLite through
`gateway.sqlite_client`.

Schema changes go through Tortoise's built-in migrations; from the repository root::

    .venv/bin/tortoise makemigrations      # write migrations/NNNN_….py after a model change
    .venv/bin/tortoise migrate             # apply them (or: gateway migrate)

Tortoise's CLI finds the config through `[tool.tortoise] tortoise_orm` in pyproject.toml,
which points at `gateway.tortoise_cli.TORTOISE_ORM` (built from `GATEWAY_DATABASE_URL` when
that module is imported: nothing here reads the environment on import, so a bad setting
cannot break `gateway --help`).

A SQLite database serves one process: `hold_database(url)` takes an exclusive lock on
`<file>.lock` beside it for the rest of the process's life (the app at start-up, and the
commands that write), so a second process is refused at once with `DatabaseInUse` instead of
failing a share of its writes with "database is locked" later. Its files are the owner's
alone (0600, like `gateway.key`): `secure_sqlite_files(url)`.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import pkgutil
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import ConfigurationError
from tortoise.migrations.api import migrate as _migrate

APP_LABEL = "models"
MODELS_MODULE = "gateway.models"
MIGRATIONS_MODULE = "migrations"
MIGRATIONS_TABLE = "tortoise_migrations"


SQLITE_ENGINE = "gateway.sqlite_client"
"""The engine of every SQLite URL: Tortoise's client with a leaner `BEGIN`."""


def connection_config(database_url: str) -> str | dict[str, Any]:
    """Tortoise's connection settings for `database_url`: the URL itself, except that a SQLite
    one is expanded (as Tortoise would) with `SQLITE_ENGINE` as its engine."""
    try:
        config: dict[str, Any] = expand_db_url(database_url)
    except ConfigurationError:  # Tortoise reports it, as for any URL it cannot read
        return database_url
    if config["engine"] != "tortoise.backends.sqlite":
        return database_url
    config["engine"] = SQLITE_ENGINE
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Return the Tortoise config for the gateway's models on `database_url`."""
    return {
        "connections": {"default": connection_config(database_url)},
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
    secure_sqlite_files(database_url)
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
    secure_sqlite_files(database_url)
    async with TortoiseContext():
        await _migrate(config=tortoise_config(database_url), progress=progress)


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database (it gives them the database file's mode)."""
LOCK_SUFFIX = ".lock"
OWNER_ONLY = 0o600


class DatabaseInUse(Exception):
    """Another process holds the SQLite database; the message is one line for an operator."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a `sqlite://PATH` URL (as Tortoise reads it), or None for another database
    or an in-memory one."""
    parts = urlsplit(database_url)
    if parts.scheme != "sqlite":
        return None
    path = parts.netloc + parts.path
    if not path or path == ":memory:":
        return None
    return Path(path)


def secure_sqlite_files(database_url: str) -> None:
    """Make a SQLite database's file owner-only: created with mode 0600 when missing (SQLite
    then creates its -wal and -shm files with the same mode), and any of its files another
    user could read narrowed to 0600. Nothing to do for PostgreSQL."""
    path = sqlite_path(database_url)
    if path is None:
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if stat.S_IMODE(file.stat().st_mode) & 0o077:
                file.chmod(OWNER_ONLY)


_held: dict[Path, int] = {}
"""Lock files this process holds, by absolute path, with their descriptors (held until exit;
a second `flock` on a new descriptor would conflict with our own)."""


def hold_database(database_url: str) -> None:
    """For a SQLite database, hold its lock file for the rest of this process's life;
    DatabaseInUse if another process holds it. Idempotent; nothing to do for PostgreSQL.

    The lock is `fcntl.flock` on `<file>.lock`: the kernel drops it when the process ends,
    however it ends, so a crash never leaves a stale lock. The descriptor is not inherited by
    child processes.
    """
    path = sqlite_path(database_url)
    if path is None:
        return
    lock = path.with_name(path.name + LOCK_SUFFIX).absolute()
    if lock in _held:
        return
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 32).decode("ascii", "replace").strip()
        os.close(descriptor)
        by = f" (process {holder})" if holder.isdigit() else ""
        raise DatabaseInUse(
            f"Another gateway process{by} is using the SQLite database {path}: SQLite serves "
            "one process; stop it first, or use PostgreSQL to run several."
        ) from None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{os.getpid()}\n".encode())
    _held[lock] = descriptor
