"""Reading the audit trail at scale: a filtered page out of 1,000,000 events, on PostgreSQL.

Run with ``.venv/bin/python bench/audit_lookup.py`` (or ``--quick`` for a smoke run on
20,000 events). It needs PostgreSQL: it creates a database of its own on
``--server`` (default ``postgres://postgres@127.0.0.1:5432``), migrates it, and drops it at
the end (``--keep`` keeps it).

The data: one account with ``--events`` events (1,000,000) over the last 30 days, written
with COPY into the migrated table (indexes in place, as in production), by 300 principals
whose activity is skewed as in real accounts (Zipf: the busiest principal makes ~15 % of the
events, most make few): users, role sessions and root, a realistic mix of IAM/STS actions,
2 % denials, 1 % failures, sign-ins; plus 100,000 events of two other accounts. Then
``ANALYZE``.

What is timed (each ``--samples`` times, interleaved, different principals each time):

* ``principal + 24 h``, the target: one page (50, newest first) of one principal's last
  24 hours, through `gateway.services.audit_lookup.lookup_events` (Tortoise, the SQL the API
  runs); p95 ≤ 50 ms;
* the same through the whole GraphQL stack in process (``auditEvents`` with a root bearer
  token over httpx's ASGI transport: authentication, ``@authorize``, the resolver, 50 events
  serialised with their CloudTrail record);
* adversarial: the busiest principal (150,000 events); a principal quiet for the last day
  but busy before (the range holds nothing); page 20 of one principal (a cursor deep in);
  the newest page of the whole account; a rare action over all 30 days (no index serves
  it: a scan bounded by the time range).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

SERVER = "postgres://postgres@127.0.0.1:5432"
ROOT_EMAIL = "root@bench.example"
ROOT_PASSWORD = "Bench-Root-Passw0rd-1"
OTHERS = ("210987654321", "555555555555")
PRINCIPALS = 300
DAYS = 30
TARGET_P95_MS = 50.0
ACTIONS = [  # (action, weight, resource kind)
    ("sts:AssumeRole", 20, "role"),
    ("iam:GetUser", 12, "user"),
    ("iam:ListUsers", 8, "*"),
    ("iam:ListGroupsForUser", 6, "user"),
    ("gateway:SignIn", 10, "self"),
    ("iam:CreateAccessKey", 3, "user"),
    ("iam:UpdateAccessKey", 2, "user"),
    ("iam:PutUserPolicy", 2, "user"),
    ("iam:AttachRolePolicy", 2, "role"),
    ("iam:TagUser", 3, "user"),
    ("iam:CreateUser", 1, "user"),
    ("iam:DeleteUser", 1, "user"),
    ("iam:ChangePassword", 1, "self"),
    ("sts:GetSessionToken", 4, "self"),
    ("gateway:SignOut", 5, "self"),
    ("iam:ListRoles", 4, "*"),
]
RARE_ACTION = "iam:DeleteAccountPasswordPolicy"
COLUMNS = (
    "event_id", "occurred_at", "account_id", "principal_arn", "action", "resource", "source_ip",
    "outcome", "error_code", "error_message", "request_id", "event_source", "event_name",
    "event_type", "read_only", "user_agent", "user_identity", "request_parameters",
    "response_elements", "details",
)  # fmt: skip


def principals(account: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    """(ARN, userIdentity) of `count` principals: users, role sessions and root."""
    found: list[tuple[str, dict[str, Any]]] = [
        (f"arn:aws:iam::{account}:root", {"type": "Root", "principalId": account})
    ]
    for n in range(count - 1):
        if n % 4 == 3:
            arn = f"arn:aws:sts::{account}:assumed-role/Role{n % 20}/session-{n}"
            identity = {"type": "AssumedRole", "principalId": f"AROAEXAMPLE{n:010d}:session-{n}"}
        else:
            arn = f"arn:aws:iam::{account}:user/staff/user-{n:04d}"
            identity = {
                "type": "IAMUser",
                "principalId": f"AIDAEXAMPLE{n:010d}",
                "userName": f"user-{n:04d}",
            }
        found.append((arn, identity))
    return found


def rows(
    account: str, count: int, now: datetime, rng: random.Random
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """`count` events of `account`, oldest first, and its principals' ARNs by activity."""
    people = principals(account, PRINCIPALS)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(people))]
    actions, action_weights = [a[0] for a in ACTIONS], [a[1] for a in ACTIONS]
    kinds = {a[0]: a[2] for a in ACTIONS}
    span = DAYS * 86_400
    offsets = sorted(rng.random() * span for _ in range(count))
    chosen = rng.choices(range(len(people)), weights, k=count)
    picked = rng.choices(actions, action_weights, k=count)
    result = []
    for offset, who, action in zip(offsets, chosen, picked, strict=True):
        arn, identity = people[who]
        if rng.random() < 0.0002:
            action = RARE_ACTION
        kind = kinds.get(action, "*")
        resource = {
            "user": f"arn:aws:iam::{account}:user/staff/user-{rng.randrange(PRINCIPALS):04d}",
            "role": f"arn:aws:iam::{account}:role/Role{rng.randrange(20)}",
            "self": arn,
        }.get(kind, "*")
        roll = rng.random()
        outcome, code = ("Allowed", None)
        if roll < 0.02:
            outcome, code = "Denied", "AccessDenied"
        elif roll < 0.03:
            outcome, code = "Failed", "NoSuchEntity"
        service, _, name = action.partition(":")
        source, event_type = f"{service}.amazonaws.com", "AwsApiCall"
        if action == "gateway:SignIn":
            source, name, event_type = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"
        result.append(
            (
                str(uuid.uuid4()),
                now - timedelta(seconds=span - offset),
                account,
                arn,
                action,
                resource,
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                outcome,
                code,
                None if code is None else f"{code}: denied or missing ({name})",
                uuid.uuid4().hex,
                source,
                name,
                event_type,
                name.startswith(("Get", "List", "AssumeRole")),
                "aws-cli/2.15.0 Python/3.11.8 Linux/6.1 exe/x86_64",
                json.dumps({**identity, "arn": arn, "accountId": account}),
                json.dumps({"userName": resource.rsplit("/", 1)[-1]}) if kind == "user" else None,
                None,
                json.dumps({"signedWith": "AKIAEXAMPLE"}) if rng.random() < 0.3 else "{}",
            )
        )
    by_activity = [people[i][0] for i in sorted(range(len(people)), key=lambda i: -weights[i])]
    return result, by_activity


async def load(url: str, account_id: str, events: int, seed: int) -> tuple[list[str], datetime]:
    """Fill the database; returns the principals by activity (busiest first) and 'now'."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        busiest: list[str] = []
        for account, count in ((account_id, events), *((a, events // 20) for a in OTHERS)):
            batch_size = 100_000
            made, by_activity = rows(account, count, now, rng)
            if account == account_id:
                busiest = by_activity
            for start in range(0, len(made), batch_size):
                await connection.copy_records_to_table(
                    "audit_events", records=made[start : start + batch_size], columns=COLUMNS
                )
            print(f"  {account}: {count:,} events", file=sys.stderr)
        await connection.execute("ANALYZE audit_events")
        print(f"  loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        size = await connection.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('audit_events'))"
        )
        print(f"  table with indexes: {size}", file=sys.stderr)
    finally:
        await connection.close()
    return busiest, now


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def measure(
    url: str, account_id: str, busiest: list[str], now: datetime, samples: int
) -> dict[str, list[float]]:
    import httpx

    from gateway.app import create_app
    from gateway.config import Settings
    from gateway.db import orm
    from gateway.services.audit_lookup import EventFilter, lookup_events
    from gateway.services.signin import sign_in_root

    day = EventFilter(start_time=now - timedelta(hours=24), end_time=now)
    timings: dict[str, list[float]] = {}
    async with orm(url):
        token = (await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=3600)).token
        app = create_app(Settings(database_url=url, secret_key="bench-secret-key-0123456789"))
        ordinary = busiest[10:]
        quiet = await _quiet_principal(url, account_id, now, busiest)
        deep_cursor = await _cursor_at_page(account_id, busiest[1], 20)

        async def timed(name: str, work: Callable[[], Awaitable[object]]) -> None:
            started = time.perf_counter()
            await work()
            timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)

        transport = httpx.ASGITransport(app=app)
        query = (
            "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) "
            "{ edges { node { eventID eventTime eventName userIdentity { arn } "
            "requestParameters cloudTrailEvent } } pageInfo { endCursor } } }"
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            rng = random.Random(7)
            for n in range(samples):
                principal = rng.choice(ordinary)

                def by_principal(p: str = principal) -> Awaitable[object]:
                    return lookup_events(account_id, _with(day, principal_arn=p))

                await timed("principal + 24 h (service)", by_principal)
                variables = {
                    "f": {
                        "principalArn": principal,
                        "startTime": day.start_time.isoformat(),  # type: ignore[union-attr]
                        "endTime": day.end_time.isoformat(),  # type: ignore[union-attr]
                    }
                }

                async def through_graphql(v: dict[str, Any] = variables) -> None:
                    response = await client.post(
                        "/graphql",
                        json={"query": query, "variables": v},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    body = response.json()
                    if body.get("errors"):
                        raise RuntimeError(body["errors"])

                await timed("principal + 24 h (GraphQL, in process)", through_graphql)
                await timed(
                    "busiest principal + 24 h",
                    lambda: lookup_events(account_id, _with(day, principal_arn=busiest[0])),
                )
                await timed(
                    "quiet principal + 24 h (empty)",
                    lambda: lookup_events(account_id, _with(day, principal_arn=quiet)),
                )
                await timed(
                    "page 20 of one principal",
                    lambda: lookup_events(
                        account_id, EventFilter(principal_arn=busiest[1]), after=deep_cursor
                    ),
                )
                await timed(
                    "newest page of the account", lambda: lookup_events(account_id, EventFilter())
                )
                if n % 5 == 0:
                    await timed(
                        "rare action, 30 days (scan)",
                        lambda: lookup_events(account_id, EventFilter(action=RARE_ACTION)),
                    )
    return timings


def _with(base: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(base, **changes)


async def _quiet_principal(url: str, account: str, now: datetime, busiest: list[str]) -> str:
    connection = await asyncpg.connect(url)
    try:
        for arn in busiest[:60]:
            recent = await connection.fetchval(
                "SELECT count(*) FROM audit_events WHERE account_id = $1 AND principal_arn = $2 "
                "AND occurred_at >= $3",
                account,
                arn,
                now - timedelta(hours=24),
            )
            if recent == 0:
                return arn
        # None quiet: make one, by moving its last day back a week.
        arn = busiest[5]
        await connection.execute(
            "UPDATE audit_events SET occurred_at = occurred_at - interval '7 days' "
            "WHERE account_id = $1 AND principal_arn = $2 AND occurred_at >= $3",
            account,
            arn,
            now - timedelta(hours=24),
        )
        return arn
    finally:
        await connection.close()


async def _cursor_at_page(account: str, principal: str, page: int) -> str | None:
    from gateway.services.audit_lookup import EventFilter, lookup_events

    after = None
    for _ in range(page - 1):
        found = await lookup_events(account, EventFilter(principal_arn=principal), after=after)
        after = found.end_cursor
    return after


def report(timings: dict[str, list[float]], events: int, samples: int) -> int:
    print(
        f"\naudit trail lookups, PostgreSQL, {events:,} events in the account "
        f"(+{events // 10:,} in two others), {samples} samples each"
    )
    print(f"{'query':<42}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, values in timings.items():
        print(
            f"{name:<42}{statistics.median(values):>9.2f}{percentile(values, 0.95):>9.2f}"
            f"{percentile(values, 0.99):>9.2f}{max(values):>9.2f}"
        )
    target = percentile(timings["principal + 24 h (service)"], 0.95)
    verdict = "PASS" if target <= TARGET_P95_MS else "FAIL"
    print(f"\n{verdict}: principal + 24 h p95 {target:.2f} ms (target ≤ {TARGET_P95_MS:.0f} ms)")
    return 0


async def main_async(args: argparse.Namespace) -> int:
    from gateway.db import migrate, orm
    from gateway.services.accounts import bootstrap_account
    from gateway.services.builtin import ensure_builtin_policies

    name = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{args.server}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{args.server}/{name}"
    try:
        await migrate(url)
        async with orm(url):
            await ensure_builtin_policies()
            account, _ = await bootstrap_account(email=ROOT_EMAIL, password=ROOT_PASSWORD)
        print(f"loading {args.events:,} events into {name}", file=sys.stderr)
        busiest, now = await load(url, account.id, args.events, args.seed)
        timings = await measure(url, account.id, busiest, now, args.samples)
        return report(timings, args.events, args.samples)
    finally:
        if not args.keep:
            admin = await asyncpg.connect(f"{args.server}/postgres")
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, help="events in the account (1,000,000)")
    parser.add_argument("--samples", type=int, help="timings per query (200)")
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server ({SERVER})")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 events, 20 samples")
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = 20_000 if args.quick else 1_000_000
    if args.samples is None:
        args.samples = 20 if args.quick else 200
    return args


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    code = asyncio.run(main_async(parse_args(argv)))
    print(f"total {time.perf_counter() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
