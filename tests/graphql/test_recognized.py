"""Which documents the view answers itself (gateway/graphql/recognized.py), and that its
shortcut through variable coercion agrees with graphql-core's for every JSON value."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import FieldNode, OperationDefinitionNode, Undefined, coerce_input_value, parse
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.graphql import input_caps, limits
from gateway.graphql.recognized import RecognizedDocuments, _plain, _shape
from gateway.graphql.schema import build_schema
from gateway.graphql.types.decision import Decision
from tests.policy.strategies import DECISIONS as ENGINE_DECISIONS

SCHEMA = build_schema(Settings())._schema
DOCUMENTS = RecognizedDocuments(
    SCHEMA, limits.validation_rules(Settings()), max_tokens=limits.DEFAULT_LIMITS.max_tokens
)


@pytest.mark.parametrize(
    "query",
    [
        '{ authorize(action: "s3:ListBucket", resource: "*") { effect } }',
        "query Q($a: String!, $r: String!) { authorize(action: $a, resource: $r) "
        "{ effect allowed statements { sid policy } missingContextKeys __typename } }",
        "query($r: [AuthorizeRequest!]!) { x: authorizeAll(requests: $r) { e: effect } }",
    ],
)
def test_plain_authorize_documents_are_recognized(query: str) -> None:
    assert DOCUMENTS.plan(query, None) is not None


@pytest.mark.parametrize(
    "query",
    [
        '{ authorize(action: "a", resource: "*") { ...F } } fragment F on Decision { effect }',
        '{ authorize(action: "a", resource: "*") { effect @skip(if: false) } }',
        '{ authorize(action: "a", resource: "*") { effect } whoAmI { arn } }',
        '{ authorize(action: "a", resource: "*") { nope } }',  # invalid: the general path says so
        '{ authorize(action: "a") { effect } }',
        'mutation { authorize(action: "a", resource: "*") { effect } }',
        '{ whoAmI { arn } } query B { authorize(action: "a", resource: "*") { effect } }',
        "{ users { edges { cursor } } }",
        '{ authorize(action: "a", resource: "' + "x" * 5000 + '") { effect } }',
        "{ authorize(",
    ],
)
def test_anything_else_is_left_to_the_general_path(query: str) -> None:
    assert DOCUMENTS.plan(query, None) is None


def test_an_operation_name_that_is_not_the_documents_goes_to_the_general_path() -> None:
    query = 'query Mine { authorize(action: "a", resource: "*") { effect } }'
    assert DOCUMENTS.plan(query, "Mine") is not None
    assert DOCUMENTS.plan(query, "Other") is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["action", "resource", "context", "key", "values", "other"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
SHAPED = st.lists(
    st.fixed_dictionaries(
        {"action": st.text(max_size=5), "resource": st.text(max_size=5) | st.none()},
        optional={
            "context": st.none()
            | st.lists(
                st.fixed_dictionaries(
                    {"key": st.text(max_size=3), "values": st.lists(st.text(max_size=3))}
                )
                | JSON
            )
        },
    ),
    max_size=3,
)
"""Values of `authorizeAll`'s shape, some slightly off (a null resource, odd context)."""
REQUESTS = SCHEMA.query_type.fields["authorizeAll"].args["requests"].type  # type: ignore[union-attr]
STRING = SCHEMA.query_type.fields["authorize"].args["action"].type  # type: ignore[union-attr]


KINDS = pytest.mark.parametrize(
    ("kind", "name"),
    [(REQUESTS, "requests"), (STRING, "action"), (STRING, "resource")],
    ids=["requests: [AuthorizeRequest!]!", "action: String!", "resource: String!"],
)


@KINDS
@given(value=JSON | SHAPED)
def test_a_value_taken_as_coerced_is_what_graphql_core_makes_of_it(
    kind: Any, name: str, value: Any
) -> None:
    if not _plain(kind, name)(value):
        return
    coerced = coerce_input_value(value, kind)
    assert coerced is not Undefined
    assert _without_nones(coerced) == _without_nones(value)


LONG = st.sampled_from([0, 1, 49, 50, 51, 64, 127, 128, 255, 256, 257, 2047, 2048, 2049]).map(
    lambda n: "x" * n
)
"""Strings about the caps of actions (128), context keys (256), ARNs and context values
(2048)."""
NEAR_CAPS = st.recursive(
    st.none() | LONG,
    lambda inner: (
        st.lists(inner, max_size=52)
        | st.dictionaries(
            st.sampled_from(["action", "resource", "context", "key", "values"]), inner
        )
    ),
    max_leaves=60,
)


def _sized(members: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Lists of about 50 members (the caps on context entries and values), or a few: one
    member repeated, so that a list over its cap is often otherwise within them."""
    return st.tuples(st.sampled_from([0, 1, 2, 49, 50, 51]), members).map(
        lambda drawn: [drawn[1]] * drawn[0]
    )


NEAR_CAPS_REQUESTS = st.lists(
    st.fixed_dictionaries(
        {"action": LONG, "resource": LONG},
        optional={
            "context": _sized(
                st.fixed_dictionaries(
                    {"key": LONG, "values": _sized(st.sampled_from(["v", "x" * 2048, "x" * 2049]))}
                )
            )
        },
    ),
    max_size=3,
)


@KINDS
@given(value=NEAR_CAPS | SHAPED | NEAR_CAPS_REQUESTS)
def test_a_value_taken_as_plain_is_within_its_caps(kind: Any, name: str, value: Any) -> None:
    # The lane then skips the caps check: a value over a cap must never be taken as plain.
    plain = _plain(kind, name)(value)
    try:
        input_caps.check_value(value, kind, name, name, None)
    except GatewayError:
        assert not plain
        return


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("x" * 2048, True),
        ("x" * 2049, False),
        ([{"action": "a" * 128, "resource": "*"}], True),
        ([{"action": "a" * 129, "resource": "*"}], False),
        ([{"action": "a", "resource": "*", "context": [{"key": "k", "values": ["v"] * 50}]}], True),
        (
            [{"action": "a", "resource": "*", "context": [{"key": "k", "values": ["v"] * 51}]}],
            False,
        ),
        ([{"action": "a", "resource": "*", "context": [{"key": "k" * 257, "values": []}]}], False),
    ],
)
def test_inputs_over_their_caps_are_not_plain(value: Any, plain: bool) -> None:
    kind, name = (STRING, "resource") if isinstance(value, str) else (REQUESTS, "requests")
    assert _plain(kind, name)(value) is plain


def _without_nones(value: Any) -> Any:
    """graphql-core fills omitted optional fields with their default (None): the same thing
    to `authorizeAll`, which reads them with `.get`."""
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


TEXT = st.text(max_size=4)
DECISIONS = st.builds(Decision.from_decision, TEXT, TEXT, ENGINE_DECISIONS) | st.builds(
    Decision.refused, TEXT, TEXT, TEXT
)


@strawberry.type
class _Given:
    """A schema whose one field answers a given Decision, as Strawberry executes it."""

    @strawberry.field
    def decision(self, info: strawberry.Info) -> Decision:
        decided: Decision = info.root_value
        return decided


GIVEN = strawberry.Schema(query=_Given)
SELECTIONS = [
    "{ effect statements { policy sid } missingContextKeys }",
    "{ __typename a: action resource e: effect evalDecision allowed deniedBy reason "
    "missingContextKeys s: statements { __typename layer policy sid index effect } }",
]


@pytest.mark.parametrize("selection", SELECTIONS)
@given(decision=DECISIONS)
def test_an_answer_is_written_as_strawberry_writes_it(selection: str, decision: Decision) -> None:
    query = "{ decision " + selection + " }"
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    shape = _shape(GIVEN._schema.get_type("Decision"), node)  # type: ignore[arg-type]
    assert shape is not None
    executed = GIVEN.execute_sync(query, root_value=decision)
    assert executed.errors is None
    assert executed.data == {"decision": shape(decision)}
