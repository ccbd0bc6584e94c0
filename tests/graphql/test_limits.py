"""The bounds of one request (`gateway.graphql.limits`), checked on the schema itself."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import get_introspection_query, parse
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.schema import validate_document

from gateway.config import Settings
from gateway.graphql import limits
from tests.graphql import build_test_schema

OPEN = Settings()
CLOSED = Settings(introspection=False)


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_test_schema(OPEN)


@pytest.fixture(scope="module")
def closed_schema() -> strawberry.Schema:
    return build_test_schema(CLOSED)


def of_depth(depth: int) -> str:
    """A query whose deepest field is `depth` levels below the root field."""
    children = depth - 1
    return "{ node { " + "child { " * children + "value" + " }" * children + " } }"


def codes(result: strawberry.types.ExecutionResult) -> list[str]:
    return [(error.extensions or {}).get("code", "") for error in result.errors or ()]


async def test_a_query_at_the_depth_limit_runs(schema: strawberry.Schema) -> None:
    result = await schema.execute(of_depth(limits.DEFAULT_LIMITS.max_depth))
    assert result.errors is None


async def test_a_query_deeper_than_the_limit_is_refused(schema: strawberry.Schema) -> None:
    result = await schema.execute(of_depth(limits.DEFAULT_LIMITS.max_depth + 1))
    assert result.data is None
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth of 12" in result.errors[0].message  # type: ignore[index]


@pytest.mark.parametrize(("count", "allowed"), [(30, True), (31, False)])
async def test_aliases_are_limited(schema: strawberry.Schema, count: int, allowed: bool) -> None:
    query = "{ " + " ".join(f"a{i}: hello" for i in range(count)) + " }"
    result = await schema.execute(query)
    assert (result.errors is None) is allowed
    if not allowed:
        assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_document_over_the_token_limit_is_not_parsed(schema: strawberry.Schema) -> None:
    query = "{ " + " ".join(["__typename"] * 2_001) + " }"
    result = await schema.execute(query)
    assert result.data is None
    assert codes(result) == ["GRAPHQL_PARSE_FAILED"]
    assert "2000 tokens" in result.errors[0].message  # type: ignore[index]


async def test_too_many_directives_on_one_field_are_refused(schema: strawberry.Schema) -> None:
    directives = " ".join(["@include(if: true)"] * 6)
    result = await schema.execute(f"{{ hello {directives} }}")
    messages = [error.message for error in result.errors or ()]
    assert "Too many directives in one place: 6; at most 5 are allowed." in messages


async def test_a_response_holds_at_most_twenty_errors(schema: strawberry.Schema) -> None:
    # 200 repeated directives: graphql-core alone reports 101 errors.
    directives = " ".join(["@skip(if: false)"] * 200)
    result = await schema.execute(f"{{ hello {directives} }}")
    assert result.errors is not None
    assert len(result.errors) == limits.DEFAULT_LIMITS.max_errors
    assert result.errors[-1].message.endswith("more errors were left out of this response.")
    assert set(codes(result)) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_graphiqls_introspection_query_fits_the_limits(schema: strawberry.Schema) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    result = await schema.execute(query)
    assert result.errors is None


async def test_with_introspection_off_schema_is_refused(closed_schema: strawberry.Schema) -> None:
    result = await closed_schema.execute("{ __schema { queryType { name } } }")
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "introspection is turned off" in result.errors[0].message  # type: ignore[index]


async def test_with_introspection_off_type_still_answers_name_and_kind(
    closed_schema: strawberry.Schema,
) -> None:
    result = await closed_schema.execute('{ __type(name: "Node") { name kind __typename } }')
    assert result.errors is None
    assert result.data == {"__type": {"name": "Node", "kind": "OBJECT", "__typename": "__Type"}}


@pytest.mark.parametrize(
    "query",
    [
        '{ __type(name: "Node") { fields { name } } }',
        '{ __type(name: "Node") { ...on __Type { description } } }',
        '{ __type(name: "Node") { ...T } } fragment T on __Type { interfaces { name } }',
    ],
)
async def test_with_introspection_off_type_reveals_nothing_else(
    closed_schema: strawberry.Schema, query: str
) -> None:
    result = await closed_schema.execute(query)
    assert result.data is None
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_document_of_several_operations_needs_an_operation_name(
    schema: strawberry.Schema,
) -> None:
    document = "query A { hello } query B { node { value } }"
    ambiguous = await schema.execute(document)
    named = await schema.execute(document, operation_name="B")
    assert codes(ambiguous) == ["GRAPHQL_VALIDATION_FAILED"]
    assert named.data == {"node": {"value": 0}}


def test_parsing_and_validation_are_cached() -> None:
    built = [factory() for factory in limits.extensions(OPEN)]
    assert any(isinstance(extension, ParserCache) for extension in built)
    assert any(isinstance(extension, ValidationCache) for extension in built)


async def test_a_document_is_validated_once_while_its_parse_is_cached(
    schema: strawberry.Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[object] = []

    def counting(*args: Any) -> Any:
        validated.append(args[1])
        return validate_document(*args)

    monkeypatch.setattr(limits, "validate_document", counting)
    query = '{ node { value } alias: hello(name: "validated once") }'
    results = [await schema.execute(query) for _ in range(3)]

    assert [result.data for result in results] == [
        {"node": {"value": 0}, "alias": "Hello, validated once!"}
    ] * 3
    assert len(validated) == 1


async def test_validation_errors_are_cached_with_the_document(
    schema: strawberry.Schema,
) -> None:
    query = "{ node { missingField } }"
    for _ in range(2):
        result = await schema.execute(query)
        assert result.data is None
        assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "missingField" in result.errors[0].message  # type: ignore[index]


@pytest.mark.parametrize("closed_first", [True, False])
async def test_one_cached_document_is_validated_apart_for_each_schema(
    closed_first: bool,
) -> None:
    # Both schemas get the same document object from the shared parser cache; the validation
    # cache must still answer each with its own rules (introspection on, and off).
    query = f"{{ __schema {{ queryType {{ name }} }} }} # {closed_first}"
    open_schema, closed_schema = build_test_schema(OPEN), build_test_schema(CLOSED)
    order = [closed_schema, open_schema] if closed_first else [open_schema, closed_schema]
    for _ in range(2):
        for each in order:
            result = await each.execute(query)
            if each is closed_schema:
                assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
            else:
                assert result.errors is None
                assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


def test_the_validation_cache_tells_equal_documents_apart_by_identity() -> None:
    # graphql-core's nodes compare by value; the cache must never answer for a document it
    # did not validate, even an equal one (its id could be a freed document's).
    one, other = parse("{ hello }"), parse("{ hello }")
    assert one == other
    assert hash(one) == hash(other)
    assert limits._ByIdentity(one) == limits._ByIdentity(one)
    assert limits._ByIdentity(one) != limits._ByIdentity(other)
    assert hash(limits._ByIdentity(one)) == id(one)


def test_validation_rules_are_the_same_classes_for_every_request() -> None:
    # The validation cache is keyed by the rule classes: new classes would never hit it.
    assert limits.validation_rules(OPEN) == limits.validation_rules(OPEN)
    assert limits.NoSchemaIntrospection in limits.validation_rules(CLOSED)
    assert limits.NoSchemaIntrospection not in limits.validation_rules(OPEN)


def test_field_suggestions_follow_introspection() -> None:
    assert limits.schema_config(OPEN).disable_field_suggestions is False
    assert limits.schema_config(CLOSED).disable_field_suggestions is True
