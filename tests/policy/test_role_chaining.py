"""A trust or resource policy naming a role ARN applies to that role's sessions.

AWS, "How AWS enforcement code logic evaluates requests to allow or deny access"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
"IAM role - Resource-based policies that grant permissions to an IAM role ARN are limited by an
implicit deny in a permissions boundary or session policy", whereas a grant to the role
*session* ARN is not; and role trust policies "must explicitly allow access for principals".
So a trust policy naming `role/RoleA` lets RoleA's sessions assume the role (role chaining)
without an Allow in RoleA's identity policies, but RoleA's boundary and session policies
still cap it; naming only the account still needs the identity policies' Allow, and so does a
role of another account.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.policy import Effect, Policy, Request, compile_policies, evaluate, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE_A = f"arn:aws:iam::{ACCOUNT}:role/RoleA"
ROLE_B = f"arn:aws:iam::{ACCOUNT}:role/RoleB"
SESSION_A = f"arn:aws:sts::{ACCOUNT}:assumed-role/RoleA/chain"


def _policy(kind: str, *statements: dict[str, Any]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind)


def _trust(principal: str) -> Policy:
    return _policy(
        "trust", {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    )


def _allow(action: str) -> Policy:
    return _policy("identity", {"Effect": "Allow", "Action": action, "Resource": "*"})


def _session_of_role_a(account: str = ACCOUNT) -> dict[str, Any]:
    return {
        "arn": SESSION_A.replace(ACCOUNT, account),
        "type": "AssumedRole",
        "userid": "AROAROLEA:chain",
        "account": account,
    }


def _decide(trust: Policy, **layers: Any) -> tuple[Effect, str | None]:
    principal = layers.pop("principal", _session_of_role_a())
    identity = layers.pop("identity", [_allow("s3:*")])
    request = Request("sts:AssumeRole", ROLE_B, principal)
    expected = evaluate(request, identity, resource=trust, **layers)
    assert compile_policies(identity).evaluate(request, resource=trust, **layers) == expected
    return expected.effect, expected.denied_by


def test_a_trust_policy_naming_the_role_lets_its_sessions_assume_without_identity_allow() -> None:
    assert _decide(_trust(ROLE_A)) == (Effect.ALLOW, None)


def test_the_role_boundary_still_limits_a_grant_to_the_role_arn() -> None:
    assert _decide(_trust(ROLE_A), boundary=_allow("s3:*")) == (Effect.IMPLICIT_DENY, "boundary")
    assert _decide(_trust(ROLE_A), boundary=_allow("sts:AssumeRole")) == (Effect.ALLOW, None)


def test_a_session_policy_still_limits_a_grant_to_the_role_arn() -> None:
    assert _decide(_trust(ROLE_A), session=[_allow("s3:*")]) == (Effect.IMPLICIT_DENY, "session")
    assert _decide(_trust(ROLE_A), session=[_allow("sts:*")]) == (Effect.ALLOW, None)


def test_a_grant_to_the_session_arn_is_not_limited_by_the_boundary() -> None:
    assert _decide(_trust(SESSION_A), boundary=_allow("s3:*")) == (Effect.ALLOW, None)


def test_a_trust_policy_naming_only_the_account_needs_the_identity_allow() -> None:
    assert _decide(_trust(ACCOUNT)) == (Effect.IMPLICIT_DENY, "identity")
    assert _decide(_trust(ACCOUNT), identity=[_allow("sts:AssumeRole")]) == (Effect.ALLOW, None)


def test_a_trust_policy_naming_anyone_needs_the_identity_allow() -> None:
    assert _decide(_trust("*")) == (Effect.IMPLICIT_DENY, "identity")


def test_a_role_of_another_account_needs_its_identity_allow() -> None:
    other_role = ROLE_A.replace(ACCOUNT, OTHER)
    principal = _session_of_role_a(OTHER)
    assert _decide(_trust(other_role), principal=principal) == (Effect.IMPLICIT_DENY, "identity")
    allowed = _decide(_trust(other_role), principal=principal, identity=[_allow("sts:*")])
    assert allowed == (Effect.ALLOW, None)


def test_an_identity_deny_still_wins_over_a_grant_to_the_role() -> None:
    deny = _policy("identity", {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})
    assert _decide(_trust(ROLE_A), identity=[deny])[0] is Effect.EXPLICIT_DENY


@pytest.mark.parametrize("principal_type", ["User", "FederatedUser"])
def test_a_role_arn_grant_does_not_apply_to_other_kinds_of_caller(principal_type: str) -> None:
    # A user (or federated user) whose context claims the role's ARN as aws:PrincipalArn
    # is not a session of that role.
    principal = {
        "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
        "type": principal_type,
        "username": "mallory",
        "account": ACCOUNT,
    }
    request = Request("sts:AssumeRole", ROLE_B, principal, {"aws:PrincipalArn": ROLE_A})
    decision = evaluate(request, [_allow("s3:*")], resource=_trust(ROLE_A))
    assert not decision.allowed
