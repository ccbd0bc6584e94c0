"""What recording access activity costs: `authorize` throughput with and without it.

Run with ``.venv/bin/python bench/access_activity.py`` (or ``--quick`` for a smoke run).

Two gateways on one database (a temporary SQLite file, or ``--database-url``), one uvicorn
worker each, started alike (SQLite serves one process, so on SQLite the second runs on a copy
of the seeded file, made before either starts):

* ``(a) recording``: ``gateway.app:create_app``, flushing its tallies every second
  (``GATEWAY_ACCESS_ACTIVITY_FLUSH_SECONDS=1``, sixty times the default rate, so that the
  flushes fall inside every measured window);
* ``(b) not recording``: the same app with a recorder that forgets
  (``bench/apps/no_activity.py``).

The load is an application asking `authorize(action: "orders:Refund", resource: …)` for its
own user (a realistic identity policy of a dozen statements), allowed, with its bearer token,
from ``bench/graphql_throughput.py``'s load generator (N keep-alive connections, closed
loop), in interleaved rounds, so drift spreads over both. The target: recording costs at
most 10 % of throughput.

It also times the recorder alone, in process: `note()` per decision for one repeated key and
for 100,000 distinct keys (the adversarial case: every decision a new principal and action),
beside `Authorizer.decide` on a warm cache, and one flush of 10,000 keys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import graphql_throughput as load  # noqa: E402  (the shared load generator and servers)

PASSWORD = "Bench-Passw0rd-1"
ROOT_PASSWORD = "Bench-Root-Passw0rd-1"
QUERY = '{ authorize(action: "orders:Refund", resource: "arn:aws:orders:::order/42") { allowed } }'
TARGET_COST = 0.10


async def seed(database_url: str) -> str:
    """An account, and a user `till` whose policies allow refunds; returns its session token."""
    from gateway.db import migrate, orm
    from gateway.services.accounts import bootstrap_account
    from gateway.services.builtin import ensure_builtin_policies
    from gateway.services.inline_policies import put_user_policy
    from gateway.services.login_profiles import create_login_profile
    from gateway.services.principal import Principal
    from gateway.services.signin import sign_in_user
    from gateway.services.users import create_user

    await migrate(database_url)
    async with orm(database_url):
        await ensure_builtin_policies()
        account, _ = await bootstrap_account(email="root@bench.example", password=ROOT_PASSWORD)
        root = Principal.root(account.id)
        await create_user(root, user_name="till")
        await create_login_profile(root, "till", password=PASSWORD)
        statements = [
            {"Effect": "Allow", "Action": f"orders:{verb}*", "Resource": "arn:aws:orders:::order/*"}
            for verb in ("Refund", "Get", "List", "Create", "Cancel", "Update")
        ] + [
            {"Effect": "Deny", "Action": "orders:Refund", "Resource": "arn:aws:orders:::order/9*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::receipts/*"},
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            },
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
            },
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
        ]
        await put_user_policy(
            root,
            user_name="till",
            policy_name="Till",
            policy_document=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        signed_in = await sign_in_user(account.id, "till", PASSWORD, ttl_seconds=86_400)
        return signed_in.token


def copy_for_another_process(database_url: str) -> str:
    """The URL of a copy of a SQLite database, made beside it: a gateway holds its SQLite file
    for itself (`gateway.db.hold_database`). A PostgreSQL URL is returned as it is."""
    from gateway.db import sqlite_path

    path = sqlite_path(database_url)
    if path is None:
        return database_url
    copy = path.with_name(f"{path.stem}-copy{path.suffix}")
    with (
        contextlib.closing(sqlite3.connect(path)) as source,
        contextlib.closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    return f"sqlite://{copy}"


def loads(database_url: str, token: str) -> list[load.Load]:
    """(a) the gateway recording, (b) the same app forgetting: one `authorize` load on each."""
    recording = load.gateway_server(database_url, "recording")
    recording.env["GATEWAY_ACCESS_ACTIVITY_FLUSH_SECONDS"] = "1"
    forgetful = load.Server(
        "b",
        "not recording",
        "apps.no_activity:create_app",
        uvicorn_args=("--factory", "--app-dir", str(BENCH)),
        env={"GATEWAY_DATABASE_URL": copy_for_another_process(database_url)},
    )
    headers = {"Authorization": f"Bearer {token}"}
    return [
        load.Load("a", "recording", recording, QUERY, headers=dict(headers)),
        load.Load("b", "not recording", forgetful, QUERY, headers=dict(headers)),
    ]


def check(measured: load.Load) -> None:
    """The answer must allow; it is then the exact body every response is compared with."""
    import httpx

    response = httpx.post(
        f"{measured.server.url}/graphql",
        json=load.graphql_request(measured),
        headers=measured.headers,
        timeout=10,
    )
    body = response.json()
    if response.status_code != 200 or body != {"data": {"authorize": {"allowed": True}}}:
        raise load.BenchError(f"{measured.label} answered {response.status_code} {body}")
    measured.expected_body = response.content


def recorder_alone(database_url: str, n: int) -> dict[str, float]:
    """Microseconds per `note()` (one key; n distinct keys), per warm `decide`, per flush."""
    from gateway.db import orm
    from gateway.models import Session
    from gateway.policy import Decision, Effect
    from gateway.services.access_activity import ActivityRecorder
    from gateway.services.authorization import Authorizer
    from gateway.services.principal import SESSION_RELATED, Principal, principal_of

    allow = Decision(effect=Effect.ALLOW)

    async def timed() -> dict[str, float]:
        async with orm(database_url):
            session = await Session.filter(user__name="till").first()
            assert session is not None
            await session.fetch_related(*SESSION_RELATED)
            principal: Principal = principal_of(session, source_ip="127.0.0.1")
            authorizer = Authorizer()
            await authorizer.decide(principal, 0, "orders:Refund", "arn:aws:orders:::order/42")
            started = time.perf_counter()
            for _ in range(n):
                await authorizer.decide(principal, 0, "orders:Refund", "arn:aws:orders:::order/42")
            decide = (time.perf_counter() - started) / n * 1e6
            recorder = ActivityRecorder(max_pending=200_000)
            started = time.perf_counter()
            for _ in range(n):
                recorder.note(principal, "orders:Refund", allow)
            one_key = (time.perf_counter() - started) / n * 1e6
            recorder = ActivityRecorder(max_pending=200_000)
            actions = [f"orders:Action{i}" for i in range(n)]
            started = time.perf_counter()
            for action in actions:
                recorder.note(principal, action, allow)
            many_keys = (time.perf_counter() - started) / n * 1e6
            flush_recorder = ActivityRecorder()
            for action in actions[:10_000]:
                flush_recorder.note(principal, action, allow)
            started = time.perf_counter()
            await flush_recorder.flush()
            flush = (time.perf_counter() - started) * 1e3
            return {
                "decide_us": decide,
                "note_one_key_us": one_key,
                "note_new_keys_us": many_keys,
                "flush_10000_ms": flush,
            }

    return asyncio.run(timed())


def run(args: argparse.Namespace, database_url: str) -> int:
    print(f"seeding ({database_url.split(':')[0]})", file=sys.stderr)
    token = asyncio.run(seed(database_url))
    both = loads(database_url, token)
    runs: dict[str, list[load.Measurement]] = {each.key: [] for each in both}
    with load.running([each.server for each in both]):
        for each in both:
            check(each)
        for round_ in range(args.rounds):
            order = both if round_ % 2 == 0 else list(reversed(both))
            for each in order:
                measured = load.measure(each, round_, args)
                if measured.failures:
                    raise load.BenchError(f"{each.label}: {measured.failure_samples}")
                runs[each.key].append(measured)
                print(f"round {round_ + 1} {each.label}: {measured.rps:.0f} req/s", file=sys.stderr)
    alone = recorder_alone(database_url, 10_000 if args.quick else 100_000)
    rows = {each.key: load.summarise(each.label, runs[each.key]) for each in both}
    recording, baseline = rows["a"], rows["b"]
    ratios = [a.rps / b.rps for a, b in zip(runs["a"], runs["b"], strict=True)]
    # Requests per second of server CPU: what a request costs the server, which other tenants
    # of a shared machine disturb far less than they disturb wall-clock throughput.
    efficiency = [
        (a.rps / a.server_cpu) / (b.rps / b.server_cpu)
        for a, b in zip(runs["a"], runs["b"], strict=True)
        if a.server_cpu and b.server_cpu
    ]
    # Verdict on a median of per-round ratios (a round's two servers run back to back), on CPU
    # efficiency where /proc tells the server's CPU time, else on throughput.
    cost = 1 - statistics.median(efficiency or ratios)
    print(
        f"\nauthorize throughput, {args.connections} connections, {args.rounds} rounds of "
        f"{args.duration:.0f} s ({database_url.split(':')[0]})"
    )
    print(f"{'server':<20}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}  rounds")
    for row in (recording, baseline):
        rounds = ", ".join(f"{r:.0f}" for r in row.rps_rounds)
        print(
            f"{row.label:<20}{row.rps:>10.0f}{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}"
            f"{row.requests:>10}  {rounds}"
        )
    print(
        f"recording / not recording, per round: {', '.join(f'{r:.3f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.3f})"
    )
    if efficiency:
        print(
            "recording / not recording, requests per server CPU-second, per round: "
            f"{', '.join(f'{r:.3f}' for r in efficiency)} "
            f"(median {statistics.median(efficiency):.3f})"
        )
    print("\nthe recorder alone (in process):")
    print(f"  Authorizer.decide, warm cache     {alone['decide_us']:8.2f} µs")
    print(f"  note(), one key again and again   {alone['note_one_key_us']:8.2f} µs")
    print(f"  note(), a new key every time      {alone['note_new_keys_us']:8.2f} µs")
    print(f"  flush of 10,000 keys              {alone['flush_10000_ms']:8.1f} ms")
    verdict = "PASS" if cost <= TARGET_COST else "FAIL"
    print(
        f"\n{verdict}: recording costs {cost * 100:.1f} % of authorize throughput "
        f"({'per CPU-second' if efficiency else 'per second'}, median of the rounds; "
        f"target ≤ {TARGET_COST * 100:.0f} %)"
    )
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, help="seconds measured per round (5)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (6)")
    parser.add_argument("--connections", type=int, help="keep-alive connections (32)")
    parser.add_argument("--warmup", type=float, help="untimed seconds before each round")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s, 2 rounds")
    args = parser.parse_args(argv)
    defaults = (1.0, 2, 8) if args.quick else (5.0, 6, load.TARGET_CONNECTIONS)
    for name, default in zip(("duration", "rounds", "connections"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.warmup is None:
        args.warmup = min(1.0, args.duration / 5)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return load.run_on_database(run, parse_args(argv), prefix="bench-activity-")


if __name__ == "__main__":
    sys.exit(main())
