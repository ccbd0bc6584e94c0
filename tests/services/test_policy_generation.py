"""Policies from activity: least privilege from what a user or role was allowed in a period."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gateway import clock
from gateway.errors import ResourceNotFound, ValidationError
from gateway.models import AuditEvent, User
from gateway.policy import parse_policy
from gateway.services.inline_policies import put_role_policy, put_user_policy
from gateway.services.policy_generation import get_generated_policy, start_policy_generation
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.helpers import principal_for_user
from tests.services.helpers import Activity

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
async def jorge(root: Principal) -> User:
    """A cashier allowed to list and write the receipts bucket, and to use the till."""
    user = await create_user(root, user_name="jorge")
    await put_user_policy(
        root,
        user_name="jorge",
        policy_name="Cashier",
        policy_document=doc(
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": BUCKET},
            {"Effect": "Allow", "Action": "pos:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:GetUser",
             "Resource": "arn:aws:iam::*:user/${aws:username}"},
        ),
    )  # fmt: skip
    return user


async def generate(root: Principal, arn: str, days: int = 30) -> list[dict[str, Any]]:
    job_id = await start_policy_generation(root, arn, clock.now() - timedelta(days=days))
    result = await get_generated_policy(root, job_id)
    for text in result.policies:
        parse_policy(text, "identity")  # valid by the engine's own validator
    return [json.loads(text) for text in result.policies]


async def test_the_policy_allows_what_was_used_on_the_arns_granted(
    root: Principal, jorge: User, activity: Activity
) -> None:
    cashier = principal_for_user(jorge)
    await activity.use(cashier, "s3:ListBucket", "pos:OpenDrawer", "iam:GetUser")

    (policy,) = await generate(root, jorge.arn)

    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser",
             "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Effect": "Allow", "Action": "pos:OpenDrawer", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET},
        ],
    }  # fmt: skip


async def test_writes_narrow_resources_to_the_arns_actually_touched(
    root: Principal, activity: Activity
) -> None:
    admin = await create_user(root, user_name="helper")
    await put_user_policy(
        root,
        user_name="helper",
        policy_name="Users",
        policy_document=doc({"Effect": "Allow", "Action": "iam:*User", "Resource": "*"}),
    )
    helper = principal_for_user(admin)
    await create_user(helper, user_name="b-new")
    await create_user(helper, user_name="a-new")
    await activity.use(helper, "iam:CreateUser", "iam:GetUser")

    (policy,) = await generate(root, admin.arn)

    account = root.account_id
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:CreateUser",
            "Resource": [
                f"arn:aws:iam::{account}:user/a-new",
                f"arn:aws:iam::{account}:user/b-new",
            ],
        },
    ]


async def test_only_the_period_counts(root: Principal, jorge: User, activity: Activity) -> None:
    cashier = principal_for_user(jorge)
    await activity.use(cashier, "s3:PutObject", at=clock.now() - timedelta(days=60))
    await activity.use(cashier, "s3:ListBucket")

    (policy,) = await generate(root, jorge.arn, days=30)

    assert [s["Action"] for s in policy["Statement"]] == ["s3:ListBucket"]
    assert await generate(root, jorge.arn, days=1) == [policy]


async def test_a_role_s_policy_comes_from_its_sessions(root: Principal, activity: Activity) -> None:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": root.account_id},
                 "Action": "sts:AssumeRole"})  # fmt: skip
    role = await create_role(root, role_name="Till", assume_role_policy_document=trust)
    await put_role_policy(
        root,
        role_name="Till",
        policy_name="Drawer",
        policy_document=doc(
            {"Effect": "Allow", "Action": "pos:*", "Resource": "arn:aws:pos:::drawer/*"}
        ),
    )
    await activity.use(Principal.role_session(role, "till-1"), "pos:OpenDrawer", "pos:CloseDrawer")

    (policy,) = await generate(root, role.arn)

    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["pos:CloseDrawer", "pos:OpenDrawer"],
         "Resource": "arn:aws:pos:::drawer/*"}
    ]  # fmt: skip


async def test_nothing_used_generates_nothing(root: Principal, jorge: User) -> None:
    assert await generate(root, jorge.arn) == []


@pytest.mark.parametrize(
    ("days_back", "end_days_back", "message"),
    [
        (91, 0, "The period between startTime and endTime must be 90 days or less."),
        (1, 2, "startTime must be before endTime."),
        (1, -1, "endTime cannot be in the future."),
    ],
)
async def test_periods_follow_awss_rules(
    root: Principal, jorge: User, days_back: int, end_days_back: int, message: str
) -> None:
    now = clock.now()
    with pytest.raises(ValidationError) as raised:
        await start_policy_generation(
            root, jorge.arn, now - timedelta(days=days_back), now - timedelta(days=end_days_back)
        )
    assert raised.value.message == message
    failed = await AuditEvent.filter(action="access-analyzer:StartPolicyGeneration").get()
    assert (failed.outcome, failed.error_code) == ("Failed", "ValidationError")


async def test_principals_are_users_or_roles_of_the_callers_account(
    root: Principal, other_root: Principal, jorge: User
) -> None:
    start = clock.now() - timedelta(days=1)
    with pytest.raises(ValidationError):
        await start_policy_generation(root, f"arn:aws:iam::{root.account_id}:root", start)
    with pytest.raises(ResourceNotFound):
        await start_policy_generation(other_root, jorge.arn, start)
    job_id = await start_policy_generation(root, jorge.arn, start)
    with pytest.raises(ResourceNotFound):
        await get_generated_policy(principal_for_user(jorge), job_id)


async def test_a_principal_arn_longer_than_awss_limit_is_a_validation_error(
    root: Principal,
) -> None:
    with pytest.raises(ValidationError):
        await start_policy_generation(
            root, "arn:aws:iam::1:user/" + "x" * 2048, clock.now() - timedelta(days=1)
        )
