"""AWS's validation of identity policies, to the letter (issue 10 item 4).

Each case comes from a source that was checked against AWS:

- MOTO: getmoto/moto, tests/test_iam/test_iam_policies.py (`invalid_policy_document_test_cases`
  and `valid_policy_documents`), whose validator (moto/iam/policy_validation.py) reproduces
  IAM's order of checks and messages;
- TERRAFORM: AWS's error as users reported it (hashicorp/terraform#13449,
  hashicorp/terraform-provider-aws#10419);
- ISSUE: issue 10's own account of AWS's behaviour, where neither of the above covers it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.policy import PolicyValidationError, parse_policy

LEGACY = "The policy failed legacy parsing"
SYNTAX = "Syntax errors in policy."
BUCKET = "arn:aws:s3:::example_bucket"


def statement(**elements: Any) -> str:
    body = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, **elements}
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def raw(body: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def refused(text: str) -> str:
    with pytest.raises(PolicyValidationError) as caught:
        parse_policy(text)
    return caught.value.message


# -- condition keys need no vendor (MOTO valid_policy_documents) -------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": {"a": "asf"}},
        {"ForAnyValue:StringEqualsIfExists": {"a": "asf"}},
        {"StringEquals": {"username": "bob"}},
    ],
)
def test_a_condition_key_without_vendor_is_accepted(condition: dict[str, Any]) -> None:
    policy = parse_policy(statement(Condition=condition))
    assert policy.statements[0].conditions


# -- condition operators (MOTO) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"x": {"a": "1"}},
        {"ForAnyValue::StringEqualsIfExists": {"a": "asf"}},
        {"StringEqualz": {"aws:username": "bob"}},
    ],
)
def test_an_unknown_condition_operator_is_a_syntax_error(condition: dict[str, Any]) -> None:
    assert refused(statement(Condition=condition)) == SYNTAX


@pytest.mark.parametrize("condition", [{"a": {}}, {"x": {}, "y": {}}])
def test_an_unknown_operator_with_an_empty_block_is_accepted(condition: dict[str, Any]) -> None:
    assert parse_policy(statement(Condition=condition)).statements[0].conditions == ()


# -- dates and numbers AWS cannot read (MOTO for dates, ISSUE for numbers) ---------------------


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("DateGreaterThan", "sdfdsf"),
        ("DateLessThanEquals", "234-13"),
        ("DateLessThanEquals", "2016-12-13t2:00:00.593194+1"),
        ("DateLessThanEquals", "2016-12-13t2:00:00.1999999999+10:59"),
        ("DateLessThan", "9223372036854775808"),
        ("NumericLessThan", "ten"),
        ("NumericEquals", "1.2.3"),
        ("ForAnyValue:NumericEqualsIfExists", ["1", "x"]),
    ],
)
def test_an_unreadable_date_or_number_fails_legacy_parsing(operator: str, value: Any) -> None:
    assert refused(statement(Condition={operator: {"a": value}})) == LEGACY


@pytest.mark.parametrize(
    "value",
    [
        "01T",
        "2019-07-01T13:20:15Z",
        "2016-12-13T21:20:37.593194+00:00",
        "2016-12-13t2:00:00.593194+23",
        "-292275054",
        "1700000000",
        [],
    ],
)
def test_dates_aws_reads_are_accepted(value: Any) -> None:
    assert parse_policy(statement(Condition={"DateLessThan": {"a": value}}))


def test_legacy_parsing_comes_before_the_missing_action() -> None:
    # MOTO: {"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}
    text = raw({"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}})
    assert refused(text) == LEGACY


def test_legacy_parsing_comes_before_a_refused_partition() -> None:
    # MOTO: Resource "arn:error:s3:::example_bucket" with an unreadable date
    text = statement(
        Resource="arn:error:s3:::example_bucket",
        Condition={"DateGreaterThan": {"a": "sdfdsf"}},
    )
    assert refused(text) == LEGACY


# -- resources (MOTO) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            "a:bsdfdsafsad",
            'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".',
        ),
        ("a:b:cadfsdf", 'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".'),
        ("a:b:c:d:e:f:g:h", 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'),
        (
            "aws:s3:::example_bucket",
            'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".',
        ),
        (
            ["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"],
            'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".',
        ),
        ("", 'Resource  must be in ARN format or "*".'),
        ("arn:aws", "Resource vendor must be fully qualified and cannot contain regexes."),
        (
            "arn:aws:s3:us-east-1::example_bucket",
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
        ),
        (
            "arn:aws:iam:us-east-1::example_bucket",
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
        ),
        (
            "arn:aws:iam:::example_bucket",
            'IAM resource path must either be "*" or start with user/, federated-user/, role/, '
            "group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, "
            "saml-provider/, oidc-provider/, report/, access-report/.",
        ),
        ("arn:aws:s3::example_bucket", LEGACY),
        ("arn:aws::::example_bucket", LEGACY),
        ("arn:aws::fdsasf", LEGACY),
    ],
)
def test_a_refused_resource_gets_aws_message(resource: str | list[str], message: str) -> None:
    assert refused(statement(Resource=resource)) == message


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:fdsasf",
        "arn:aws:s3:us-east-1::accesspoint/reports",
        "arn:aws:iam::111122223333:user/*",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::111122223333:*",
        "arn:aws-cn:s3:::bucket",
    ],
)
def test_resources_aws_accepts(resource: str) -> None:
    assert parse_policy(statement(Resource=resource))


def test_a_refused_resource_is_reported_after_missing_actions() -> None:
    # MOTO: {"Effect": "Allow", "Resource": "arn:aws:s3::example_bucket"} → legacy, but a
    # format refusal waits for the action check:
    text = raw({"Effect": "Allow", "Resource": "arn:bad:s3:::b"})
    assert refused(text) == "Policy statement must contain actions."


# -- order of the element checks (MOTO) --------------------------------------------------------


def test_the_vendor_error_comes_before_the_missing_resource() -> None:
    # MOTO: {"Effect": "Allow", "Action": "invalid"}
    text = raw({"Effect": "Allow", "Action": "invalid"})
    assert refused(text) == (
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    )


def test_a_missing_resource_is_reported_once_vendors_are_valid() -> None:
    assert refused(raw({"Effect": "Allow", "Action": "s3:ListBucket"})) == (
        "Policy statement must contain resources."
    )


# -- Principal in an identity policy (TERRAFORM) -----------------------------------------------


@pytest.mark.parametrize("element", ["Principal", "NotPrincipal"])
def test_a_principal_in_an_identity_policy_is_refused(element: str) -> None:
    text = statement(**{element: {"AWS": "arn:aws:iam::111122223333:root"}})
    assert refused(text) == "Policy document should not specify a principal."
