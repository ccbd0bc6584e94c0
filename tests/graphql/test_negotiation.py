"""The GraphQL endpoint's media types (`gateway/graphql/negotiation.py`): the answer's, chosen
from the Accept header, and the POST bodies it reads. Over HTTP: tests/graphql/test_http.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gateway.graphql import negotiation
from gateway.graphql.negotiation import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    MediaTypeInLowerCase,
    content_type_refusal,
    negotiate,
)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, GRAPHQL_RESPONSE_JSON),
        ("", GRAPHQL_RESPONSE_JSON),
        ("   ", GRAPHQL_RESPONSE_JSON),
        ("*/*", GRAPHQL_RESPONSE_JSON),
        ("application/*", GRAPHQL_RESPONSE_JSON),
        ("application/json", APPLICATION_JSON),
        ("Application/JSON", APPLICATION_JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", APPLICATION_JSON),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", APPLICATION_JSON),
        ("application/json;q=0.9, */*;q=0.1", APPLICATION_JSON),
        ("application/graphql-response+json;q=0, */*", APPLICATION_JSON),
        ("application/json;q=nonsense, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("text/html", None),
        ("application/json;q=0", None),
        ("text/*, image/png", None),
    ],
)
def test_the_answer_is_in_the_media_type_the_accept_header_prefers(
    accept: str | None, chosen: str | None
) -> None:
    assert negotiate(accept) == chosen


def test_a_long_accept_header_is_decided_but_not_remembered() -> None:
    long_header = "text/plain;q=0.1, " * 20 + "application/json"
    assert len(long_header) > negotiation.MAX_REMEMBERED_ACCEPT
    before = negotiation._negotiated.cache_info().currsize

    assert negotiate(long_header) == APPLICATION_JSON
    assert negotiation._negotiated.cache_info().currsize == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF8"],
)
def test_json_in_utf8_is_read(content_type: str) -> None:
    assert content_type_refusal(content_type) is None


@pytest.mark.parametrize(
    ("content_type", "refusal"),
    [
        (None, "A POST request needs 'Content-Type: application/json'."),
        ("", "A POST request needs 'Content-Type: application/json'."),
        (
            "application/x-www-form-urlencoded",
            "POST bodies must be 'application/json' in UTF-8, not "
            "'application/x-www-form-urlencoded'.",
        ),
        (
            "application/json; charset=latin-1",
            "POST bodies must be 'application/json' in UTF-8, not "
            "'application/json; charset=latin-1'.",
        ),
        ("text/plain", "POST bodies must be 'application/json' in UTF-8, not 'text/plain'."),
    ],
)
def test_other_bodies_are_refused_with_a_reason(content_type: str | None, refusal: str) -> None:
    assert content_type_refusal(content_type) == refusal


def test_the_request_adapter_reads_the_content_type_in_lower_case() -> None:
    request = SimpleNamespace(content_type="Application/JSON", method="POST")
    bare = SimpleNamespace(content_type=None, method="GET")

    assert MediaTypeInLowerCase(request).content_type == "application/json"
    assert MediaTypeInLowerCase(request).method == "POST"
    assert MediaTypeInLowerCase(bare).content_type is None
