"""Glob matching for actions, resources and `…Like` conditions.

`*` matches any run of characters and `?` exactly one, crossing `:` and `/`; every other
character is literal (an ARN's `.`, `+` or `(` never acts as a regular expression).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from gateway.policy.variables import Literal, Wildcard

Matcher = Callable[[str], bool]


def glob_matcher(pattern: Sequence[Literal | Wildcard], *, ignore_case: bool = False) -> Matcher:
    """A predicate telling whether a string matches the rendered glob pattern.

    With `ignore_case` the caller must pass the candidate string already lower-cased; the
    pattern is lower-cased here.
    """
    pieces: list[str | None] = []  # literal text, or None where a wildcard stands
    regex: list[str] = []
    wildcards: list[str] = []
    for part in pattern:
        if isinstance(part, Literal):
            text = part.text.lower() if ignore_case else part.text
            pieces.append(text)
            regex.append(re.escape(text))
        else:
            pieces.append(None)
            wildcards.append(part.char)
            regex.append(".*" if part.char == "*" else ".")
    if not wildcards:
        return "".join(p for p in pieces if p is not None).__eq__
    if wildcards == ["*"]:
        if len(pieces) == 1:
            return _always
        first, last = pieces[0], pieces[-1]
        if len(pieces) == 2 and first is not None:
            return _starts_with(first)
        if len(pieces) == 2 and last is not None:
            return _ends_with(last)
    source = "".join(regex)
    return _regex_matcher(source)


@lru_cache(maxsize=16384)
def glob_text_matcher(pattern: str, *, ignore_case: bool = False) -> Matcher:
    """`glob_matcher` for a plain pattern string in which `*` and `?` are the wildcards."""
    return glob_matcher(split_glob(pattern), ignore_case=ignore_case)


def split_glob(pattern: str) -> tuple[Literal | Wildcard, ...]:
    """A pattern string as literal runs and wildcards."""
    parts: list[Literal | Wildcard] = []
    start = 0
    for i, ch in enumerate(pattern):
        if ch in "*?":
            if i > start:
                parts.append(Literal(pattern[start:i]))
            parts.append(Wildcard(ch))
            start = i + 1
    if start < len(pattern):
        parts.append(Literal(pattern[start:]))
    return tuple(parts)


@lru_cache(maxsize=16384)
def _regex_matcher(source: str) -> Matcher:
    fullmatch = re.compile(source, re.DOTALL).fullmatch

    def matcher(candidate: str) -> bool:
        return fullmatch(candidate) is not None

    return matcher


def _always(_: str) -> bool:
    return True


def _starts_with(prefix: str) -> Matcher:
    def matcher(candidate: str) -> bool:
        return candidate.startswith(prefix)

    return matcher


def _ends_with(suffix: str) -> Matcher:
    def matcher(candidate: str) -> bool:
        return candidate.endswith(suffix)

    return matcher
