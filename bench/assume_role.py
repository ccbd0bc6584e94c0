"""What a role session costs: assumeRole, and the first authorized request under the new session.

Run with ``make bench`` (or ``.venv/bin/python bench/assume_role.py --quick`` for a smoke run).
One gateway (``gateway.app:create_app``, one uvicorn worker on a free port of 127.0.0.1) on a
database seeded as ``graphql_throughput.py`` seeds it (user ``alice`` in three groups with
ten managed policies), plus:

* role ``Cashier`` trusting the account (so alice's own policies must allow
  ``sts:AssumeRole`` on it: an inline policy of hers does), with four of the customer-managed
  policies attached and an inline ``pos:*`` policy;
* an access key of alice's, for the getSessionToken reference.

Each iteration does, one request at a time over one keep-alive connection, in this order:

* ``signIn`` (password, Argon2id) and the first request under its token;
* ``getSessionToken`` (signed with alice's access key) and the first request under it;
* ``assumeRole`` (with alice's bearer token) and the first request under the role session;
* ``assumeRole`` with an inline session policy that no earlier session had (a new Sid
  each time, so the gateway parses and compiles it afresh) and the first request under it;
* a second request under the last role session (warm: its authentication is cached).

"The first request" is ``{ authorize(action: "pos:OpenDrawer", resource: …) { effect } }``:
it authenticates the new token (a session row read: nothing is cached for a new token) and
decides with the principal's policies (a role's compiled policies are cached per role, so all
sessions of Cashier share them; session policies are added per session). Every answer is
checked (the role sessions must be allowed, alice's own sessions denied).

The output is a table of client-side latencies (median, p90, p99 in ms) with the ratio of
each median to getSessionToken's (the same kind of work: one session row, one audit event)
and to signIn's. Nothing is asserted: the exit code is 1 only if something is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from graphql_throughput import (
    PASSWORD,
    USER_NAME,
    BenchError,
    _safe,
    gateway_server,
    run_on_database,
    running,
    seed,
)

ROLE_NAME = "Cashier"
REGISTER = "arn:aws:pos:::register/1"
FIRST_REQUEST = (
    '{ authorize(action: "pos:OpenDrawer", resource: "arn:aws:pos:::register/1") { effect } }'
)
SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) "
    "{ signIn(account: $a, userName: $u, password: $p) { token } }"
)
GET_SESSION_TOKEN = "mutation { getSessionToken { sessionToken } }"
ASSUME = (
    "mutation($arn: String!, $name: String!, $policy: String) { assumeRole(roleArn: $arn, "
    "roleSessionName: $name, policy: $policy) { credentials { sessionToken } } }"
)
ROLE_POLICIES = ("S3Reports", "DynamoOrders", "KmsPayments", "MonitoringRead")


@dataclass
class Fixture:
    account_id: str
    role_arn: str
    key: tuple[str, str]


async def seed_role(database_url: str, seed_value: int) -> Fixture:
    """The throughput benchmark's data, plus the role and alice's access key."""
    from tortoise.context import TortoiseContext

    from gateway.db import tortoise_config
    from gateway.models import ManagedPolicy
    from gateway.services.access_keys import create_access_key
    from gateway.services.attachments import attach_role_policy
    from gateway.services.inline_policies import put_role_policy, put_user_policy
    from gateway.services.principal import Principal
    from gateway.services.roles import create_role

    seeded = await seed(database_url, seed_value)
    account_id = seeded.account_id
    root = Principal.root(account_id)
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = await create_role(
            root, role_name=ROLE_NAME, assume_role_policy_document=json.dumps(trust)
        )
        policies = await ManagedPolicy.filter(account_id=account_id).order_by("name")
        for policy in policies[: len(ROLE_POLICIES)]:
            await attach_role_policy(root, role_name=ROLE_NAME, policy_arn=policy.arn)
        await put_role_policy(
            root,
            role_name=ROLE_NAME,
            policy_name="Till",
            policy_document=json.dumps(allow("pos:*", "arn:aws:pos:::register/*")),
        )
        await put_user_policy(
            root,
            user_name=USER_NAME,
            policy_name="AssumeCashier",
            policy_document=json.dumps(allow("sts:AssumeRole", role.arn)),
        )
        key = await create_access_key(root, USER_NAME)
        return Fixture(account_id, role.arn, (key.key.id, key.secret))


def allow(action: str, resource: str, sid: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid is not None:
        statement["Sid"] = sid
    return {"Version": "2012-10-17", "Statement": [statement]}


class Client:
    """One keep-alive connection; every call timed and checked."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.samples: dict[str, list[float]] = {}

    def call(
        self, label: str, query: str, variables: dict[str, Any] | None = None, **auth: str
    ) -> dict[str, Any]:
        headers = {}
        if "token" in auth:
            headers["Authorization"] = f"Bearer {auth['token']}"
        if "key" in auth:
            headers["Authorization"] = f"GatewayKey {auth['key']}"
        started = time.perf_counter()
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        elapsed = time.perf_counter() - started
        body = response.json()
        if response.status_code != 200 or body.get("errors") or not body.get("data"):
            raise BenchError(f"{label}: unexpected answer {response.status_code} {response.text}")
        self.samples.setdefault(label, []).append(elapsed * 1000)
        data: dict[str, Any] = body["data"]
        return data

    def first_request(self, label: str, token: str, expected: str) -> None:
        effect = self.call(label, FIRST_REQUEST, token=token)["authorize"]["effect"]
        if effect != expected:
            raise BenchError(f"{label}: {effect}, expected {expected}")


def iterate(client: Client, fixture: Fixture, index: int) -> None:
    signed = client.call(
        "signIn", SIGN_IN, {"a": fixture.account_id, "u": USER_NAME, "p": PASSWORD}
    )["signIn"]["token"]
    client.first_request("first request after signIn", signed, "IMPLICIT_DENY")
    key = f"{fixture.key[0]}:{fixture.key[1]}"
    temporary = client.call("getSessionToken", GET_SESSION_TOKEN, key=key)["getSessionToken"]
    client.first_request(
        "first request after getSessionToken", temporary["sessionToken"], "IMPLICIT_DENY"
    )
    variables: dict[str, Any] = {"arn": fixture.role_arn, "name": f"till-{index}"}
    assumed = client.call("assumeRole", ASSUME, variables, token=signed)["assumeRole"]
    client.first_request(
        "first request after assumeRole", assumed["credentials"]["sessionToken"], "ALLOW"
    )
    variables["policy"] = json.dumps(allow("pos:*", REGISTER, sid=f"Iteration{index}"))
    narrowed = client.call("assumeRole + session policy", ASSUME, variables, token=signed)
    token = narrowed["assumeRole"]["credentials"]["sessionToken"]
    client.first_request("first request after assumeRole + session policy", token, "ALLOW")
    client.first_request("second request, role session", token, "ALLOW")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(samples: dict[str, list[float]], iterations: int, db_label: str) -> None:
    reference = statistics.median(samples["getSessionToken"])
    sign_in = statistics.median(samples["signIn"])
    print(
        f"\nassumeRole and the first request under a role session ({db_label}, "
        f"{iterations} iterations, one connection, client-side latency)\n"
    )
    header = (
        f"{'operation':52} {'median':>8} {'p90':>8} {'p99':>8} "
        f"{'x getSessionToken':>18} {'x signIn':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, values in samples.items():
        median = statistics.median(values)
        print(
            f"{label:52} {median:7.2f}ms {percentile(values, 0.9):6.2f}ms "
            f"{percentile(values, 0.99):6.2f}ms {median / reference:17.2f}x "
            f"{median / sign_in:8.2f}x"
        )
    first_role = statistics.median(samples["first request after assumeRole"])
    first_plain = statistics.median(samples["first request after getSessionToken"])
    assume = statistics.median(samples["assumeRole"])
    print(
        f"\nassumeRole / getSessionToken: {assume / reference:.2f}x"
        f"; first request under a role session / under getSessionToken's: "
        f"{first_role / first_plain:.2f}x"
    )


def run(args: argparse.Namespace, database_url: str) -> int:
    print(f"seeding the gateway's database ({_safe(database_url)})", file=sys.stderr)
    fixture = asyncio.run(seed_role(database_url, args.seed))
    server = gateway_server(database_url)
    # The reference path signs with the GatewayKey header, off by default.
    server.env["GATEWAY_KEY_HEADER"] = "true"
    with running([server]), httpx.Client(base_url=server.url, timeout=30) as http:
        client = Client(http)
        for index in range(args.warmup):
            iterate(client, fixture, 1_000_000 + index)
        client.samples.clear()
        for index in range(args.iterations):
            iterate(client, fixture, index)
    report(client.samples, args.iterations, _safe(database_url).split(":")[0])
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 iterations")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.warmup = 5, 1
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_on_database(run, parse_args(argv), prefix="bench-assume-role-")


if __name__ == "__main__":
    sys.exit(main())
