"""Decisions as GraphQL objects (gateway/graphql/types/decision.py): what the engine decided,
field for field."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.graphql.types import decision as types
from gateway.graphql.types.decision import Decision
from gateway.policy import Decision as EngineDecision
from gateway.policy import Effect, StatementRef
from tests.policy.strategies import DECISIONS


def _named(
    statements: list[types.DecidingStatement] | tuple[StatementRef, ...],
) -> list[tuple[str, str | None, str | None, int, str]]:
    return [(s.layer, s.policy, s.sid, s.index, s.effect) for s in statements]


@given(decision=DECISIONS, action=st.text(max_size=4), resource=st.text(max_size=4))
def test_a_decision_says_what_the_engine_decided(
    decision: EngineDecision, action: str, resource: str
) -> None:
    made = Decision.from_decision(action, resource, decision)
    assert (made.action, made.resource, made.allowed) == (action, resource, decision.allowed)
    assert made.effect.value == decision.effect.value
    assert made.denied_by == decision.denied_by
    assert made.missing_context_keys == list(decision.missing_keys)
    # Statements are made once and remembered: each must still be its own statement's.
    assert _named(made.statements) == _named(decision.statements)
    assert _named(Decision.from_decision(action, resource, decision).statements) == _named(
        decision.statements
    )


def test_the_statements_remembered_are_bounded() -> None:
    limit = types._STATEMENTS_REMEMBERED
    refs = [StatementRef("identity", f"p{i}", None, i, "Allow") for i in range(limit + 10)]
    for ref in refs:
        made = Decision.from_decision("a", "*", EngineDecision(Effect.ALLOW, (ref,)))
        assert _named(made.statements) == _named((ref,))
        assert len(types._STATEMENTS) <= limit
