"""The seed's employee who rotates between workstations, over HTTP on a real server: one
person, several roles, exactly one role's permissions at a time; and AssumeRole's refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.models import Account, Session
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.mfa import Authenticator

PASSWORD = "Espresso-Shot-7"
REGISTER = "arn:aws:pos:::register/1"
STOCK = "arn:aws:inventory:::stock/beans"
CAN = "query($a: String!, $r: String!) { authorize(action: $a, resource: $r) { effect } }"
WHO = "{ whoAmI { arn principalType } }"
SWITCH = """mutation($arn: String!) {
  switchRole(roleArn: $arn) { token identity { arn principalType } }
}"""
ASSUME = """mutation($arn: String!, $name: String!, $duration: Int, $serial: String,
                  $code: String) {
  assumeRole(roleArn: $arn, roleSessionName: $name, durationSeconds: $duration,
             serialNumber: $serial, tokenCode: $code) {
    credentials { accessKeyId secretAccessKey sessionToken expiration }
    assumedRoleUser { arn assumedRoleId }
  }
}"""


@pytest.fixture
async def shop(gateway_url: str, account: Account) -> AsyncIterator[Api]:
    await ensure_builtin_policies()
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        yield Api(client)


async def ok(api: Api, query: str, variables: dict[str, Any] | None = None, **auth: Any) -> Any:
    result = await api(query, variables, **auth)
    assert result.errors == [], result.errors
    return result.data


async def effect(api: Api, token: str, action: str, resource: str) -> str:
    data = await ok(api, CAN, {"a": action, "r": resource}, token=token)
    found: str = data["authorize"]["effect"]
    return found


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return policy(statement)


async def root_token(api: Api) -> str:
    data = await ok(
        api,
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    token: str = data["signInRoot"]["token"]
    return token


async def new_user(api: Api, token: str, name: str, *managed: str) -> None:
    await ok(
        api,
        "mutation($u: String!, $p: String!) { createUser(input: {userName: $u}) { arn }"
        " createLoginProfile(userName: $u, password: $p) { userName } }",
        {"u": name, "p": PASSWORD},
        token=token,
    )
    for arn in managed:
        await ok(
            api,
            "mutation($u: String!, $a: String!) {"
            " attachUserPolicy(userName: $u, policyArn: $a) { userName } }",
            {"u": name, "a": arn},
            token=token,
        )


async def new_role(api: Api, token: str, name: str, trust_policy: str, work: str) -> str:
    data = await ok(
        api,
        "mutation($n: String!, $t: String!, $d: String!) {"
        " createRole(input: {roleName: $n, assumeRolePolicyDocument: $t}) { arn }"
        ' putRolePolicy(roleName: $n, policyName: "Work", policyDocument: $d) { policyName } }',
        {"n": name, "t": trust_policy, "d": work},
        token=token,
    )
    arn: str = data["createRole"]["arn"]
    return arn


async def test_an_employee_rotates_between_workstations(shop: Api, account: Account) -> None:
    api = shop
    owner = await root_token(api)
    everyone_here = f"arn:aws:iam::{account.id}:root"
    cashier = await new_role(
        api, owner, "Cashier", trust(everyone_here), policy(allow("pos:*", REGISTER))
    )
    inventory = await new_role(
        api, owner, "Inventory", trust(everyone_here), policy(allow("inventory:*", STOCK))
    )
    await new_role(api, owner, "Manager", trust(everyone_here), policy(allow("*")))
    await new_user(api, owner, "sam")
    # The owner lets Sam take the two workstations (and no other role).
    await ok(
        api,
        'mutation($d: String!) { putUserPolicy(userName: "sam", policyName: "Workstations",'
        " policyDocument: $d) { policyName } }",
        {"d": policy(allow("sts:AssumeRole", [cashier, inventory]))},
        token=owner,
    )

    sam = await api.sign_in(account.id, "sam", PASSWORD)
    roles = await ok(api, "{ assumableRoles { roleName arn } }", token=sam)
    assert [r["roleName"] for r in roles["assumableRoles"]] == ["Cashier", "Inventory"]
    assert await effect(api, sam, "pos:OpenDrawer", REGISTER) == "IMPLICIT_DENY"

    at_till = (await ok(api, SWITCH, {"arn": cashier}, token=sam))["switchRole"]
    assert at_till["identity"] == {
        "arn": f"arn:aws:sts::{account.id}:assumed-role/Cashier/sam",
        "principalType": "AssumedRole",
    }
    till = at_till["token"]
    assert await effect(api, till, "pos:OpenDrawer", REGISTER) == "ALLOW"
    assert await effect(api, till, "inventory:UpdateStock", STOCK) == "IMPLICIT_DENY"

    at_stock = (await ok(api, SWITCH, {"arn": inventory}, token=till))["switchRole"]
    stock = at_stock["token"]
    assert at_stock["identity"]["arn"].endswith(":assumed-role/Inventory/sam")
    assert await effect(api, stock, "inventory:UpdateStock", STOCK) == "ALLOW"
    assert await effect(api, stock, "pos:OpenDrawer", REGISTER) == "IMPLICIT_DENY"
    assert (await api(WHO, token=till)).error_codes() == ["Unauthenticated"]

    manager = f"arn:aws:iam::{account.id}:role/Manager"
    refused = await api(SWITCH, {"arn": manager}, token=stock)
    assert refused.error_codes() == ["AccessDenied"]

    back = (await ok(api, "mutation { switchBack { token } }", token=stock))["switchBack"]
    me = back["token"]
    assert (await ok(api, WHO, token=me))["whoAmI"] == {
        "arn": f"arn:aws:iam::{account.id}:user/sam",
        "principalType": "User",
    }
    assert await effect(api, me, "pos:OpenDrawer", REGISTER) == "IMPLICIT_DENY"
    assert await effect(api, me, "inventory:UpdateStock", STOCK) == "IMPLICIT_DENY"
    assert (await api(WHO, token=stock)).error_codes() == ["Unauthenticated"]


async def test_an_iam_administrator_in_a_read_only_role_cannot_create_users(
    shop: Api, account: Account
) -> None:
    api = shop
    owner = await root_token(api)
    await new_user(api, owner, "iam-admin", "arn:aws:iam::aws:policy/IAMFullAccess")
    user_arn = f"arn:aws:iam::{account.id}:user/iam-admin"
    auditor = await new_role(api, owner, "Auditor", trust(user_arn), policy(allow("iam:Get*")))
    await ok(
        api,
        'mutation { attachRolePolicy(roleName: "Auditor",'
        ' policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { roleName } }',
        token=owner,
    )
    admin = await api.sign_in(account.id, "iam-admin", PASSWORD)
    await ok(api, 'mutation { createUser(input: {userName: "before"}) { arn } }', token=admin)

    assumed = (await ok(api, ASSUME, {"arn": auditor, "name": "audit"}, token=admin))["assumeRole"]
    credentials = assumed["credentials"]
    key = (credentials["accessKeyId"], credentials["secretAccessKey"])
    for auth in ({"token": credentials["sessionToken"]}, {"key": key}):
        listed = await ok(api, "{ users { nodes { userName } } }", **auth)
        assert {n["userName"] for n in listed["users"]["nodes"]} == {"iam-admin", "before"}
        denied = await api('mutation { createUser(input: {userName: "during"}) { arn } }', **auth)
        assert denied.error_codes() == ["AccessDenied"]
        assert denied.only_error()["message"].startswith(
            f"User: {assumed['assumedRoleUser']['arn']} is not authorized to perform: "
            "iam:CreateUser"
        )


async def test_a_trust_policy_requiring_mfa(shop: Api, account: Account) -> None:
    api = shop
    owner = await root_token(api)
    await new_user(api, owner, "keeper")
    user_arn = f"arn:aws:iam::{account.id}:user/keeper"
    vault = await new_role(
        api,
        owner,
        "Vault",
        trust(user_arn, Bool={"aws:MultiFactorAuthPresent": "true"}),
        policy(allow("safe:Open")),
    )
    created = await ok(
        api,
        'mutation { createVirtualMfaDevice(virtualMfaDeviceName: "keeper-phone") {'
        " device { serialNumber } base32StringSeed } }",
        token=owner,
    )
    device = created["createVirtualMfaDevice"]
    app = Authenticator(device["device"]["serialNumber"], device["base32StringSeed"])
    code_1, code_2 = app.enabling_codes()
    await ok(
        api,
        "mutation($s: String!, $c1: String!, $c2: String!) { enableMfaDevice(userName: "
        '"keeper", serialNumber: $s, authenticationCode1: $c1, authenticationCode2: $c2)'
        " { serialNumber } }",
        {"s": app.serial_number, "c1": code_1, "c2": code_2},
        token=owner,
    )
    key = await ok(
        api,
        'mutation { createAccessKey(userName: "keeper") { accessKeyId secretAccessKey } }',
        token=owner,
    )
    signed = (key["createAccessKey"]["accessKeyId"], key["createAccessKey"]["secretAccessKey"])

    without = await api(ASSUME, {"arn": vault, "name": "open"}, key=signed)
    assert without.error_codes() == ["AccessDenied"]
    assert without.only_error()["message"] == (
        f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {vault}"
    )
    assert await Session.filter(principal_kind="role").count() == 0

    variables = {"arn": vault, "name": "open", "serial": app.serial_number, "code": app.code(1)}
    assumed = (await ok(api, ASSUME, variables, key=signed))["assumeRole"]
    token = assumed["credentials"]["sessionToken"]
    assert await effect(api, token, "safe:Open", "*") == "ALLOW"


def validation(value: str, field: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


async def test_each_refusal_has_awss_error_and_issues_nothing(shop: Api, account: Account) -> None:
    api = shop
    owner = await root_token(api)
    await new_user(api, owner, "sam")
    sam_arn = f"arn:aws:iam::{account.id}:user/sam"
    cashier = await new_role(api, owner, "Cashier", trust(sam_arn), policy(allow("pos:*")))
    await new_user(api, owner, "kim")
    other = await new_role(
        api, owner, "Office", trust(f"arn:aws:iam::{account.id}:user/kim"), policy(allow("*"))
    )
    sam = await api.sign_in(account.id, "sam", PASSWORD)
    unknown = f"arn:aws:iam::{account.id}:role/Nowhere"
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"arn": cashier, "name": "till", "duration": 7200},
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ),
        (
            {"arn": cashier, "name": "till #1"},
            "ValidationError",
            validation(
                "till #1",
                "roleSessionName",
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
            ),
        ),
        (
            {"arn": unknown, "name": "till"},
            "AccessDenied",
            f"User: {sam_arn} is not authorized to perform: sts:AssumeRole on resource: {unknown}",
        ),
        (
            {"arn": other, "name": "till"},
            "AccessDenied",
            f"User: {sam_arn} is not authorized to perform: sts:AssumeRole on resource: {other}",
        ),
    ]
    for variables, code, message in cases:
        result = await api(ASSUME, variables, token=sam)
        assert result.data is None
        error = result.only_error()
        assert (error["extensions"]["code"], error["message"]) == (code, message)
    assert await Session.filter(principal_kind="role").count() == 0
    assert (await ok(api, ASSUME, {"arn": cashier, "name": "till"}, token=sam))["assumeRole"]
