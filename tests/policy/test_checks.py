"""Policy checks in Access Analyzer's shape: codes, messages, paths and spans.

Codes, finding types and messages are AWS's ("IAM policy validation check reference",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html);
the documents marked "AWS's example" are the page's own examples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.checks import (
    ERROR,
    IDENTITY_POLICY,
    ISSUES,
    RESOURCE_POLICY,
    ROLE_TRUST_POLICY,
    check_policy,
)
from gateway.policy.locations import Position
from tests.policy.strategies import statements

V = "2012-10-17"


def identity(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": V, "Statement": list(statements), **top}, indent=2)


def codes(
    text: str, policy_type: str = IDENTITY_POLICY, resource_type: str | None = None
) -> list[str]:
    return [f.issue_code for f in check_policy(text, policy_type, resource_type)]


ALLOW_LIST = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::receipts"}

CASES: list[tuple[str, str, list[str]]] = [
    ("a least-privilege policy", identity(ALLOW_LIST), []),
    ("star on star", identity({"Effect": "Allow", "Action": "*", "Resource": "*"}),
     ["PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"]),
    ("iam:* on star", identity({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
     ["PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"]),
    ("iam:PassRole on star",
     identity({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
     ["PASS_ROLE_WITH_STAR_IN_RESOURCE"]),
    ("iam:PassRole on a path of roles",
     identity({"Effect": "Allow", "Action": "iam:passrole",
               "Resource": "arn:aws:iam::111122223333:role/app/*"}),
     ["PASS_ROLE_WITH_STAR_IN_RESOURCE"]),
    ("iam:PassRole on star limited by iam:PassedToService",
     identity({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
               "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}),
     []),
    ("iam:PassRole on one role", identity({"Effect": "Allow", "Action": "iam:PassRole",
                                           "Resource": "arn:aws:iam::111122223333:role/App"}), []),
    ("a Deny of star on star", identity({"Effect": "Deny", "Action": "*", "Resource": "*"}), []),
    ("iam:PassRole with NotResource",
     identity({"Effect": "Allow", "Action": "iam:PassRole",
               "NotResource": "arn:aws:iam::111122223333:role/Admin"}),
     ["PASS_ROLE_WITH_NOT_RESOURCE"]),
    ("a star action with NotResource",
     identity({"Effect": "Allow", "Action": "iam:Pass*",
               "NotResource": "arn:aws:iam::111122223333:role/Admin"}),
     ["PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE"]),
    ("NotAction with NotResource",
     identity({"Effect": "Allow", "NotAction": "s3:*",
               "NotResource": "arn:aws:iam::111122223333:role/Admin"}),
     ["PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE"]),
    ("NotAction with a star resource",
     identity({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
     ["PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION"]),
    ("NotAction that takes iam:PassRole out",
     identity({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), []),
    ("AWS's example: redundant action",
     identity({"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:GetCredentialReport"],
               "Resource": "*"}),
     ["REDUNDANT_ACTION"]),
    ("AWS's example: a wildcard that only overlaps is not redundant",
     identity({"Effect": "Allow", "Action": ["iam:Get*", "iam:*CredentialReport"],
               "Resource": "*"}),
     []),
    ("the same action twice, in another case",
     identity({"Effect": "Allow", "Action": ["s3:GetObject", "S3:getobject"], "Resource": "*"}),
     ["REDUNDANT_ACTION"]),
    ("AWS's example: redundant resource",
     identity({"Effect": "Allow", "Action": "iam:GetRole",
               "Resource": ["arn:aws:iam::111122223333:role/jane-admin",
                            "arn:aws:iam::111122223333:role/jane-s3only",
                            "arn:aws:iam::111122223333:role/jane*"]}),
     ["REDUNDANT_RESOURCE"]),
    ("resources differing only in case are different",
     identity({"Effect": "Allow", "Action": "s3:GetObject",
               "Resource": ["arn:aws:s3:::Receipts", "arn:aws:s3:::receipts"]}),
     []),
    ("the same statement twice", identity(ALLOW_LIST, {**ALLOW_LIST, "Sid": "Again"}),
     ["REDUNDANT_STATEMENT"]),
    ("a wildcard in an action's service (which the engine refuses too)",
     identity({**ALLOW_LIST, "Action": "s*:ListBucket"}),
     ["MALFORMED_POLICY_DOCUMENT", "WILDCARD_IN_SERVICE_NAME"]),
    ("an empty Sid", identity({**ALLOW_LIST, "Sid": ""}), ["EMPTY_SID_VALUE"]),
    ("an empty Condition", identity({**ALLOW_LIST, "Condition": {}}),
     ["EMPTY_OBJECT_CONDITION"]),
    ("a wildcard in StringEquals",
     identity({**ALLOW_LIST, "Condition": {"StringEquals": {"aws:PrincipalTag/job": "admin-*"}}}),
     ["WILDCARD_WITHOUT_LIKE_OPERATOR"]),
    ("a wildcard in StringLike",
     identity({**ALLOW_LIST, "Condition": {"StringLike": {"aws:PrincipalTag/job": "admin-*"}}}),
     []),
    ("an empty Action array", identity({**ALLOW_LIST, "Action": []}),
     ["MALFORMED_POLICY_DOCUMENT", "EMPTY_ARRAY_ACTION"]),
    ("an empty Resource array", identity({**ALLOW_LIST, "Resource": []}),
     ["MALFORMED_POLICY_DOCUMENT", "EMPTY_ARRAY_RESOURCE"]),
    ("no Version", json.dumps({"Statement": [ALLOW_LIST]}),
     ["MALFORMED_POLICY_DOCUMENT", "MISSING_VERSION"]),
    ("an unknown Version", identity(ALLOW_LIST, Version="2020-01-01"), ["INVALID_VERSION"]),
    ("no Statement", json.dumps({"Version": V}), ["MISSING_STATEMENT"]),
    ("an unknown top-level element", identity(ALLOW_LIST, Statements=[]),
     ["INVALID_POLICY_ELEMENT"]),
    ("an unknown statement element", identity({**ALLOW_LIST, "Actions": "s3:*"}),
     ["INVALID_POLICY_ELEMENT"]),
    ("no Effect", identity({"Action": "s3:ListBucket", "Resource": "*"}), ["MISSING_EFFECT"]),
    ("a lower-case Effect", identity({**ALLOW_LIST, "Effect": "allow"}), ["INVALID_EFFECT"]),
    ("no Action", identity({"Effect": "Allow", "Resource": "*"}), ["MISSING_ACTION"]),
    ("no Resource", identity({"Effect": "Allow", "Action": "s3:ListBucket"}),
     ["MISSING_RESOURCE"]),
    ("Action and NotAction", identity({**ALLOW_LIST, "NotAction": "s3:GetObject"}),
     ["UNSUPPORTED_ELEMENT_COMBINATION"]),
    ("a Principal in an identity policy", identity({**ALLOW_LIST, "Principal": "*"}),
     ["UNSUPPORTED_PRINCIPAL"]),
    ("a Sid with a dash", identity({**ALLOW_LIST, "Sid": "List-Receipts"}), ["UNSUPPORTED_SID"]),
    ("two statements with one Sid",
     identity({**ALLOW_LIST, "Sid": "A"}, {**ALLOW_LIST, "Action": "s3:GetObject", "Sid": "A"}),
     ["UNIQUE_SIDS_REQUIRED"]),
    ("an unknown condition operator",
     identity({**ALLOW_LIST, "Condition": {"StringEqualz": {"aws:username": "jorge"}}}),
     ["INVALID_CONDITION_OPERATOR"]),
    ("a resource that is not an ARN", identity({**ALLOW_LIST, "Resource": "receipts"}),
     ["INVALID_ARN_PREFIX"]),
    ("an ARN with too few fields", identity({**ALLOW_LIST, "Resource": "arn:aws:s3:receipts"}),
     ["MISSING_ARN_FIELD"]),
    ("an IAM ARN with a region",
     identity({**ALLOW_LIST, "Resource": "arn:aws:iam:us-east-1:111122223333:user/jorge"}),
     ["ARN_REGION_NOT_ALLOWED"]),
    ("an Action that is a number", identity({**ALLOW_LIST, "Action": 42}),
     ["DATA_TYPE_MISMATCH"]),
    ("not a JSON object", "[]", ["DATA_TYPE_MISMATCH"]),
    ("not JSON at all", '{"Version": "2012-10-17",', ["JSON_SYNTAX_ERROR"]),
    ("an action without a service", identity({**ALLOW_LIST, "Action": "ListBucket"}),
     ["MALFORMED_POLICY_DOCUMENT"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_identity_policy_checks(document: str, expected: list[str]) -> None:
    assert codes(document) == expected


RESOURCE_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("a bucket policy", {"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::receipts/*"}, []),
    ("no Principal", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
     ["MISSING_PRINCIPAL"]),
    ("Allow with NotPrincipal", {"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"},
                                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::receipts/*"},
     ["ALLOW_WITH_NOT_PRINCIPAL"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("statement", "expected"), [c[1:] for c in RESOURCE_CASES], ids=[c[0] for c in RESOURCE_CASES]
)
def test_resource_policy_checks(statement: dict[str, Any], expected: list[str]) -> None:
    assert codes(identity(statement), RESOURCE_POLICY) == expected


def test_a_trust_policy_needs_no_resource_and_takes_no_resource() -> None:
    trust = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}

    assert codes(identity(trust), RESOURCE_POLICY, ROLE_TRUST_POLICY) == []
    assert codes(identity({**trust, "Resource": "*"}), RESOURCE_POLICY, ROLE_TRUST_POLICY) == [
        "INVALID_POLICY_ELEMENT"
    ]


def test_duplicate_sids_are_an_error_in_a_resource_policy_too() -> None:
    """AWS only warns (UNIQUE_SIDS_RECOMMENDED) for resource policies; the gateway's engine
    refuses duplicate SIDs in every kind of policy, so the check says so."""
    statement = {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::receipts/*"}  # fmt: skip

    assert codes(identity(statement, {**statement, "Action": "s3:PutObject"}), RESOURCE_POLICY) == [
        "UNIQUE_SIDS_REQUIRED"
    ]


def test_a_finding_says_where_with_awss_path_and_the_span_of_the_value() -> None:
    text = identity(ALLOW_LIST, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})

    (found,) = check_policy(text, IDENTITY_POLICY)

    assert found.finding_type == "SECURITY_WARNING"
    assert found.details == (
        "Using the iam:PassRole action with wildcards (*) in the resource can be overly "
        "permissive because it allows iam:PassRole permissions on multiple resources. We "
        "recommend that you specify resource ARNs or add the iam:PassedToService condition key "
        "to your statement."
    )
    assert found.learn_more_link == (
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-"
        "checks.html#access-analyzer-reference-policy-checks-security-warning-pass-role-with-"
        "star-in-resource"
    )
    (location,) = found.locations
    assert location.path == (("value", "Statement"), ("index", 1), ("value", "Resource"))
    start, end = location.span.start, location.span.end
    assert text[start.offset : end.offset] == '"*"'
    assert start.line == text[: start.offset].count("\n") + 1
    assert start.column == start.offset - (text.rfind("\n", 0, start.offset) + 1)


def test_redundant_actions_are_counted_and_each_located() -> None:
    text = identity(
        {
            "Effect": "Allow",
            "Action": ["s3:Get*", "s3:GetObject", "s3:GetObjectAcl"],
            "Resource": "*",
        }
    )

    (found,) = check_policy(text, IDENTITY_POLICY)

    assert found.details == (
        "The 2 action(s) are redundant because they provide similar permissions. Update the "
        "policy to remove the redundant action such as: s3:GetObject."
    )
    assert [loc.path[-1] for loc in found.locations] == [("index", 1), ("index", 2)]


def test_a_json_syntax_error_gives_index_line_and_column() -> None:
    (found,) = check_policy('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}', IDENTITY_POLICY)

    assert found.issue_code == "JSON_SYNTAX_ERROR"
    assert found.details == "Fix the JSON syntax error at index 45 line 3 column 16."
    assert found.locations[0].span.start == Position(line=3, column=16, offset=45)


def test_the_engines_refusal_is_reported_with_its_own_message() -> None:
    (found,) = check_policy(identity({**ALLOW_LIST, "Action": "ListBucket"}), IDENTITY_POLICY)

    assert found.finding_type == ERROR
    assert found.details == (
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    )


def test_unsupported_policy_types_are_refused() -> None:
    with pytest.raises(ValueError, match="SERVICE_CONTROL_POLICY"):
        check_policy(identity(ALLOW_LIST), "SERVICE_CONTROL_POLICY")


def test_every_issue_has_an_aws_finding_type_and_a_message() -> None:
    assert {kind for kind, _ in ISSUES.values()} == {
        "ERROR",
        "SECURITY_WARNING",
        "WARNING",
        "SUGGESTION",
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=3))
def test_a_policy_the_engine_accepts_has_no_error(body: list[dict[str, Any]]) -> None:
    findings = check_policy(json.dumps({"Version": V, "Statement": body}), IDENTITY_POLICY)

    assert [f for f in findings if f.finding_type == ERROR] == []


def test_patterns_differing_in_case_leave_one_of_them() -> None:
    text = identity({"Effect": "Allow", "Action": ["s3:get*", "S3:GET*"], "Resource": "*"})

    (found,) = check_policy(text, IDENTITY_POLICY)

    assert found.issue_code == "REDUNDANT_ACTION"
    assert [loc.path[-1] for loc in found.locations] == [("index", 1)]


def test_an_element_too_long_to_compare_pairwise_is_checked_for_repeats_only() -> None:
    actions = [f"svc:Get{n}*" for n in range(400)] + ["svc:Get1*", "svc:Get12x"]

    (found,) = check_policy(
        identity({"Effect": "Allow", "Action": actions, "Resource": "*"}), IDENTITY_POLICY
    )

    assert found.issue_code == "REDUNDANT_ACTION"
    assert [loc.path[-1] for loc in found.locations] == [("index", 400)]
