"""The AWS-managed policies shipped with the gateway (gateway/services/builtin.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from tortoise.context import TortoiseContext

from gateway.errors import AccessDenied
from gateway.models import ManagedPolicy, PolicyVersion
from gateway.policy import Request, evaluate
from gateway.services.attachments import attach_user_policy
from gateway.services.builtin import builtin_policies, ensure_builtin_policies
from gateway.services.effective import identity_policies
from gateway.services.policies import (
    delete_policy,
    get_policy,
    tag_policy,
    untag_policy,
)
from gateway.services.policy_versions import (
    create_policy_version,
    delete_policy_version,
    set_default_policy_version,
)
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.services.helpers import Rejects
from tests.services.policy_fixtures import document

NAMES = [
    "AdministratorAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "IAMUserChangePassword",
    "ReadOnlyAccess",
]
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ANY = document("s3:GetObject")


async def test_ensure_builtin_policies_installs_the_five_policies(db: TortoiseContext) -> None:
    installed = await ensure_builtin_policies()

    assert [p.name for p in installed] == NAMES
    for policy in installed:
        assert policy.arn == f"arn:aws:iam::aws:policy/{policy.name}"
        assert (policy.account_id, policy.default_version_id, policy.path) == (None, "v1", "/")
        [version] = await PolicyVersion.filter(policy_id=policy.id)
        assert (version.version_id, version.is_default) == ("v1", True)


async def test_ensure_builtin_policies_is_idempotent(db: TortoiseContext) -> None:
    first = await ensure_builtin_policies()
    second = await ensure_builtin_policies()

    assert [p.id for p in first] == [p.id for p in second]
    assert await ManagedPolicy.all().count() == 5
    assert await PolicyVersion.all().count() == 5


async def test_ensure_builtin_policies_restores_a_changed_document(db: TortoiseContext) -> None:
    await ensure_builtin_policies()
    policy = await ManagedPolicy.get(arn=IAM_READ_ONLY)
    await PolicyVersion.filter(policy_id=policy.id).update(document="{}")
    await ManagedPolicy.filter(id=policy.id).update(description="changed")

    await ensure_builtin_policies()

    restored = await PolicyVersion.get(policy_id=policy.id)
    assert json.loads(restored.document)["Statement"][0]["Action"] == [
        "iam:GenerateCredentialReport",
        "iam:GenerateServiceLastAccessedDetails",
        "iam:Get*",
        "iam:List*",
        "iam:SimulateCustomPolicy",
        "iam:SimulatePrincipalPolicy",
    ]
    assert (await ManagedPolicy.get(id=policy.id)).description == (
        "Provides read only access to IAM via the AWS Management Console."
    )


def test_the_documents_are_aws_documents() -> None:
    documents = {p.name: json.loads(p.document) for p in builtin_policies()}

    assert documents["AdministratorAccess"]["Statement"] == [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]
    assert documents["IAMUserChangePassword"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["iam:ChangePassword"],
            "Resource": [
                "arn:aws:iam::*:user/${aws:username}",
                "arn:aws:iam::*:user/*/${aws:username}",
            ],
        },
        {"Effect": "Allow", "Action": ["iam:GetAccountPasswordPolicy"], "Resource": "*"},
    ]
    assert "iam:*" in documents["IAMFullAccess"]["Statement"][0]["Action"]
    read_only = documents["ReadOnlyAccess"]["Statement"][0]["Action"]
    assert {"iam:Get*", "iam:List*", "s3:Get*", "s3:List*", "sts:GetCallerIdentity"} <= set(
        read_only
    )
    assert all(not action.startswith("*") for action in read_only)
    assert (
        "Abridged" in next(p for p in builtin_policies() if p.name == "ReadOnlyAccess").description
    )


async def test_builtin_policies_are_visible_to_every_account(
    root: Principal, other_root: Principal
) -> None:
    await ensure_builtin_policies()
    assert (await get_policy(root, IAM_READ_ONLY)).id == (
        await get_policy(other_root, IAM_READ_ONLY)
    ).id


async def test_iam_read_only_access_reads_but_does_not_write(root: Principal) -> None:
    await ensure_builtin_policies()
    user = await create_user(root, user_name="auditor")
    await attach_user_policy(root, user_name="auditor", policy_arn=IAM_READ_ONLY)
    policies = await identity_policies(root.account_id, user.id)
    principal = {"arn": user.arn, "type": "User", "userid": user.id, "account": root.account_id}

    def decide(action: str) -> str:
        request = Request(action=action, resource=user.arn, principal=principal, context={})
        return str(evaluate(request, identity=list(policies.identity)).effect)

    assert decide("iam:GetUser") == "Allow"
    assert decide("iam:CreateUser") == "ImplicitDeny"


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("iam:CreatePolicyVersion", lambda r, a: create_policy_version(r, a, policy_document=ANY)),
        ("iam:DeletePolicy", lambda r, a: delete_policy(r, a)),
        ("iam:DeletePolicyVersion", lambda r, a: delete_policy_version(r, a, "v1")),
        ("iam:SetDefaultPolicyVersion", lambda r, a: set_default_policy_version(r, a, "v1")),
        ("iam:TagPolicy", lambda r, a: tag_policy(r, a, tags={"k": "v"})),
        ("iam:UntagPolicy", lambda r, a: untag_policy(r, a, tag_keys=["k"])),
    ],
    ids=["create-version", "delete", "delete-version", "set-default", "tag", "untag"],
)
async def test_builtin_policies_cannot_be_modified(
    root: Principal,
    rejects: Rejects,
    action: str,
    call: Callable[[Principal, str], Awaitable[object]],
) -> None:
    await ensure_builtin_policies()

    error = await rejects(
        call(root, IAM_READ_ONLY),
        AccessDenied,
        f"User: {root.arn} is not authorized to perform: {action} on resource: policy "
        f"{IAM_READ_ONLY} because no resource-based policy allows the {action} action",
        action=action,
    )
    assert error.extensions["reason"] == "AWS-managed policies cannot be modified"
