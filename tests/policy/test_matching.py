"""gateway.policy.matching: the glob matcher behind actions, resources and `…Like`.

Timing on adversarial patterns is in test_adversarial_inputs.py.
"""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.matching import (
    glob_matcher,
    glob_text_matcher,
    literal_prefix,
    split_glob,
    starts_with_prefix,
)
from gateway.policy.variables import Literal, Wildcard


@pytest.mark.parametrize(
    ("pattern", "candidate", "expected"),
    [
        # * and ? cross ':' and '/'
        ("*", "", True),
        ("*", "arn:aws:s3:::bucket/a/b", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:*:bucket", "arn:aws:s3:::bucket", True),
        ("a?c", "a:c", True),
        ("a?c", "a/c", True),
        ("a?c", "ac", False),
        ("a?c", "abbc", False),
        ("??", "ab", True),
        ("??", "a", False),
        ("*/x", "a/b/x", True),
        ("*", "line\nbreak", True),
        ("a*b", "a\nb", True),
        ("a?b", "a\nb", True),
        # regex metacharacters are literal
        ("a.c", "abc", False),
        ("a.c", "a.c", True),
        ("a+", "aa", False),
        ("a+", "a+", True),
        ("(a)", "a", False),
        ("(a)", "(a)", True),
        ("[ab]", "a", False),
        ("[ab]", "[ab]", True),
        ("^a$", "a", False),
        ("^a$", "^a$", True),
        ("a|b", "a", False),
        ("a|b", "a|b", True),
        ("a\\d", "a1", False),
        ("a\\d", "a\\d", True),
        ("a{2}", "aa", False),
        ("*.txt", "notes.txt", True),
        ("*.txt", "notesxtxt", False),
        # case-sensitive unless asked
        ("ABC", "abc", False),
        ("abc*", "ABCdef", False),
        ("*def", "abcDEF", False),
        # exact, prefix and suffix fast paths
        ("exact", "exact", True),
        ("exact", "exactly", False),
        ("pre*", "prefix", True),
        ("pre*", "pre", True),
        ("pre*", "xpre", False),
        ("*fix", "suffix", True),
        ("*fix", "fixx", False),
        ("a*b*c", "a-b-c", True),
        ("a*b*c", "a-c", False),
    ],
)
def test_glob_text_matcher(pattern: str, candidate: str, expected: bool) -> None:
    assert bool(glob_text_matcher(pattern)(candidate)) is expected


@pytest.mark.parametrize(
    ("pattern", "candidate", "expected"),
    [
        ("S3:GetObject", "s3:getobject", True),
        ("s3:Get*", "s3:getobject", True),
        ("*Object", "s3:getobject", True),
        ("s3:?etObject", "s3:getobject", True),
        ("s3:Put*", "s3:getobject", False),
    ],
)
def test_ignore_case_lowers_the_pattern_for_a_lowered_candidate(
    pattern: str, candidate: str, expected: bool
) -> None:
    assert bool(glob_text_matcher(pattern, ignore_case=True)(candidate)) is expected


def test_glob_matcher_treats_literal_parts_as_literal_even_with_glob_characters() -> None:
    # A variable's value or an escape like ${*} arrives as a Literal holding '*'.
    matcher = glob_matcher((Literal("home/"), Literal("a*"), Wildcard("*")))
    assert matcher("home/a*/x")
    assert not matcher("home/abc")


def test_split_glob_separates_literal_runs_and_wildcards() -> None:
    assert split_glob("a*b?c") == (
        Literal("a"),
        Wildcard("*"),
        Literal("b"),
        Wildcard("?"),
        Literal("c"),
    )
    assert split_glob("**") == (Wildcard("*"), Wildcard("*"))
    assert split_glob("") == ()


def test_empty_pattern_matches_only_the_empty_string() -> None:
    assert glob_text_matcher("")("")
    assert not glob_text_matcher("")("a")


# -- agreement with fnmatch (the general path and every fast path) ----------------------------

# fnmatch gives '[' a meaning of its own, so it stays out of the alphabet.
ALPHABET = "ab*?.:/+(|$"
CANDIDATE_ALPHABET = "ab.:/+(|$\n"


@settings(max_examples=500, deadline=None)
@given(
    pattern=st.text(alphabet=ALPHABET, max_size=8),
    candidate=st.text(alphabet=CANDIDATE_ALPHABET, max_size=10),
)
def test_glob_agrees_with_fnmatch_on_random_strings(pattern: str, candidate: str) -> None:
    assert bool(glob_text_matcher(pattern)(candidate)) == fnmatch.fnmatchcase(candidate, pattern)


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet=ALPHABET, max_size=8), data=st.data())
def test_glob_matches_every_expansion_of_its_pattern(pattern: str, data: st.DataObject) -> None:
    candidate = "".join(
        data.draw(st.text(alphabet=CANDIDATE_ALPHABET, max_size=3))
        if ch == "*"
        else data.draw(st.sampled_from(CANDIDATE_ALPHABET))
        if ch == "?"
        else ch
        for ch in pattern
    )
    assert glob_text_matcher(pattern)(candidate)
    assert fnmatch.fnmatchcase(candidate, pattern)


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.text(alphabet="aBc*?.", max_size=6),
    candidate=st.text(alphabet="AbC.", max_size=8),
)
def test_ignore_case_agrees_with_lowercased_fnmatch(pattern: str, candidate: str) -> None:
    lowered = candidate.lower()
    expected = fnmatch.fnmatchcase(lowered, pattern.lower())
    assert bool(glob_text_matcher(pattern, ignore_case=True)(lowered)) == expected


@settings(max_examples=500, deadline=None)
@given(
    pattern=st.text(alphabet="ab*?", max_size=16),
    candidate=st.text(alphabet="ab", max_size=24),
)
def test_glob_agrees_with_fnmatch_on_long_star_and_question_chains(
    pattern: str, candidate: str
) -> None:
    # Long runs over a two-letter alphabet are where a leftmost-segment matcher could go wrong.
    assert bool(glob_text_matcher(pattern)(candidate)) == fnmatch.fnmatchcase(candidate, pattern)


def test_literal_prefix_is_the_text_before_the_first_wildcard() -> None:
    assert literal_prefix(split_glob("arn:aws:s3:::b-*/x")) == "arn:aws:s3:::b-"
    assert literal_prefix(split_glob("arn:aws:s3:::b?")) == "arn:aws:s3:::b"
    assert literal_prefix(split_glob("exact")) == "exact"
    assert literal_prefix(split_glob("*x")) == ""


def test_starts_with_prefix_names_only_patterns_with_one_trailing_star() -> None:
    assert starts_with_prefix(split_glob("arn:aws:s3:::bucket/*")) == "arn:aws:s3:::bucket/"
    assert starts_with_prefix(split_glob("*")) == ""
    for other in ("arn:aws:s3:::b*/x", "arn:aws:s3:::b?/*", "a*b*", "exact", "a**", "*x"):
        assert starts_with_prefix(split_glob(other)) is None, other


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="ab*?", max_size=8), candidate=st.text(alphabet="ab", max_size=10))
def test_a_starts_with_prefix_matches_exactly_what_the_glob_matches(
    pattern: str, candidate: str
) -> None:
    prefix = starts_with_prefix(split_glob(pattern))
    if prefix is not None:
        assert candidate.startswith(prefix) == glob_text_matcher(pattern)(candidate)
