"""The `gateway` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gateway.config import Settings
from gateway.db import migrate


def main(argv: list[str] | None = None) -> int:
    """Run the `gateway` command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the GraphQL server")
    commands.add_parser(
        "migrate", help="apply the database migrations to GATEWAY_DATABASE_URL, up to the latest"
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        print("The policy engine is ready; the GraphQL server arrives with the next issue.")
    elif args.command == "migrate":
        asyncio.run(migrate(Settings.from_env().database_url, progress=_report_migration))
        print("Database schema is up to date.")
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
