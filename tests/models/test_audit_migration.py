"""Migration 0008 keeps every audit event written before it and gives each what CloudTrail
needs: an eventID, and the names, type and read-only flag its action implies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from gateway.db import migrate, tortoise_config

NewDatabase = Callable[[], Awaitable[str]]
BEFORE = "0006_mfa_devices_and_roles"
OLD_EVENTS = [
    ("iam:CreateUser", {"userName": "jorge"}, "iam.amazonaws.com", "CreateUser", False),
    ("iam:ListUsers", {}, "iam.amazonaws.com", "ListUsers", True),
    ("gateway:SignIn", {"mfa": "totp"}, "signin.amazonaws.com", "ConsoleLogin", False),
    ("sts:AssumeRole", {"switchedFrom": "abc"}, "signin.amazonaws.com", "SwitchRole", False),
    ("sts:AssumeRole", {}, "sts.amazonaws.com", "AssumeRole", True),
]


async def test_events_written_before_the_migration_are_kept_and_completed(
    new_empty_database: NewDatabase,
) -> None:
    url = await new_empty_database()
    config = tortoise_config(url)
    async with TortoiseContext():
        await tortoise_migrate(config=config, target=f"models.{BEFORE}")
    async with TortoiseContext() as context:
        await context.init(config=config)
        connection = context.db()
        postgres = connection.capabilities.dialect == "postgres"
        marks = ", ".join(f"${n}" if postgres else "?" for n in range(1, 10))
        for action, details, *_ in OLD_EVENTS:
            await connection.execute_query(
                "INSERT INTO audit_events (occurred_at, account_id, principal_arn, action, "
                f"resource, source_ip, outcome, request_id, details) VALUES ({marks})",
                [
                    datetime(2026, 1, 1, tzinfo=UTC) if postgres else "2026-01-01T00:00:00+00:00",
                    "123456789012",
                    "arn:aws:iam::123456789012:root",
                    action,
                    "*",
                    "192.0.2.1",
                    "Allowed",
                    "req-1",
                    json.dumps(details),
                ],
            )

    await migrate(url)

    async with TortoiseContext() as context:
        await context.init(config=config)
        rows = await context.db().execute_query_dict(
            "SELECT event_id, action, event_source, event_name, event_type, read_only, "
            "user_identity, source_ip FROM audit_events ORDER BY id"
        )
    assert len(rows) == len(OLD_EVENTS)
    for row, (action, _, source, name, read_only) in zip(rows, OLD_EVENTS, strict=True):
        assert row["action"] == action
        assert (row["event_source"], row["event_name"], bool(row["read_only"])) == (
            source,
            name,
            read_only,
        )
        assert row["event_type"] == (
            "AwsConsoleSignIn" if source == "signin.amazonaws.com" else "AwsApiCall"
        )
        assert row["source_ip"] == "192.0.2.1"
        identity = row["user_identity"]
        identity = json.loads(identity) if isinstance(identity, str) else identity
        assert identity == {"arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}
    assert len({row["event_id"] for row in rows}) == len(rows)
