"""Where things are in a policy's JSON text: a JSON reader that remembers spans.

`locate(text)` reads a JSON document into `Node`s that keep their value's span in the text,
and, for an object's members, the span of each key. Positions follow IAM Access Analyzer's
`Position`: `line` from 1, `column` from 0, `offset` from 0, counted in characters; a span's
end is exclusive. A text that is not JSON raises `JsonSyntaxError` with the position of the
first character that could not be read.

Values are the same as `json.loads` gives (the last of duplicate keys wins); NaN and
Infinity are refused, as the policy language refuses them.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 64
"""Nesting deeper than this is a syntax error (no policy element nests that far)."""

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the text: line from 1, column from 0, offset from 0."""

    line: int
    column: int
    offset: int


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the text: `start` inclusive, `end` exclusive."""

    start: Position
    end: Position


@dataclass(slots=True)
class Node:
    """A JSON value and where it is.

    `members` (objects) maps each key to its key's span and value node; `items` (arrays) holds
    the element nodes in order. `value` is the plain Python value of the whole node.
    """

    value: Any
    span: Span
    members: dict[str, tuple[Span, Node]] = field(default_factory=dict)
    items: list[Node] = field(default_factory=list)

    def member(self, key: str) -> Node | None:
        """The value node of `key`, for an object that has it."""
        found = self.members.get(key)
        return found[1] if found is not None else None


class JsonSyntaxError(ValueError):
    """The text is not a JSON document; `position` is where reading stopped."""

    def __init__(self, position: Position) -> None:
        super().__init__(f"JSON syntax error at offset {position.offset}")
        self.position = position


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset)
        return Position(line=line, column=offset - self.starts[line - 1], offset=offset)


def locate(text: str) -> Node:
    """The document's root node; JsonSyntaxError if `text` is not exactly one JSON value."""
    reader = _Reader(text)
    index = reader.skip(0)
    node, index = reader.value(index, 0)
    index = reader.skip(index)
    if index != len(text):
        raise reader.error(index)
    return node


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)

    def error(self, offset: int) -> JsonSyntaxError:
        return JsonSyntaxError(self.lines.position(min(offset, len(self.text))))

    def span(self, start: int, end: int) -> Span:
        return Span(self.lines.position(start), self.lines.position(end))

    def skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return match.end() if match else index

    def value(self, index: int, depth: int) -> tuple[Node, int]:
        if depth > MAX_DEPTH or index >= len(self.text):
            raise self.error(index)
        char = self.text[index]
        if char == "{":
            return self.object(index, depth)
        if char == "[":
            return self.array(index, depth)
        if char == '"':
            text, end = self.string(index)
            return Node(text, self.span(index, end)), end
        for literal, meaning in _LITERALS.items():
            if self.text.startswith(literal, index):
                end = index + len(literal)
                return Node(meaning, self.span(index, end)), end
        number = _NUMBER.match(self.text, index)
        if number is None:
            raise self.error(index)
        raw = number.group()
        parsed = float(raw) if any(c in raw for c in ".eE") else int(raw)
        return Node(parsed, self.span(index, number.end())), number.end()

    def string(self, index: int) -> tuple[str, int]:
        try:
            text, end = _DECODER.raw_decode(self.text, index)
        except json.JSONDecodeError as error:
            raise self.error(error.pos) from None
        return str(text), end

    def object(self, start: int, depth: int) -> tuple[Node, int]:
        members: dict[str, tuple[Span, Node]] = {}
        index = self.skip(start + 1)
        if self.text.startswith("}", index):
            end = index + 1
            return Node({}, self.span(start, end), members=members), end
        while True:
            if not self.text.startswith('"', index):
                raise self.error(index)
            key, key_end = self.string(index)
            key_span = self.span(index, key_end)
            index = self.skip(key_end)
            if not self.text.startswith(":", index):
                raise self.error(index)
            node, index = self.value(self.skip(index + 1), depth + 1)
            members.pop(key, None)  # the last duplicate wins, and keeps its place
            members[key] = (key_span, node)
            index = self.skip(index)
            if self.text.startswith(",", index):
                index = self.skip(index + 1)
                continue
            if self.text.startswith("}", index):
                end = index + 1
                value = {k: n.value for k, (_, n) in members.items()}
                return Node(value, self.span(start, end), members=members), end
            raise self.error(index)

    def array(self, start: int, depth: int) -> tuple[Node, int]:
        items: list[Node] = []
        index = self.skip(start + 1)
        if self.text.startswith("]", index):
            end = index + 1
            return Node([], self.span(start, end), items=items), end
        while True:
            node, index = self.value(index, depth + 1)
            items.append(node)
            index = self.skip(index)
            if self.text.startswith(",", index):
                index = self.skip(index + 1)
                continue
            if self.text.startswith("]", index):
                end = index + 1
                return Node([n.value for n in items], self.span(start, end), items=items), end
            raise self.error(index)
