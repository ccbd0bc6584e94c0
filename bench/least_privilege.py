"""What keeping least privilege costs on a big account: findings, the credential report, last
accessed, policy generation and policy validation.

Run with ``make bench`` (or ``.venv/bin/python bench/least_privilege.py --quick``). For each
scale (users in the account: 1,000 and 5,000 by default) the script seeds, straight into the
tables (the services' rules are tested elsewhere; seeding through them would take minutes),
an account shaped like a real one:

* the users, a console password each (a fixed hash), an access key for one in three, one
  enabled MFA device for one in two;
* 20 groups of users (each user in two), each group with a managed policy of 12 statements
  (exact actions, `svc:Get*` patterns, ARNs, `${aws:username}`), one in ten users with an
  inline policy of their own;
* 50 roles, half with a policy attached;
* access activity (one row per principal and action, as the gateway writes it) for two in
  three users and half the roles, 8 actions each, some recent, some older than the age;
* the adversarial principal `hoarder`: one policy granting 400 actions by name, and 400
  activity rows, so that working out what it left unused compares 400 grants with 400 uses.

Then it times, a few rounds each, median and worst:

* ``findings``: `gateway.services.findings.list_findings` — the whole analysis of the account
  and the first page (the first round opens every finding, the next ones find nothing new);
* ``credential report``: GenerateCredentialReport (a new report each round) and reading it;
* ``last accessed``: a report for a group (its policies, its members' activity) and for a
  managed policy attached to every group;
* ``policy generation``: a policy for one user from 90 days of activity, and for `hoarder`;
* ``validatePolicy``: the checks on a 6,000-character policy (pure: no database).

Nothing is asserted: figures are printed for reading (there is no speed target for these
reports; AWS itself makes the caller wait for most of them). Exit 1 only if something breaks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROUNDS = 5
GROUPS = 20
ROLES = 50
AGE = 90
HOARDED = 400


def _statements(index: int) -> list[dict[str, Any]]:
    services = ["s3", "dynamodb", "sqs", "orders", "pos", "kms"]
    found = []
    for n in range(12):
        service = services[(index + n) % len(services)]
        if n % 3 == 0:
            action: str | list[str] = f"{service}:Get*"
        else:
            action = [f"{service}:Action{index % 7}{n}", f"{service}:Other{n}"]
        resource = (
            f"arn:aws:{service}:::home/${{aws:username}}/*"
            if n % 4 == 0
            else f"arn:aws:{service}:::r{n}"
        )
        found.append({"Effect": "Allow", "Action": action, "Resource": resource})
    return found


async def seed(database_url: str, users: int, rng: random.Random) -> dict[str, Any]:
    """An account of `users` users as the module docstring describes; its ids and ARNs."""
    from gateway import arns, clock
    from gateway.db import migrate
    from gateway.ids import (
        ACCESS_KEY_PREFIX,
        GROUP_PREFIX,
        POLICY_PREFIX,
        ROLE_PREFIX,
        USER_PREFIX,
        new_unique_id,
    )
    from gateway.models import (
        AccessActivity,
        AccessKey,
        Group,
        GroupMembership,
        InlinePolicy,
        LoginProfile,
        ManagedPolicy,
        MfaDevice,
        PolicyAttachment,
        PolicyVersion,
        Role,
        User,
    )
    from gateway.services.accounts import bootstrap_account

    await migrate(database_url)
    account, _ = await bootstrap_account(
        email=f"bench-{rng.randrange(10**9)}@example.com", password="Bench-Passw0rd"
    )
    account_id = account.id
    now = clock.now()
    old = now - timedelta(days=200)
    document = {"Version": "2012-10-17", "Statement": []}

    user_rows = []
    for i in range(users):
        name = f"user{i:05d}"
        user_rows.append(
            User(
                id=new_unique_id(USER_PREFIX),
                account_id=account_id,
                name=name,
                name_lower=name,
                arn=arns.user_arn(account_id, "/", name),
                created_at=old,
                password_last_used=now - timedelta(days=rng.randrange(0, 200)),
            )
        )
    hoarder = User(
        id=new_unique_id(USER_PREFIX),
        account_id=account_id,
        name="hoarder",
        name_lower="hoarder",
        arn=arns.user_arn(account_id, "/", "hoarder"),
        created_at=old,
    )
    await User.bulk_create([*user_rows, hoarder], batch_size=500)
    # auto_now_add set created_at to now: put the users back in the past.
    await User.filter(account_id=account_id).update(created_at=old)
    await LoginProfile.bulk_create(
        [LoginProfile(user_id=u.id, password_hash="x" * 60, created_at=old) for u in user_rows],
        batch_size=500,
    )
    await AccessKey.bulk_create(
        [
            AccessKey(
                id=new_unique_id(ACCESS_KEY_PREFIX),
                account_id=account_id,
                user_id=u.id,
                secret_hash="0" * 64,
                created_at=old,
                last_used_at=now - timedelta(days=rng.randrange(0, 200)),
            )
            for u in user_rows[::3]
        ],
        batch_size=500,
    )
    await MfaDevice.bulk_create(
        [
            MfaDevice(
                id=f"dev{i:028d}",
                account_id=account_id,
                name=f"d{i}",
                name_lower=f"d{i}",
                serial_number=arns.mfa_arn(account_id, "/", f"d{i}"),
                seed_ciphertext="x",
                user_id=u.id,
                enabled_at=old,
                created_at=old,
            )
            for i, u in enumerate(user_rows[::2])
        ],
        batch_size=500,
    )

    policies = []
    versions = []
    for g in range(GROUPS + 1):
        name = f"Team{g}" if g < GROUPS else "Hoard"
        statements = (
            _statements(g)
            if g < GROUPS
            else [
                {"Effect": "Allow", "Action": [f"svc{n % 10}:Act{n}" for n in range(HOARDED)],
                 "Resource": "*"}
            ]
        )  # fmt: skip
        policy = ManagedPolicy(
            id=new_unique_id(POLICY_PREFIX),
            account_id=account_id,
            name=name,
            name_lower=name.lower(),
            arn=arns.policy_arn(account_id, "/", name),
        )
        policies.append(policy)
        versions.append(
            PolicyVersion(
                policy_id=policy.id,
                version_id="v1",
                document=json.dumps({**document, "Statement": statements}),
                is_default=True,
            )
        )
    await ManagedPolicy.bulk_create(policies)
    await PolicyVersion.bulk_create(versions)
    groups = [
        Group(
            id=new_unique_id(GROUP_PREFIX),
            account_id=account_id,
            name=f"Team{g}",
            name_lower=f"team{g}",
            arn=arns.group_arn(account_id, "/", f"Team{g}"),
        )
        for g in range(GROUPS)
    ]
    await Group.bulk_create(groups)
    attachments = [
        PolicyAttachment(policy_id=policies[g].id, entity_kind="group", entity_id=groups[g].id)
        for g in range(GROUPS)
    ]
    attachments.append(
        PolicyAttachment(policy_id=policies[-1].id, entity_kind="user", entity_id=hoarder.id)
    )
    memberships = []
    for i, user in enumerate(user_rows):
        for g in {i % GROUPS, (i * 7 + 3) % GROUPS}:
            memberships.append(GroupMembership(user_id=user.id, group_id=groups[g].id))
    await GroupMembership.bulk_create(memberships, batch_size=1000)
    await InlinePolicy.bulk_create(
        [
            InlinePolicy(
                entity_kind="user",
                entity_id=u.id,
                name="Own",
                document=json.dumps({**document, "Statement": _statements(i)[:2]}),
            )
            for i, u in enumerate(user_rows[::10])
        ],
        batch_size=500,
    )
    roles = [
        Role(
            id=new_unique_id(ROLE_PREFIX),
            account_id=account_id,
            name=f"Role{r}",
            name_lower=f"role{r}",
            arn=arns.role_arn(account_id, "/", f"Role{r}"),
            assume_role_policy="{}",
            created_at=old,
        )
        for r in range(ROLES)
    ]
    await Role.bulk_create(roles)
    await Role.filter(account_id=account_id).update(created_at=old)
    attachments += [
        PolicyAttachment(policy_id=policies[r % GROUPS].id, entity_kind="role", entity_id=role.id)
        for r, role in enumerate(roles[::2])
    ]
    await PolicyAttachment.bulk_create(attachments, batch_size=1000)

    activity = []
    actors = [(u.arn, "User", i) for i, u in enumerate(user_rows) if i % 3] + [
        (role.arn, "Role", r) for r, role in enumerate(roles[::2])
    ]
    for arn, kind, index in actors:
        for n in range(8):
            service = ["s3", "dynamodb", "sqs", "orders", "pos", "kms"][(index + n) % 6]
            action = f"{service}:Action{index % 7}{n}"
            at = now - timedelta(days=rng.choice([1, 5, 30, 120]))
            activity.append(_row(account_id, arn, kind, action, at))
    for n in range(HOARDED):
        at = now - timedelta(days=rng.choice([1, 150]))
        activity.append(_row(account_id, hoarder.arn, "User", f"svc{n % 10}:Act{n}", at))
    await AccessActivity.bulk_create(activity, batch_size=1000)
    return {
        "account": account_id,
        "user": user_rows[1].arn,
        "hoarder": hoarder.arn,
        "group": groups[0].arn,
        "policy": policies[0].arn,
        "activity": len(activity),
    }


def _row(account_id: str, arn: str, kind: str, action: str, at: Any) -> Any:
    from gateway.models import AccessActivity

    return AccessActivity(
        account_id=account_id,
        principal_arn=arn,
        principal_type=kind,
        source_identity="",
        service=action.partition(":")[0],
        action=action,
        action_key=action.lower(),
        first_allowed_at=at,
        last_allowed_at=at,
        count=3,
    )


async def timed(rounds: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    """Seconds per call, `rounds` times."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def measure(database_url: str, users: int, rounds: int, rng: random.Random) -> None:
    from tortoise.context import TortoiseContext

    from gateway import clock
    from gateway.db import tortoise_config
    from gateway.models import PrincipalKind
    from gateway.policy.checks import check_policy
    from gateway.services import credential_report, findings, last_accessed, policy_generation
    from gateway.services.principal import Principal

    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        started = time.perf_counter()
        seeded = await seed(database_url, users, rng)
        seeding = time.perf_counter() - started
        root = Principal(
            kind=PrincipalKind.ROOT,
            account_id=seeded["account"],
            arn=f"arn:aws:iam::{seeded['account']}:root",
            id=seeded["account"],
        )
        fake = clock.FrozenClock(clock.SystemClock().now())
        results: dict[str, list[float]] = {}
        with clock.using(fake):

            async def list_findings() -> None:
                await findings.list_findings(root, age=AGE, first=100)

            async def report() -> None:
                fake.advance(hours=5)
                await credential_report.generate_credential_report(root)
                await credential_report.get_credential_report(root)

            def last_of(arn: str) -> Callable[[], Awaitable[Any]]:
                async def run() -> None:
                    job = await last_accessed.generate_service_last_accessed_details(
                        root, arn, last_accessed.Granularity.ACTION_LEVEL
                    )
                    await last_accessed.get_service_last_accessed_details(root, job)

                return run

            def generation_of(arn: str) -> Callable[[], Awaitable[Any]]:
                async def run() -> None:
                    start = clock.now() - timedelta(days=90)
                    job = await policy_generation.start_policy_generation(root, arn, start)
                    await policy_generation.get_generated_policy(root, job)

                return run

            big = json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [f"s3:Get{n}", "s3:Get*", "iam:PassRole"],
                            "Resource": [f"arn:aws:s3:::b{n}", "arn:aws:s3:::b*"],
                        }
                        for n in range(50)
                    ],
                }
            )

            async def validate() -> None:
                check_policy(big, "IDENTITY_POLICY")

            results["findings: analyse + first page"] = await timed(rounds, list_findings)
            results["credential report: generate + get"] = await timed(rounds, report)
            results["last accessed: a group (ACTION_LEVEL)"] = await timed(
                rounds, last_of(seeded["group"])
            )
            results["last accessed: a policy on every group"] = await timed(
                rounds, last_of(seeded["policy"])
            )
            results["policy generation: a user, 90 days"] = await timed(
                rounds, generation_of(seeded["user"])
            )
            results["policy generation: hoarder (400 actions)"] = await timed(
                rounds, generation_of(seeded["hoarder"])
            )
            results[f"validatePolicy: {len(big):,} characters"] = await timed(rounds, validate)
    print(
        f"\n{users:,} users, {GROUPS} groups, {ROLES} roles, {seeded['activity']:,} activity rows"
        f" (seeded in {seeding:.1f} s)"
    )
    print(f"{'operation':45} {'median ms':>10} {'max ms':>10}")
    for name, samples in results.items():
        print(f"{name:45} {statistics.median(samples) * 1000:10.1f} {max(samples) * 1000:10.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1000,5000", help="users per account, comma-separated")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per scale")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 users, 1 round")
    args = parser.parse_args(argv)
    scales = [100] if args.quick else [int(s) for s in args.scales.split(",")]
    rounds = 1 if args.quick else args.rounds
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as directory:
        for users in scales:
            url = args.database_url or f"sqlite://{Path(directory) / f'bench-{users}.db'}"
            print(f"database: {url.split('://')[0]}")
            try:
                asyncio.run(measure(url, users, rounds, rng))
            except Exception as error:  # a broken run says so and fails
                print(f"least-privilege benchmark failed: {error!r}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
