"""Roles through the API (gateway/graphql/roles.py, gateway/graphql/types/role.py)."""

from __future__ import annotations

import json
from typing import Any

from gateway.models import Account, AuditEvent, Role
from gateway.services.validation import PATH_PATTERN
from tests.api import Api, sign_in_root
from tests.graphql.test_authorization import make_user
from tests.services.policy_fixtures import counting_queries

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"

CREATE = """mutation($input: CreateRoleInput!) {
  createRole(input: $input) {
    roleName id roleId arn path description maxSessionDuration createDate
    assumeRolePolicyDocument { json }
    tags { key value }
    roleLastUsed { lastUsedDate }
  }
}"""

ROLE = """query($name: String!) {
  role(roleName: $name) {
    roleName arn description maxSessionDuration
    assumeRolePolicyDocument { text }
    tags { key value }
    attachedPolicies { nodes { arn } }
    inlinePolicyNames
    inlinePolicy(policyName: "Till") { policyName document { json } }
    permissionsBoundary { permissionsBoundaryArn }
  }
}"""


def trust_policy(account: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def allow(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


async def create_role(api: Api, token: str, account: str, name: str, **fields: Any) -> Any:
    document = fields.pop("document", None) or json.dumps(trust_policy(account))
    role_input = {"roleName": name, "assumeRolePolicyDocument": document, **fields}
    return await api(CREATE, {"input": role_input}, token=token)


def data(result: Any) -> dict[str, Any]:
    assert result.errors == [], result.errors
    assert result.data is not None
    found: dict[str, Any] = result.data
    return found


async def test_create_and_read_a_role(api: Api, root_token: str, account: Account) -> None:
    trust = trust_policy(account.id, Bool={"aws:MultiFactorAuthPresent": "true"})

    created = data(
        await create_role(
            api,
            root_token,
            account.id,
            "Cashier",
            document=json.dumps(trust),
            path="/shop/",
            description="Runs the till",
            maxSessionDuration=7200,
            tags=[{"key": "Team", "value": "floor"}],
        )
    )["createRole"]

    assert created["roleName"] == "Cashier"
    assert created["id"].startswith("AROA")
    assert created["roleId"] == created["id"]
    assert created["arn"] == f"arn:aws:iam::{account.id}:role/shop/Cashier"
    assert (created["path"], created["description"], created["maxSessionDuration"]) == (
        "/shop/",
        "Runs the till",
        7200,
    )
    assert created["assumeRolePolicyDocument"]["json"] == trust
    assert created["tags"] == [{"key": "Team", "value": "floor"}]
    assert created["roleLastUsed"] == {"lastUsedDate": None}

    listed = data(
        await api(
            '{ roles(pathPrefix: "/shop/") { edges { node { roleName arn } } } }',
            token=root_token,
        )
    )
    assert [e["node"]["roleName"] for e in listed["roles"]["edges"]] == ["Cashier"]


async def test_role_permissions_round_trip(api: Api, root_token: str, account: Account) -> None:
    data(await create_role(api, root_token, account.id, "Cashier"))
    data(await api('mutation { createUser(input: {userName: "alice"}) { arn } }', token=root_token))
    changed = data(
        await api(
            """mutation($doc: String!, $trust: String!, $policy: String!) {
              attachRolePolicy(roleName: "cashier", policyArn: $policy) { roleName }
              putRolePolicy(roleName: "Cashier", policyName: "Till", policyDocument: $doc) {
                policyName }
              putRolePermissionsBoundary(roleName: "Cashier", permissionsBoundary: $policy) {
                permissionsBoundary { permissionsBoundaryArn } }
              updateRole(roleName: "Cashier", description: "Tills", maxSessionDuration: 43200) {
                description maxSessionDuration }
              updateAssumeRolePolicy(roleName: "Cashier", policyDocument: $trust) { roleName }
              tagRole(roleName: "Cashier", tags: [{key: "shift", value: "early"}]) {
                tags { key } }
            }""",
            {
                "policy": READ_ONLY,
                "doc": allow("till:Open"),
                "trust": json.dumps(trust_policy(account.id)).replace(":root", ":user/alice"),
            },
            token=root_token,
        )
    )
    assert changed["updateRole"] == {"description": "Tills", "maxSessionDuration": 43200}

    role = data(await api(ROLE, {"name": "CASHIER"}, token=root_token))["role"]
    assert role["attachedPolicies"]["nodes"] == [{"arn": READ_ONLY}]
    assert role["inlinePolicyNames"] == ["Till"]
    assert role["inlinePolicy"]["document"]["json"] == json.loads(allow("till:Open"))
    assert role["permissionsBoundary"] == {"permissionsBoundaryArn": READ_ONLY}
    assert ":user/alice" in role["assumeRolePolicyDocument"]["text"]
    assert role["tags"] == [{"key": "shift", "value": "early"}]

    refused = await api('mutation { deleteRole(roleName: "Cashier") }', token=root_token)
    assert refused.error_codes() == ["DeleteConflict"]
    assert refused.only_error()["message"] == "Cannot delete entity, must delete policies first."

    cleared = data(
        await api(
            """mutation($policy: String!) {
              deleteRolePolicy(roleName: "Cashier", policyName: "Till")
              detachRolePolicy(roleName: "Cashier", policyArn: $policy) { roleName }
              deleteRolePermissionsBoundary(roleName: "Cashier") { permissionsBoundary {
                permissionsBoundaryArn } }
              untagRole(roleName: "Cashier", tagKeys: ["SHIFT"]) { tags { key } }
              deleteRole(roleName: "Cashier")
            }""",
            {"policy": READ_ONLY},
            token=root_token,
        )
    )
    assert cleared["deleteRolePermissionsBoundary"] == {"permissionsBoundary": None}
    assert cleared["untagRole"] == {"tags": []}
    assert cleared["deleteRole"] is True
    assert not await Role.filter(account_id=account.id).exists()


async def test_bad_role_input_gets_aws_errors_and_changes_nothing(
    api: Api, root_token: str, account: Account
) -> None:
    no_principal = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"document": no_principal}, "MalformedPolicyDocument", "Missing required field Principal"),
        (
            {"maxSessionDuration": 60},
            "ValidationError",
            "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy "
            "constraint: Member must have value greater than or equal to 3600",
        ),
        (
            {"path": "shop"},
            "ValidationError",
            "1 validation error detected: Value 'shop' at 'path' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {PATH_PATTERN}",
        ),
    ]
    for fields, code, message in cases:
        result = await create_role(api, root_token, account.id, "Cashier", **fields)
        assert result.error_codes() == [code]
        assert result.only_error()["message"] == message
    assert not await Role.filter(account_id=account.id).exists()
    assert await AuditEvent.filter(action="iam:CreateRole", outcome="Failed").count() == 3

    data(await create_role(api, root_token, account.id, "Cashier"))
    duplicate = await create_role(api, root_token, account.id, "CASHIER")
    assert duplicate.error_codes() == ["EntityAlreadyExists"]
    assert duplicate.only_error()["message"] == "Role with name CASHIER already exists."
    missing = await api('{ role(roleName: "nobody") { arn } }', token=root_token)
    assert missing.error_codes() == ["NoSuchEntity"]
    assert missing.only_error()["message"] == "The role with name nobody cannot be found."


async def test_iam_read_only_user_lists_and_reads_roles_but_cannot_create_or_delete(
    api: Api, root_token: str, account: Account
) -> None:
    data(await create_role(api, root_token, account.id, "Cashier", path="/shop/"))
    token = await make_user(api, root_token, "auditor", IAM_READ_ONLY)

    read = await api(
        ROLE.replace('inlinePolicy(policyName: "Till") { policyName document { json } }', ""),
        {"name": "Cashier"},
        token=token,
    )
    assert data(read)["role"]["roleName"] == "Cashier"
    listed = data(await api("{ roles { nodes { roleName } } }", token=token))
    assert listed["roles"]["nodes"] == [{"roleName": "Cashier"}]

    created = await create_role(api, token, account.id, "Sneaky")
    assert created.error_codes() == ["AccessDenied"]
    assert created.only_error()["message"] == (
        f"User: arn:aws:iam::{account.id}:user/auditor is not authorized to perform: "
        f"iam:CreateRole on resource: arn:aws:iam::{account.id}:role/Sneaky because no "
        "identity-based policy allows the iam:CreateRole action"
    )
    # Authorized against the stored role's full ARN, whatever the case of the name given.
    deleted = await api('mutation { deleteRole(roleName: "cashier") }', token=token)
    assert deleted.error_codes() == ["AccessDenied"]
    assert (
        f"on resource: arn:aws:iam::{account.id}:role/shop/Cashier "
        in (deleted.only_error()["message"])
    )
    assert await Role.filter(account_id=account.id).count() == 1


async def test_a_policy_allowing_one_role_path_governs_role_writes(
    api: Api, root_token: str, account: Account
) -> None:
    scoped = data(
        await api(
            'mutation($d: String!) { createPolicy(input: {policyName: "ShopRoles",'
            " policyDocument: $d}) { arn } }",
            {
                "d": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["iam:CreateRole", "iam:TagRole", "iam:ListRoleTags"],
                                "Resource": f"arn:aws:iam::{account.id}:role/shop/*",
                            }
                        ],
                    }
                )
            },
            token=root_token,
        )
    )["createPolicy"]["arn"]
    token = await make_user(api, root_token, "manager", scoped)

    inside = await create_role(api, token, account.id, "Cashier", path="/shop/")
    outside = await create_role(api, token, account.id, "Owner")

    assert data(inside)["createRole"]["arn"].endswith(":role/shop/Cashier")
    assert outside.error_codes() == ["AccessDenied"]
    tagged = await api(
        'mutation { tagRole(roleName: "Cashier", tags: [{key: "a"}]) { tags { key } } }',
        token=token,
    )
    assert data(tagged)["tagRole"]["tags"] == [{"key": "a"}]


async def test_policy_attached_to_shows_roles(api: Api, root_token: str, account: Account) -> None:
    data(await create_role(api, root_token, account.id, "Cashier"))
    data(
        await api(
            'mutation($p: String!) { attachRolePolicy(roleName: "Cashier", policyArn: $p) {'
            " roleName } }",
            {"p": READ_ONLY},
            token=root_token,
        )
    )
    found = data(
        await api(
            "query($p: String!) { policy(policyArn: $p) {"
            " attachmentCount attachedTo { roles { roleName } } } }",
            {"p": READ_ONLY},
            token=root_token,
        )
    )
    assert found["policy"] == {
        "attachmentCount": 1,
        "attachedTo": {"roles": [{"roleName": "Cashier"}]},
    }


NESTED = """{ roles(first: 50) { edges { node { roleName
    attachedPolicies { edges { node { policyName defaultVersion { versionId } } } }
    permissionsBoundary { permissionsBoundaryArn } } } } }"""


async def populate(api: Api, token: str, account: str, first: int, last: int) -> None:
    mutations = []
    for i in range(first, last):
        role_input = json.dumps(
            {"roleName": f"role{i}", "assumeRolePolicyDocument": json.dumps(trust_policy(account))}
        )
        role_input = role_input.replace('"roleName"', "roleName").replace(
            '"assumeRolePolicyDocument"', "assumeRolePolicyDocument"
        )
        mutations.append(f"r{i}: createRole(input: {role_input}) {{ arn }}")
        mutations.append(
            f'a{i}: attachRolePolicy(roleName: "role{i}", policyArn: "{IAM_READ_ONLY}") {{ arn }}'
        )
        mutations.append(
            f'b{i}: putRolePermissionsBoundary(roleName: "role{i}",'
            f' permissionsBoundary: "{READ_ONLY}") {{ arn }}'
        )
    result = await api("mutation { " + " ".join(mutations) + " }", token=token)
    assert result.errors == [], result.errors


async def statements_for(api: Api, token: str, roles: int) -> int:
    await api("{ whoAmI { arn } }", token=token)  # warm the authorization cache
    with counting_queries() as log:
        result = await api(NESTED, token=token)
    found = data(result)
    assert len(found["roles"]["edges"]) == roles
    return len(log.statements)


async def test_nested_roles_and_policies_cost_the_same_statements_at_any_size(
    local_api: Api, account: Account
) -> None:
    api = local_api
    token = await sign_in_root(api)
    await populate(api, token, account.id, 0, 2)
    few = await statements_for(api, token, 2)
    await populate(api, token, account.id, 2, 12)
    many = await statements_for(api, token, 12)
    # Roles page, their attached policies, the policies' default versions, the boundaries'
    # ARNs: one statement each.
    assert few == many
    assert many <= 5
