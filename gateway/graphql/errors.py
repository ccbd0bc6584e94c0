"""The one place where errors become GraphQL errors.

Every error in a response carries `extensions.code`:

- a `gateway.errors.GatewayError` (services, permissions, context): message = its `message`,
  `extensions = {"code": error.code, **error.extensions}`;
- a GraphQL syntax error, or too many tokens: `GRAPHQL_PARSE_FAILED`;
- a validation error (graphql-core's rules and `gateway.graphql.limits`):
  `GRAPHQL_VALIDATION_FAILED`;
- another deliberate `GraphQLError` (variable coercion, arguments): its own code, else
  `InvalidInput` (AWS's code for a bad argument);
- anything else: message "Internal server error", code `ServiceFailure`.

Anything else is a bug or an outage: its message, stack trace, SQL or secrets never reach the
client. It is logged on the `gateway.graphql.errors` logger with its traceback, the operation's
name and the path of the field, but never the request's variables (they may hold passwords).
Strawberry's own error log (which logs every error) is replaced by `GatewaySchema`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.errors import GatewayError, ServiceFailure
from gateway.graphql.extension_hooks import CachedHooksRunner

logger = logging.getLogger("gateway.graphql.errors")

INTERNAL_ERROR_MESSAGE = "Internal server error"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INVALID_INPUT = "InvalidInput"
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def is_unexpected(error: GraphQLError) -> bool:
    """Whether `error` comes from an exception nobody meant a client to see.

    Deliberate errors are `GatewayError`s and `GraphQLError`s (graphql-core wraps the
    latter, and a `GatewayError` raised by a scalar, as the cause of the error it reports).
    """
    original = error.original_error
    return (
        original is not None
        and not isinstance(original, GraphQLError)
        and gateway_error_of(error) is None
    )


def gateway_error_of(error: GraphQLError) -> GatewayError | None:
    """The `GatewayError` behind `error`, if there is one."""
    original: BaseException | None = error.original_error
    while original is not None:
        if isinstance(original, GatewayError):
            return original
        original = getattr(original, "original_error", None)
    return None


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=extensions,
    )


def to_client_error(error: GraphQLError, *, validation: bool = False) -> GraphQLError:
    """The error as a client sees it (a new object: cached errors are never changed).

    `validation` says the error was reported by document validation.
    """
    gateway_error = gateway_error_of(error)
    if gateway_error is not None:
        return _with(
            error,
            gateway_error.message,
            {"code": gateway_error.code, **gateway_error.extensions},
        )
    if is_unexpected(error):
        return _with(error, INTERNAL_ERROR_MESSAGE, {"code": ServiceFailure.code})
    existing = dict(error.extensions or {})
    if "code" in existing:
        return error
    if isinstance(error, GraphQLSyntaxError):
        code = PARSE_FAILED
    elif validation:
        code = VALIDATION_FAILED
    else:
        code = INVALID_INPUT
    return _with(error, error.message, {**existing, "code": code})


def log_unexpected(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Log the unexpected errors among `errors`: traceback, operation and path, no variables."""
    operation = execution_context.operation_name if execution_context is not None else None
    for error in errors:
        if is_unexpected(error):
            logger.error(
                "Unexpected error in GraphQL operation %s at %s: %s",
                operation or "(anonymous)",
                ".".join(str(key) for key in error.path or ()) or "(request)",
                type(error.original_error).__name__,
                exc_info=error.original_error,
            )


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """`error` without graphql-core's "Did you mean …?" (argument, field, type, enum value
    and input field names: the schema, which a server without introspection keeps to itself)."""
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return _with(error, message, dict(error.extensions or {}))


class GatewayErrors(MaskErrors):
    """The schema extension that applies `to_client_error` to every error of a result, and
    leaves suggestions out of their messages unless `suggestions`."""

    def __init__(self, *, suggestions: bool = True) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=INTERNAL_ERROR_MESSAGE)
        self._validation_errors: set[int] = set()
        self._suggestions = suggestions

    def on_validate(self) -> Iterator[None]:
        yield
        self._validation_errors = {
            id(error) for error in self.execution_context.pre_execution_errors or ()
        }

    def _process_result(self, result: object) -> None:
        # MaskErrors asks `isinstance(result, <a runtime-checkable Protocol>)`, which inspects
        # the class on every operation (~1.5% of a small query's CPU); an attribute is enough.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        mapped = [
            to_client_error(error, validation=id(error) in self._validation_errors)
            for error in errors
        ]
        return mapped if self._suggestions else [without_suggestions(e) for e in mapped]


class GatewaySchema(strawberry.Schema):
    """`strawberry.Schema` whose error log holds only unexpected errors, without variables.

    Strawberry logs every error (AccessDenied, a typo in a query, a bad variable value with
    the value in the message) at ERROR level; this logs bugs and outages only.
    """

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        log_unexpected(errors, execution_context)

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Run a query or mutation (the HTTP path). A subscription is refused here
        (InvalidOperationTypeError): it only runs over WebSocket, through `subscribe`."""
        allowed = kwargs.get("allowed_operation_types")
        if allowed is not None:
            kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        return await super().execute(*args, **kwargs)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """Strawberry's runner, with each extension class's hooks looked up once
        (`gateway.graphql.extension_hooks`)."""
        return CachedHooksRunner(execution_context, extensions)


__all__ = [
    "INTERNAL_ERROR_MESSAGE",
    "GatewayErrors",
    "GatewaySchema",
    "gateway_error_of",
    "is_unexpected",
    "log_unexpected",
    "to_client_error",
    "without_suggestions",
]
