"""The trail exported as CloudTrail log records (gateway/services/audit_export.py), read back
by a CloudTrail tool nobody here wrote: trailscraper (it reads CloudTrail's log files and the
records it selects)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway import clock
from gateway.errors import InvalidInput
from gateway.models import AuditEvent, Outcome
from gateway.services.audit_export import events_between, export
from gateway.services.groups import create_group
from gateway.services.principal import Principal
from gateway.services.users import create_user
from gateway.services.writes import record

START = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
TRAILSCRAPER = Path(sys.executable).with_name("trailscraper")


@pytest.fixture
async def morning(root: Principal) -> str:
    """A few writes a minute apart, from 09:01."""
    await AuditEvent.all().delete()
    with clock.using(clock.FrozenClock(START)) as frozen:
        assert isinstance(frozen, clock.FrozenClock)
        for name in ("jorge", "maria"):
            frozen.advance(minutes=1)
            await create_user(root, user_name=name)
        frozen.advance(minutes=1)
        await create_group(root, group_name="Cashiers")
        frozen.advance(minutes=1)
        await record(root, "iam:ListUsers", "*", Outcome.DENIED, error_code="AccessDenied")
    return root.account_id


async def test_the_export_is_cloudtrails_log_format_oldest_first(morning: str) -> None:
    out = io.StringIO()
    count = await export(out, START, START + timedelta(hours=1))
    records = json.loads(out.getvalue())["Records"]
    assert count == len(records) == 4
    assert [r["eventName"] for r in records] == [
        "CreateUser",
        "CreateUser",
        "CreateGroup",
        "ListUsers",
    ]
    first = records[0]
    assert list(first)[:8] == [
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
    ]
    assert first["eventTime"] == "2026-07-01T09:01:00Z"
    assert first["eventSource"] == "iam.amazonaws.com"
    assert first["resources"] == [
        {
            "ARN": f"arn:aws:iam::{morning}:user/jorge",
            "accountId": morning,
            "type": "AWS::IAM::User",
        }
    ]
    assert (first["eventType"], first["managementEvent"], first["recipientAccountId"]) == (
        "AwsApiCall",
        True,
        morning,
    )
    assert records[3]["errorCode"] == "AccessDenied"
    assert records[3]["readOnly"] is True


async def test_json_lines_and_the_time_range_both_ends_included(morning: str) -> None:
    out = io.StringIO()
    since, until = START + timedelta(minutes=2), START + timedelta(minutes=3)
    await export(out, since, until, json_lines=True)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["eventName"] for line in lines] == ["CreateUser", "CreateGroup"]


async def test_an_account_is_exported_alone_when_asked(morning: str, other_root: Principal) -> None:
    with clock.using(clock.FrozenClock(START + timedelta(minutes=2))):
        await create_user(other_root, user_name="someone")
    only = [
        e.account_id
        async for e in events_between(
            START, START.replace(hour=10), account_id=other_root.account_id
        )
    ]
    assert only == [other_root.account_id]


async def test_large_exports_go_in_batches_without_gaps(root: Principal) -> None:
    await AuditEvent.all().delete()
    with clock.using(clock.FrozenClock(START)):  # one instant: the id breaks the ties
        for n in range(25):
            await record(root, "iam:TagUser", f"u{n}", Outcome.ALLOWED)
    seen = [e.resource async for e in events_between(START, START, batch=4)]
    assert seen == [f"u{n}" for n in range(25)]


async def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(InvalidInput):
        async for _ in events_between(START, START - timedelta(seconds=1)):
            pass


async def test_trailscraper_reads_the_export_as_cloudtrail_logs(
    morning: str, tmp_path: Path
) -> None:
    out = io.StringIO()
    await export(out, START, START + timedelta(hours=1))
    # CloudTrail's file naming, as delivered to S3.
    name = f"{morning}_CloudTrail_us-east-1_20260701T0900Z_gatewayexport.json.gz"
    (tmp_path / name).write_bytes(gzip.compress(out.getvalue().encode()))
    selected = subprocess.run(
        [
            str(TRAILSCRAPER),
            "select",
            "--log-dir",
            str(tmp_path),
            "--from",
            "2026-07-01",
            "--to",
            "2026-07-02",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    records = json.loads(selected.stdout)["Records"]
    assert len(records) == 4, selected.stderr
    generated = subprocess.run(
        [str(TRAILSCRAPER), "generate"],
        input=selected.stdout,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    policy = json.loads(generated.stdout)
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"iam:CreateUser", "iam:CreateGroup", "iam:ListUsers"} <= actions
