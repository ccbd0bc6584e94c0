"""Role sessions through the API (gateway/graphql/role_sessions.py), on both transports."""

from __future__ import annotations

import json
from typing import Any

from gateway.models import Account, AuditEvent, Session
from gateway.services.accounts import bootstrap_account
from gateway.services.inline_policies import put_role_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from tests.api import Api
from tests.graphql.test_authorization import make_user
from tests.helpers import GOOD_PASSWORD

ASSUME = """mutation($arn: String!, $name: String!, $duration: Int, $policy: String) {
  assumeRole(roleArn: $arn, roleSessionName: $name, durationSeconds: $duration,
             policy: $policy) {
    credentials { accessKeyId secretAccessKey sessionToken expiration }
    assumedRoleUser { arn assumedRoleId }
    packedPolicySize
  }
}"""
WHO = "{ whoAmI { arn account userId principalType } me { userName } }"
WHO_ARN = "{ whoAmI { arn } }"
CAN = "query($a: String!, $r: String!) { authorize(action: $a, resource: $r) { effect } }"
SWITCH = """mutation($arn: String!) {
  switchRole(roleArn: $arn) { token expiration identity { arn principalType } }
}"""
BACK = "mutation { switchBack { token identity { arn principalType } } }"
REGISTER = "arn:aws:pos:::register/1"


def trusting(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def allow(action: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


async def ok(api: Api, query: str, variables: dict[str, Any] | None = None, **auth: Any) -> Any:
    result = await api(query, variables, **auth)
    assert result.errors == [], result.errors
    return result.data


async def make_role(api: Api, token: str, name: str, trust: str, action: str) -> str:
    data = await ok(
        api,
        "mutation($n: String!, $t: String!, $d: String!) {"
        " createRole(input: {roleName: $n, assumeRolePolicyDocument: $t}) { arn }"
        ' putRolePolicy(roleName: $n, policyName: "Work", policyDocument: $d) { policyName } }',
        {"n": name, "t": trust, "d": allow(action)},
        token=token,
    )
    arn: str = data["createRole"]["arn"]
    return arn


async def effect(api: Api, action: str, resource: str, **auth: Any) -> str:
    data = await ok(api, CAN, {"a": action, "r": resource}, **auth)
    result: str = data["authorize"]["effect"]
    return result


async def test_assumed_credentials_act_as_the_role_both_ways(
    api: Api, root_token: str, account: Account
) -> None:
    alice = await make_user(api, root_token, "alice")
    user_arn = f"arn:aws:iam::{account.id}:user/alice"
    role = await make_role(api, root_token, "Cashier", trusting(user_arn), "pos:*")
    data = await ok(api, ASSUME, {"arn": role, "name": "till-1"}, token=alice)
    assumed = data["assumeRole"]
    credentials = assumed["credentials"]
    assert credentials["accessKeyId"].startswith("ASIA")
    session_arn = f"arn:aws:sts::{account.id}:assumed-role/Cashier/till-1"
    assert assumed["assumedRoleUser"]["arn"] == session_arn
    assert assumed["assumedRoleUser"]["assumedRoleId"].startswith("AROA")
    assert assumed["packedPolicySize"] is None
    key = (credentials["accessKeyId"], credentials["secretAccessKey"])
    for auth in ({"token": credentials["sessionToken"]}, {"key": key}):
        who = await ok(api, WHO, **auth)
        assert who["whoAmI"] == {
            "arn": session_arn,
            "account": account.id,
            "userId": assumed["assumedRoleUser"]["assumedRoleId"],
            "principalType": "AssumedRole",
        }
        assert who["me"] is None
        assert await effect(api, "pos:OpenDrawer", REGISTER, **auth) == "ALLOW"
        assert await effect(api, "sts:AssumeRole", role, **auth) == "IMPLICIT_DENY"
    # IAM calls work with role credentials (they carry no MFA, unlike GetSessionToken's rule).
    denied = await api(
        '{ user(userName: "alice") { userName } }', token=credentials["sessionToken"]
    )
    assert denied.error_codes() == ["AccessDenied"]
    assert "assumed-role/Cashier/till-1 is not authorized" in denied.only_error()["message"]


async def test_session_policy_narrows_the_session(
    api: Api, root_token: str, account: Account
) -> None:
    alice = await make_user(api, root_token, "alice")
    role = await make_role(
        api, root_token, "Cashier", trusting(f"arn:aws:iam::{account.id}:user/alice"), "pos:*"
    )
    data = await ok(
        api,
        ASSUME,
        {"arn": role, "name": "narrow", "policy": allow("pos:OpenDrawer")},
        token=alice,
    )
    assert data["assumeRole"]["packedPolicySize"] > 0
    token = data["assumeRole"]["credentials"]["sessionToken"]
    assert await effect(api, "pos:OpenDrawer", REGISTER, token=token) == "ALLOW"
    assert await effect(api, "pos:Refund", REGISTER, token=token) == "IMPLICIT_DENY"


async def test_refusals_carry_awss_codes_and_issue_nothing(
    api: Api, root_token: str, account: Account
) -> None:
    alice = await make_user(api, root_token, "alice")
    role = await make_role(
        api, root_token, "Cashier", trusting(f"arn:aws:iam::{account.id}:user/alice"), "pos:*"
    )
    unknown = f"arn:aws:iam::{account.id}:role/Nowhere"
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"arn": role, "name": "a"}, alice, "ValidationError"),
        ({"arn": role, "name": "till", "duration": 7200}, alice, "ValidationError"),
        ({"arn": role, "name": "till", "policy": "{"}, alice, "MalformedPolicyDocument"),
        ({"arn": unknown, "name": "till"}, alice, "AccessDenied"),
        ({"arn": role, "name": "till"}, root_token, "AccessDenied"),
    ]
    for variables, token, code in cases:
        result = await api(ASSUME, variables, token=token)
        assert result.error_codes() == [code], (variables, result.errors)
        assert result.data is None
    refusals = [
        (await api(ASSUME, {"arn": arn, "name": "till"}, token=alice)).only_error()
        for arn in (unknown, f"arn:aws:iam::{account.id}:role/Other")
    ]
    assert [refusal["message"] for refusal in refusals] == [
        f"User: arn:aws:iam::{account.id}:user/alice is not authorized to perform: "
        f"sts:AssumeRole on resource: {arn}"
        for arn in (unknown, f"arn:aws:iam::{account.id}:role/Other")
    ]
    # alice's own policies grant nothing: that is what the refusal explains, alike for both.
    assert [refusal["extensions"] for refusal in refusals] == [
        {
            "code": "AccessDenied",
            "decision": "ImplicitDeny",
            "deniedBy": "identity",
            "statements": [],
            "missingContextKeys": [],
        }
    ] * 2
    assert await Session.filter(principal_kind="role").count() == 0
    failed = await AuditEvent.filter(action="sts:AssumeRole", outcome="Failed").count()
    assert failed == len(cases) + 2


async def test_switching_roles_in_a_console(api: Api, root_token: str, account: Account) -> None:
    alice = await make_user(api, root_token, "alice")
    user_arn = f"arn:aws:iam::{account.id}:user/alice"
    cashier = await make_role(api, root_token, "Cashier", trusting(user_arn), "pos:*")
    inventory = await make_role(api, root_token, "Inventory", trusting(user_arn), "inventory:*")
    listed = await ok(api, "{ assumableRoles { arn roleName account } }", token=alice)
    assert [r["roleName"] for r in listed["assumableRoles"]] == ["Cashier", "Inventory"]

    first = (await ok(api, SWITCH, {"arn": cashier}, token=alice))["switchRole"]
    assert first["identity"] == {
        "arn": f"arn:aws:sts::{account.id}:assumed-role/Cashier/alice",
        "principalType": "AssumedRole",
    }
    as_cashier = first["token"]
    assert await effect(api, "pos:OpenDrawer", REGISTER, token=as_cashier) == "ALLOW"
    second = (await ok(api, SWITCH, {"arn": inventory}, token=as_cashier))["switchRole"]
    as_inventory = second["token"]
    assert (await api(WHO_ARN, token=as_cashier)).error_codes() == ["Unauthenticated"]
    assert await effect(api, "pos:OpenDrawer", REGISTER, token=as_inventory) == "IMPLICIT_DENY"
    assert await effect(api, "inventory:Update", "*", token=as_inventory) == "ALLOW"

    back = (await ok(api, BACK, token=as_inventory))["switchBack"]
    assert back["identity"] == {"arn": user_arn, "principalType": "User"}
    assert (await ok(api, WHO, token=back["token"]))["me"] == {"userName": "alice"}
    assert (await api(WHO_ARN, token=as_inventory)).error_codes() == ["Unauthenticated"]
    assert (await api(BACK, token=back["token"])).error_codes() == ["InvalidInput"]


async def test_switching_to_another_accounts_roles_ends_each_session_it_replaces_at_once(
    api: Api, root_token: str, account: Account
) -> None:
    """A switch, a second switch and a switch back each end a session of the other account
    than their caller's (the replaced role session, the sign-in's old token), and signing the
    sign-in out ends the role session over there: at once, however long sessions are cached."""
    other, _ = await bootstrap_account(email="roles@example.com", password=GOOD_PASSWORD)
    assuming = await ok(
        api,
        'mutation($d: String!) { createPolicy(input: {policyName: "Switch", '
        "policyDocument: $d}) { arn } }",
        {"d": allow("sts:AssumeRole")},
        token=root_token,
    )
    signed_in = await make_user(api, root_token, "alice", assuming["createPolicy"]["arn"])
    user_arn = f"arn:aws:iam::{account.id}:user/alice"
    owner = Principal.root(other.id)
    for name, action in (("Cashier", "pos:*"), ("Inventory", "inventory:*")):
        await create_role(owner, role_name=name, assume_role_policy_document=trusting(user_arn))
        await put_role_policy(
            owner, role_name=name, policy_name="Work", policy_document=allow(action)
        )
    cashier = f"arn:aws:iam::{other.id}:role/Cashier"
    inventory = f"arn:aws:iam::{other.id}:role/Inventory"

    as_cashier = (await ok(api, SWITCH, {"arn": cashier}, token=signed_in))["switchRole"]["token"]
    assert await effect(api, "pos:OpenDrawer", REGISTER, token=as_cashier) == "ALLOW"
    as_inventory = (await ok(api, SWITCH, {"arn": inventory}, token=as_cashier))["switchRole"][
        "token"
    ]
    assert (await api(WHO_ARN, token=as_cashier)).error_codes() == ["Unauthenticated"]
    assert (await ok(api, WHO_ARN, token=signed_in))["whoAmI"]["arn"] == user_arn  # cached
    back = (await ok(api, BACK, token=as_inventory))["switchBack"]["token"]
    assert (await api(WHO_ARN, token=signed_in)).error_codes() == ["Unauthenticated"]
    assert (await api(WHO_ARN, token=as_inventory)).error_codes() == ["Unauthenticated"]

    again = (await ok(api, SWITCH, {"arn": cashier}, token=back))["switchRole"]["token"]
    assert await effect(api, "pos:OpenDrawer", REGISTER, token=again) == "ALLOW"
    assert (await ok(api, "mutation { signOut }", token=back)) == {"signOut": True}
    assert (await api(WHO_ARN, token=again)).error_codes() == ["Unauthenticated"]


async def test_revoking_a_roles_sessions(api: Api, root_token: str, account: Account) -> None:
    alice = await make_user(api, root_token, "alice")
    role = await make_role(
        api, root_token, "Cashier", trusting(f"arn:aws:iam::{account.id}:user/alice"), "pos:*"
    )
    data = await ok(api, ASSUME, {"arn": role, "name": "old"}, token=alice)
    old = data["assumeRole"]["credentials"]["sessionToken"]
    revoke = 'mutation { revokeRoleSessions(roleName: "Cashier") }'
    assert (await api(revoke, token=alice)).error_codes() == ["AccessDenied"]
    revoked = await ok(api, revoke, token=root_token)
    assert revoked["revokeRoleSessions"] is not None
    assert await effect(api, "pos:OpenDrawer", REGISTER, token=old) == "EXPLICIT_DENY"
    names = await ok(api, '{ role(roleName: "Cashier") { inlinePolicyNames } }', token=root_token)
    assert names["role"]["inlinePolicyNames"] == ["AWSRevokeOlderSessions", "Work"]
