"""The `auditEvents` query over GraphQL (gateway/graphql/audit.py), in process: CloudTrail's
vocabulary, `@authorize("cloudtrail:LookupEvents", "*")`, one account, filters and pages, and
the request parameters a call leaves behind."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate
from starlette.applications import Starlette

from gateway.graphql.schema import build_schema
from gateway.models import Account
from gateway.services.access_activity import actions_used
from tests.api import Api
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD

PASSWORD = "Flat-White-99"
EVENTS = """query($f: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $f, first: $first, after: $after) {
    edges { node {
      eventID eventTime eventSource eventName eventType readOnly awsRegion
      userIdentity { type principalId arn accountId userName
                     sessionContext { attributes { mfaAuthenticated creationDate }
                                      sessionIssuer { arn userName } } }
      sourceIPAddress userAgent requestParameters responseElements errorCode errorMessage
      requestID recipientAccountId resources { ARN accountId type }
      action resource outcome
      decision { effect deniedBy statements { layer policy sid } missingContextKeys }
      cloudTrailEvent
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def events(api: Api, token: str, **variables: Any) -> list[dict[str, Any]]:
    result = await api(EVENTS, variables, token=token)
    assert result.errors == [], result.errors
    assert result.data is not None
    return [edge["node"] for edge in result.data["auditEvents"]["edges"]]


@pytest.fixture
async def shop(local_api: Api, account: Account) -> dict[str, str]:
    """Root signs in and creates jorge (no permissions); jorge signs in."""
    root = await local_api(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    assert root.data is not None
    token = root.data["signInRoot"]["token"]
    made = await local_api(
        'mutation($p: String!) { createUser(input: {userName: "jorge", path: "/shop/"}) { arn }'
        ' createLoginProfile(userName: "jorge", password: $p) { userName } }',
        {"p": PASSWORD},
        token=token,
    )
    assert made.errors == [], made.errors
    jorge = await local_api.sign_in(account.id, "jorge", PASSWORD)
    return {"root": token, "jorge": jorge}


async def test_events_read_as_cloudtrail_records(
    local_api: Api, shop: dict[str, str], account: Account
) -> None:
    found = await events(local_api, shop["root"], f={"action": "iam:CreateUser"})
    [created] = found
    assert created["eventSource"] == "iam.amazonaws.com"
    assert (created["eventName"], created["eventType"], created["readOnly"]) == (
        "CreateUser",
        "AwsApiCall",
        False,
    )
    assert created["awsRegion"] == "us-east-1"
    assert created["userIdentity"]["type"] == "Root"
    assert created["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] is False
    assert created["requestParameters"] == {"userName": "jorge", "path": "/shop/"}
    arn = f"arn:aws:iam::{account.id}:user/shop/jorge"
    assert created["responseElements"]["user"]["arn"] == arn
    assert created["resources"] == [{"ARN": arn, "accountId": account.id, "type": "AWS::IAM::User"}]
    assert created["userAgent"].startswith("python-httpx/")
    assert created["recipientAccountId"] == account.id
    assert created["outcome"] == "ALLOWED"
    record = created["cloudTrailEvent"]
    assert record["eventID"] == created["eventID"]
    assert record["eventTime"].endswith("Z")


async def test_the_password_of_a_call_is_hidden_in_its_event(
    local_api: Api, shop: dict[str, str]
) -> None:
    [profile] = await events(local_api, shop["root"], f={"action": "iam:CreateLoginProfile"})
    assert profile["requestParameters"]["password"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    found = await events(local_api, shop["root"])
    assert PASSWORD not in json.dumps(found)


async def test_a_user_without_the_permission_is_denied_and_the_denial_is_recorded(
    local_api: Api, shop: dict[str, str], account: Account
) -> None:
    result = await local_api(EVENTS, token=shop["jorge"])
    assert result.error_codes() == ["AccessDenied"]
    assert result.only_error()["message"] == (
        f"User: arn:aws:iam::{account.id}:user/shop/jorge is not authorized to perform: "
        "cloudtrail:LookupEvents on resource: * because no identity-based policy allows the "
        "cloudtrail:LookupEvents action"
    )
    [denial] = await events(local_api, shop["root"], f={"outcome": "DENIED"})
    assert (denial["eventSource"], denial["eventName"]) == (
        "cloudtrail.amazonaws.com",
        "LookupEvents",
    )
    assert denial["errorCode"] == "AccessDenied"
    assert denial["decision"] == {
        "effect": "IMPLICIT_DENY",
        "deniedBy": "identity",
        "statements": [],
        "missingContextKeys": [],
    }


async def test_jorges_denied_list_users_shows_the_deciding_layer(
    local_api: Api, shop: dict[str, str], account: Account
) -> None:
    assert (
        await local_api("{ users { edges { cursor } } }", token=shop["jorge"])
    ).error_codes() == ["AccessDenied"]
    jorge = f"arn:aws:iam::{account.id}:user/shop/jorge"
    [denied] = await events(
        local_api, shop["root"], f={"principalArn": jorge, "action": "iam:ListUsers"}
    )
    assert denied["readOnly"] is True
    assert denied["decision"]["deniedBy"] == "identity"
    assert denied["requestParameters"] == {"pathPrefix": "/"}
    assert denied["userIdentity"]["userName"] == "jorge"


async def test_a_policy_allowing_lookup_events_lets_a_user_read_his_own_accounts_trail(
    local_api: Api, shop: dict[str, str], account: Account
) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"},
        }
    )
    put = await local_api(
        'mutation($d: String!) { putUserPolicy(userName: "jorge", policyName: "Audit",'
        " policyDocument: $d) { policyName } }",
        {"d": document},
        token=shop["root"],
    )
    assert put.errors == [], put.errors
    found = await events(local_api, shop["jorge"])
    assert found
    assert {e["recipientAccountId"] for e in found} == {account.id}


async def test_pages_of_at_most_fifty_newest_first(local_api: Api, shop: dict[str, str]) -> None:
    first = await local_api(EVENTS, {"first": 2}, token=shop["root"])
    assert first.data is not None
    page = first.data["auditEvents"]
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"] is True
    times = [e["node"]["eventTime"] for e in page["edges"]]
    assert times == sorted(times, reverse=True)
    rest = await events(local_api, shop["root"], after=page["pageInfo"]["endCursor"])
    ids = {e["node"]["eventID"] for e in page["edges"]}
    assert ids.isdisjoint({e["eventID"] for e in rest})
    too_many = await local_api(EVENTS, {"first": 51}, token=shop["root"])
    assert too_many.error_codes() == ["InvalidInput"]


async def test_a_backwards_time_range_is_invalid_input(
    local_api: Api, shop: dict[str, str]
) -> None:
    result = await local_api(
        EVENTS,
        {"f": {"startTime": "2026-02-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}},
        token=shop["root"],
    )
    assert result.error_codes() == ["InvalidInput"]


async def test_allowed_fields_and_authorize_answers_count_as_access_activity(
    local_api: Api, shop: dict[str, str], account: Account, app: Starlette
) -> None:
    query = '{ authorize(action: "iam:ListUsers", resource: "*") { allowed } }'
    for _ in range(3):
        assert (await local_api(query, token=shop["root"])).errors == []
    await local_api(query, token=shop["jorge"])  # denied: not counted
    assert (await local_api("{ users { edges { cursor } } }", token=shop["root"])).errors == []
    await app.state.activity.flush()
    root_arn = f"arn:aws:iam::{account.id}:root"
    counts = {row.action: row.count for row in await actions_used(account.id, root_arn)}
    assert counts["iam:ListUsers"] == 4
    jorge = f"arn:aws:iam::{account.id}:user/shop/jorge"
    assert await actions_used(account.id, jorge) == []


async def test_a_subscription_sent_over_http_is_refused(
    local_api: Api, shop: dict[str, str]
) -> None:
    result = await local_api("subscription { auditEvents { eventID } }", token=shop["root"])
    assert result.status == 400
    assert result.error_codes() == ["BAD_REQUEST"]
    assert "WebSocket" in result.only_error()["message"]


def readme_audit_blocks() -> list[str]:
    """The GraphQL examples of the README's "Audit" section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Audit\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)


async def test_the_readmes_audit_examples_are_valid_and_the_query_runs(
    local_api: Api, shop: dict[str, str]
) -> None:
    blocks = readme_audit_blocks()
    assert len(blocks) == 2
    schema = build_schema()
    for block in blocks:
        assert validate(schema._schema, parse(block)) == [], block
    result = await local_api(blocks[0], token=shop["root"])
    assert result.errors == [], result.errors
