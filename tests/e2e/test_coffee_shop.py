"""The seed's coffee shop, built over HTTP on a real server: root, an admin, cashiers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.models import Account
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"
PASSWORD = "Espresso-Shot-7"
CAN = "query($a: String!, $r: String!) { authorize(action: $a, resource: $r) { effect } }"


@pytest.fixture
async def shop(gateway_url: str, account: Account) -> AsyncIterator[Api]:
    await ensure_builtin_policies()
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        yield Api(client)


async def ok(
    api: Api, query: str, variables: dict[str, object] | None = None, *, token: str
) -> dict[str, object]:
    result = await api(query, variables, token=token)
    assert result.errors == [], result.errors
    assert result.data is not None
    return result.data


async def effect(api: Api, token: str, action: str, resource: str) -> str:
    data = await ok(api, CAN, {"a": action, "r": resource}, token=token)
    return data["authorize"]["effect"]  # type: ignore[index,no-any-return]


async def test_the_coffee_shop_from_root_to_cashiers(shop: Api, account: Account) -> None:
    api = shop
    # The owner signs in as root, once, to create the first administrator.
    root = await api(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    root_token = root.data["signInRoot"]["token"]  # type: ignore[index]
    await ok(
        api,
        'mutation($p: String!) { createUser(input: {userName: "owner-admin"}) { arn }'
        ' createLoginProfile(userName: "owner-admin", password: $p) { userName }'
        ' attachUserPolicy(userName: "owner-admin",'
        ' policyArn: "arn:aws:iam::aws:policy/AdministratorAccess") { userName } }',
        {"p": PASSWORD},
        token=root_token,
    )
    await ok(api, "mutation { signOut }", token=root_token)
    assert (await api("{ whoAmI { arn } }", token=root_token)).error_codes() == ["Unauthenticated"]

    # From now on the administrator does the everyday work.
    admin = await api.sign_in(account.id, "owner-admin", PASSWORD)
    receipts = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ListReceipts",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": BUCKET,
                }
            ],
        }
    )
    created = await ok(
        api,
        'mutation($d: String!) { createGroup(groupName: "Cashiers") { arn }'
        ' createPolicy(input: {policyName: "CashierReceipts", policyDocument: $d}) { arn } }',
        {"d": receipts},
        token=admin,
    )
    policy_arn = created["createPolicy"]["arn"]  # type: ignore[index]
    await ok(
        api,
        'mutation($a: String!) { attachGroupPolicy(groupName: "Cashiers", policyArn: $a) { arn } }',
        {"a": policy_arn},
        token=admin,
    )
    for cashier in ("jorge", "maria"):
        await ok(
            api,
            "mutation($u: String!, $p: String!) { createUser(input: {userName: $u}) { arn }"
            " createLoginProfile(userName: $u, password: $p) { userName }"
            ' addUserToGroup(groupName: "Cashiers", userName: $u) { arn } }',
            {"u": cashier, "p": PASSWORD},
            token=admin,
        )
    members = await ok(
        api,
        '{ group(groupName: "Cashiers") { users { edges { node { userName } } } } }',
        token=admin,
    )
    assert [e["node"]["userName"] for e in members["group"]["users"]["edges"]] == ["jorge", "maria"]  # type: ignore[index]

    # A cashier can list the receipts bucket, and nothing else.
    jorge = await api.sign_in(account.id, "jorge", PASSWORD)
    assert await effect(api, jorge, "s3:ListBucket", BUCKET) == "ALLOW"
    assert await effect(api, jorge, "s3:ListBucket", "arn:aws:s3:::OTHER-BUCKET") == "IMPLICIT_DENY"
    assert await effect(api, jorge, "s3:GetObject", f"{BUCKET}/receipt-1") == "IMPLICIT_DENY"
    denied = {
        "create users": 'mutation { createUser(input: {userName: "mallory"}) { arn } }',
        "list users": "{ users { edges { cursor } } }",
        "attach a policy to himself": 'mutation { attachUserPolicy(userName: "jorge",'
        ' policyArn: "arn:aws:iam::aws:policy/AdministratorAccess") { arn } }',
        "read the group": '{ group(groupName: "Cashiers") { arn } }',
    }
    for what, query in denied.items():
        result = await api(query, token=jorge)
        assert result.error_codes() == ["AccessDenied"], what

    # Jorge becomes an inventory specialist: group membership moves his permissions.
    inventory = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "inventory:Update*", "Resource": "*"},
        }
    )
    await ok(
        api,
        'mutation($d: String!) { createGroup(groupName: "InventorySpecialists") { arn }'
        ' createPolicy(input: {policyName: "Inventory", policyDocument: $d}) { arn } }',
        {"d": inventory},
        token=admin,
    )
    await ok(
        api,
        "mutation($a: String!) {"
        ' attachGroupPolicy(groupName: "InventorySpecialists", policyArn: $a) { arn }'
        ' removeUserFromGroup(groupName: "Cashiers", userName: "jorge") { arn }'
        ' addUserToGroup(groupName: "InventorySpecialists", userName: "jorge") { arn } }',
        {"a": policy_arn.replace("CashierReceipts", "Inventory")},
        token=admin,
    )
    assert await effect(api, jorge, "s3:ListBucket", BUCKET) == "IMPLICIT_DENY"
    assert (
        await effect(api, jorge, "inventory:UpdateStock", "arn:aws:inventory:::item/beans")
        == "ALLOW"
    )
    maria = await api.sign_in(account.id, "maria", PASSWORD)
    assert await effect(api, maria, "s3:ListBucket", BUCKET) == "ALLOW"
