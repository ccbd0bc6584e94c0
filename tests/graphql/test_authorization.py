"""Every field enforces its @authorize permission through the policy engine."""

from __future__ import annotations

import json
from collections.abc import Mapping

from gateway.models import Account
from tests.api import Api

PASSWORD = "Cafe-Latte-42"
BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"


def document(*statements: Mapping[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


async def make_user(api: Api, token: str, name: str, *policy_arns: str) -> str:
    """Create a user with a password and the given managed policies; return its token."""
    account = (await api("{ whoAmI { account } }", token=token)).data["whoAmI"]["account"]  # type: ignore[index]
    result = await api(
        "mutation($u: String!, $p: String!) {"
        " createUser(input: {userName: $u}) { userName }"
        " createLoginProfile(userName: $u, password: $p) { userName } }",
        {"u": name, "p": PASSWORD},
        token=token,
    )
    assert result.errors == [], result.errors
    for arn in policy_arns:
        attached = await api(
            "mutation($u: String!, $a: String!) {"
            " attachUserPolicy(userName: $u, policyArn: $a) { userName } }",
            {"u": name, "a": arn},
            token=token,
        )
        assert attached.errors == [], attached.errors
    return await api.sign_in(account, name, PASSWORD)


async def create_policy(api: Api, token: str, name: str, doc: str) -> str:
    result = await api(
        "mutation($n: String!, $d: String!) {"
        " createPolicy(input: {policyName: $n, policyDocument: $d}) { arn } }",
        {"n": name, "d": doc},
        token=token,
    )
    assert result.errors == [], result.errors
    assert result.data is not None
    arn: str = result.data["createPolicy"]["arn"]
    return arn


async def test_a_request_without_a_session_is_unauthenticated(api: Api) -> None:
    result = await api("{ users { edges { node { userName } } } }")
    assert result.error_codes() == ["Unauthenticated"]
    assert result.data == {"users": None}


async def test_a_new_user_has_no_permissions_and_denials_speak_aws(
    api: Api, root_token: str, account: Account
) -> None:
    token = await make_user(api, root_token, "newbie")
    result = await api("{ users { edges { node { userName } } } }", token=token)
    error = result.only_error()
    assert error["message"] == (
        f"User: arn:aws:iam::{account.id}:user/newbie is not authorized to perform: "
        "iam:ListUsers on resource: * because no identity-based policy allows the "
        "iam:ListUsers action"
    )
    assert error["extensions"]["code"] == "AccessDenied"
    assert error["extensions"]["deniedBy"] == "identity"
    assert result.data == {"users": None}


async def test_who_am_i_needs_no_permission(api: Api, root_token: str, account: Account) -> None:
    token = await make_user(api, root_token, "newbie")
    result = await api("{ whoAmI { arn principalType } me { userName } }", token=token)
    assert result.errors == []
    assert result.data == {
        "whoAmI": {"arn": f"arn:aws:iam::{account.id}:user/newbie", "principalType": "User"},
        "me": {"userName": "newbie"},
    }


async def test_a_users_user_id_is_awss_user_id_as_who_am_i_gives_it(
    api: Api, root_token: str
) -> None:
    token = await make_user(api, root_token, "newbie")

    result = await api("{ whoAmI { userId } me { id userId } }", token=token)

    assert result.errors == []
    assert result.data is not None
    user_id = result.data["whoAmI"]["userId"]
    assert user_id.startswith("AIDA")
    assert result.data["me"] == {"id": user_id, "userId": user_id}


async def test_a_denied_nested_field_is_null_with_its_own_error_and_siblings_survive(
    api: Api, root_token: str
) -> None:
    arn = await create_policy(
        api,
        root_token,
        "GetUsersOnly",
        document({"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"}),
    )
    token = await make_user(api, root_token, "reader", arn)
    result = await api(
        "{ users { edges { node { userName groups { edges { node { groupName } } } } } } }",
        token=token,
    )
    assert result.data is not None
    edges = result.data["users"]["edges"]
    assert [e["node"]["userName"] for e in edges] == ["reader"]
    assert edges[0]["node"]["groups"] is None
    assert result.error_codes() == ["AccessDenied"]
    assert result.errors[0]["path"] == ["users", "edges", 0, "node", "groups"]


async def test_iam_read_only_user_reads_but_cannot_write(api: Api, root_token: str) -> None:
    token = await make_user(api, root_token, "auditor", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    read = await api("{ users { edges { node { userName } } } }", token=token)
    assert read.errors == []
    write = await api('mutation { createGroup(groupName: "Hackers") { arn } }', token=token)
    assert write.error_codes() == ["AccessDenied"]
    assert "iam:CreateGroup" in write.errors[0]["message"]


async def test_explicit_deny_in_a_group_policy_beats_an_allow_in_a_user_policy(
    api: Api, root_token: str
) -> None:
    token = await make_user(api, root_token, "ops", "arn:aws:iam::aws:policy/IAMFullAccess")
    deny = await create_policy(
        api,
        root_token,
        "NoGroupDeletes",
        document({"Effect": "Deny", "Action": "iam:DeleteGroup", "Resource": "*"}),
    )
    setup = await api(
        'mutation($a: String!) { createGroup(groupName: "Ops") { arn }'
        ' addUserToGroup(groupName: "Ops", userName: "ops") { arn }'
        ' attachGroupPolicy(groupName: "Ops", policyArn: $a) { arn } }',
        {"a": deny},
        token=root_token,
    )
    assert setup.errors == [], setup.errors
    result = await api('mutation { deleteGroup(groupName: "Ops") }', token=token)
    error = result.only_error()
    assert error["extensions"]["code"] == "AccessDenied"
    assert error["message"].endswith("with an explicit deny in an identity-based policy")
    assert error["extensions"]["statements"][0]["policy"] == deny


async def test_a_permissions_boundary_caps_an_administrator(api: Api, root_token: str) -> None:
    token = await make_user(
        api, root_token, "capped", "arn:aws:iam::aws:policy/AdministratorAccess"
    )
    bounded = await api(
        'mutation { putUserPermissionsBoundary(userName: "capped",'
        ' permissionsBoundary: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { userName } }',
        token=root_token,
    )
    assert bounded.errors == [], bounded.errors
    shown = await api(
        '{ user(userName: "capped") { permissionsBoundary { permissionsBoundaryArn } } }',
        token=root_token,
    )
    assert shown.data == {
        "user": {
            "permissionsBoundary": {
                "permissionsBoundaryArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
            }
        }
    }
    assert (await api("{ users { edges { cursor } } }", token=token)).errors == []
    result = await api('mutation { createGroup(groupName: "X") { arn } }', token=token)
    error = result.only_error()
    assert error["extensions"]["deniedBy"] == "boundary"
    assert error["message"].endswith(
        "because no permissions boundary allows the iam:CreateGroup action"
    )


async def test_a_policy_change_is_in_force_on_the_next_request(api: Api, root_token: str) -> None:
    token = await make_user(api, root_token, "temp")
    query = "{ users { edges { cursor } } }"
    assert (await api(query, token=token)).error_codes() == ["AccessDenied"]
    attach = (
        'mutation { attachUserPolicy(userName: "temp",'
        ' policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { userName } }'
    )
    assert (await api(attach, token=root_token)).errors == []
    assert (await api(query, token=token)).errors == []
    detach = attach.replace("attachUserPolicy", "detachUserPolicy")
    assert (await api(detach, token=root_token)).errors == []
    assert (await api(query, token=token)).error_codes() == ["AccessDenied"]


async def test_authorize_query_answers_for_the_caller_with_the_deciding_statement(
    api: Api, root_token: str
) -> None:
    arn = await create_policy(
        api,
        root_token,
        "ListReceipts",
        document(
            {"Sid": "Receipts", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}
        ),
    )
    token = await make_user(api, root_token, "cashier", arn)
    query = (
        'query($r: String!) { authorize(action: "s3:ListBucket", resource: $r) {'
        " effect allowed deniedBy statements { policy sid } missingContextKeys } }"
    )
    allowed = await api(query, {"r": BUCKET}, token=token)
    assert allowed.data == {
        "authorize": {
            "effect": "ALLOW",
            "allowed": True,
            "deniedBy": None,
            "statements": [{"policy": arn, "sid": "Receipts"}],
            "missingContextKeys": [],
        }
    }
    other = await api(query, {"r": "arn:aws:s3:::OTHER-BUCKET"}, token=token)
    assert other.data is not None
    assert other.data["authorize"]["effect"] == "IMPLICIT_DENY"
    assert other.data["authorize"]["deniedBy"] == "identity"


async def test_simulate_principal_policy_needs_permission_and_reports_missing_keys(
    api: Api, root_token: str, account: Account
) -> None:
    arn = await create_policy(
        api,
        root_token,
        "NeedsMfa",
        document(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ),
    )
    token = await make_user(api, root_token, "carol", arn)
    query = (
        "query($s: String!) { simulatePrincipalPolicy(policySourceArn: $s,"
        ' actionNames: ["s3:GetObject"]) { effect missingContextKeys } }'
    )
    carol = f"arn:aws:iam::{account.id}:user/carol"
    as_root = await api(query, {"s": carol}, token=root_token)
    assert as_root.data == {
        "simulatePrincipalPolicy": [
            {"effect": "IMPLICIT_DENY", "missingContextKeys": ["aws:MultiFactorAuthPresent"]}
        ]
    }
    as_carol = await api(query, {"s": carol}, token=token)
    assert as_carol.error_codes() == ["AccessDenied"]


async def test_simulate_principal_policy_evaluates_a_roles_own_policies(
    api: Api, root_token: str, account: Account
) -> None:
    trust = document(
        {"Effect": "Allow", "Principal": {"AWS": account.id}, "Action": "sts:AssumeRole"}
    )
    made = await api(
        "mutation($t: String!, $p: String!) {"
        ' createRole(input: {roleName: "Reader", assumeRolePolicyDocument: $t}) { arn }'
        ' putRolePolicy(roleName: "Reader", policyName: "Read", policyDocument: $p)'
        " { policyName } }",
        {"t": trust, "p": document({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"})},
        token=root_token,
    )
    assert made.errors == [], made.errors
    query = (
        "query($s: String!) { simulatePrincipalPolicy(policySourceArn: $s,"
        ' actionNames: ["s3:GetObject", "s3:PutObject"]) { action effect } }'
    )
    role = f"arn:aws:iam::{account.id}:role/Reader"
    simulated = await api(query, {"s": role}, token=root_token)
    assert simulated.data == {
        "simulatePrincipalPolicy": [
            {"action": "s3:GetObject", "effect": "ALLOW"},
            {"action": "s3:PutObject", "effect": "IMPLICIT_DENY"},
        ]
    }
    missing = await api(query, {"s": f"{role}-gone"}, token=root_token)
    assert missing.error_codes() == ["NoSuchEntity"]


async def test_group_listings_follow_membership_changes_on_the_next_request(
    api: Api, root_token: str
) -> None:
    token = await make_user(api, root_token, "barista", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    query = "{ me { groups { edges { node { groupName } } } } }"
    assert (await api(query, token=token)).data == {"me": {"groups": {"edges": []}}}
    joined = await api(
        'mutation { createGroup(groupName: "Baristas") { arn }'
        ' addUserToGroup(groupName: "Baristas", userName: "barista") { arn } }',
        token=root_token,
    )
    assert joined.errors == [], joined.errors
    assert (await api(query, token=token)).data == {
        "me": {"groups": {"edges": [{"node": {"groupName": "Baristas"}}]}}
    }


async def test_account_authorization_details_exports_users_groups_and_documents(
    api: Api, root_token: str
) -> None:
    arn = await create_policy(
        api,
        root_token,
        "Receipts",
        document({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}),
    )
    await make_user(api, root_token, "jorge", arn)
    result = await api(
        '{ accountAuthorizationDetails(filter: ["User", "LocalManagedPolicy"]) {'
        " users { userName attachedPolicyArns } groups { groupName }"
        " policies { policy { arn } versions { versionId document { json } } } } }",
        token=root_token,
    )
    assert result.errors == [], result.errors
    assert result.data == {
        "accountAuthorizationDetails": {
            "users": [{"userName": "jorge", "attachedPolicyArns": [arn]}],
            "groups": [],
            "policies": [
                {
                    "policy": {"arn": arn},
                    "versions": [
                        {
                            "versionId": "v1",
                            "document": {
                                "json": {
                                    "Version": "2012-10-17",
                                    "Statement": [
                                        {
                                            "Effect": "Allow",
                                            "Action": "s3:ListBucket",
                                            "Resource": BUCKET,
                                        }
                                    ],
                                }
                            },
                        }
                    ],
                }
            ],
        }
    }
