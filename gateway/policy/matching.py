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
    parts = [
        Literal(p.text.lower()) if ignore_case and isinstance(p, Literal) else p for p in pattern
    ]
    wildcards = [p for p in parts if isinstance(p, Wildcard)]
    if not wildcards:
        text = "".join(p.text for p in parts if isinstance(p, Literal))
        return text.__eq__
    if len(parts) == 1 and wildcards[0].char == "*":
        return _always
    if len(wildcards) == 1 and wildcards[0].char == "*":
        first, last = parts[0], parts[-1]
        if len(parts) == 2 and isinstance(first, Literal):
            return _starts_with(first.text)
        if len(parts) == 2 and isinstance(last, Literal):
            return _ends_with(last.text)
    return _compiled_regex(_regex_source(parts)).fullmatch  # type: ignore[return-value]


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


def _regex_source(parts: Sequence[Literal | Wildcard]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Literal):
            out.append(re.escape(part.text))
        else:
            out.append(".*" if part.char == "*" else ".")
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled_regex(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


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
