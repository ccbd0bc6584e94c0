"""Instructions per `authorize`, in process, beside bare Starlette's: figures that do not move.

Run with ``.venv/bin/python bench/instructions.py`` (or ``--quick`` for a smoke run); it needs
valgrind (``apt-get install valgrind``).

On a shared machine the timings of `graphql_throughput.py` move by a third from run to run
(another tenant's load, the CPU's clock), far more than one step of work on the hot path is
worth. Instructions do not: this bench counts them with callgrind and gives figures that two
runs of the same code agree on to about 0.1 %, to compare code by (time under load follows,
less than one for one: see README.md, "Counting instructions"). For each app:

* the database is seeded as ``graphql_throughput.py`` seeds it (alice, three groups, ten
  managed policies), and a process of its own runs under ``valgrind --tool=callgrind
  --instr-atstart=no``: it makes the app, signs alice in, sends ``--warmup`` requests, then
  has callgrind count while it sends K requests to the ASGI app directly (no HTTP: the app's
  own work), each a new scope, receive and send, as uvicorn gives them;
* that is done with K = ``--requests`` and K = 3 * ``--requests``, and the difference,
  divided by 2 * ``--requests``, is the app's instructions per request (what is counted once,
  such as switching callgrind on and off, falls out);
* the rows: ``(a)`` the gateway's ``authorize`` as alice (graphql_throughput's request, from
  another address than her session's, as applications ask), ``(d)`` bare Starlette
  (``apps/bare.py``) and ``(0)`` an app that answers nothing, the driver's own cost, which is
  taken off both for the ratio printed last: the gateway's own work per request in units of
  bare Starlette's. No target: `graphql_throughput.py` has the targets; these are the figures
  to tell whether a change made the hot path cheaper.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import graphql_throughput as load  # noqa: E402  (the shared seed and request)
import session_cache  # noqa: E402  (requests to an ASGI app, signing in)

ROWS = (
    ("a", "gateway authorize"),
    ("d", "bare starlette"),
    ("0", "driver alone"),
)
"""Each counted app: its key (the `--child` argument) and its label."""
CLIENT = ("198.51.100.20", 40000)
"""The application's address (alice signed in from 127.0.0.1)."""


async def count(key: str, database_url: str, seeded: dict[str, str], warmup: int, n: int) -> None:
    """In the child, under callgrind: counted while `n` requests go to app `key`."""
    from gateway.app import create_app
    from gateway.config import Settings

    app = create_app(Settings.from_env({"GATEWAY_DATABASE_URL": database_url}))
    question = {
        "query": load.AUTHORIZE_QUERY,
        "variables": {"action": "iam:GetUser", "resource": seeded["user_arn"]},
    }
    body = json.dumps(question).encode()
    target: Any = app
    token: str | None = None
    if key == "d":
        from apps.bare import app as target
    elif key == "0":

        async def target(scope: Any, receive: Any, send: Any) -> None:
            return None

    async with app.router.lifespan_context(app):
        if key == "a":
            sign_in = {
                "query": session_cache.SIGN_IN,
                "variables": {"a": seeded["account_id"], "u": load.USER_NAME, "p": load.PASSWORD},
            }
            answered = await session_cache.call(app, sign_in)
            token = answered["data"]["signIn"]["token"]
        for _ in range(warmup):
            await _send(target, body, token, key)
        _callgrind("on")
        for _ in range(n):
            scope, receive, send, _sent = session_cache.asgi_request(body, token, CLIENT)
            await target(scope, receive, send)
        _callgrind("off")


async def _send(target: Any, body: bytes, token: str | None, key: str) -> None:
    """One request, checked: a 200 with alice's Allow from the gateway, a 200 from Starlette."""
    scope, receive, send, sent = session_cache.asgi_request(body, token, CLIENT)
    await target(scope, receive, send)
    if key == "0":
        return
    answer = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    if sent[0]["status"] != 200 or answer.get("errors"):
        raise load.BenchError(f"{sent[0]['status']}: {answer}")
    if key == "a" and answer["data"]["authorize"]["effect"] != "ALLOW":
        raise load.BenchError(f"unexpected decision: {answer}")


def _callgrind(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "--instr=" + switch, str(os.getpid())],
        capture_output=True,
        check=True,
        timeout=60,
    )


def counted(key: str, n: int, database_url: str, seeded: load.Seeded, args: Any) -> int:
    """The instructions callgrind counted in a child sending `n` requests to app `key`."""
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        out = Path(tmp) / "callgrind.out"
        child = {"account_id": seeded.account_id, "user_arn": seeded.user_arn}
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            key,
            "--database-url",
            database_url,
            "--seeded",
            json.dumps(child),
            "--warmup",
            str(args.warmup),
            "--requests",
            str(n),
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if run.returncode != 0:
            raise load.BenchError(f"({key}) under valgrind: {run.stderr[-2000:]}")
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if totals is None:
            raise load.BenchError(f"({key}): callgrind wrote no totals")
        return int(totals.group(1))


def run(args: argparse.Namespace, database_url: str) -> int:
    print(f"seeding ({database_url.split(':')[0]})", file=sys.stderr)
    seeded = asyncio.run(load.seed(database_url, args.seed))
    if database_url.startswith("sqlite"):
        # Each child holds the file for its lifespan: every one gets a copy of its own.
        source = database_url.removeprefix("sqlite://")
        urls = {}
        for key, _ in ROWS:
            for n in (args.requests, 3 * args.requests):
                copy = f"{source}.{key}{n}"
                shutil.copyfile(source, copy)
                urls[key, n] = f"sqlite://{copy}"
    else:
        raise load.BenchError("each counted process needs a database of its own: use SQLite")
    jobs = [(key, n) for key, _ in ROWS for n in (args.requests, 3 * args.requests)]
    print(f"counting {len(jobs)} runs under valgrind, two at a time", file=sys.stderr)

    def counted_job(job: tuple[str, int]) -> int:
        key, n = job
        return counted(key, n, urls[job], seeded, args)

    with ThreadPoolExecutor(max_workers=2) as pool:
        totals = dict(zip(jobs, pool.map(counted_job, jobs), strict=True))
    per_request = {
        key: (totals[key, 3 * args.requests] - totals[key, args.requests]) / (2 * args.requests)
        for key, _ in ROWS
    }
    print(
        f"\ninstructions per request, in process ({args.requests} and {3 * args.requests} "
        "requests counted; the difference over the difference)"
    )
    for key, label in ROWS:
        print(f"({key}) {label:<20}{per_request[key]:>12,.0f}")
    driver = per_request["0"]
    gateway, bare = per_request["a"] - driver, per_request["d"] - driver
    print(
        f"\nbeyond the driver: (a) {gateway:,.0f}, (d) {bare:,.0f}: "
        f"the gateway's authorize costs {gateway / bare:.2f}x bare Starlette's instructions"
    )
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, help="K: requests counted (300)")
    parser.add_argument("--warmup", type=int, default=50, help="requests before counting")
    parser.add_argument("--seed", type=int, default=2024, help="seeds the gateway's data")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--quick", action="store_true", help="smoke run: K = 20")
    parser.add_argument("--child", choices=[key for key, _ in ROWS], help=argparse.SUPPRESS)
    parser.add_argument("--seeded", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.requests is None:
        args.requests = 20 if args.quick else 300
    if args.requests < 1 or args.warmup < 1:
        parser.error("--requests and --warmup must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        seeded = json.loads(args.seeded)
        asyncio.run(count(args.child, args.database_url, seeded, args.warmup, args.requests))
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("SKIP: valgrind is not installed (apt-get install valgrind): nothing counted")
        return 0
    return load.run_on_database(run, args, prefix="bench-instructions-")


if __name__ == "__main__":
    sys.exit(main())
