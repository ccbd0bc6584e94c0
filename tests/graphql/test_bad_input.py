"""Bad input over the API: AWS's error code and message, and nothing in the database changes."""

from __future__ import annotations

import pytest

from gateway.models import Account, AuditEvent
from tests.api import Api
from tests.helpers import snapshot

GOOD_DOC = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
)

SETUP = (
    'mutation { createUser(input: {userName: "taken"}) { arn }'
    ' createGroup(groupName: "Full") { arn }'
    ' addUserToGroup(groupName: "Full", userName: "taken") { arn }'
    ' attachUserPolicy(userName: "taken",'
    ' policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { arn } }'
)

CASES = [
    (
        "malformed policy JSON",
        'mutation { createPolicy(input: {policyName: "P", policyDocument: "{not json"}) { arn } }',
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
    ),
    (
        "policy without resources",
        'mutation { createPolicy(input: {policyName: "P", policyDocument:'
        ' "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": {\\"Effect\\": \\"Allow\\",'
        ' \\"Action\\": \\"s3:*\\"}}"}) { arn } }',
        "MalformedPolicyDocument",
        "Policy statement must contain resources.",
    ),
    (
        "forbidden characters in a name",
        'mutation { createUser(input: {userName: "bad name!"}) { arn } }',
        "ValidationError",
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy"
        " constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    ),
    (
        "duplicate name, other case",
        'mutation { createUser(input: {userName: "TAKEN"}) { arn } }',
        "EntityAlreadyExists",
        "User with name TAKEN already exists.",
    ),
    (
        "deleting a user still in a group",
        'mutation { deleteUser(userName: "taken") }',
        "DeleteConflict",
        None,
    ),
    (
        "deleting a group with members",
        'mutation { deleteGroup(groupName: "Full") }',
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    ),
    (
        "unknown user",
        'mutation { attachUserPolicy(userName: "ghost",'
        ' policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { arn } }',
        "NoSuchEntity",
        "The user with name ghost cannot be found.",
    ),
    (
        "bad path",
        'mutation { createGroup(groupName: "G", path: "no-slashes") { arn } }',
        "ValidationError",
        None,
    ),
    (
        "a tag key given twice, same case",
        'mutation { tagUser(userName: "taken", tags: [{key: "team", value: "a"},'
        ' {key: "team", value: "b"}]) { arn } }',
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    ),
    (
        "a tag key given twice at creation",
        'mutation { createRole(input: {roleName: "R", assumeRolePolicyDocument: "{}",'
        ' tags: [{key: "team", value: "a"}, {key: "team", value: "a"}]}) { arn } }',
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    ),
    (
        "a tag key in AWS's reserved prefix",
        'mutation { tagUser(userName: "taken", tags: [{key: "aws:team", value: "a"}]) { arn } }',
        "InvalidInput",
        "Tag keys cannot begin with the text aws:. This tag prefix is reserved for AWS internal"
        " use.",
    ),
]


@pytest.mark.parametrize(("what", "mutation", "code", "message"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_gets_its_error_and_changes_nothing(
    local_api: Api,
    account: Account,
    what: str,
    mutation: str,
    code: str,
    message: str | None,
) -> None:
    from tests.api import sign_in_root

    token = await sign_in_root(local_api)
    assert (await local_api(SETUP, token=token)).errors == []
    before = await snapshot()
    events = await AuditEvent.all().count()
    result = await local_api(mutation, token=token)
    error = result.only_error()
    assert error["extensions"]["code"] == code, what
    if message is not None:
        assert error["message"] == message
    assert await snapshot() == before
    # Only the audit trail grows: one Failed event for the refused write.
    new_events = await AuditEvent.all().order_by("id").offset(events)
    assert [e.outcome for e in new_events] == ["Failed"]


async def test_quota_overflow_is_limit_exceeded_and_changes_nothing(
    local_api: Api, account: Account
) -> None:
    from tests.api import sign_in_root

    token = await sign_in_root(local_api)
    groups = " ".join(
        f'g{i}: createGroup(groupName: "G{i}") {{ arn }}'
        f' a{i}: addUserToGroup(groupName: "G{i}", userName: "u") {{ arn }}'
        for i in range(10)
    )
    setup = await local_api(
        'mutation { createUser(input: {userName: "u"}) { arn }'
        ' createGroup(groupName: "Extra") { arn } ' + groups + " }",
        token=token,
    )
    assert setup.errors == [], setup.errors
    before = await snapshot()
    result = await local_api(
        'mutation { addUserToGroup(groupName: "Extra", userName: "u") { arn } }', token=token
    )
    assert result.only_error()["extensions"]["code"] == "LimitExceeded"
    assert result.only_error()["message"] == "Cannot exceed quota for GroupsPerUser: 10"
    after = await snapshot()
    assert after == before
