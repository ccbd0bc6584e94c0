"""Glob matching for actions, resources and `…Like` conditions, in linear time.

`*` matches any run of characters and `?` exactly one, crossing `:` and `/`; every other
character is literal (an ARN's `.`, `+` or `(` never acts as a regular expression).

A pattern is cut at its `*`s into segments. The first segment must start the candidate, the
last must end it, and each middle segment is found at its leftmost place after the previous
one: for `*`-only globs the leftmost choice is always safe, so nothing is ever retried. A
segment of plain text is found with `str.find`; one holding `?` with a regular expression
made only of literals and `.`, which has no quantifier and so nothing to backtrack over.
Matching costs at most O(len(candidate) · len(pattern)), whatever the pattern (the old
translation to one `.*` regex took exponential time on `a*a*a*…b`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from gateway.policy.variables import Literal, Wildcard

Matcher = Callable[[str], bool]
_Segment = tuple[str | None, ...]  # characters, None where a `?` stands


def glob_matcher(pattern: Sequence[Literal | Wildcard], *, ignore_case: bool = False) -> Matcher:
    """A predicate telling whether a string matches the rendered glob pattern.

    With `ignore_case` the caller must pass the candidate string already lower-cased; the
    pattern is lower-cased here. Each call of the predicate takes time linear in the
    candidate's length times the pattern's.
    """
    return _cached_matcher(tuple(pattern), ignore_case)


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


def starts_with_prefix(pattern: Sequence[Literal | Wildcard]) -> str | None:
    """The text before the pattern's one wildcard, when that wildcard is a `*` at its end
    (`arn:aws:s3:::bucket/*`): matching is then `startswith`. None for any other shape."""
    if not pattern or not isinstance(pattern[-1], Wildcard) or pattern[-1].char != "*":
        return None
    head = pattern[:-1]
    if not all(isinstance(part, Literal) for part in head):
        return None
    return "".join(part.text for part in head if isinstance(part, Literal))


def literal_prefix(pattern: Sequence[Literal | Wildcard]) -> str:
    """The text every match of the pattern starts with: the literals before the first wildcard."""
    out: list[str] = []
    for part in pattern:
        if not isinstance(part, Literal):
            break
        out.append(part.text)
    return "".join(out)


@lru_cache(maxsize=16384)
def _cached_matcher(pattern: tuple[Literal | Wildcard, ...], ignore_case: bool) -> Matcher:
    segments = _segments(pattern, ignore_case)
    if len(segments) == 1:
        return _whole(segments[0])
    head, *middle, tail = segments
    if not any(None in s for s in segments):
        return _plain_stars(_text(head), [_text(s) for s in middle], _text(tail))
    return _general(head, middle, tail)


def _segments(pattern: tuple[Literal | Wildcard, ...], ignore_case: bool) -> list[_Segment]:
    """The pattern cut at its `*`s (runs of `*` count as one): one segment more than stars."""
    segments: list[_Segment] = []
    current: list[str | None] = []
    previous_star = False
    for part in pattern:
        if isinstance(part, Literal):
            current.extend(part.text.lower() if ignore_case else part.text)
            previous_star = False
        elif part.char == "?":
            current.append(None)
            previous_star = False
        elif not previous_star:
            segments.append(tuple(current))
            current = []
            previous_star = True
    segments.append(tuple(current))
    return segments


def _text(segment: _Segment) -> str:
    return "".join(ch for ch in segment if ch is not None)


def _whole(segment: _Segment) -> Matcher:
    """No `*`: the candidate has exactly the segment's length."""
    if None not in segment:
        return _text(segment).__eq__
    fixed = _fixed(segment)
    size = len(segment)

    def matcher(candidate: str) -> bool:
        return len(candidate) == size and fixed.match(candidate) is not None

    return matcher


def _plain_stars(head: str, middle: list[str], tail: str) -> Matcher:
    """Literal segments around `*`s, with fast paths for the common shapes."""
    if not middle:
        if not head and not tail:
            return _always
        if not tail:
            return _starts_with(head)
        if not head:
            return _ends_with(tail)
        return _starts_and_ends(head, tail)
    if len(middle) == 1 and not head and not tail:
        return _contains(middle[0])
    least = len(head) + sum(map(len, middle)) + len(tail)
    start = len(head)
    tail_size = len(tail)

    def matcher(candidate: str) -> bool:
        # Slices rather than startswith / endswith (see _starts_with below).
        if len(candidate) < least or candidate[:start] != head:
            return False
        end = len(candidate) - tail_size
        if candidate[end:] != tail:
            return False
        # Each middle segment at its leftmost place after the previous one, by `partition`,
        # which takes one argument and so costs less than a `find` with bounds.
        rest = candidate[start:end]
        for text in middle:
            _, found, rest = rest.partition(text)
            if not found:
                return False
        return True

    return matcher


def _general(head: _Segment, middle: list[_Segment], tail: _Segment) -> Matcher:
    """Segments holding `?` around `*`s."""
    least = len(head) + sum(map(len, middle)) + len(tail)
    head_test = _at(head)
    tail_test = _at(tail)
    tail_size = len(tail)
    finders = [_finder(segment) for segment in middle]

    def matcher(candidate: str) -> bool:
        size = len(candidate)
        if size < least or not head_test(candidate, 0):
            return False
        end = size - tail_size
        if not tail_test(candidate, end):
            return False
        position = len(head)
        for find in finders:
            position = find(candidate, position, end)
            if position < 0:
                return False
        return True

    return matcher


def _at(segment: _Segment) -> Callable[[str, int], bool]:
    """A test that the segment occurs at a given index."""
    if None not in segment:
        text = _text(segment)

        def test_text(candidate: str, index: int) -> bool:
            return candidate.startswith(text, index)

        return test_text
    fixed = _fixed(segment)

    def test(candidate: str, index: int) -> bool:
        return fixed.match(candidate, index) is not None

    return test


def _finder(segment: _Segment) -> Callable[[str, int, int], int]:
    """Where the segment first occurs in candidate[start:end], as the index after it; -1 if not."""
    size = len(segment)
    if None not in segment:
        text = _text(segment)

        def find_text(candidate: str, start: int, end: int) -> int:
            found = candidate.find(text, start, end)
            return found + size if found >= 0 else -1

        return find_text
    fixed = _fixed(segment)

    def find_fixed(candidate: str, start: int, end: int) -> int:
        found = fixed.search(candidate, start, end)
        return found.end() if found is not None else -1

    return find_fixed


def _fixed(segment: _Segment) -> re.Pattern[str]:
    """A fixed-length expression: literals and `.` only, no quantifier, nothing to retry."""
    source = "".join("." if ch is None else re.escape(ch) for ch in segment)
    return re.compile(source, re.DOTALL)


def _always(_: str) -> bool:
    return True


# These compare a slice rather than call `startswith` / `endswith`: before Python 3.12 those
# parse their arguments as a tuple, which costs about twice making and comparing the slice.
# (`head` and `tail` are never empty here: `candidate[-0:]` would be the whole candidate.)


def _starts_with(prefix: str) -> Matcher:
    size = len(prefix)

    def matcher(candidate: str) -> bool:
        return candidate[:size] == prefix

    return matcher


def _ends_with(suffix: str) -> Matcher:
    size = len(suffix)

    def matcher(candidate: str) -> bool:
        return candidate[-size:] == suffix

    return matcher


def _starts_and_ends(prefix: str, suffix: str) -> Matcher:
    least = len(prefix) + len(suffix)
    start = len(prefix)
    end = len(suffix)

    def matcher(candidate: str) -> bool:
        return (
            len(candidate) >= least and candidate[:start] == prefix and candidate[-end:] == suffix
        )

    return matcher


def _contains(text: str) -> Matcher:
    def matcher(candidate: str) -> bool:
        return text in candidate

    return matcher
