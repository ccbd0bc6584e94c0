"""Rules of AWS's evaluation logic that hold for every policy and request."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy import Effect, Policy, Request, evaluate, parse_policy
from tests.policy.strategies import policies, requests, statements


def _deny_all_of(action: str) -> Policy:
    return parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Deny", "Action": action, "Resource": "*"},
            }
        ),
        name="deny",
    )


@settings(max_examples=300, deadline=None)
@given(
    identity=st.lists(policies(), max_size=4),
    boundary=st.none() | policies(name="boundary"),
    request=requests(),
)
def test_an_applicable_explicit_deny_always_wins(
    identity: list[Policy], boundary: Policy | None, request: Request
) -> None:
    if request.principal_type == "Account":
        return  # the root user is outside identity policies
    decision = evaluate(request, [*identity, _deny_all_of(request.action)], boundary=boundary)
    assert decision.effect is Effect.EXPLICIT_DENY


@settings(max_examples=300, deadline=None)
@given(
    identity=st.lists(policies(), max_size=3),
    extra=statements(),
    boundary=st.none() | policies(name="boundary"),
    request=requests(),
)
def test_adding_an_allow_statement_never_turns_an_allow_into_a_denial(
    identity: list[Policy], extra: dict[str, object], boundary: Policy | None, request: Request
) -> None:
    extra = {**extra, "Effect": "Allow"}
    added = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": extra}), name="added")
    before = evaluate(request, identity, boundary=boundary)
    after = evaluate(request, [*identity, added], boundary=boundary)
    if before.allowed:
        assert after.allowed


@settings(max_examples=300, deadline=None)
@given(identity=st.lists(policies(), max_size=3), cap=policies(name="cap"), request=requests())
def test_a_permissions_boundary_can_only_remove_permissions(
    identity: list[Policy], cap: Policy, request: Request
) -> None:
    if evaluate(request, identity, boundary=cap).allowed:
        assert evaluate(request, identity).allowed


@settings(max_examples=300, deadline=None)
@given(
    identity=st.lists(policies(), max_size=3),
    session=st.lists(policies(name="session"), max_size=2),
    request=requests(),
)
def test_session_policies_can_only_remove_permissions(
    identity: list[Policy], session: list[Policy], request: Request
) -> None:
    if evaluate(request, identity, session=session).allowed:
        assert evaluate(request, identity).allowed


@settings(max_examples=200, deadline=None)
@given(identity=st.lists(policies(), max_size=3), request=requests())
def test_a_decision_names_the_statements_that_made_it(
    identity: list[Policy], request: Request
) -> None:
    decision = evaluate(request, identity)
    if decision.effect is Effect.EXPLICIT_DENY:
        assert decision.statements
        assert all(ref.effect == "Deny" for ref in decision.statements)
    elif decision.effect is Effect.ALLOW:
        assert all(ref.effect == "Allow" for ref in decision.statements)
        if request.principal_type != "Account":
            assert decision.statements
    else:
        assert decision.statements == ()
        assert decision.denied_by is not None
