"""The `gateway` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the `gateway` command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the GraphQL server")
    args = parser.parse_args(argv)
    if args.command == "serve":
        print("The policy engine is ready; the GraphQL server arrives with the next issue.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
