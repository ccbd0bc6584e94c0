"""The simulator: SimulateCustomPolicy and GetContextKeysFor{Custom,Principal}Policy.

The policies with conditions are AWS's examples from the IAM User Guide: "AWS: Allows access
based on date and time" (reference_policies_examples_aws-dates.html) and "IAM: Allows IAM
users to manage their own credentials … MFA" (reference_policies_examples_iam_mfa…).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.errors import InvalidInput, MalformedPolicyDocument, NoSuchEntity
from gateway.models import User
from gateway.policy import Effect
from gateway.services.groups import add_user_to_group, create_group
from gateway.services.inline_policies import put_group_policy, put_user_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.simulation import (
    context_keys_for_custom_policy,
    context_keys_for_principal_policy,
    simulate_custom_policy,
)

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CASHIER = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET})
DATES = doc(
    {
        "Effect": "Allow",
        "Action": "service-prefix:action-name",
        "Resource": "*",
        "Condition": {
            "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"},
        },
    }
)
OWN_KEYS = doc(
    {
        "Effect": "Allow",
        "Action": "iam:CreateAccessKey",
        "Resource": "arn:aws:iam::*:user/${aws:username}",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
    }
)


def decisions(results: list[Any]) -> list[tuple[str, str, Effect]]:
    return [(r.action, r.resource, r.decision.effect) for r in results]


def test_custom_policies_decide_each_action_on_each_resource(root: Principal) -> None:
    results = simulate_custom_policy(
        root,
        policy_input_list=[CASHIER],
        action_names=["s3:ListBucket", "s3:PutObject"],
        resource_arns=[BUCKET, "arn:aws:s3:::OTHER"],
    )

    assert decisions(results) == [
        ("s3:ListBucket", BUCKET, Effect.ALLOW),
        ("s3:ListBucket", "arn:aws:s3:::OTHER", Effect.IMPLICIT_DENY),
        ("s3:PutObject", BUCKET, Effect.IMPLICIT_DENY),
        ("s3:PutObject", "arn:aws:s3:::OTHER", Effect.IMPLICIT_DENY),
    ]
    assert results[0].decision.statements[0].policy == "PolicyInputList.1"


def test_context_entries_decide_awss_date_example(root: Principal) -> None:
    def at(moment: str) -> Effect:
        (result,) = simulate_custom_policy(
            root,
            policy_input_list=[DATES],
            action_names=["service-prefix:action-name"],
            context={"aws:CurrentTime": moment},
        )
        return result.decision.effect

    assert at("2020-05-01T12:00:00Z") is Effect.ALLOW
    assert at("2020-07-01T00:00:00Z") is Effect.IMPLICIT_DENY


def test_a_boundary_caps_and_a_deny_wins(root: Principal) -> None:
    everything = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny_put = doc({"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"})

    results = simulate_custom_policy(
        root,
        policy_input_list=[everything, deny_put],
        permissions_boundary_policy_input_list=[CASHIER],
        action_names=["s3:ListBucket", "s3:PutObject", "iam:CreateUser"],
        resource_arns=[BUCKET],
    )

    assert [r.decision.effect for r in results] == [
        Effect.ALLOW,
        Effect.EXPLICIT_DENY,
        Effect.IMPLICIT_DENY,
    ]
    assert results[2].decision.denied_by == "boundary"


def test_a_caller_arn_resolves_policy_variables(root: Principal) -> None:
    jorge = f"arn:aws:iam::{root.account_id}:user/jorge"

    def decide(caller: str | None) -> Effect:
        (result,) = simulate_custom_policy(
            root,
            policy_input_list=[OWN_KEYS],
            action_names=["iam:CreateAccessKey"],
            resource_arns=[jorge],
            caller_arn=caller,
        )
        return result.decision.effect

    assert decide(jorge) is Effect.ALLOW
    assert decide(f"arn:aws:iam::{root.account_id}:user/maria") is Effect.IMPLICIT_DENY
    assert decide(None) is Effect.IMPLICIT_DENY


def test_a_resource_policy_grants_to_the_caller_it_names(root: Principal) -> None:
    jorge = f"arn:aws:iam::{root.account_id}:user/jorge"
    bucket_policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": jorge},
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET}/*",
        }
    )
    nothing = doc({"Effect": "Deny", "Action": "sts:*", "Resource": "*"})

    (result,) = simulate_custom_policy(
        root,
        policy_input_list=[nothing],
        resource_policy=bucket_policy,
        caller_arn=jorge,
        action_names=["s3:GetObject"],
        resource_arns=[f"{BUCKET}/receipt-1"],
    )

    assert result.decision.effect is Effect.ALLOW


WILD = "Invalid action name 's3:*': the simulator does not support wildcards."
NO_SERVICE = "Invalid action name 'ListBucket': it must include the service, e.g. iam:CreateUser."
SESSION = "arn:aws:sts::111122223333:assumed-role/R/s"
BAD_INPUT = [
    ({"policy_input_list": []}, "PolicyInputList must contain at least one policy document."),
    ({"action_names": ["s3:*"]}, WILD),
    ({"action_names": ["ListBucket"]}, NO_SERVICE),
    (
        {"permissions_boundary_policy_input_list": [CASHIER, CASHIER]},
        "You can input only one permissions boundary.",
    ),
    ({"resource_policy": CASHIER}, "CallerArn is required if you include a ResourcePolicy."),
    (
        {
            "action_names": [f"s3:A{n}" for n in range(11)],
            "resource_arns": [f"arn:aws:s3:::b{n}" for n in range(10)],
        },
        "At most 100 action and resource pairs can be simulated at once.",
    ),
    (
        {"caller_arn": SESSION},
        f"Invalid CallerArn {SESSION}: it must be the ARN of an IAM user or role.",
    ),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_INPUT)
def test_bad_simulator_input_is_invalid_input(
    root: Principal, arguments: dict[str, Any], message: str
) -> None:
    call: dict[str, Any] = {"policy_input_list": [CASHIER], "action_names": ["s3:ListBucket"]}
    with pytest.raises(InvalidInput) as raised:
        simulate_custom_policy(root, **{**call, **arguments})
    assert raised.value.message == message


def test_a_malformed_document_says_which_one(root: Principal) -> None:
    with pytest.raises(MalformedPolicyDocument) as raised:
        simulate_custom_policy(
            root, policy_input_list=[CASHIER, '{"Statement": []}'], action_names=["s3:Get"]
        )
    assert raised.value.message == "PolicyInputList.2: Syntax errors in policy."


def test_custom_context_keys_come_from_conditions_and_variables_once_each() -> None:
    keys = context_keys_for_custom_policy([DATES, OWN_KEYS, DATES])

    assert keys == ["aws:CurrentTime", "aws:MultiFactorAuthPresent", "aws:username"]
    assert context_keys_for_custom_policy([CASHIER]) == []


async def test_principal_context_keys_include_the_users_groups(
    root: Principal, admin_user: User
) -> None:
    await put_user_policy(root, user_name="admin", policy_name="Own", policy_document=OWN_KEYS)
    await create_group(root, group_name="Seasonal")
    await put_group_policy(root, group_name="Seasonal", policy_name="Dates", policy_document=DATES)
    await add_user_to_group(root, group_name="Seasonal", user_name="admin")

    keys = await context_keys_for_principal_policy(root, admin_user.arn)
    extra = doc({**json.loads(CASHIER)["Statement"][0],
                 "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})  # fmt: skip

    assert sorted(keys) == ["aws:CurrentTime", "aws:MultiFactorAuthPresent", "aws:username"]
    group_arn = f"arn:aws:iam::{root.account_id}:group/Seasonal"
    assert await context_keys_for_principal_policy(root, group_arn, [extra]) == [
        "aws:CurrentTime",
        "aws:SourceIp",
    ]


async def test_principal_context_keys_of_a_role_and_of_nothing(
    root: Principal, other_root: Principal
) -> None:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": root.account_id},
                 "Action": "sts:AssumeRole"})  # fmt: skip
    role = await create_role(root, role_name="Till", assume_role_policy_document=trust)

    assert await context_keys_for_principal_policy(root, role.arn) == []
    with pytest.raises(NoSuchEntity):
        await context_keys_for_principal_policy(other_root, role.arn)
    with pytest.raises(InvalidInput):
        await context_keys_for_principal_policy(root, f"arn:aws:iam::{root.account_id}:root")
