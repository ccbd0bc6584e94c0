"""gateway.policy.request: the request context, the keys derived from the principal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.policy import PreparedPrincipal, Request, compile_policies, evaluate, parse_policy
from tests.policy.strategies import PRINCIPALS

PrincipalFactory = Callable[..., dict[str, Any]]

ACCOUNT = "111122223333"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/build-42"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Deployer"


def keys_of(principal: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(Request("s3:GetObject", "*", principal, context).keys)


def session(principal: PrincipalFactory, **overrides: Any) -> dict[str, Any]:
    return principal(
        arn=SESSION_ARN, type="AssumedRole", username=None, userid="AROAID:build-42", **overrides
    )


def test_user_principal_yields_the_aws_principal_keys(principal: PrincipalFactory) -> None:
    assert keys_of(principal(tags={"team": "dev"})) == {
        "aws:principalarn": (f"arn:aws:iam::{ACCOUNT}:user/alice",),
        "aws:principalaccount": (ACCOUNT,),
        "aws:principaltype": ("User",),
        "aws:userid": ("AIDAALICE",),
        "aws:username": ("alice",),
        "aws:principaltag/team": ("dev",),
    }


@pytest.mark.parametrize(
    ("kind", "arn"),
    [
        ("AssumedRole", SESSION_ARN),
        ("FederatedUser", f"arn:aws:sts::{ACCOUNT}:federated-user/bob"),
        ("Account", f"arn:aws:iam::{ACCOUNT}:root"),
    ],
)
def test_username_is_derived_only_for_iam_users(
    principal: PrincipalFactory, kind: str, arn: str
) -> None:
    request = Request("s3:GetObject", "*", principal(arn=arn, type=kind, username="bob"))
    assert "aws:username" not in request.keys
    assert request.value("aws:username") is None
    assert request.value("aws:PrincipalType") == kind


def test_session_principal_arn_is_derived_from_the_session_arn(
    principal: PrincipalFactory,
) -> None:
    request = Request("s3:GetObject", "*", session(principal))
    assert request.value("aws:PrincipalArn") == ROLE_ARN
    assert request.principal_arn == SESSION_ARN


def test_session_principal_arn_given_in_context_wins(principal: PrincipalFactory) -> None:
    with_path = f"arn:aws:iam::{ACCOUNT}:role/ci/Deployer"
    request = Request("s3:GetObject", "*", session(principal), {"aws:PrincipalArn": with_path})
    assert request.value("aws:PrincipalArn") == with_path


@pytest.mark.parametrize(
    ("kind", "arn"),
    [
        ("User", f"arn:aws:iam::{ACCOUNT}:user/alice"),
        ("FederatedUser", f"arn:aws:sts::{ACCOUNT}:federated-user/bob"),
        ("Account", f"arn:aws:iam::{ACCOUNT}:root"),
    ],
)
def test_principal_arn_of_other_principals_is_their_own_arn(
    principal: PrincipalFactory, kind: str, arn: str
) -> None:
    request = Request("s3:GetObject", "*", principal(arn=arn, type=kind))
    assert request.value("aws:PrincipalArn") == arn


def test_principal_tags_become_principal_tag_keys(principal: PrincipalFactory) -> None:
    request = Request("s3:GetObject", "*", principal(tags={"team": "dev", "CostCenter": "42"}))
    assert request.value("aws:PrincipalTag/team") == "dev"
    assert request.value("aws:PrincipalTag/costcenter") == "42"
    assert request.value("aws:PrincipalTag/missing") is None


@pytest.mark.parametrize(
    ("given_key", "value"),
    [("aws:username", "mallory"), ("AWS:USERNAME", "mallory"), ("aws:PrincipalTag/team", "ops")],
)
def test_given_context_wins_over_derived_keys(
    principal: PrincipalFactory, given_key: str, value: str
) -> None:
    request = Request("s3:GetObject", "*", principal(tags={"team": "dev"}), {given_key: value})
    assert request.value(given_key) == value
    assert request.keys[given_key.lower()] == (value,)


def test_context_keys_are_case_insensitive(principal: PrincipalFactory) -> None:
    request = Request("s3:GetObject", "*", principal(), {"AWS:SourceIp": "203.0.113.7"})
    assert request.keys["aws:sourceip"] == ("203.0.113.7",)
    for spelling in ("aws:SourceIp", "AWS:SOURCEIP", "aws:sourceip"):
        assert request.value(spelling) == "203.0.113.7"


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        (["a", "b"], ("a", "b")),
        (("a", "b"), ("a", "b")),
        ([], ()),
        ("a", ("a",)),
        (["a"], ("a",)),
    ],
)
def test_context_values_become_tuples(raw: Any, values: tuple[str, ...]) -> None:
    assert Request("s3:GetObject", "*", {}, {"aws:TagKeys": raw}).keys["aws:tagkeys"] == values


def test_value_of_a_multi_valued_key_is_none() -> None:
    request = Request("s3:GetObject", "*", {}, {"aws:TagKeys": ["a", "b"], "aws:One": ["x"]})
    assert request.value("aws:TagKeys") is None
    assert request.value("aws:One") == "x"


def test_absent_key_is_absent(principal: PrincipalFactory) -> None:
    request = Request("s3:GetObject", "*", principal())
    assert request.value("aws:MultiFactorAuthPresent") is None
    assert "aws:multifactorauthpresent" not in request.keys


def test_request_without_principal_or_context_has_no_keys() -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::b")
    assert dict(request.keys) == {}
    assert (request.principal_arn, request.principal_account, request.principal_type) == (
        "",
        "",
        "",
    )


def test_principal_without_optional_fields_derives_what_it_can() -> None:
    request = Request("s3:GetObject", "*", {"arn": f"arn:aws:iam::{ACCOUNT}:user/x"})
    assert dict(request.keys) == {
        "aws:principalarn": (f"arn:aws:iam::{ACCOUNT}:user/x",),
        "aws:principalaccount": (ACCOUNT,),
    }


@pytest.mark.parametrize(
    ("resource", "account"),
    [
        (f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT),
        (f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue", ACCOUNT),
        ("arn:aws:s3:::bucket/key", ""),
        ("*", ""),
        ("not-an-arn", ""),
        ("arn:aws:s3", ""),
        (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:a:b", ACCOUNT),
    ],
)
def test_resource_account_is_the_fifth_arn_component(resource: str, account: str) -> None:
    assert Request("s3:GetObject", resource).resource_account == account


@pytest.mark.parametrize(
    ("given", "account"),
    [
        ({"account": "444455556666", "arn": f"arn:aws:iam::{ACCOUNT}:user/x"}, "444455556666"),
        ({"arn": f"arn:aws:iam::{ACCOUNT}:user/x"}, ACCOUNT),
        ({"arn": SESSION_ARN}, ACCOUNT),
        ({}, ""),
    ],
)
def test_principal_account_comes_from_the_principal_or_its_arn(
    given: dict[str, str], account: str
) -> None:
    assert Request("s3:GetObject", "*", given).principal_account == account


def test_action_is_compared_lower_cased() -> None:
    assert Request("S3:GetObject", "*").action_lower == "s3:getobject"


def test_repr_shows_the_request() -> None:
    text = repr(Request("s3:GetObject", "arn:aws:s3:::b", {"arn": "x"}, {"k:k": "v"}))
    assert text == (
        "Request(action='s3:GetObject', resource='arn:aws:s3:::b', "
        "principal={'arn': 'x'}, context={'k:k': 'v'})"
    )


# -- context values as people pass them (issue 10 item 3) -------------------------------------


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        (True, ("true",)),
        (False, ("false",)),
        (3600, ("3600",)),
        (-1, ("-1",)),
        (0.5, ("0.5",)),
        (3600.0, ("3600.0",)),
        ([True, "x", 7, 1.25], ("true", "x", "7", "1.25")),
        ((False,), ("false",)),
    ],
)
def test_bools_and_numbers_become_their_text(raw: Any, values: tuple[str, ...]) -> None:
    request = Request("s3:GetObject", "*", {}, {"aws:Key": raw})
    assert request.keys["aws:key"] == values


def test_a_bool_context_value_meets_a_bool_condition(principal: PrincipalFactory) -> None:
    policy = parse_policy(
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*",'
        ' "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"},'
        ' "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}}'
    )
    for secure, age, allowed in ((True, 60, True), (False, 60, False), (True, 7200.5, False)):
        context = {"aws:SecureTransport": secure, "aws:MultiFactorAuthAge": age}
        request = Request("s3:GetObject", "arn:aws:s3:::b", principal(), context)
        assert evaluate(request, [policy]).allowed is allowed
        assert compile_policies([policy]).evaluate(request).allowed is allowed


@pytest.mark.parametrize(
    "raw",
    [None, {"a": "b"}, b"bytes", {"a"}, object(), ["ok", None], [["nested"]]],
    ids=["none", "dict", "bytes", "set", "object", "none-in-list", "nested-list"],
)
def test_other_context_values_are_refused_with_a_clear_message(raw: Any) -> None:
    with pytest.raises(TypeError, match="context key 'aws:Key': a value must be a string, bool"):
        Request("s3:GetObject", "*", {}, {"aws:Key": raw})


@pytest.mark.parametrize("raw", [float("inf"), float("nan"), [1.0, float("-inf")]])
def test_non_finite_numbers_are_refused(raw: Any) -> None:
    with pytest.raises(ValueError, match="is not a finite number"):
        Request("s3:GetObject", "*", {}, {"aws:Key": raw})


def test_a_context_key_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="context key 7 must be a string"):
        Request("s3:GetObject", "*", {}, {7: "x"})  # type: ignore[dict-item]


def test_a_prepared_principal_is_a_snapshot_of_the_mapping(principal: PrincipalFactory) -> None:
    source = principal(tags={"team": "dev"})
    prepared = PreparedPrincipal(source)
    source["username"] = "mallory"
    source["tags"]["team"] = "admins"
    keys = dict(Request("s3:GetObject", "*", prepared).keys)
    assert keys["aws:username"] == ("alice",)
    assert keys["aws:principaltag/team"] == ("dev",)
    assert prepared["username"] == "alice"
    with pytest.raises(TypeError):
        prepared["tags"]["team"] = "admins"


def test_a_prepared_principal_gives_way_to_keys_the_context_states(
    principal: PrincipalFactory,
) -> None:
    prepared = PreparedPrincipal(session(principal))
    keys = dict(Request("s3:GetObject", "*", prepared, {"aws:PrincipalArn": ROLE_ARN + "x"}).keys)
    assert keys["aws:principalarn"] == (ROLE_ARN + "x",)
    assert dict(Request("s3:GetObject", "*", prepared).keys) == keys_of(session(principal))


def test_a_plain_principal_gives_the_keys_and_account_a_prepared_one_does(
    principal: PrincipalFactory,
) -> None:
    plain = principal(account="111122223333")
    context = {"aws:SourceIp": "10.0.0.1"}
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", plain, context)
    prepared = Request("s3:GetObject", "arn:aws:s3:::b/k", PreparedPrincipal(plain), context)
    assert request.keys == prepared.keys
    assert request.keys["aws:sourceip"] == ("10.0.0.1",)
    assert request.keys["aws:principalaccount"] == ("111122223333",)
    assert request.principal_account == prepared.principal_account == "111122223333"


VALUES = st.text(max_size=3) | st.lists(st.text(max_size=3), max_size=2) | st.booleans()
SESSION_CONTEXTS = st.dictionaries(
    st.sampled_from(["aws:SourceIp", "aws:username", "aws:TokenIssueTime", "k"]), VALUES
)
"""Keys as a principal's request context states them: each once."""
CALLER_CONTEXTS = st.dictionaries(
    st.sampled_from(["aws:SourceIp", "AWS:SOURCEIP", "aws:username", "aws:TokenIssueTime", "K"]),
    VALUES,
    max_size=4,
)


@given(
    principal=st.sampled_from(PRINCIPALS),
    session=SESSION_CONTEXTS,
    context=CALLER_CONTEXTS,
)
def test_a_principal_prepared_with_a_context_gives_the_keys_of_both_contexts(
    principal: dict[str, Any], session: dict[str, Any], context: dict[str, Any]
) -> None:
    # The caller's own keys are made part of its prepared principal once a second; a request
    # must still see the principal's keys, then the session's, then its own (in any case).
    prepared = PreparedPrincipal(principal).with_context(session)
    request = Request("s3:GetObject", "*", prepared, context)
    expected = keys_of(principal, session) | keys_of({}, context)
    assert request.keys == expected
    assert request.principal_account == Request("s3:GetObject", "*", principal).principal_account
    assert dict(Request("s3:GetObject", "*", prepared).keys) == keys_of(principal, session)
    if not {key.lower() for key in session} & {key.lower() for key in context}:
        assert request.keys == keys_of(principal, {**session, **context})
