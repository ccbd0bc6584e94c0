"""Nested lists cost a fixed number of SQL statements, whatever the page size."""

from __future__ import annotations

from gateway.models import Account
from tests.api import Api, sign_in_root
from tests.services.policy_fixtures import counting_queries

NESTED = """{ users(first: 50) { edges { node { userName
    groups { edges { node { groupName
        attachedPolicies { edges { node { policyName defaultVersion { versionId } } } } } } }
    attachedPolicies { edges { node { arn } } } } } } }"""


async def populate(api: Api, token: str, first: int, last: int) -> None:
    mutations = []
    if first == 0:
        mutations.append('createGroup(groupName: "Baristas") { arn }')
        mutations.append(
            'attachGroupPolicy(groupName: "Baristas",'
            ' policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess") { arn }'
        )
    for i in range(first, last):
        mutations.append(f'u{i}: createUser(input: {{userName: "user{i}"}}) {{ arn }}')
        mutations.append(
            f'g{i}: addUserToGroup(groupName: "Baristas", userName: "user{i}") {{ arn }}'
        )
        mutations.append(
            f'p{i}: attachUserPolicy(userName: "user{i}",'
            ' policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { arn }'
        )
    result = await api("mutation { " + " ".join(mutations) + " }", token=token)
    assert result.errors == [], result.errors


async def statements_for(api: Api, token: str, users: int) -> int:
    await api("{ whoAmI { arn } }", token=token)  # warm the authorization cache
    with counting_queries() as log:
        result = await api(NESTED, token=token)
    assert result.errors == [], result.errors
    assert result.data is not None
    assert len(result.data["users"]["edges"]) == users
    return len(log.statements)


async def test_nested_users_groups_and_policies_cost_the_same_statements_at_any_size(
    local_api: Api, account: Account
) -> None:
    api = local_api
    root_token = await sign_in_root(api)
    await populate(api, root_token, 0, 2)
    few = await statements_for(api, root_token, 2)
    await populate(api, root_token, 2, 12)
    many = await statements_for(api, root_token, 12)
    # Users page, groups of the users, policies of the users and of the groups, their default
    # versions: one statement each (the session was read by the warm-up request).
    assert few == many
    assert many <= 6
