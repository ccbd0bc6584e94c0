"""gateway.policy.variables: `${…}` templates in Resource elements and condition values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.policy import Request, evaluate, parse_policy
from gateway.policy.variables import (
    Literal,
    Template,
    Variable,
    Wildcard,
    parse_template,
    rendered_has_wildcards,
)

PolicyBuilder = Callable[..., str]
PrincipalFactory = Callable[..., dict[str, Any]]


def lookup_in(values: dict[str, str]) -> Callable[[str], str | None]:
    return lambda key: values.get(key.lower())


def template(text: str, *, variables: bool = True, wildcards: bool = True) -> Template:
    return parse_template(text, variables=variables, wildcards=wildcards)


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("plain", (Literal("plain"),)),
        ("", ()),
        ("a*b?", (Literal("a"), Wildcard("*"), Literal("b"), Wildcard("?"))),
        (
            "arn:aws:s3:::b/${aws:username}/*",
            (Literal("arn:aws:s3:::b/"), Variable("aws:username"), Literal("/"), Wildcard("*")),
        ),
        ("${aws:username, 'guest'}", (Variable("aws:username", "guest"),)),
        ("${ aws:PrincipalTag/team , 'none' }", (Variable("aws:PrincipalTag/team", "none"),)),
        ("${aws:username,''}", (Variable("aws:username", ""),)),
        ("a${*}b${?}c${$}d", (Literal("a*b?c$d"),)),
        ("${aws:username", (Literal("${aws:username"),)),
        ("${}", (Literal("${}"),)),
        ("$x{y}", (Literal("$x{y}"),)),
        (
            "${a:b}${c:d}",
            (Variable("a:b"), Variable("c:d")),
        ),
    ],
)
def test_parse_template_splits_literals_wildcards_and_variables(
    text: str, parts: tuple[Any, ...]
) -> None:
    assert template(text).parts == parts


def test_escaped_wildcards_are_literal_characters() -> None:
    parsed = template("${*}${?}")
    assert parsed.parts == (Literal("*?"),)
    rendered = parsed.render(lookup_in({}))
    assert rendered is not None
    assert not rendered_has_wildcards(rendered)


def test_without_wildcards_star_and_question_mark_are_literal() -> None:
    assert template("a*b?", wildcards=False).parts == (Literal("a*b?"),)


def test_variables_disabled_keeps_the_text_literal() -> None:
    parsed = template("home/${aws:username}", variables=False, wildcards=False)
    assert parsed.parts == (Literal("home/${aws:username}"),)
    assert not parsed.has_variables
    assert parsed.variable_keys == ()


def test_variables_disabled_leaves_escapes_unread() -> None:
    parsed = template("${*}", variables=False)
    assert parsed.parts == (Literal("${"), Wildcard("*"), Literal("}"))


def test_variable_keys_in_order_of_appearance() -> None:
    parsed = template("${aws:username}/${aws:PrincipalTag/team, 'x'}/${aws:username}")
    assert parsed.has_variables
    assert parsed.variable_keys == ("aws:username", "aws:PrincipalTag/team", "aws:username")


# -- rendering --------------------------------------------------------------------------------


def test_render_substitutes_variables() -> None:
    parsed = template("arn:aws:s3:::b/${aws:username}/*")
    assert parsed.render(lookup_in({"aws:username": "alice"})) == (
        Literal("arn:aws:s3:::b/"),
        Literal("alice"),
        Literal("/"),
        Wildcard("*"),
    )
    assert parsed.render_text(lookup_in({"aws:username": "alice"})) == "arn:aws:s3:::b/alice/*"


def test_render_of_unresolvable_variable_is_none() -> None:
    parsed = template("home/${aws:username}")
    assert parsed.render(lookup_in({})) is None
    assert parsed.render_text(lookup_in({})) is None


@pytest.mark.parametrize(
    ("known", "expected"), [({}, "team/guest"), ({"aws:principaltag/team": "dev"}, "team/dev")]
)
def test_default_applies_only_when_the_key_is_missing(known: dict[str, str], expected: str) -> None:
    parsed = template("team/${aws:PrincipalTag/team, 'guest'}")
    assert parsed.render_text(lookup_in(known)) == expected


def test_variable_value_is_literal_even_with_glob_characters() -> None:
    rendered = template("home/${aws:username}").render(lookup_in({"aws:username": "a*"}))
    assert rendered == (Literal("home/"), Literal("a*"))
    assert not rendered_has_wildcards(rendered)


def test_template_without_variables_renders_to_its_parts() -> None:
    parsed = template("a*")
    assert parsed.render(lookup_in({})) == (Literal("a"), Wildcard("*"))


# -- in policies ------------------------------------------------------------------------------


@pytest.fixture
def allowed(policy: PolicyBuilder, principal: PrincipalFactory) -> Callable[..., bool]:
    """`allowed(resource_pattern, requested_resource, context=None, **principal)`."""

    def decide(
        pattern: str, resource: str, context: dict[str, Any] | None = None, **who: Any
    ) -> bool:
        document = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern})
        request = Request("s3:GetObject", resource, principal(**who), context)
        return evaluate(request, identity=[parse_policy(document)]).allowed

    return decide


def test_username_variable_selects_the_callers_own_folder(allowed: Callable[..., bool]) -> None:
    pattern = "arn:aws:s3:::home/${aws:username}/*"
    assert allowed(pattern, "arn:aws:s3:::home/alice/notes.txt")
    assert not allowed(pattern, "arn:aws:s3:::home/bob/notes.txt")


def test_variable_names_are_case_insensitive(allowed: Callable[..., bool]) -> None:
    assert allowed("arn:aws:s3:::home/${AWS:UserName}/*", "arn:aws:s3:::home/alice/x")


def test_escaped_star_matches_only_a_literal_star(allowed: Callable[..., bool]) -> None:
    pattern = "arn:aws:s3:::bucket/${*}"
    assert allowed(pattern, "arn:aws:s3:::bucket/*")
    assert not allowed(pattern, "arn:aws:s3:::bucket/x")


def test_escaped_question_mark_matches_only_a_literal_question_mark(
    allowed: Callable[..., bool],
) -> None:
    pattern = "arn:aws:s3:::bucket/what${?}"
    assert allowed(pattern, "arn:aws:s3:::bucket/what?")
    assert not allowed(pattern, "arn:aws:s3:::bucket/whats")


def test_escaped_dollar_is_a_dollar(allowed: Callable[..., bool]) -> None:
    assert allowed("arn:aws:s3:::bucket/${$}{x}", "arn:aws:s3:::bucket/${x}")


def test_unclosed_variable_is_literal_text(allowed: Callable[..., bool]) -> None:
    assert allowed("arn:aws:s3:::bucket/${aws:username", "arn:aws:s3:::bucket/${aws:username")
    assert not allowed("arn:aws:s3:::bucket/${aws:username", "arn:aws:s3:::bucket/alice")


def test_star_in_a_variable_value_is_not_a_wildcard(allowed: Callable[..., bool]) -> None:
    pattern = "arn:aws:s3:::home/${aws:username}/x"
    assert not allowed(pattern, "arn:aws:s3:::home/abc/x", username="a*")
    assert allowed(pattern, "arn:aws:s3:::home/a*/x", username="a*")


def test_unresolvable_variable_makes_the_resource_not_match(
    allowed: Callable[..., bool],
) -> None:
    session = {"arn": "arn:aws:sts::111122223333:assumed-role/R/s", "type": "AssumedRole"}
    assert not allowed("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home//x", **session)


def test_default_stands_in_for_a_missing_key(allowed: Callable[..., bool]) -> None:
    pattern = "arn:aws:s3:::team/${aws:PrincipalTag/team, 'shared'}/*"
    assert allowed(pattern, "arn:aws:s3:::team/shared/x")
    assert allowed(pattern, "arn:aws:s3:::team/dev/x", tags={"team": "dev"})
    assert not allowed(pattern, "arn:aws:s3:::team/shared/x", tags={"team": "dev"})


def test_multi_valued_key_cannot_be_a_variable(allowed: Callable[..., bool]) -> None:
    pattern = "arn:aws:s3:::tags/${aws:TagKeys}"
    assert not allowed(pattern, "arn:aws:s3:::tags/a", {"aws:TagKeys": ["a", "b"]})
    assert allowed(pattern, "arn:aws:s3:::tags/a", {"aws:TagKeys": "a"})


def test_2008_version_reads_variables_as_literal_text(
    policy: PolicyBuilder, principal: PrincipalFactory
) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::home/${aws:username}/*",
    }
    resource_policy = parse_policy(policy(statement, version="2008-10-17"), "resource")

    def decide(resource: str) -> bool:
        request = Request("s3:GetObject", resource, principal())
        return evaluate(request, resource=resource_policy).allowed

    assert decide("arn:aws:s3:::home/${aws:username}/x")
    assert not decide("arn:aws:s3:::home/alice/x")
