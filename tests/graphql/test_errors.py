"""One mapping from errors to GraphQL errors (`gateway.graphql.errors`)."""

from __future__ import annotations

import logging

import pytest
import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, Source

from gateway.config import Settings
from gateway.errors import InvalidInput, NoSuchEntity
from gateway.graphql.errors import INTERNAL_ERROR_MESSAGE, is_unexpected, to_client_error
from tests.graphql import SQL_IN_BUG, build_test_schema

PASSWORD = "correct horse battery staple 7!"


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_test_schema(Settings())


async def test_a_gateway_error_keeps_its_message_and_carries_its_code(
    schema: strawberry.Schema,
) -> None:
    result = await schema.execute("{ hello denied }")
    assert result.data == {"hello": "Hello, world!", "denied": None}
    [error] = result.errors or []
    assert error.message.startswith("User: arn:aws:iam::123456789012:user/cashier is not")
    assert error.extensions == {"code": "AccessDenied", "deciding_layer": "identity"}
    assert error.path == ["denied"]


async def test_an_unexpected_error_is_masked(schema: strawberry.Schema) -> None:
    result = await schema.execute("{ hello broken }")
    assert result.data == {"hello": "Hello, world!", "broken": None}
    [error] = result.errors or []
    assert error.formatted == {
        "message": INTERNAL_ERROR_MESSAGE,
        "locations": [{"line": 1, "column": 9}],
        "path": ["broken"],
        "extensions": {"code": "ServiceFailure"},
    }
    assert "SELECT" not in str(error.formatted)


async def test_an_unexpected_error_is_logged_without_the_variables(
    schema: strawberry.Schema, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await schema.execute(
        "query Leak($password: String) { broken(password: $password) }",
        variable_values={"password": PASSWORD},
    )
    [record] = [r for r in caplog.records if r.name == "gateway.graphql.errors"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "Unexpected error in GraphQL operation Leak at broken: RuntimeError"
    )
    assert record.exc_info is not None  # the traceback, for whoever reads the log
    assert PASSWORD not in caplog.text
    assert not any(PASSWORD in str(vars(r)) for r in caplog.records)


async def test_errors_a_client_caused_are_not_logged(
    schema: strawberry.Schema, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad_variable = await schema.execute(
        "query ($n: Int) { hello(name: $n) }", variable_values={"n": PASSWORD}
    )
    denied = await schema.execute("{ denied }")
    assert bad_variable.errors
    assert denied.errors
    assert PASSWORD not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_syntax_errors_are_parse_failures() -> None:
    error = GraphQLSyntaxError(Source("{"), 1, "Expected Name, found <EOF>.")
    assert to_client_error(error).extensions == {"code": "GRAPHQL_PARSE_FAILED"}


def test_validation_errors_are_validation_failures() -> None:
    error = GraphQLError("Cannot query field 'nope' on type 'Query'.")
    assert to_client_error(error, validation=True).extensions == {
        "code": "GRAPHQL_VALIDATION_FAILED"
    }


def test_other_deliberate_graphql_errors_are_invalid_input() -> None:
    error = GraphQLError("Variable '$n' got invalid value 'x'.")
    assert to_client_error(error).extensions == {"code": "InvalidInput"}


def test_a_gateway_error_behind_a_graphql_error_is_found() -> None:
    # graphql-core wraps what a scalar raises while coercing a variable.
    inner = GraphQLError("Expected an ARN.", original_error=InvalidInput("Not an ARN: 'x'."))
    outer = GraphQLError(
        "Variable '$arn' has invalid value: Expected an ARN.", original_error=inner
    )
    mapped = to_client_error(outer)
    assert mapped.message == "Not an ARN: 'x'."
    assert mapped.extensions == {"code": "InvalidInput"}
    assert not is_unexpected(outer)


def test_extensions_of_a_gateway_error_follow_its_code() -> None:
    error = GraphQLError(
        "x", original_error=NoSuchEntity("The user with name bob cannot be found.", userName="bob")
    )
    assert to_client_error(error).extensions == {"code": "NoSuchEntity", "userName": "bob"}


def test_anything_else_is_unexpected() -> None:
    error = GraphQLError(f"boom: {SQL_IN_BUG}", original_error=KeyError("secret"))
    mapped = to_client_error(error)
    assert is_unexpected(error)
    assert mapped.message == INTERNAL_ERROR_MESSAGE
    assert mapped.extensions == {"code": "ServiceFailure"}
