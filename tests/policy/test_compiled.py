"""compile_policies(...).evaluate must reach exactly the decision of the reference evaluate."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy import Policy, PreparedPrincipal, Request, compile_policies, evaluate
from tests.policy.strategies import policies, requests

optional_policies = st.none() | st.lists(policies(name="extra"), max_size=2)


@settings(max_examples=600, deadline=None)
@given(
    identity=st.lists(policies(name="identity"), max_size=4),
    boundary=st.none() | policies(name="boundary"),
    session=optional_policies,
    resource=st.none() | policies("resource", name="resource"),
    request_list=st.lists(requests(), min_size=1, max_size=5),
)
def test_compiled_decision_equals_reference_decision(
    identity: list[Policy],
    boundary: Policy | None,
    session: list[Policy] | None,
    resource: Policy | None,
    request_list: list[Request],
) -> None:
    compiled = compile_policies(identity)
    for request in request_list:
        expected = evaluate(
            request, identity, boundary=boundary, session=session, resource=resource
        )
        actual = compiled.evaluate(request, boundary=boundary, session=session, resource=resource)
        assert actual == expected, request


@settings(max_examples=300, deadline=None)
@given(identity=st.lists(policies(), max_size=6), request_list=st.lists(requests(), max_size=8))
def test_compiled_identity_only_fast_path_equals_reference(
    identity: list[Policy], request_list: list[Request]
) -> None:
    compiled = compile_policies(identity)
    for request in request_list:
        # Twice: the second answer comes from the remembered candidates for the action.
        assert compiled.evaluate(request) == evaluate(request, identity)
        assert compiled.evaluate(request) == evaluate(request, identity)


@settings(max_examples=300, deadline=None)
@given(identity=st.lists(policies(), max_size=6), request_list=st.lists(requests(), max_size=8))
def test_a_prepared_principal_reaches_the_decisions_of_the_plain_mapping(
    identity: list[Policy], request_list: list[Request]
) -> None:
    compiled = compile_policies(identity)
    for request in request_list:
        prepared = Request(
            request.action,
            request.resource,
            PreparedPrincipal(request.principal),
            request.context,
        )
        assert dict(prepared.keys) == dict(request.keys)
        assert compiled.evaluate(prepared) == evaluate(request, identity)
        assert evaluate(prepared, identity) == evaluate(request, identity)


def test_compiled_policies_keep_no_state_between_requests_of_different_principals() -> None:
    from gateway.policy import parse_policy

    policy = parse_policy(
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",'
        ' "Resource": "arn:aws:s3:::home/${aws:username}/*"}}'
    )
    compiled = compile_policies([policy])
    alice = {"arn": "arn:aws:iam::111122223333:user/alice", "type": "User", "username": "alice"}
    bob = {"arn": "arn:aws:iam::111122223333:user/bob", "type": "User", "username": "bob"}
    resource = "arn:aws:s3:::home/alice/x"
    assert compiled.evaluate(Request("s3:GetObject", resource, alice)).allowed
    assert not compiled.evaluate(Request("s3:GetObject", resource, bob)).allowed


def test_a_condition_block_is_decided_afresh_for_each_value_it_reads() -> None:
    """Block verdicts are remembered per value set of the keys the block reads, variables
    included: the same tag must allow alice and not bob, a changed IP must change the answer."""
    from gateway.policy import parse_policy

    policy = parse_policy(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",'
        ' "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/owner":'
        ' "${aws:username}"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}'
    )
    compiled = compile_policies([policy])

    def user(name: str) -> dict[str, str]:
        return {"arn": f"arn:aws:iam::111122223333:user/{name}", "type": "User", "username": name}

    def decide(name: str, ip: str | None) -> bool:
        context = {"aws:ResourceTag/owner": "alice"}
        if ip is not None:
            context["aws:SourceIp"] = ip
        request = Request("s3:GetObject", "arn:aws:s3:::b/k", user(name), context)
        decision = compiled.evaluate(request)
        assert decision == evaluate(request, [policy])
        return decision.allowed

    for _ in range(2):
        assert decide("alice", "10.1.2.3")
        assert not decide("bob", "10.1.2.3")
        assert not decide("alice", "192.0.2.1")
        assert not decide("alice", None)
        assert decide("alice", "10.1.2.3")
