"""The located JSON reader: same values as `json.loads`, spans that cut out each value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.policy.locations import JsonSyntaxError, Node, Position, locate

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def _nodes(node: Node) -> list[Node]:
    found = [node]
    for _, child in node.members.values():
        found += _nodes(child)
    for child in node.items:
        found += _nodes(child)
    return found


def _offset(text: str, position: Position) -> int:
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: position.line - 1]) + position.column


@given(JSON_VALUES, st.sampled_from([None, 2, 4]))
def test_values_equal_json_loads_and_every_span_cuts_out_its_value(
    value: Any, indent: int | None
) -> None:
    text = json.dumps(value, indent=indent)

    root = locate(text)

    assert root.value == json.loads(text)
    for node in _nodes(root):
        start, end = node.span.start, node.span.end
        assert _offset(text, start) == start.offset
        assert _offset(text, end) == end.offset
        assert json.loads(text[start.offset : end.offset]) == node.value


def test_positions_count_lines_from_1_and_columns_from_0() -> None:
    text = '{\n  "Action": "s3:GetObject"\n}'

    node = locate(text).member("Action")

    assert node is not None
    assert node.span.start == Position(line=2, column=12, offset=14)
    assert node.span.end == Position(line=2, column=26, offset=28)
    assert locate(text).members["Action"][0].start == Position(line=2, column=2, offset=4)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ('{"a": 1,}', 8),
        ('{"a" 1}', 5),
        ("[1, 2", 5),
        ('{"a": tru}', 6),
        ('{"a": NaN}', 6),
        ("{} {}", 3),
        ('"\x01"', 1),
        ("[" * 100 + "]" * 100, 65),
    ],
)
def test_what_is_not_json_stops_at_the_first_bad_character(text: str, offset: int) -> None:
    with pytest.raises(JsonSyntaxError) as raised:
        locate(text)
    assert raised.value.position.offset == offset


def test_the_last_of_duplicate_keys_wins_as_in_json_loads() -> None:
    root = locate('{"a": 1, "b": 2, "a": 3}')

    assert root.value == {"b": 2, "a": 3} == json.loads('{"a": 1, "b": 2, "a": 3}')
    assert list(root.members) == ["b", "a"]
