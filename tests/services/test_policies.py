"""Managed policies (gateway/services/policies.py); their tags: tests/services/test_tags.py."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    GatewayError,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from gateway.models import ManagedPolicy, PolicyVersion
from gateway.services.attachments import attach_user_policy
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.policies import (
    create_policy,
    delete_policy,
    get_policy,
    list_policies,
)
from gateway.services.policy_versions import (
    create_policy_version,
)
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.services.helpers import Rejects, Succeeds
from tests.services.policy_fixtures import document, sized_document

NO_ACTION = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}'
LIST_BUCKET = document("s3:ListBucket", resource="arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET")


def arn_of(root: Principal, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{root.account_id}:policy{path}{name}"


# --- CreatePolicy ------------------------------------------------------------------------------


async def test_create_policy_stores_the_document_as_default_version_v1(
    root: Principal, succeeds: Succeeds
) -> None:
    text = (
        '{"Version": "2012-10-17",\n "Statement": '
        '{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
    )
    policy = await succeeds(
        create_policy(
            root,
            policy_name="Cashiers",
            policy_document=text,
            path="/shop/",
            description="List the bucket",
            tags={"team": "shop"},
        ),
        actor=root,
        action="iam:CreatePolicy",
        resource=arn_of(root, "Cashiers", "/shop/"),
        policies=False,
    )

    assert policy.arn == arn_of(root, "Cashiers", "/shop/")
    assert policy.id.startswith("ANPA")
    assert len(policy.id) == 21
    assert (policy.default_version_id, policy.attachment_count) == ("v1", 0)
    assert policy.tags == {"team": "shop"}
    [version] = await PolicyVersion.filter(policy_id=policy.id)
    assert (version.version_id, version.is_default, version.document) == ("v1", True, text)


async def test_policy_names_are_unique_ignoring_case(root: Principal, rejects: Rejects) -> None:
    await create_policy(root, policy_name="Cashiers", policy_document=LIST_BUCKET)

    await rejects(
        create_policy(root, policy_name="CASHIERS", policy_document=LIST_BUCKET, path="/x/"),
        EntityAlreadyExists,
        "A policy called CASHIERS already exists. Duplicate names are not allowed.",
        action="iam:CreatePolicy",
    )


async def test_the_same_policy_name_may_exist_in_two_accounts(
    root: Principal, other_root: Principal
) -> None:
    first = await create_policy(root, policy_name="Cashiers", policy_document=LIST_BUCKET)
    second = await create_policy(other_root, policy_name="Cashiers", policy_document=LIST_BUCKET)
    assert first.arn != second.arn


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"policy_name": "a b"},
            ValidationError,
            "1 validation error detected: Value 'a b' at 'policyName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ),
        (
            {"policy_name": "p" * 129},
            ValidationError,
            f"1 validation error detected: Value '{'p' * 129}' at 'policyName' failed to "
            "satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            {"path": "no-slash"},
            ValidationError,
            "1 validation error detected: Value 'no-slash' at 'path' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ),
        (
            {"description": "d" * 1001},
            ValidationError,
            f"1 validation error detected: Value '{'d' * 1001}' at 'description' failed to "
            "satisfy constraint: Member must have length less than or equal to 1000",
        ),
        (
            {"policy_document": "not json"},
            MalformedPolicyDocument,
            "Syntax errors in policy.",
        ),
        (
            {"policy_document": NO_ACTION},
            MalformedPolicyDocument,
            "Policy statement must contain actions.",
        ),
        (
            {"policy_document": sized_document(6145)},
            LimitExceeded,
            "Cannot exceed quota for PolicySize: 6144",
        ),
    ],
    ids=["name-pattern", "name-length", "path", "description", "json", "grammar", "size"],
)
async def test_create_policy_rejects_bad_input(
    root: Principal,
    rejects: Rejects,
    arguments: dict[str, Any],
    error: type[GatewayError],
    message: str,
) -> None:
    call = {"policy_name": "P", "policy_document": LIST_BUCKET, **arguments}
    await rejects(create_policy(root, **call), error, message, action="iam:CreatePolicy")


async def test_a_document_of_exactly_6144_characters_is_accepted(root: Principal) -> None:
    policy = await create_policy(root, policy_name="Big", policy_document=sized_document(6144))
    assert policy.default_version_id == "v1"


# --- GetPolicy, ListPolicies ---------------------------------------------------------------------


async def test_get_policy_finds_own_and_aws_managed_policies(root: Principal) -> None:
    await ensure_builtin_policies()
    own = await create_policy(root, policy_name="Cashiers", policy_document=LIST_BUCKET)

    assert (await get_policy(root, own.arn)).id == own.id
    builtin = await get_policy(root, "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert builtin.account_id is None


async def test_get_policy_of_another_account_is_not_found(
    root: Principal, other_root: Principal
) -> None:
    theirs = await create_policy(other_root, policy_name="Theirs", policy_document=LIST_BUCKET)

    with pytest.raises(NoSuchEntity) as raised:
        await get_policy(root, theirs.arn)
    assert raised.value.message == f"Policy {theirs.arn} was not found."


async def test_get_policy_rejects_a_malformed_arn(root: Principal) -> None:
    with pytest.raises(InvalidInput) as raised:
        await get_policy(root, "not-an-arn-but-long-enough")
    assert raised.value.message == "ARN not-an-arn-but-long-enough is not valid."


async def test_list_policies_by_scope(root: Principal, other_root: Principal) -> None:
    await ensure_builtin_policies()
    await create_policy(root, policy_name="Mine", policy_document=LIST_BUCKET)
    await create_policy(other_root, policy_name="Theirs", policy_document=LIST_BUCKET)

    local = await list_policies(root, scope="Local")
    aws = await list_policies(root, scope="AWS")
    everything = await list_policies(root)

    assert [p.name for p in local.items] == ["Mine"]
    assert [p.name for p in aws.items] == [
        "AdministratorAccess",
        "IAMFullAccess",
        "IAMReadOnlyAccess",
        "IAMUserChangePassword",
        "ReadOnlyAccess",
    ]
    assert len(everything.items) == 6
    assert "Theirs" not in {p.name for p in everything.items}


async def test_list_policies_only_attached_counts_this_account_only(
    root: Principal, other_root: Principal
) -> None:
    await ensure_builtin_policies()
    mine = await create_policy(root, policy_name="Mine", policy_document=LIST_BUCKET)
    await create_policy(root, policy_name="Unused", policy_document=LIST_BUCKET)
    await create_user(root, user_name="alice")
    await create_user(other_root, user_name="bob")
    await attach_user_policy(root, user_name="alice", policy_arn=mine.arn)
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    await attach_user_policy(other_root, user_name="bob", policy_arn=admin)

    mine_attached = await list_policies(root, only_attached=True)
    theirs_attached = await list_policies(other_root, only_attached=True)

    assert [p.name for p in mine_attached.items] == ["Mine"]
    assert [(p.name, p.attachment_count) for p in theirs_attached.items] == [
        ("AdministratorAccess", 1)
    ]
    shared = await get_policy(root, admin)
    assert shared.attachment_count == 0  # the other account's attachment does not show


async def test_list_policies_filters_by_path_prefix_case_sensitively(root: Principal) -> None:
    await create_policy(root, policy_name="A", policy_document=LIST_BUCKET, path="/shop/")
    await create_policy(root, policy_name="B", policy_document=LIST_BUCKET, path="/Shop/")
    await create_policy(root, policy_name="C", policy_document=LIST_BUCKET)

    page = await list_policies(root, scope="Local", path_prefix="/shop/")

    assert [p.name for p in page.items] == ["A"]


async def test_list_policies_pages_by_name(root: Principal) -> None:
    for name in ["delta", "Alpha", "charlie", "Bravo", "echo"]:
        await create_policy(root, policy_name=name, policy_document=LIST_BUCKET)

    seen: list[str] = []
    after = None
    while True:
        page = await list_policies(root, scope="Local", first=2, after=after)
        seen += [p.name for p in page.items]
        if not page.has_next:
            break
        after = page.end_cursor

    assert seen == ["Alpha", "Bravo", "charlie", "delta", "echo"]


async def test_list_policies_rejects_an_unknown_scope(root: Principal) -> None:
    with pytest.raises(ValidationError) as raised:
        await list_policies(root, scope="Everything")
    assert raised.value.message == (
        "1 validation error detected: Value 'Everything' at 'scope' failed to satisfy "
        "constraint: Member must satisfy enum value set: [All, AWS, Local]"
    )


# --- DeletePolicy ------------------------------------------------------------------------------


async def test_delete_policy_removes_it_and_its_default_version(
    root: Principal, succeeds: Succeeds
) -> None:
    policy = await create_policy(root, policy_name="Gone", policy_document=LIST_BUCKET)

    await succeeds(
        delete_policy(root, policy.arn), actor=root, action="iam:DeletePolicy", resource=policy.arn
    )

    assert not await ManagedPolicy.filter(id=policy.id).exists()
    assert not await PolicyVersion.filter(policy_id=policy.id).exists()


async def test_a_deleted_policy_name_can_be_reused(root: Principal) -> None:
    policy = await create_policy(root, policy_name="Again", policy_document=LIST_BUCKET)
    await delete_policy(root, policy.arn)

    again = await create_policy(root, policy_name="again", policy_document=LIST_BUCKET)

    assert again.id != policy.id


async def test_delete_policy_refuses_while_attached(root: Principal, rejects: Rejects) -> None:
    policy = await create_policy(root, policy_name="InUse", policy_document=LIST_BUCKET)
    await create_user(root, user_name="alice")
    await attach_user_policy(root, user_name="alice", policy_arn=policy.arn)

    await rejects(
        delete_policy(root, policy.arn),
        DeleteConflict,
        "Cannot delete a policy attached to entities.",
        action="iam:DeletePolicy",
    )


async def test_delete_policy_refuses_while_it_has_other_versions(
    root: Principal, rejects: Rejects
) -> None:
    policy = await create_policy(root, policy_name="Versioned", policy_document=LIST_BUCKET)
    await create_policy_version(root, policy.arn, policy_document=LIST_BUCKET)

    await rejects(
        delete_policy(root, policy.arn),
        DeleteConflict,
        "This policy has more than one version. Before you delete a policy, you must delete "
        "the policy's versions. The default version is deleted with the policy.",
        action="iam:DeletePolicy",
    )


async def test_delete_policy_that_does_not_exist(root: Principal, rejects: Rejects) -> None:
    arn = arn_of(root, "Nope")
    await rejects(
        delete_policy(root, arn),
        NoSuchEntity,
        f"Policy {arn} does not exist or is not attachable.",
        action="iam:DeletePolicy",
    )


async def test_delete_policy_rejects_a_malformed_arn(root: Principal, rejects: Rejects) -> None:
    await rejects(
        delete_policy(root, "not-an-arn-but-long-enough"),
        InvalidInput,
        "ARN not-an-arn-but-long-enough is not valid.",
        action="iam:DeletePolicy",
    )
