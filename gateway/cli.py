"""The `gateway` command line."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path

from gateway.config import Settings
from gateway.db import migrate, orm
from gateway.errors import GatewayError
from gateway.models import Account
from gateway.services.accounts import bootstrap_account
from gateway.services.builtin import ensure_builtin_policies

DEFAULT_ROOT_EMAIL = "root@gateway.local"


def main(argv: list[str] | None = None) -> int:
    """Run the `gateway` command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve",
        help="apply pending migrations, then run the GraphQL server on GATEWAY_HOST:GATEWAY_PORT",
    )
    export = commands.add_parser(
        "export-schema", help="print the GraphQL schema (SDL), or write it to a file"
    )
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    commands.add_parser(
        "migrate", help="apply the database migrations to GATEWAY_DATABASE_URL, up to the latest"
    )
    bootstrap = commands.add_parser(
        "bootstrap",
        help="create an account and its root user (e-mail and password from the options, "
        "GATEWAY_ROOT_EMAIL / GATEWAY_ROOT_PASSWORD, or generated and printed once)",
    )
    bootstrap.add_argument("--email", help="the root user's e-mail")
    bootstrap.add_argument(
        "--password-stdin", action="store_true", help="read the root password from stdin"
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(Settings.from_env())
    if args.command == "export-schema":
        return _export_schema(Settings.from_env(), args.output)
    if args.command == "migrate":
        asyncio.run(_migrate(Settings.from_env()))
        print("Database schema is up to date.")
    if args.command == "bootstrap":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
        return asyncio.run(_bootstrap(Settings.from_env(), args.email, password))
    return 0


async def _migrate(settings: Settings) -> None:
    """Bring the schema up to date and the AWS-managed policies with it."""
    await migrate(settings.database_url, progress=_report_migration)
    async with orm(settings.database_url):
        await ensure_builtin_policies()


async def _bootstrap(settings: Settings, email: str | None, password: str | None) -> int:
    """Create an account and its root user; print the credentials that were generated."""
    email = email or settings.root_email or DEFAULT_ROOT_EMAIL
    generated = password is None and settings.root_password is None
    password = password or settings.root_password or _generated_password()
    await _migrate(settings)
    return await _create_account(settings, email, password, generated=generated)


async def _create_account(settings: Settings, email: str, password: str, *, generated: bool) -> int:
    async with orm(settings.database_url):
        try:
            account, _ = await bootstrap_account(email=email, password=password)
        except GatewayError as error:
            print(f"bootstrap: {error.message}", file=sys.stderr)
            return 1
    print(f"Created account {account.id} with root user {email}.")
    if generated:
        # Shown once, on the operator's terminal only; never logged, never stored in clear.
        print(f"Root password (shown only now): {password}")
    return 0


async def _first_run(settings: Settings) -> None:
    """On an empty database, bootstrap the first account so that someone can sign in."""
    await _migrate(settings)
    async with orm(settings.database_url):
        empty = not await Account.exists()
    if empty:
        print("No account yet: creating the first one.")
        email = settings.root_email or DEFAULT_ROOT_EMAIL
        password = settings.root_password or _generated_password()
        await _create_account(settings, email, password, generated=settings.root_password is None)


def _generated_password() -> str:
    """A password that meets AWS's default password policy."""
    return f"{secrets.token_urlsafe(18)}-Aa1!"


def _serve(settings: Settings) -> int:
    """Migrate the database, then serve the app with one uvicorn worker until interrupted."""
    import uvicorn

    from gateway.app import create_app

    asyncio.run(_first_run(settings))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        workers=1,
        lifespan="on",
        ws="websockets-sansio",
        ws_max_size=settings.max_body_bytes,
        proxy_headers=False,
        server_header=False,
    )
    return 0


def _export_schema(settings: Settings, output: Path | None) -> int:
    """Print `build_schema(settings)` as SDL, or write it to `output`."""
    from gateway.graphql.schema import build_schema

    sdl = str(build_schema(settings)).rstrip("\n") + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl, encoding="utf-8")
        print(f"Wrote the schema to {output}.")
    return 0


def _report_migration(event: str, app_label: str, name: str) -> None:
    if event == "apply_start":
        print(f"Applying {app_label}.{name} ...", end=" ", flush=True)
    elif event == "rollback_start":
        print(f"Rolling back {app_label}.{name} ...", end=" ", flush=True)
    else:
        print("done")


if __name__ == "__main__":
    sys.exit(main())
