"""Keeping least privilege, end to end: the coffee shop runs for a simulated month on a real
server whose clock the test moves (tests/e2e/clocked_app.py), then the owner's administrator
reads what the gateway learned: findings, a generated policy, last-accessed data and the
credential report."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.servers import serve

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"
PASSWORD = "Espresso-Shot-7"
AWS_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
RECEIPTS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ListReceipts", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET},
        {"Sid": "FileReceipts", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{BUCKET}/*"},
    ],
}  # fmt: skip
TRUST_ACCOUNT = '{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{account}"}}, "Action": "sts:AssumeRole"}}]}}'  # noqa: E501
FLUSH = 1  # seconds between access-activity writes on this server


class Shop:
    """The coffee shop's API client, and the server's clock."""

    def __init__(self, client: httpx.AsyncClient, account: str) -> None:
        self.api = Api(client)
        self.client = client
        self.account = account

    async def ok(self, query: str, variables: dict[str, Any] | None = None, *, token: str) -> Any:
        result = await self.api(query, variables, token=token)
        assert result.errors == [], result.errors
        return result.data

    async def days_pass(self, days: int) -> str:
        moved = await self.client.post("/__test__/clock", json={"days": days})
        now: str = moved.json()["now"]
        return now

    async def sign_in(self, user: str) -> str:
        return await self.api.sign_in(self.account, user, PASSWORD)

    async def sign_in_root(self) -> str:
        data = await self.ok(
            "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
            {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
            token="",
        )
        token: str = data["signInRoot"]["token"]
        return token

    async def cashier_day(self) -> None:
        """jorge signs in at the till, and the till asks whether he may list the receipts."""
        token = await self.sign_in("jorge")
        data = await self.ok(
            'query($r: String!) { authorize(action: "s3:ListBucket", resource: $r) { effect } }',
            {"r": BUCKET},
            token=token,
        )
        assert data["authorize"]["effect"] == "ALLOW"


@pytest.fixture
async def shop(database_url: str, account: Account) -> AsyncIterator[Shop]:
    await ensure_builtin_policies()
    env = {
        "GATEWAY_UNUSED_ACCESS_AGE_DAYS": "30",
        "GATEWAY_ACCESS_ACTIVITY_FLUSH_SECONDS": str(FLUSH),
    }
    with serve("tests.e2e.clocked_app:create_app", database_url, env) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Shop(client, account.id)


async def open_the_shop(shop: Shop) -> str:
    """Day 0: root creates the first administrator, who sets up cashiers, a role and a script's
    key; returns the administrator's token."""
    root = await shop.sign_in_root()
    await shop.ok(
        'mutation($p: String!) { createUser(input: {userName: "owner-admin"}) { arn }'
        ' createLoginProfile(userName: "owner-admin", password: $p) { userName }'
        ' attachUserPolicy(userName: "owner-admin",'
        ' policyArn: "arn:aws:iam::aws:policy/AdministratorAccess") { userName } }',
        {"p": PASSWORD},
        token=root,
    )
    admin = await shop.sign_in("owner-admin")
    created = await shop.ok(
        'mutation($d: String!, $t: String!, $p: String!) {'
        ' createGroup(groupName: "Cashiers") { arn }'
        ' createPolicy(input: {policyName: "CashierReceipts", policyDocument: $d}) { arn }'
        ' jorge: createUser(input: {userName: "jorge"}) { arn }'
        ' createLoginProfile(userName: "jorge", password: $p) { userName }'
        ' addUserToGroup(groupName: "Cashiers", userName: "jorge") { arn }'
        ' createRole(input: {roleName: "Inventory", assumeRolePolicyDocument: $t}) { arn }'
        ' script: createUser(input: {userName: "nightly-report"}) { arn }'
        ' createAccessKey(userName: "nightly-report") { accessKeyId } }',
        {"d": json.dumps(RECEIPTS), "t": TRUST_ACCOUNT.format(account=shop.account),
         "p": PASSWORD},
        token=admin,
    )  # fmt: skip
    await shop.ok(
        'mutation($a: String!) { attachGroupPolicy(groupName: "Cashiers", policyArn: $a) { arn } }',
        {"a": created["createPolicy"]["arn"]},
        token=admin,
    )
    return admin


async def test_a_month_of_the_coffee_shop_shows_what_is_unused(shop: Shop) -> None:
    start = await shop.days_pass(0)
    await open_the_shop(shop)
    for day in (1, 9, 10, 10):  # days 1, 10, 20 and 30 at the till
        await shop.days_pass(day)
        await shop.cashier_day()
    root = await shop.sign_in_root()  # day 30: the owner does an administrator's job as root
    await shop.ok("{ users { nodes { userName } } }", token=root)
    await shop.days_pass(1)
    await asyncio.sleep(FLUSH + 1.5)  # the last tallies reach the database
    admin = await shop.sign_in("owner-admin")
    account = shop.account

    found = await shop.ok(
        "{ findings(filter: {status: [ACTIVE]}) { nodes { id findingType resource"
        " findingDetails } } }",
        token=admin,
    )
    by_kind = {(f["findingType"], f["resource"]): f for f in found["findings"]["nodes"]}
    jorge = f"arn:aws:iam::{account}:user/jorge"
    unused = by_kind[("UnusedPermission", jorge)]["findingDetails"]
    assert unused == [
        {"unusedPermissionDetails": {"serviceNamespace": "s3", "lastAccessed": unused[0][
            "unusedPermissionDetails"]["lastAccessed"],
            "actions": [{"action": "s3:PutObject", "lastAccessed": None}]}}
    ]  # fmt: skip
    assert ("UnusedIAMRole", f"arn:aws:iam::{account}:role/Inventory") in by_kind
    script = f"arn:aws:iam::{account}:user/nightly-report"
    assert ("UnusedIAMUserAccessKey", script) in by_kind
    everyday = by_kind[("RootUserActivity", f"arn:aws:iam::{account}:root")]["findingDetails"]
    assert [a["action"] for a in everyday[0]["rootUserActivityDetails"]["actions"]] == [
        "iam:ListUsers"
    ]
    assert ("UnusedIAMUserPassword", jorge) not in by_kind  # he signs in at the till

    # A least-privilege policy from what jorge was actually allowed this month.
    job = await shop.ok(
        "mutation($p: String!, $s: DateTime!) { startPolicyGeneration(principalArn: $p,"
        " startTime: $s) }",
        {"p": jorge, "s": start},
        token=admin,
    )
    generated = await shop.ok(
        "query($j: String!) { generatedPolicy(jobId: $j) { jobDetails { status }"
        " properties { principalArn isComplete } generatedPolicies } }",
        {"j": job["startPolicyGeneration"]},
        token=admin,
    )
    (policy,) = generated["generatedPolicy"]["generatedPolicies"]
    assert json.loads(policy) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}],
    }
    checked = await shop.ok(
        "query($d: String!) { validatePolicy(policyDocument: $d, policyType: IDENTITY_POLICY)"
        " { findingType issueCode } }",
        {"d": policy},
        token=admin,
    )
    assert checked["validatePolicy"] == []

    # Last accessed: S3 was used, by jorge.
    report_job = await shop.ok(
        "mutation($a: String!) { generateServiceLastAccessedDetails(arn: $a,"
        " granularity: ACTION_LEVEL) }",
        {"a": f"arn:aws:iam::{account}:group/Cashiers"},
        token=admin,
    )
    report = await shop.ok(
        "query($j: String!) { serviceLastAccessedDetails(jobId: $j) { jobStatus"
        " servicesLastAccessed { serviceNamespace lastAuthenticatedEntity"
        " trackedActionsLastAccessed { actionName lastAccessedTime } } } }",
        {"j": report_job["generateServiceLastAccessedDetails"]},
        token=admin,
    )
    (s3,) = report["serviceLastAccessedDetails"]["servicesLastAccessed"]
    assert s3["lastAuthenticatedEntity"] == jorge
    tracked = {t["actionName"]: t["lastAccessedTime"] for t in s3["trackedActionsLastAccessed"]}
    assert tracked["PutObject"] is None
    assert tracked["ListBucket"] is not None

    # The credential report, as AWS's CSV.
    await shop.ok("mutation { generateCredentialReport { state } }", token=admin)
    content = (await shop.ok("{ credentialReport { content } }", token=admin))["credentialReport"][
        "content"
    ]
    assert content.splitlines()[0] == AWS_HEADER
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(content))}
    assert list(rows) == ["<root_account>", "jorge", "nightly-report", "owner-admin"]
    assert rows["nightly-report"]["access_key_1_active"] == "true"
    assert rows["nightly-report"]["access_key_1_last_used_date"] == "N/A"
    assert rows["jorge"]["password_last_used"] != "no_information"

    # Archive one finding, and remove the unused role: its finding resolves itself.
    key_finding = by_kind[("UnusedIAMUserAccessKey", script)]["id"]
    archived = await shop.ok(
        "mutation($i: [String!]!) { updateFindings(ids: $i, status: ARCHIVED) { status } }",
        {"i": [key_finding]},
        token=admin,
    )
    assert archived["updateFindings"] == [{"status": "ARCHIVED"}]
    await shop.ok('mutation { deleteRole(roleName: "Inventory") }', token=admin)
    after = await shop.ok("{ findings { nodes { id findingType resource status } } }", token=admin)
    statuses = {(f["findingType"], f["resource"]): f["status"] for f in after["findings"]["nodes"]}
    assert statuses[("UnusedIAMRole", f"arn:aws:iam::{account}:role/Inventory")] == "RESOLVED"
    assert statuses[("UnusedIAMUserAccessKey", script)] == "ARCHIVED"
