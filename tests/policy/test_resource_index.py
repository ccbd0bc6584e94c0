"""The compiled evaluator's resource index never hides a statement that applies.

The index places each Resource pattern by the literal text around its wildcards and variables
(ARN head and first segment, or service head and last segment). A resource crafted so that a
wildcard spans colons (`arn:aws:dynamodb:*:…` against `…:us-east-1:x:…`) must still find every
statement; an attacker who could hide a Deny that way would turn it into an Allow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import gateway.policy.compiled as compiled_module
import gateway.policy.resource_index as resource_index
from gateway.policy import Effect, Policy, Request, compile_policies, evaluate, parse_policy
from gateway.policy.request import ContextInput
from tests.policy.conftest import build_policy, build_principal
from tests.policy.strategies import policies, requests


@contextmanager
def index_everything() -> Iterator[None]:
    """Index every action's candidates by resource, however few (normally only many are)."""
    saved = compiled_module._SCAN_LIMIT
    compiled_module._SCAN_LIMIT = 0
    try:
        yield
    finally:
        compiled_module._SCAN_LIMIT = saved


@settings(max_examples=400, deadline=None)
@given(
    identity=st.lists(policies(name="identity"), max_size=5),
    resource=st.none() | policies("resource", name="resource"),
    request_list=st.lists(requests(), min_size=1, max_size=5),
)
def test_indexed_decisions_equal_the_reference_on_random_policies(
    identity: list[Policy], resource: Policy | None, request_list: list[Request]
) -> None:
    with index_everything():
        compiled = compile_policies(identity)
        for request in request_list:
            expected = evaluate(request, identity, resource=resource)
            assert compiled.evaluate(request, resource=resource) == expected
            assert compiled.evaluate(request, resource=resource) == expected


# -- ARN-shaped patterns and resources, wildcards spanning the colons --------------------------

PARTITIONS = ["aws", "aws", "*"]
SERVICES = ["s3", "dynamodb", "logs"]
REGIONS = ["", "us-east-1", "*", "us-*", "us-east-?"]
ACCOUNTS = ["", "123456789012", "*", "1234*"]
RESOURCE_TOKENS = ["table", "/", ":", "t-5", "t-15", "b", "*", "?", "${aws:username}", "x.gz"]
VALUE_TOKENS = ["table", "/", ":", "t-5", "t-15", "b", "alice", "us-east-1", "x.gz", "bob"]


@st.composite
def arn_patterns(draw: st.DrawFn) -> str:
    resource = "".join(draw(st.lists(st.sampled_from(RESOURCE_TOKENS), min_size=1, max_size=5)))
    service = draw(st.sampled_from(SERVICES))
    # S3 ARNs carry no region or account (AWS refuses region information in them).
    region = "" if service == "s3" else draw(st.sampled_from(REGIONS))
    account = "" if service == "s3" else draw(st.sampled_from(ACCOUNTS))
    return ":".join(["arn", draw(st.sampled_from(PARTITIONS)), service, region, account, resource])


@st.composite
def arn_values(draw: st.DrawFn) -> str:
    """Concrete resources, some with extra colons, some not ARNs at all."""
    if draw(st.integers(0, 9)) == 0:
        return "".join(draw(st.lists(st.sampled_from(VALUE_TOKENS), max_size=4)))
    fields = [
        "arn",
        "aws",
        draw(st.sampled_from(SERVICES)),
        draw(st.sampled_from(["", "us-east-1", "us-west-2", "us-east-1:x"])),
        draw(st.sampled_from(["", "123456789012", "123456789099"])),
    ]
    tail = "".join(draw(st.lists(st.sampled_from(VALUE_TOKENS), min_size=0, max_size=5)))
    return ":".join([*fields, tail])


@st.composite
def arn_statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Action": draw(st.sampled_from(["s3:GetObject", "s3:*", "*"])),
        draw(st.sampled_from(["Resource"] * 5 + ["NotResource"])): draw(
            st.lists(arn_patterns(), min_size=1, max_size=3)
        ),
    }
    if draw(st.integers(0, 3)) == 0:
        statement["Condition"] = draw(
            st.sampled_from(
                [
                    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}},
                ]
            )
        )
    return statement


@settings(max_examples=300, deadline=None)
@given(
    statements=st.lists(arn_statements(), min_size=1, max_size=40),
    resources=st.lists(arn_values(), min_size=1, max_size=6),
    mfa=st.booleans(),
)
def test_indexed_decisions_equal_the_reference_on_arn_shaped_patterns(
    statements: list[dict[str, Any]], resources: list[str], mfa: bool
) -> None:
    policy = parse_policy(build_policy(*statements))
    context: ContextInput = {"aws:MultiFactorAuthPresent": mfa, "aws:ResourceTag/owner": "alice"}
    for limit, tokens, flat in ((0, 0, 0), (0, 8, 6), (8, 8, 6)):
        saved = (
            compiled_module._SCAN_LIMIT,
            resource_index._TOKEN_INDEX_MIN,
            resource_index._FLAT_LIMIT,
        )
        compiled_module._SCAN_LIMIT = limit
        # 0: every pattern that holds a token is placed by it, however few there are; and
        # every pattern is placed by its keys, however few patterns there are.
        resource_index._TOKEN_INDEX_MIN = tokens
        resource_index._FLAT_LIMIT = flat
        try:
            compiled = compile_policies([policy])
            for resource in resources:
                request = Request("s3:GetObject", resource, build_principal(), context)
                assert compiled.evaluate(request) == evaluate(request, [policy]), resource
        finally:
            (
                compiled_module._SCAN_LIMIT,
                resource_index._TOKEN_INDEX_MIN,
                resource_index._FLAT_LIMIT,
            ) = saved


def test_a_region_wildcard_spanning_colons_still_finds_the_deny() -> None:
    statements = [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "dynamodb:*",
            "Resource": "arn:aws:dynamodb:*:123456789012:table/t-5",
        },
    ]
    statements += [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": f"arn:aws:s3:::b-{i}/*"}
        for i in range(20)
    ]
    policy = parse_policy(build_policy(*statements))
    compiled = compile_policies([policy])
    for resource in (
        "arn:aws:dynamodb:us-east-1:123456789012:table/t-5",
        "arn:aws:dynamodb:us-east-1:x:123456789012:table/t-5",
    ):
        request = Request("dynamodb:GetItem", resource, build_principal())
        assert compiled.evaluate(request) == evaluate(request, [policy])
        assert not compiled.evaluate(request).allowed


def test_a_pattern_ending_in_a_wildcard_is_found_by_its_token_wherever_the_wildcards_end() -> None:
    """`…:*:123456789012:log-group:/app/svc-5:*` is placed by its token `svc-5`: a resource
    whose region wildcard spans colons, or whose final wildcard spans separators, still meets
    the Deny; one that holds `svc-5` only inside a longer token does not."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "logs:*",
            "Resource": "arn:aws:logs:*:123456789012:log-group:/app/svc-5:*",
        },
    ]
    # Enough patterns of that shape that the index places them by token (few are tested).
    statements += [
        {
            "Effect": "Allow",
            "Action": "logs:GetLogEvents",
            "Resource": f"arn:aws:logs:*:123456789012:log-group:/app/other-{i}:*",
        }
        for i in range(20)
    ]
    policy = parse_policy(build_policy(*statements))
    compiled = compile_policies([policy])
    for resource, denied in (
        ("arn:aws:logs:us-east-1:123456789012:log-group:/app/svc-5:*", True),
        ("arn:aws:logs:us-east-1:x:123456789012:log-group:/app/svc-5:s/t:u", True),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/app/svc-5:", True),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/app/svc-55:x", False),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/app/xsvc-5:x", False),
    ):
        request = Request("logs:GetLogEvents", resource, build_principal())
        assert compiled.evaluate(request) == evaluate(request, [policy]), resource
        explicit = compiled.evaluate(request).effect is Effect.EXPLICIT_DENY
        assert explicit is denied, resource


def test_a_prefix_and_star_pattern_applies_untested_only_where_its_prefix_leads() -> None:
    """`…:::bucket-1/*` and `…:::bucket-1*` are found by their literal prefix and apply
    without a test; a resource that shares only part of that prefix (`bucket-10/…` for the
    first, `bucket-2…` for both) must not reach them, and one that has it always must. A
    pattern of another partition with the same service name shares its key, and is tested."""
    statements: list[dict[str, Any]] = [
        {"Sid": "Slash", "Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::bucket-1/*"},
        {"Sid": "Inside", "Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket-1*"},
        {
            "Sid": "China",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "arn:aws-cn:dynamodb:*:123456789012:table/t-5",
        },
        {
            "Sid": "Global",
            "Effect": "Allow",
            "Action": "*",
            "Resource": "arn:aws:dynamodb:*:123456789012:table/t-5",
        },
    ]
    # Enough other patterns that the index places these by their keys rather than testing all.
    statements += [
        {"Effect": "Allow", "Action": "*", "Resource": f"arn:aws:s3:::other-{i}/*"}
        for i in range(20)
    ]
    policy = parse_policy(build_policy(*statements))
    compiled = compile_policies([policy])
    for resource, sids in (
        ("arn:aws:s3:::bucket-1/k", ["Slash", "Inside"]),
        ("arn:aws:s3:::bucket-1/", ["Slash", "Inside"]),
        ("arn:aws:s3:::bucket-10/k", ["Inside"]),
        ("arn:aws:s3:::bucket-1", ["Inside"]),
        ("arn:aws:s3:::bucket-2/k", []),
        ("arn:aws:s3:::bucket-", []),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/t-5", ["Global"]),
        ("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t-5", ["China"]),
    ):
        request = Request("s3:GetObject", resource, build_principal())
        assert compiled.evaluate(request) == evaluate(request, [policy]), resource
        applied = compiled._index.applicable("s3:getobject", request)
        assert [s.sid for s in applied if s.sid in {"Slash", "Inside", "China", "Global"}] == sids


def test_statements_sharing_a_condition_block_decide_it_once_and_list_every_statement() -> None:
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
        for i in range(30)
    ]
    policy = parse_policy(build_policy(*statements))
    compiled = compile_policies([policy])
    with_mfa = Request(
        "s3:GetObject", "arn:aws:s3:::b/k", build_principal(), {"aws:MultiFactorAuthPresent": True}
    )
    decision = compiled.evaluate(with_mfa)
    assert decision == evaluate(with_mfa, [policy])
    assert [ref.sid for ref in decision.statements] == [f"S{i}" for i in range(30)]
    without = Request("s3:GetObject", "arn:aws:s3:::b/k", build_principal())
    assert compiled.evaluate(without) == evaluate(without, [policy])
    assert compiled.evaluate(without).missing_keys == ("aws:MultiFactorAuthPresent",)
