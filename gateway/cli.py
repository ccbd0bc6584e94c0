"""The `gateway` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import errno
import logging
import logging.config
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

from gateway import first_start, logs
from gateway.arns import root_arn
from gateway.config import SettingError, Settings
from gateway.db import DatabaseInUse, MigrationProgress, hold_database, migrate, orm
from gateway.errors import GatewayError
from gateway.first_start import DEFAULT_ROOT_EMAIL, generated_password
from gateway.listeners import HAS_REUSE_PORT, bind_per_worker
from gateway.notifications import is_postgres
from gateway.services.accounts import bootstrap_account
from gateway.services.audit_export import export
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.passwords import configure_hashing
from gateway.services.root_tasks import reset_root_password

WRITING_COMMANDS = frozenset({"serve", "migrate", "bootstrap", "reset-root-password"})
"""Commands that write to the database: on SQLite each holds it for its run
(`gateway.db.hold_database`), so none runs beside a server on the same file."""


def main(argv: list[str] | None = None) -> int:
    """Run the `gateway` command; returns the process exit code.

    A `GATEWAY_*` setting that cannot be understood stops every command, `--help` included,
    with one line naming the variable and exit status 2 (argparse's status for a usage error).
    """
    try:
        configure_hashing(Settings.from_env())
        return _run(argv)
    except SettingError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 2


def _run(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="apply pending migrations, then run the GraphQL server",
        description="Apply pending migrations, then run the GraphQL server (uvicorn, with "
        "uvloop and httptools). Each option's default comes from its environment variable.",
    )
    serve.add_argument(
        "--host", metavar="H", help="interface to listen on (GATEWAY_HOST; default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", metavar="P", type=_port, help="TCP port (GATEWAY_PORT; default 8000)"
    )
    serve.add_argument(
        "--workers",
        metavar="N",
        type=_workers,
        help="server processes sharing the port (GATEWAY_WORKERS; default 1); more than one "
        "needs PostgreSQL (GATEWAY_DATABASE_URL=postgres://…): SQLite is for one process",
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        help="a log line per HTTP request (GATEWAY_ACCESS_LOG; default off: a line costs about "
        "a third of an authorize's CPU)",
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
    reset = commands.add_parser(
        "reset-root-password",
        help="give an account's root user a one-time password (printed once) that must be "
        "changed at the next sign-in; ends every root session (audited)",
    )
    reset.add_argument("--account", required=True, help="the account's 12-digit id")
    audit = commands.add_parser("audit", help="read the audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_export = audit_commands.add_parser(
        "export",
        help="write the audit events of a time range as CloudTrail records: "
        '{"Records": [...]} (CloudTrail\'s log-file format), or JSON lines',
    )
    audit_export.add_argument(
        "--since", required=True, type=_moment, help="from (ISO 8601; UTC unless it says)"
    )
    audit_export.add_argument(
        "--until", type=_moment, help="until, included (ISO 8601; default: now)"
    )
    audit_export.add_argument("--account", help="only this account's events (its id)")
    audit_export.add_argument(
        "--json-lines", action="store_true", help='one record per line instead of {"Records"}'
    )
    audit_export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.command in WRITING_COMMANDS:
        settings = Settings.from_env()
        try:
            hold_database(settings.database_url)
        except DatabaseInUse as error:
            print(f"gateway {args.command}: {error}", file=sys.stderr)
            return 1
    if args.command == "serve":
        return _serve(_serve_settings(Settings.from_env(), args))
    if args.command == "export-schema":
        return _export_schema(Settings.from_env(), args.output)
    if args.command == "migrate":
        asyncio.run(_migrate(Settings.from_env()))
        print("Database schema is up to date.")
    if args.command == "bootstrap":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
        return asyncio.run(_bootstrap(Settings.from_env(), args.email, password))
    if args.command == "reset-root-password":
        return asyncio.run(_reset_root_password(Settings.from_env(), args.account))
    if args.command == "audit":
        return asyncio.run(_export_audit(Settings.from_env(), args))
    return 0


async def _migrate(settings: Settings, progress: MigrationProgress | None = None) -> None:
    """Bring the schema up to date and the AWS-managed policies with it."""
    await migrate(settings.database_url, progress=progress or _report_migration)
    async with orm(settings.database_url):
        await ensure_builtin_policies()


async def _bootstrap(settings: Settings, email: str | None, password: str | None) -> int:
    """Create an account and its root user; print the credentials that were generated."""
    email = email or settings.root_email or DEFAULT_ROOT_EMAIL
    generated = password is None and settings.root_password is None
    password = password or settings.root_password or generated_password()
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
    """Migrate; on an empty database create the first account; name the accounts. With
    `GATEWAY_LOG_FORMAT=json` all of it goes out as JSON log lines."""
    if settings.log_format != "json":
        await _migrate(settings)
        async with orm(settings.database_url):
            await first_start.prepare(settings)
        return
    logging.config.dictConfig(logs.json_config())
    start = logging.getLogger("gateway.start")

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            start.info("Applied %s.%s", app_label, name)

    await _migrate(settings, progress)
    async with orm(settings.database_url):
        await first_start.prepare(settings, start.info)


async def _reset_root_password(settings: Settings, account_id: str) -> int:
    """Reset a lost root password from the host; print the one-time password once."""
    from gateway.services import signin_throttling

    await _migrate(settings)
    async with orm(settings.database_url):
        try:
            password = await reset_root_password(account_id)
        except GatewayError as error:
            print(f"reset-root-password: {error.message}", file=sys.stderr)
            return 1
        # A locked-out owner is exactly who needs this: forget the root user's failures.
        await signin_throttling.clear(signin_throttling.identity_key(root_arn(account_id)))
    print(f"Reset the root password of account {account_id}; every root session has ended.")
    # Shown once, on the operator's terminal only; never logged, never stored in clear.
    print(f"One-time root password (shown only now; change it at the first sign-in): {password}")
    return 0


def _serve_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with the command line's --host, --port, --workers and --access-log over
    the environment's; the environment of the process gets them too, so that every worker
    (which reads its settings afresh) agrees."""
    chosen = {
        name: value
        for name in ("host", "port", "workers", "access_log")
        if (value := getattr(args, name)) is not None
    }
    for name, value in chosen.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        os.environ[f"GATEWAY_{name.upper()}"] = text
    return dataclasses.replace(settings, **chosen) if chosen else settings


def serve_refusal(settings: Settings) -> str | None:
    """Why `gateway serve` cannot start with these settings (one line), or None."""
    if settings.workers > 1 and not is_postgres(settings.database_url):
        return (
            f"gateway serve: {settings.workers} workers need PostgreSQL, and "
            f"GATEWAY_DATABASE_URL is {settings.database_url.split(':', 1)[0]}: SQLite is for "
            "one process (run with --workers 1, or point GATEWAY_DATABASE_URL at postgres://…)"
        )
    try:
        with socket.socket(_family(settings.host), socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((settings.host, settings.port))
    except socket.gaierror:
        return f"gateway serve: cannot listen on {settings.host!r}: no such host or address"
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (
                f"gateway serve: port {settings.port} on {settings.host} is already in use "
                "(another gateway, or another program): stop it, or choose another port with "
                "--port or GATEWAY_PORT"
            )
        if error.errno in (errno.EACCES, errno.EPERM):
            return f"gateway serve: not allowed to listen on port {settings.port}"
        return f"gateway serve: cannot listen on {settings.host}:{settings.port}: {error.strerror}"
    return None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _serve(settings: Settings) -> int:
    """Migrate the database, then serve the app with `settings.workers` uvicorn workers until
    interrupted."""
    import uvicorn

    from gateway.http.coalescing import HTTP_PROTOCOL

    refusal = serve_refusal(settings)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    asyncio.run(_first_run(settings))
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "lifespan": "on",
        "ws": "websockets-sansio",
        "ws_max_size": settings.max_body_bytes,
        "http": HTTP_PROTOCOL,  # each answer in one write (gateway.http.coalescing)
        "proxy_headers": False,
        "server_header": False,
        "access_log": settings.access_log,
        "log_config": logs.uvicorn_log_config(settings.log_format),
    }
    if settings.workers > 1 and HAS_REUSE_PORT:
        _serve_workers(settings, options)
    elif settings.workers > 1:
        # Each worker builds its own app from the environment (set above).
        uvicorn.run("gateway.app:create_app", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
    else:
        from gateway.app import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
    return 0


def _serve_workers(settings: Settings, options: dict[str, object]) -> None:
    """uvicorn's supervisor running `settings.workers` workers, each listening on a socket of
    its own (`gateway.listeners`), so that connections opened at once spread over them."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # Each worker builds its own app from the environment (set by `_serve_settings`).
    config = uvicorn.Config(
        "gateway.app:create_app",
        factory=True,
        workers=settings.workers,
        **options,  # type: ignore[arg-type]
    )
    address = (settings.host, settings.port)
    sock = bind_per_worker(_family(settings.host), address)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d with %d workers, each on a socket of its own "
        "(Press CTRL+C to quit)",
        f"[{settings.host}]" if ":" in settings.host else settings.host,
        sock.getsockname()[1],
        settings.workers,
    )
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:  # as uvicorn.run: the supervisor has stopped its workers
        pass
    finally:
        sock.close()


def _port(text: str) -> int:
    return _bounded(text, "port", 1, 65535)


def _workers(text: str) -> int:
    return _bounded(text, "workers", 1, 64)


def _bounded(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, not {value}")
    return value


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


async def _export_audit(settings: Settings, args: argparse.Namespace) -> int:
    """`gateway audit export`: CloudTrail records of the events from --since to --until."""
    until = args.until or datetime.now(UTC)
    async with orm(settings.database_url):
        try:
            if args.output is None:
                count = await export(
                    sys.stdout,
                    args.since,
                    until,
                    account_id=args.account,
                    json_lines=args.json_lines,
                )
            else:
                with args.output.open("w", encoding="utf-8") as out:
                    count = await export(
                        out,
                        args.since,
                        until,
                        account_id=args.account,
                        json_lines=args.json_lines,
                    )
        except GatewayError as error:
            print(f"audit export: {error.message}", file=sys.stderr)
            return 1
    print(f"Exported {count} audit events.", file=sys.stderr)
    return 0


def _moment(text: str) -> datetime:
    """An ISO 8601 date or time for the command line; UTC unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or time: {text!r} (e.g. 2026-01-31T23:59:59Z)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _report_migration(event: str, app_label: str, name: str) -> None:
    if event == "apply_start":
        print(f"Applying {app_label}.{name} ...", end=" ", flush=True)
    elif event == "rollback_start":
        print(f"Rolling back {app_label}.{name} ...", end=" ", flush=True)
    else:
        print("done")


if __name__ == "__main__":
    sys.exit(main())
