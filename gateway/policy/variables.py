"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`.

A value in a Resource element or a condition is read once into a `Template`: a sequence of
literal text, glob wildcards (`*`, `?`) and variables. Rendering it against a request's context
gives the literal/wildcard sequence to match, or None when a variable cannot be resolved (AWS:
the element then does not match).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Escapes that stand for a literal character where it would otherwise be special.
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLE = re.compile(r"\s*([^\s,'}]+)\s*(?:,\s*'([^']*)'\s*)?")


@dataclass(frozen=True, slots=True)
class Literal:
    """Text that must appear exactly (a variable's value or an escaped character included)."""

    text: str


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A glob wildcard: `*` (any run of characters) or `?` (exactly one character)."""

    char: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A `${key}` or `${key, 'default'}` reference to a request-context key."""

    key: str
    default: str | None = None


Part = Literal | Wildcard | Variable
Rendered = tuple[Literal | Wildcard, ...]
Lookup = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed policy value; `has_variables` tells whether rendering depends on the request."""

    source: str
    parts: tuple[Part, ...]
    variable_keys: tuple[str, ...] = ()
    """The context keys the value refers to, in order of appearance."""

    @property
    def has_variables(self) -> bool:
        """True when the value refers to the request context."""
        return bool(self.variable_keys)

    def render(self, lookup: Lookup) -> Rendered | None:
        """The value with its variables substituted, or None if one cannot be resolved."""
        out: list[Literal | Wildcard] = []
        for part in self.parts:
            if isinstance(part, Variable):
                value = lookup(part.key)
                if value is None:
                    value = part.default
                if value is None:
                    return None
                out.append(Literal(value))
            else:
                out.append(part)
        return tuple(out)

    def render_text(self, lookup: Lookup) -> str | None:
        """The value as plain text (wildcards kept as their characters), or None if unresolved."""
        rendered = self.render(lookup)
        if rendered is None:
            return None
        return "".join(p.text if isinstance(p, Literal) else p.char for p in rendered)


def parse_template(text: str, *, variables: bool, wildcards: bool) -> Template:
    """Read a policy value; `variables` is False under policy version 2008-10-17."""
    parts: list[Part] = []
    buffer: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if variables and ch == "$" and i + 1 < n and text[i + 1] == "{":
            end = text.find("}", i + 2)
            if end != -1:
                inner = text[i + 2 : end]
                part = _variable_part(inner)
                if part is not None:
                    if isinstance(part, Literal):
                        buffer.append(part.text)
                    else:
                        _flush(buffer, parts)
                        parts.append(part)
                    i = end + 1
                    continue
        if wildcards and ch in "*?":
            _flush(buffer, parts)
            parts.append(Wildcard(ch))
        else:
            buffer.append(ch)
        i += 1
    _flush(buffer, parts)
    keys = tuple(part.key for part in parts if isinstance(part, Variable))
    return Template(text, tuple(parts), keys)


def _variable_part(inner: str) -> Literal | Variable | None:
    if inner in _ESCAPES:
        return Literal(_ESCAPES[inner])
    match = _VARIABLE.fullmatch(inner)
    if match is None:
        return None
    return Variable(match.group(1), match.group(2))


def _flush(buffer: list[str], parts: list[Part]) -> None:
    if buffer:
        parts.append(Literal("".join(buffer)))
        buffer.clear()


def rendered_has_wildcards(rendered: Sequence[Literal | Wildcard]) -> bool:
    """True when a rendered value still holds a glob wildcard."""
    return any(isinstance(p, Wildcard) for p in rendered)
