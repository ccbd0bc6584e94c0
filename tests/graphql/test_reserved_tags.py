"""Every way to set tags refuses AWS's reserved `aws:` prefix and changes nothing."""

from __future__ import annotations

import pytest

from gateway.services import tags as tagging
from tests.api import Api
from tests.helpers import snapshot

TAGS = '[{key: "AWS:CreatedBy", value: "me"}]'
DOC = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
)
TRUST = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow",'
    ' "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}}'
)


@pytest.mark.parametrize(
    "mutation",
    [
        f'mutation {{ tagUser(userName: "tagged", tags: {TAGS}) {{ arn }} }}',
        f'mutation {{ tagRole(roleName: "Tagged", tags: {TAGS}) {{ arn }} }}',
        f'mutation {{ createUser(input: {{userName: "fresh", tags: {TAGS}}}) {{ arn }} }}',
        f'mutation($d: String!) {{ createPolicy(input: {{policyName: "Fresh",'
        f" policyDocument: $d, tags: {TAGS}}}) {{ arn }} }}",
        f'mutation($t: String!) {{ createRole(input: {{roleName: "Fresh",'
        f' assumeRolePolicyDocument: $t, maxSessionDuration: 3600, description: "",'
        f" tags: {TAGS}}}) {{ arn }} }}",
        f'mutation {{ createVirtualMfaDevice(virtualMfaDeviceName: "fresh", path: "/",'
        f" tags: {TAGS}) {{ __typename }} }}",
    ],
    ids=["tagUser", "tagRole", "createUser", "createPolicy", "createRole", "createMfaDevice"],
)
async def test_the_reserved_prefix_is_refused_everywhere(
    local_api: Api, local_root_token: str, mutation: str
) -> None:
    setup = await local_api(
        "mutation($t: String!) {"
        ' createUser(input: {userName: "tagged"}) { arn }'
        ' createRole(input: {roleName: "Tagged", assumeRolePolicyDocument: $t,'
        ' maxSessionDuration: 3600, description: ""}) { arn } }',
        {"t": TRUST},
        token=local_root_token,
    )
    assert setup.errors == [], setup.errors
    before = await snapshot()
    result = await local_api(mutation, {"d": DOC, "t": TRUST}, token=local_root_token)
    assert result.error_codes() == ["InvalidInput"], result.errors
    assert result.only_error()["message"] == tagging.RESERVED_KEY
    assert await snapshot() == before
