"""What the session cache saves people: `authorize` CPU per request when each user asks every
few hundred milliseconds or more, with the quiet TTL and without it.

Run with ``.venv/bin/python bench/session_cache.py`` (or ``--quick`` for a smoke run).

A program asking many times a second keeps its session cached whatever the settings; people
do not: each of their requests comes seconds after the last. With only the short TTL
(``GATEWAY_SESSION_CACHE_MS``, 0.5 s) nearly every one of their requests reads its session from
the database again; with the quiet TTL (``GATEWAY_SESSION_CACHE_QUIET_MS``, 30 s, while every
change reaches the process) it does not. This bench measures both, in process (the gateway's
ASGI app called directly, no HTTP, so that the figure is the gateway's own CPU):

* the database is seeded as ``graphql_throughput.py`` seeds it (alice, three groups, ten
  managed policies), and alice signs in ``--sessions`` times (one session per user here);
* ``(q) quiet TTL``: the app with the default settings; ``(s) short TTL only``: the same with
  ``GATEWAY_SESSION_CACHE_QUIET_MS=0``; ``(i) quiet TTL, sign-ins``: the default settings
  while somebody else in the account signs in between rounds, as people do all day (a sign-in
  changes no session, so it must not send the others back to the database). Each runs
  ``--rounds`` rounds, ``--spacing`` seconds apart (0.6, past the short TTL), in which every
  session asks one ``authorize`` (the sign-in is not timed); the first round (which reads
  every session anyway) is not counted;
* printed: the process's CPU per ``authorize`` over the counted rounds, per round and overall,
  and the ratios to ``(q)``. No target: the figures say what the quiet TTL is worth, and that
  sign-ins leave it alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import graphql_throughput as load  # noqa: E402  (the shared seed)

SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) "
    "{ signIn(account: $a, userName: $u, password: $p) { token } }"
)
NO_LOCKOUT = "1000000"
Message = dict[str, Any]


def asgi_request(
    body: bytes, token: str | None, client: tuple[str, int] = ("127.0.0.1", 40000)
) -> tuple[dict[str, Any], Any, Any, list[Message]]:
    """A scope, receive and send for one `POST /graphql` of `body` from `client`, as uvicorn
    gives them (what the app sends lands in the list)."""
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"user-agent", b"bench/1.0"),
    ]
    if token is not None:
        headers.append((b"authorization", b"Bearer " + token.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": client,
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    return scope, receive, send, sent


async def call(app: Any, body: dict[str, Any], token: str | None = None) -> Message:
    """POST `body` to the app's /graphql; the decoded answer (it must be 200)."""
    scope, receive, send, sent = asgi_request(json.dumps(body).encode(), token)
    await app(scope, receive, send)
    status = sent[0]["status"]
    answer: Message = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    if status != 200 or answer.get("errors"):
        raise load.BenchError(f"{status}: {answer}")
    return answer


async def measure(
    database_url: str,
    quiet_ms: str | None,
    tokens: list[str],
    seeded: load.Seeded,
    args: Any,
    *,
    signs_in: bool = False,
) -> tuple[list[str], list[float]]:
    """Sign in (if `tokens` is empty) and time the rounds on an app, with a sign-in before
    each round if `signs_in`; the tokens and the CPU per `authorize` of each counted round,
    in seconds."""
    from gateway.app import create_app
    from gateway.config import Settings

    env = {
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_LOCKOUT_IDENTITY_FAILURES": NO_LOCKOUT,
        "GATEWAY_LOCKOUT_ADDRESS_FAILURES": NO_LOCKOUT,
    }
    if quiet_ms is not None:
        env["GATEWAY_SESSION_CACHE_QUIET_MS"] = quiet_ms
    app = create_app(Settings.from_env(env))
    question = {
        "query": load.AUTHORIZE_QUERY,
        "variables": {"action": "iam:GetUser", "resource": seeded.user_arn},
    }
    sign_in = {
        "query": SIGN_IN,
        "variables": {"a": seeded.account_id, "u": load.USER_NAME, "p": load.PASSWORD},
    }
    per_round: list[float] = []
    async with app.router.lifespan_context(app):
        if not tokens:
            for _ in range(args.sessions):
                answer = await call(app, sign_in)
                tokens.append(answer["data"]["signIn"]["token"])
        for round_ in range(args.rounds + 1):
            await asyncio.sleep(args.spacing)
            if signs_in:  # a new session, not one of `tokens`
                await call(app, sign_in)
            started = time.process_time()
            for token in tokens:
                answer = await call(app, question, token)
                if answer["data"]["authorize"]["effect"] != "ALLOW":
                    raise load.BenchError(f"unexpected decision: {answer}")
            if round_ > 0:
                per_round.append((time.process_time() - started) / len(tokens))
    return tokens, per_round


ROWS = (
    ("q", "quiet TTL", None),
    ("s", "short TTL only", "0"),
    ("i", "quiet, sign-ins", None),
)
"""Each measured app: its key, its label and its GATEWAY_SESSION_CACHE_QUIET_MS."""


async def run(args: argparse.Namespace, database_url: str) -> int:
    print(f"seeding ({database_url.split(':')[0]})", file=sys.stderr)
    seeded = await load.seed(database_url, 2024)
    tokens: list[str] = []
    results = {}
    for key, label, quiet_ms in ROWS:
        print(f"measuring ({key}) {label}", file=sys.stderr)
        tokens, results[key] = await measure(
            database_url, quiet_ms, tokens, seeded, args, signs_in=key == "i"
        )
    print(
        f"\n{args.sessions} sessions, each asking one authorize per round, rounds "
        f"{args.spacing:g} s apart, {args.rounds} counted (in process; CPU of the process)"
    )
    print(f"{'':22}{'µs/authorize':>14}  per round")
    for key, label, _ in ROWS:
        rounds = " ".join(f"{1e6 * r:.0f}" for r in results[key])
        print(f"({key}) {label:<17}{1e6 * mean(results[key]):>14.0f}  {rounds}")
    ratio = mean(results["s"]) / mean(results["q"])
    print(f"\nthe short TTL alone costs {ratio:.2f}x the CPU per authorize of the quiet TTL")
    ratio = mean(results["i"]) / mean(results["q"])
    print(f"sign-ins between rounds cost {ratio:.2f}x the CPU per authorize of the quiet TTL")
    return 0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, help="sessions (users) asking (40)")
    parser.add_argument("--rounds", type=int, help="counted rounds (6)")
    parser.add_argument("--spacing", type=float, default=0.6, help="seconds between rounds")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 sessions, 2 rounds")
    args = parser.parse_args(argv)
    defaults = (4, 2) if args.quick else (40, 6)
    for name, default in zip(("sessions", "rounds"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.sessions < 1 or args.rounds < 1 or args.spacing < 0:
        parser.error("--sessions and --rounds must be positive, --spacing not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return load.run_on_database(
        lambda args, url: asyncio.run(run(args, url)), parse_args(argv), prefix="bench-sessions-"
    )


if __name__ == "__main__":
    sys.exit(main())
