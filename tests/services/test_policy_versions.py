"""Versions of managed policies (gateway/services/policy_versions.py)."""

from __future__ import annotations

import pytest

from gateway.errors import (
    DeleteConflict,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from gateway.models import PolicyVersion
from gateway.services.policies import (
    create_policy,
    get_policy,
)
from gateway.services.policy_versions import (
    create_policy_version,
    default_versions,
    delete_policy_version,
    get_policy_version,
    list_policy_versions,
    set_default_policy_version,
)
from gateway.services.principal import Principal
from tests.services.helpers import Rejects, Succeeds
from tests.services.policy_fixtures import counting_queries, document

NO_ACTION = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}'
LIST_BUCKET = document("s3:ListBucket", resource="arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET")


def arn_of(root: Principal, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{root.account_id}:policy{path}{name}"


# --- versions ----------------------------------------------------------------------------------


async def test_versions_count_up_to_five_then_limit_exceeded(
    root: Principal, succeeds: Succeeds, rejects: Rejects
) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    for number in range(2, 6):
        version = await succeeds(
            create_policy_version(root, policy.arn, policy_document=document(f"s3:Get{number}")),
            actor=root,
            action="iam:CreatePolicyVersion",
            resource=policy.arn,
        )
        assert (version.version_id, version.is_default) == (f"v{number}", False)

    await rejects(
        create_policy_version(root, policy.arn, policy_document=LIST_BUCKET),
        LimitExceeded,
        "A managed policy can have up to 5 versions. Before you create a new version, you "
        "must delete an existing version.",
        action="iam:CreatePolicyVersion",
    )


async def test_version_ids_are_never_reused_after_a_delete(
    root: Principal, succeeds: Succeeds
) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    for _ in range(4):
        await create_policy_version(root, policy.arn, policy_document=LIST_BUCKET)

    await succeeds(
        delete_policy_version(root, policy.arn, "v5"),
        actor=root,
        action="iam:DeletePolicyVersion",
        resource=policy.arn,
    )
    await delete_policy_version(root, policy.arn, "v2")
    created = await create_policy_version(root, policy.arn, policy_document=LIST_BUCKET)

    assert created.version_id == "v6"
    versions = await list_policy_versions(root, policy.arn)
    assert [v.version_id for v in versions] == ["v6", "v4", "v3", "v1"]


async def test_set_as_default_switches_the_default_version(root: Principal) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    new_text = document("s3:GetObject")

    version = await create_policy_version(
        root, policy.arn, policy_document=new_text, set_as_default=True
    )

    assert version.is_default
    fetched = await get_policy(root, policy.arn)
    assert fetched.default_version_id == "v2"
    defaults = await PolicyVersion.filter(policy_id=policy.id, is_default=True)
    assert [v.version_id for v in defaults] == ["v2"]
    assert (await get_policy_version(root, policy.arn, "v2")).document == new_text


async def test_set_default_policy_version_rolls_back(root: Principal, succeeds: Succeeds) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    await create_policy_version(root, policy.arn, policy_document=LIST_BUCKET, set_as_default=True)

    updated = await succeeds(
        set_default_policy_version(root, policy.arn, "v1"),
        actor=root,
        action="iam:SetDefaultPolicyVersion",
        resource=policy.arn,
    )

    assert updated.default_version_id == "v1"
    versions = {v.version_id: v.is_default for v in await list_policy_versions(root, policy.arn)}
    assert versions == {"v1": True, "v2": False}


async def test_the_default_version_cannot_be_deleted(root: Principal, rejects: Rejects) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)

    await rejects(
        delete_policy_version(root, policy.arn, "v1"),
        DeleteConflict,
        "Cannot delete the default version of a policy.",
        action="iam:DeletePolicyVersion",
    )


async def test_unknown_versions(root: Principal, rejects: Rejects) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    missing = f"Policy {policy.arn} version v7 does not exist or is not attachable."

    with pytest.raises(NoSuchEntity) as raised:
        await get_policy_version(root, policy.arn, "v7")
    assert raised.value.message == missing
    await rejects(
        delete_policy_version(root, policy.arn, "v7"),
        NoSuchEntity,
        missing,
        action="iam:DeletePolicyVersion",
    )
    await rejects(
        set_default_policy_version(root, policy.arn, "v7"),
        NoSuchEntity,
        missing,
        action="iam:SetDefaultPolicyVersion",
    )


async def test_version_ids_must_match_aws_pattern(root: Principal, rejects: Rejects) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    await rejects(
        set_default_policy_version(root, policy.arn, "2"),
        ValidationError,
        "1 validation error detected: Value '2' at 'versionId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
        action="iam:SetDefaultPolicyVersion",
    )


async def test_version_operations_on_a_missing_policy(root: Principal, rejects: Rejects) -> None:
    arn = arn_of(root, "Nope")
    await rejects(
        create_policy_version(root, arn, policy_document=LIST_BUCKET),
        NoSuchEntity,
        f"Policy {arn} was not found.",
        action="iam:CreatePolicyVersion",
    )
    with pytest.raises(NoSuchEntity):
        await list_policy_versions(root, arn)


async def test_create_policy_version_validates_the_document(
    root: Principal, rejects: Rejects
) -> None:
    policy = await create_policy(root, policy_name="V", policy_document=LIST_BUCKET)
    await rejects(
        create_policy_version(root, policy.arn, policy_document="{"),
        MalformedPolicyDocument,
        "Syntax errors in policy.",
        action="iam:CreatePolicyVersion",
    )


async def test_default_versions_loads_many_policies_in_one_query(root: Principal) -> None:
    policies = [
        await create_policy(root, policy_name=f"P{i}", policy_document=document(f"s3:A{i}"))
        for i in range(4)
    ]
    await create_policy_version(
        root, policies[0].arn, policy_document=LIST_BUCKET, set_as_default=True
    )

    with counting_queries() as log:
        found = await default_versions([p.id for p in policies])

    assert log.selects == 1
    assert {p: v.version_id for p, v in found.items()} == {
        policies[0].id: "v2",
        policies[1].id: "v1",
        policies[2].id: "v1",
        policies[3].id: "v1",
    }
