"""AWS's evaluation logic across policy types: identity, resource, boundary, session, trust."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.policy import Decision, Effect, Policy, Request, compile_policies, evaluate
from gateway.policy import parse_policy as parse
from gateway.policy.evaluator import unmet_condition_keys

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALICE = {
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "type": "User",
    "username": "alice",
    "userid": "AIDAALICE",
    "account": ACCOUNT,
}
ROOT = {"arn": f"arn:aws:iam::{ACCOUNT}:root", "type": "Account", "account": ACCOUNT}
CAROL = {
    "arn": f"arn:aws:iam::{OTHER}:user/carol",
    "type": "User",
    "username": "carol",
    "account": OTHER,
}
SESSION = {
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Cashier/alice",
    "type": "AssumedRole",
    "userid": "AROACASHIER:alice",
    "account": ACCOUNT,
}
SESSION_CONTEXT = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Cashier"}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Cashier"


def policy(*statements: dict[str, Any], kind: str = "identity", name: str = "p") -> Policy:
    return parse(
        json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind, name=name
    )


def allow(action: str = "*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def both(request: Request, identity: list[Policy], **layers: Any) -> Decision:
    """Evaluate with both engines, insist they agree, return the decision."""
    reference = evaluate(request, identity, **layers)
    assert compile_policies(identity).evaluate(request, **layers) == reference
    return reference


BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"


def test_no_policy_means_implicit_deny_by_identity() -> None:
    decision = both(Request("s3:ListBucket", BUCKET, ALICE), [])
    assert decision.effect is Effect.IMPLICIT_DENY
    assert decision.denied_by == "identity"


def test_explicit_deny_in_group_policy_beats_user_allow() -> None:
    user = policy(allow("s3:*"), name="user-policy")
    group = policy({**deny("s3:DeleteBucket"), "Sid": "NoDeletes"}, name="group-policy")
    decision = both(Request("s3:DeleteBucket", BUCKET, ALICE), [user, group])
    assert decision.effect is Effect.EXPLICIT_DENY
    assert decision.denied_by == "identity"
    assert [(r.policy, r.sid, r.index) for r in decision.statements] == [
        ("group-policy", "NoDeletes", 0)
    ]


def test_allow_reports_every_allowing_statement() -> None:
    a = policy({**allow("s3:List*"), "Sid": "A"}, name="a")
    b = policy({**allow("s3:ListBucket", BUCKET), "Sid": "B"}, name="b")
    decision = both(Request("s3:listbucket", BUCKET, ALICE), [a, b])
    assert decision.allowed
    assert [r.sid for r in decision.statements] == ["A", "B"]


def test_boundary_caps_an_administrator() -> None:
    admin = policy(allow())
    cap = policy(allow("s3:*"), name="boundary")
    assert both(Request("s3:GetObject", BUCKET, ALICE), [admin], boundary=cap).allowed
    decision = both(
        Request("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", ALICE), [admin], boundary=cap
    )
    assert decision.effect is Effect.IMPLICIT_DENY
    assert decision.denied_by == "boundary"


def test_boundary_alone_grants_nothing() -> None:
    decision = both(Request("s3:GetObject", BUCKET, ALICE), [], boundary=policy(allow()))
    assert decision.denied_by == "identity"


def test_deny_in_boundary_is_an_explicit_deny() -> None:
    decision = both(
        Request("s3:GetObject", BUCKET, ALICE),
        [policy(allow())],
        boundary=policy(allow(), deny("s3:GetObject")),
    )
    assert decision.effect is Effect.EXPLICIT_DENY
    assert decision.denied_by == "boundary"


def test_empty_session_policy_list_denies_and_none_does_not_intersect() -> None:
    identity = [policy(allow())]
    request = Request("s3:GetObject", BUCKET, SESSION, SESSION_CONTEXT)
    assert both(request, identity, session=None).allowed
    decision = both(request, identity, session=[])
    assert decision.denied_by == "session"


def test_session_policy_intersects_with_identity() -> None:
    identity = [policy(allow("s3:*"))]
    session = [policy(allow("s3:GetObject", BUCKET), name="session")]
    request = Request("s3:GetObject", BUCKET, SESSION, SESSION_CONTEXT)
    assert both(request, identity, session=session).allowed
    put = Request("s3:PutObject", BUCKET, SESSION, SESSION_CONTEXT)
    assert both(put, identity, session=session).denied_by == "session"


def test_root_is_allowed_without_policies_in_its_own_account() -> None:
    decision = both(Request("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", ROOT), [])
    assert decision.allowed


def test_root_is_not_limited_by_identity_denies_but_is_by_resource_denies() -> None:
    request = Request("s3:GetObject", BUCKET, ROOT)
    assert both(request, [policy(deny())]).allowed
    bucket_policy = policy(deny(Principal="*"), kind="resource", name="bucket")
    decision = both(request, [], resource=bucket_policy)
    assert decision.effect is Effect.EXPLICIT_DENY
    assert decision.denied_by == "resource"


def test_root_of_another_account_needs_a_resource_policy() -> None:
    other_root = {"arn": f"arn:aws:iam::{OTHER}:root", "type": "Account", "account": OTHER}
    resource = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert both(Request("iam:GetUser", resource, other_root), []).denied_by == "resource"


def test_same_account_resource_policy_naming_the_user_grants_without_identity_policy() -> None:
    bucket = policy(allow("s3:GetObject", BUCKET, Principal={"AWS": ALICE["arn"]}), kind="resource")
    assert both(Request("s3:GetObject", BUCKET, ALICE), [], resource=bucket).allowed


def test_resource_policy_naming_the_user_is_not_capped_by_the_boundary() -> None:
    # IAM UG, permissions boundaries: "Within an account, an implicit deny in a permissions
    # boundary does not limit the permissions granted by a resource-based policy" naming the user.
    bucket = policy(allow("s3:GetObject", BUCKET, Principal={"AWS": ALICE["arn"]}), kind="resource")
    cap = policy(allow("iam:*"))
    assert both(Request("s3:GetObject", BUCKET, ALICE), [], resource=bucket, boundary=cap).allowed


def test_resource_policy_naming_the_account_delegates_to_identity_policies() -> None:
    bucket = policy(allow("s3:GetObject", BUCKET, Principal={"AWS": ACCOUNT}), kind="resource")
    request = Request("s3:GetObject", BUCKET, ALICE)
    assert both(request, [], resource=bucket).denied_by == "identity"
    assert both(request, [policy(allow("s3:GetObject"))], resource=bucket).allowed


def test_cross_account_needs_both_identity_and_resource_policy() -> None:
    resource = f"arn:aws:iam::{ACCOUNT}:role/Cashier"
    identity = [policy(allow("sts:AssumeRole", resource))]
    request = Request("sts:AssumeRole", resource, CAROL)
    assert both(request, identity).denied_by == "resource"
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"}, kind="trust"
    )
    assert both(request, identity, resource=trust).allowed
    assert both(request, [], resource=trust).denied_by == "identity"


def test_trust_policy_naming_the_user_needs_no_identity_permission_in_the_same_account() -> None:
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": ALICE["arn"]}, "Action": "sts:AssumeRole"},
        kind="trust",
    )
    request = Request("sts:AssumeRole", ROLE_ARN, ALICE)
    assert both(request, [], resource=trust).allowed


def test_trust_policy_naming_the_account_needs_identity_permission() -> None:
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        kind="trust",
    )
    identity = [policy(allow("sts:AssumeRole", ROLE_ARN))]
    without_mfa = Request("sts:AssumeRole", ROLE_ARN, ALICE)
    with_mfa = Request("sts:AssumeRole", ROLE_ARN, ALICE, {"aws:MultiFactorAuthPresent": "true"})
    assert both(with_mfa, [], resource=trust).denied_by == "identity"
    assert both(with_mfa, identity, resource=trust).allowed
    decision = both(without_mfa, identity, resource=trust)
    assert decision.denied_by == "resource"
    assert decision.missing_keys == ("aws:MultiFactorAuthPresent",)


def test_resource_policy_naming_the_role_covers_its_sessions() -> None:
    bucket = policy(allow("s3:GetObject", BUCKET, Principal={"AWS": ROLE_ARN}), kind="resource")
    request = Request("s3:GetObject", BUCKET, SESSION, SESSION_CONTEXT)
    assert both(request, [], resource=bucket).allowed
    assert both(request, [], resource=bucket, session=[]).denied_by == "session"


def test_not_principal_deny_spares_only_a_principal_named_with_its_account() -> None:
    only_user = policy(
        {"Effect": "Deny", "NotPrincipal": {"AWS": ALICE["arn"]}, "Action": "*", "Resource": "*"},
        kind="resource",
    )
    user_and_account = policy(
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [ALICE["arn"], f"arn:aws:iam::{ACCOUNT}:root"]},
            "Action": "*",
            "Resource": "*",
        },
        kind="resource",
    )
    request = Request("s3:GetObject", BUCKET, ALICE)
    identity = [policy(allow())]
    assert both(request, identity, resource=only_user).effect is Effect.EXPLICIT_DENY
    assert both(request, identity, resource=user_and_account).allowed


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        ("arn:aws:s3:::home/alice/notes", True),
        ("arn:aws:s3:::home/bob/notes", False),
        ("arn:aws:s3:::home/alice", False),
    ],
)
def test_username_variable_scopes_a_resource_to_the_caller(resource: str, allowed: bool) -> None:
    identity = [policy(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))]
    assert both(Request("s3:GetObject", resource, ALICE), identity).allowed is allowed


def test_unresolvable_variable_makes_a_statement_not_match() -> None:
    identity = [policy(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))]
    request = Request("s3:GetObject", "arn:aws:s3:::home/alice/x", SESSION, SESSION_CONTEXT)
    assert both(request, identity).denied_by == "identity"


def test_unresolvable_variable_in_a_deny_does_not_deny() -> None:
    identity = [policy(allow(), deny("s3:*", "arn:aws:s3:::home/${aws:username}/*"))]
    request = Request("s3:GetObject", "arn:aws:s3:::home/x/y", SESSION, SESSION_CONTEXT)
    assert both(request, identity).allowed


def test_missing_keys_lists_what_applicable_conditions_looked_for() -> None:
    identity = [
        policy(
            allow("s3:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            allow("iam:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        )
    ]
    decision = both(Request("s3:GetObject", BUCKET, ALICE), identity)
    assert decision.effect is Effect.IMPLICIT_DENY
    assert decision.missing_keys == ("aws:MultiFactorAuthPresent",)


def test_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    identity = [policy(allow("S3:listBUCKET", BUCKET))]
    assert both(Request("s3:ListBucket", BUCKET, ALICE), identity).allowed
    lowered = Request("s3:ListBucket", BUCKET.lower(), ALICE)
    assert not both(lowered, identity).allowed


def test_not_action_with_not_resource() -> None:
    identity = [
        policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret*"})
    ]
    assert both(Request("s3:GetObject", BUCKET, ALICE), identity).allowed
    assert not both(Request("iam:GetUser", BUCKET, ALICE), identity).allowed
    assert not both(Request("s3:GetObject", "arn:aws:s3:::secret-x", ALICE), identity).allowed


def test_policy_version_2008_reads_variables_as_literal_text() -> None:
    bucket = parse(
        json.dumps(
            {
                "Version": "2008-10-17",
                "Statement": allow("s3:*", "arn:aws:s3:::home/${aws:username}", Principal="*"),
            }
        ),
        "resource",
    )
    literal = Request("s3:GetObject", "arn:aws:s3:::home/${aws:username}", ALICE)
    assert both(literal, [], resource=bucket).allowed
    assert not both(
        Request("s3:GetObject", "arn:aws:s3:::home/alice", ALICE), [], resource=bucket
    ).allowed


def test_aws_owned_resources_like_aws_managed_policies_belong_to_no_account() -> None:
    identity = [policy(allow("iam:GetPolicy"))]
    request = Request("iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess", ALICE)
    assert both(request, identity).allowed
    assert both(Request("iam:GetPolicy", "arn:aws:iam::aws:policy/X", ROOT), []).allowed


def test_unmet_condition_keys_are_those_of_allows_naming_the_caller() -> None:
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ALICE["arn"]},
            "Action": "sts:AssumeRole",
            "Condition": {**mfa, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": CAROL["arn"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "till"}},
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": ALICE["arn"]},
            "Action": "sts:TagSession",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        },
        kind="trust",
    )
    without_mfa = Request(
        "sts:AssumeRole",
        ROLE_ARN,
        ALICE,
        {"aws:MultiFactorAuthPresent": "false", "aws:SourceIp": "192.0.2.7"},
    )
    with_mfa = Request(
        "sts:AssumeRole",
        ROLE_ARN,
        ALICE,
        {"aws:MultiFactorAuthPresent": "true", "aws:SourceIp": "192.0.2.7"},
    )

    assert unmet_condition_keys(trust, without_mfa) == ("aws:MultiFactorAuthPresent",)
    assert unmet_condition_keys(trust, with_mfa) == ()
    assert unmet_condition_keys(trust, Request("sts:AssumeRole", ROLE_ARN, CAROL)) == (
        "aws:PrincipalTag/team",
    )
