"""gateway.policy.conditions: every operator family, qualifiers, IfExists and missing keys.

Most tests decide a one-statement identity policy `Allow s3:GetObject on * if <condition>`
with `evaluate`, so they check the operator as the engine applies it; a few call
`Condition` directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.policy import PolicyValidationError, Request, evaluate, parse_policy
from gateway.policy.conditions import OPERATORS, Condition, parse_operator

Holds = Callable[..., bool]

TEAM = "aws:RequestTag/team"
KEYS = "aws:TagKeys"


@pytest.fixture
def holds(policy: Callable[..., str], principal: Callable[..., dict[str, Any]]) -> Holds:
    """`holds(condition_block, context, **principal_overrides)`: does the condition allow?"""

    def decide(
        condition: dict[str, Any], context: dict[str, Any] | None = None, **who: Any
    ) -> bool:
        statement = {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": condition,
        }
        request = Request("s3:GetObject", "arn:aws:s3:::bucket/key", principal(**who), context)
        return evaluate(request, identity=[parse_policy(policy(statement))]).allowed

    return decide


def _one(operator: str, key: str, values: Any) -> dict[str, Any]:
    return {operator: {key: values}}


# -- one table for every family: (operator, key, policy values, request value, holds?) ------

FAMILY_CASES = [
    # String
    ("StringEquals", TEAM, "dev", "dev", True),
    ("StringEquals", TEAM, "dev", "Dev", False),
    ("StringEquals", TEAM, ["dev", "ops"], "ops", True),
    ("StringNotEquals", TEAM, "dev", "Dev", True),
    ("StringNotEquals", TEAM, "dev", "dev", False),
    ("StringNotEquals", TEAM, ["dev", "ops"], "ops", False),
    ("StringNotEquals", TEAM, ["dev", "ops"], "qa", True),
    ("StringEqualsIgnoreCase", TEAM, "DEV", "dev", True),
    ("StringEqualsIgnoreCase", TEAM, "DEV", "prod", False),
    ("StringNotEqualsIgnoreCase", TEAM, "DEV", "dev", False),
    ("StringNotEqualsIgnoreCase", TEAM, "DEV", "ops", True),
    ("StringLike", TEAM, "d*v", "deeev", True),
    ("StringLike", TEAM, "d*", "d", True),
    ("StringLike", TEAM, "d?v", "dev", True),
    ("StringLike", TEAM, "d?v", "deev", False),
    ("StringLike", TEAM, "dev*", "Dev1", False),
    ("StringLike", TEAM, "a.c", "abc", False),
    ("StringNotLike", TEAM, "d*", "ops", True),
    ("StringNotLike", TEAM, "d*", "dev", False),
    ("StringNotLike", TEAM, ["d*", "o*"], "ops", False),
    ("StringNotLike", TEAM, ["d*", "o*"], "qa", True),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", "10", True),
    ("NumericEquals", "s3:max-keys", "10", "10.0", True),
    ("NumericEquals", "s3:max-keys", 10, "10", True),
    ("NumericEquals", "s3:max-keys", "10", "11", False),
    ("NumericEquals", "s3:max-keys", "10", "ten", False),
    ("NumericNotEquals", "s3:max-keys", "10", "11", True),
    ("NumericNotEquals", "s3:max-keys", "10", "10", False),
    ("NumericLessThan", "s3:max-keys", "10", "9", True),
    ("NumericLessThan", "s3:max-keys", "10", "10", False),
    ("NumericLessThan", "s3:max-keys", "1.5", "1.25", True),
    ("NumericLessThan", "s3:max-keys", "10", "abc", False),
    ("NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    ("NumericLessThanEquals", "s3:max-keys", "10", "11", False),
    ("NumericGreaterThan", "s3:max-keys", "10", "10.5", True),
    ("NumericGreaterThan", "s3:max-keys", "10", "10", False),
    ("NumericGreaterThan", "s3:max-keys", "-1", "0", True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", "10", True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", "9.99", False),
    # Date: ISO 8601 with Z, offsets, date only, epoch seconds, mixed
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T02:00:00+02:00", True),
    ("DateEquals", "aws:CurrentTime", "2020-01-01", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000Z", True),
    ("DateEquals", "aws:CurrentTime", "1577836800", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "1577836800", True),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", False),
    ("DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", True),
    ("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
    ("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:30:00+01:00", True),
    ("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "not a date", False),
    ("DateLessThanEquals", "aws:CurrentTime", "1577836800", "2020-01-01T00:00:00Z", True),
    ("DateLessThanEquals", "aws:CurrentTime", "1577836800", "1577836801", False),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", True),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2020-01-01", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2020-01-01", "2019-12-31T23:59:59Z", False),
    # Bool: "true" / "false", compared case-insensitively
    ("Bool", "aws:SecureTransport", "true", "true", True),
    ("Bool", "aws:SecureTransport", "true", "TRUE", True),
    ("Bool", "aws:SecureTransport", "True", "true", True),
    ("Bool", "aws:SecureTransport", True, "true", True),
    ("Bool", "aws:SecureTransport", "true", "false", False),
    ("Bool", "aws:SecureTransport", False, "false", True),
    # Binary: base64
    (
        "BinaryEquals",
        "ex:blob",
        "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
        "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
        True,
    ),
    ("BinaryEquals", "ex:blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "T3RoZXJWYWx1ZQ==", False),
    # IP address: IPv4 and IPv6 CIDR
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.7", "203.0.113.7", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.7/32", "203.0.113.8", False),
    ("IpAddress", "aws:SourceIp", ["198.51.100.0/24", "203.0.113.0/24"], "203.0.113.9", True),
    ("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
    ("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False),
    ("IpAddress", "aws:SourceIp", "::/0", "203.0.113.7", False),
    ("IpAddress", "aws:SourceIp", "0.0.0.0/0", "2001:db8::1", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "not-an-ip", False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", False),
    # ARN: compared component by component
    (
        "ArnEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:topic",
        "arn:aws:sns:us-east-1:111122223333:topic",
        True,
    ),
    ("ArnEquals", "aws:SourceArn", "arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", False),
    ("ArnEquals", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/x", True),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", True),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:iam::*:role/Admin?",
        "arn:aws:iam::111122223333:role/Admin1",
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:logs:*:*:log-group:*",
        "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x",
        True,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "not-an-arn", False),
    (
        "ArnNotEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:topic",
        "arn:aws:sns:us-east-1:111122223333:other",
        True,
    ),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/x", False),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::other/x", True),
]


@pytest.mark.parametrize(("operator", "key", "values", "actual", "expected"), FAMILY_CASES)
def test_operator_compares_request_value_as_aws_documents(
    holds: Holds, operator: str, key: str, values: Any, actual: str, expected: bool
) -> None:
    assert holds(_one(operator, key, values), {key: actual}) is expected


def test_arn_wildcard_does_not_cross_into_the_next_component(holds: Holds) -> None:
    pattern = "arn:aws:*:us-east-1:111122223333:thing"
    value = "arn:aws:s3:extra:us-east-1:111122223333:thing"
    assert holds(_one("StringLike", "aws:SourceArn", pattern), {"aws:SourceArn": value})
    assert not holds(_one("ArnLike", "aws:SourceArn", pattern), {"aws:SourceArn": value})


def test_arn_account_wildcard_does_not_swallow_a_colon(holds: Holds) -> None:
    pattern = "arn:aws:iam::*:role/x"
    value = "arn:aws:iam::111:222:role/x"
    assert not holds(_one("ArnLike", "aws:SourceArn", pattern), {"aws:SourceArn": value})


# -- Null ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "context", "expected"),
    [
        ("true", {}, True),
        ("true", {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, False),
        ("false", {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, True),
        ("false", {}, False),
        (True, {}, True),
    ],
)
def test_null_tests_whether_the_key_is_absent(
    holds: Holds, wanted: Any, context: dict[str, str], expected: bool
) -> None:
    assert holds(_one("Null", "aws:TokenIssueTime", wanted), context) is expected


# -- missing keys and IfExists ----------------------------------------------------------------

# (operator, policy value, a request value that matches, one that does not)
IF_EXISTS_CASES = [
    ("StringEquals", "dev", "dev", "ops"),
    ("StringNotEquals", "dev", "ops", "dev"),
    ("StringEqualsIgnoreCase", "dev", "DEV", "ops"),
    ("StringNotEqualsIgnoreCase", "dev", "ops", "DEV"),
    ("StringLike", "d*", "dev", "ops"),
    ("StringNotLike", "d*", "ops", "dev"),
    ("NumericEquals", "5", "5", "6"),
    ("NumericNotEquals", "5", "6", "5"),
    ("NumericLessThan", "5", "4", "5"),
    ("NumericLessThanEquals", "5", "5", "6"),
    ("NumericGreaterThan", "5", "6", "5"),
    ("NumericGreaterThanEquals", "5", "5", "4"),
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2021-01-01"),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2019-01-01"),
    ("DateGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2019-01-01"),
    ("Bool", "true", "true", "false"),
    ("BinaryEquals", "QQ==", "QQ==", "Qg=="),
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", "192.0.2.1"),
    ("NotIpAddress", "10.0.0.0/8", "192.0.2.1", "10.1.2.3"),
    ("ArnEquals", "arn:aws:s3:::b", "arn:aws:s3:::b", "arn:aws:s3:::c"),
    ("ArnNotEquals", "arn:aws:s3:::b", "arn:aws:s3:::c", "arn:aws:s3:::b"),
    ("ArnLike", "arn:aws:s3:::b*", "arn:aws:s3:::bx", "arn:aws:s3:::c"),
    ("ArnNotLike", "arn:aws:s3:::b*", "arn:aws:s3:::c", "arn:aws:s3:::bx"),
]
NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}
KEY = "ex:key"


def test_if_exists_table_covers_every_operator_but_null() -> None:
    assert {row[0] for row in IF_EXISTS_CASES} == OPERATORS - {"Null"}


@pytest.mark.parametrize(("operator", "value", "good", "bad"), IF_EXISTS_CASES)
def test_if_exists_holds_when_the_key_is_missing(
    holds: Holds, operator: str, value: str, good: str, bad: str
) -> None:
    assert holds(_one(f"{operator}IfExists", KEY, value), {})


@pytest.mark.parametrize(("operator", "value", "good", "bad"), IF_EXISTS_CASES)
def test_if_exists_compares_normally_when_the_key_is_present(
    holds: Holds, operator: str, value: str, good: str, bad: str
) -> None:
    condition = _one(f"{operator}IfExists", KEY, value)
    assert holds(condition, {KEY: good})
    assert not holds(condition, {KEY: bad})


@pytest.mark.parametrize(("operator", "value", "good", "bad"), IF_EXISTS_CASES)
def test_missing_key_fails_positive_operators_and_satisfies_negated_ones(
    holds: Holds, operator: str, value: str, good: str, bad: str
) -> None:
    assert holds(_one(operator, KEY, value), {}) is (operator in NEGATED)


@pytest.mark.parametrize(("operator", "value", "good", "bad"), IF_EXISTS_CASES)
def test_plain_operator_matches_and_mismatches(
    holds: Holds, operator: str, value: str, good: str, bad: str
) -> None:
    assert holds(_one(operator, KEY, value), {KEY: good})
    assert not holds(_one(operator, KEY, value), {KEY: bad})


# -- ForAllValues / ForAnyValue ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "values", "context", "expected"),
    [
        ("ForAllValues:StringEquals", ["a", "b", "c"], {}, True),
        ("ForAllValues:StringEquals", ["a", "b", "c"], {KEYS: []}, True),
        ("ForAllValues:StringEquals", ["a", "b", "c"], {KEYS: ["a", "b"]}, True),
        ("ForAllValues:StringEquals", ["a", "b", "c"], {KEYS: ["a", "x"]}, False),
        ("ForAllValues:StringLike", "env*", {KEYS: ["env-a", "envB"]}, True),
        ("ForAllValues:StringLike", "env*", {KEYS: ["env-a", "cost"]}, False),
        ("ForAnyValue:StringEquals", ["a", "b"], {}, False),
        ("ForAnyValue:StringEquals", ["a", "b"], {KEYS: []}, False),
        ("ForAnyValue:StringEquals", ["a", "b"], {KEYS: ["x", "a"]}, True),
        ("ForAnyValue:StringEquals", ["a", "b"], {KEYS: ["x", "y"]}, False),
        ("ForAnyValue:StringNotEquals", ["a"], {KEYS: ["a", "b"]}, True),
        ("ForAnyValue:StringNotEquals", ["a"], {KEYS: ["a"]}, False),
        ("ForAllValues:StringNotEquals", ["a", "b"], {KEYS: ["c", "d"]}, True),
        ("ForAllValues:StringNotEquals", ["a", "b"], {KEYS: ["c", "a"]}, False),
        ("ForAllValues:StringNotEquals", ["a", "b"], {}, True),
        ("ForAnyValue:StringNotEquals", ["a", "b"], {}, False),
        ("ForAnyValue:StringEqualsIfExists", ["a"], {}, True),
        ("ForAllValues:NumericLessThan", "10", {KEYS: ["1", "9"]}, True),
        ("ForAllValues:NumericLessThan", "10", {KEYS: ["1", "11"]}, False),
    ],
)
def test_set_operators_follow_aws_empty_set_and_missing_key_rules(
    holds: Holds, operator: str, values: Any, context: dict[str, Any], expected: bool
) -> None:
    assert holds(_one(operator, KEYS, values), context) is expected


# -- combining keys, values and operators ----------------------------------------------------


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({TEAM: "dev", "aws:RequestTag/env": "prod"}, True),
        ({TEAM: "dev", "aws:RequestTag/env": "test"}, False),
        ({TEAM: "ops", "aws:RequestTag/env": "prod"}, False),
        ({TEAM: "dev"}, False),
    ],
)
def test_keys_in_a_block_are_anded(holds: Holds, context: dict[str, str], expected: bool) -> None:
    condition = {"StringEquals": {TEAM: "dev", "aws:RequestTag/env": "prod"}}
    assert holds(condition, context) is expected


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({TEAM: "dev", "aws:SecureTransport": "true"}, True),
        ({TEAM: "dev", "aws:SecureTransport": "false"}, False),
        ({TEAM: "ops", "aws:SecureTransport": "true"}, False),
    ],
)
def test_operators_in_a_condition_are_anded(
    holds: Holds, context: dict[str, str], expected: bool
) -> None:
    condition = {"StringEquals": {TEAM: "dev"}, "Bool": {"aws:SecureTransport": "true"}}
    assert holds(condition, context) is expected


@pytest.mark.parametrize("actual", ["dev", "ops", "qa"])
def test_values_for_one_key_are_ored(holds: Holds, actual: str) -> None:
    assert holds(_one("StringEquals", TEAM, ["dev", "ops", "qa"]), {TEAM: actual})


@pytest.mark.parametrize(
    ("policy_key", "context_key"),
    [
        ("aws:RequestTag/team", "AWS:REQUESTTAG/TEAM"),
        ("AWS:REQUESTTAG/TEAM", "aws:RequestTag/team"),
        ("Aws:requestTag/Team", "aws:requesttag/team"),
    ],
)
def test_condition_keys_are_case_insensitive(
    holds: Holds, policy_key: str, context_key: str
) -> None:
    assert holds(_one("StringEquals", policy_key, "dev"), {context_key: "dev"})


def test_derived_principal_key_feeds_conditions(holds: Holds) -> None:
    condition = _one("StringEquals", "aws:PrincipalTag/team", "dev")
    assert holds(condition, tags={"team": "dev"})
    assert not holds(condition, tags={"team": "ops"})
    assert not holds(condition)


# -- policy variables in condition values --------------------------------------------------


def test_username_variable_in_condition_value(holds: Holds) -> None:
    condition = _one("StringEquals", "aws:RequestTag/owner", "${aws:username}")
    assert holds(condition, {"aws:RequestTag/owner": "alice"})
    assert not holds(condition, {"aws:RequestTag/owner": "bob"})


def test_variable_inside_a_like_pattern(holds: Holds) -> None:
    condition = _one("StringLike", "s3:prefix", "home/${aws:username}/*")
    assert holds(condition, {"s3:prefix": "home/alice/docs"})
    assert not holds(condition, {"s3:prefix": "home/bob/docs"})


def test_variable_default_is_used_when_key_is_missing(holds: Holds) -> None:
    condition = _one("StringEquals", TEAM, "${aws:PrincipalTag/team, 'none'}")
    assert holds(condition, {TEAM: "none"})
    assert holds(condition, {TEAM: "dev"}, tags={"team": "dev"})


@pytest.mark.parametrize("operator", ["StringEquals", "StringNotEquals", "StringLike"])
def test_unresolvable_variable_makes_the_condition_false(holds: Holds, operator: str) -> None:
    # A role session has no aws:username, so ${aws:username} cannot be resolved.
    condition = _one(operator, "aws:RequestTag/owner", "${aws:username}")
    session = {
        "arn": "arn:aws:sts::111122223333:assumed-role/R/s",
        "type": "AssumedRole",
        "username": None,
    }
    assert not holds(condition, {"aws:RequestTag/owner": "anything"}, **session)


def test_variables_are_not_read_by_numeric_operators() -> None:
    # A Numeric value must be a number (issue 10: "an unparseable … number in a condition is
    # 'The policy failed legacy parsing'"), so a variable there refuses the whole policy.
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "*",
                "Condition": {"NumericEquals": {"s3:max-keys": "${aws:username}"}},
            },
        }
    )
    with pytest.raises(PolicyValidationError, match="The policy failed legacy parsing"):
        parse_policy(text)


# -- parse_operator and Condition ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_base_operator_parses(name: str) -> None:
    operator = parse_operator(name)
    assert operator is not None
    assert (operator.base, operator.qualifier, operator.if_exists) == (name, None, False)


@pytest.mark.parametrize(
    ("name", "base", "qualifier", "if_exists", "negated"),
    [
        ("ForAnyValue:StringLikeIfExists", "StringLike", "ForAnyValue", True, False),
        ("ForAllValues:StringNotEquals", "StringNotEquals", "ForAllValues", False, True),
        ("NotIpAddressIfExists", "NotIpAddress", None, True, True),
        ("ArnNotLike", "ArnNotLike", None, False, True),
    ],
)
def test_parse_operator_splits_qualifier_base_and_if_exists(
    name: str, base: str, qualifier: str | None, if_exists: bool, negated: bool
) -> None:
    operator = parse_operator(name)
    assert operator is not None
    assert (operator.name, operator.base, operator.qualifier) == (name, base, qualifier)
    assert (operator.if_exists, operator.negated) == (if_exists, negated)


@pytest.mark.parametrize(
    "name",
    [
        "NullIfExists",
        "Foo",
        "IfExists",
        "",
        "StringEqualsX",
        "ForSomeValues:StringEquals",
        "ForAnyValue:",
        "ForAllValues:ForAnyValue:StringEquals",
        "StringEqualsIfExistsIfExists",
    ],
)
def test_parse_operator_rejects_unknown_names(name: str) -> None:
    assert parse_operator(name) is None


def test_condition_build_rejects_unknown_operator() -> None:
    with pytest.raises(ValueError, match="unknown condition operator"):
        Condition.build("Foo", "aws:username", "x", variables=True)


def test_condition_holds_on_a_lower_cased_context() -> None:
    condition = Condition.build("StringEquals", "AWS:UserName", ["alice", "bob"], variables=True)
    assert condition.key_lower == "aws:username"
    assert condition.holds({"aws:username": ("bob",)})
    assert not condition.holds({"aws:username": ("carol",)})
    assert not condition.holds({})


def test_condition_values_are_kept_as_text() -> None:
    condition = Condition.build("NumericLessThan", "s3:max-keys", [10, 2.5], variables=True)
    assert [t.source for t in condition.values] == ["10", "2.5"]


def test_arn_variable_value_is_split_into_components(holds: Holds) -> None:
    condition = _one("ArnEquals", "aws:SourceArn", "${aws:PrincipalArn}")
    assert holds(condition, {"aws:SourceArn": "arn:aws:iam::111122223333:user/alice"})
    assert not holds(condition, {"aws:SourceArn": "arn:aws:iam::111122223333:user/bob"})
