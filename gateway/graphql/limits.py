"""What one GraphQL request may cost: the schema extensions and validation rules that bound it.

A request is refused before it runs when its document is too big or too intricate (defaults
in `Limits`):

- more than 2,000 tokens: graphql-core's parser stops (`max_tokens`), GRAPHQL_PARSE_FAILED;
- selections nested deeper than 12 (introspection fields not counted), more than 30 aliases,
  or more than 5 directives on one field, fragment or operation: a validation rule,
  GRAPHQL_VALIDATION_FAILED;
- several operations without an `operationName`: GRAPHQL_VALIDATION_FAILED (Strawberry would
  run the first).

A response holds at most 20 errors (`MaxErrors`: the last one counts those left out).

With `Settings.introspection` off, `__schema` is refused and `__type(name:)` may select only
`name` and `kind` (what the GraphQL-over-HTTP audit still asks of a server), and suggestions
("Did you mean …?", of fields, arguments, types, enum values and input fields) are left out
of error messages.

Parsing and validation dominate the cost of a small query, so their results are cached
(Strawberry's `ParserCache`, and its `ValidationCache` keyed by the parsed document's identity:
bounded LRU caches shared by all requests).

`build_schema` uses this module as::

    strawberry.Schema(
        query=Query,
        mutation=Mutation,
        config=limits.schema_config(settings),
        extensions=limits.extensions(settings),
    )

`extensions(settings)` is every schema extension the HTTP face relies on, in order: operation
observation (metrics), the error cap, error mapping (`gateway.graphql.errors`), the
operation-name rule (Strawberry would run the first of several operations), the token limit,
the validation rules and the caches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from graphql import ASTValidationRule, FieldNode, GraphQLError, GraphQLSchema, ValidationRule
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language import DirectiveNode, DocumentNode, Node, OperationDefinitionNode
from strawberry.extensions import (
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as _alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as _depth_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.graphql import input_caps
from gateway.graphql.errors import GatewayErrors
from gateway.graphql.observation import ObserveOperation


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of one request; the defaults suit the gateway's schema."""

    max_tokens: int = 2_000
    max_depth: int = 12
    max_aliases: int = 30
    max_directives_per_location: int = 5
    max_errors: int = 20
    cache_size: int = 1_024
    """Entries in each of the parser and validation LRU caches."""


DEFAULT_LIMITS = Limits()

SchemaExtensionFactory = Callable[[], SchemaExtension]

INTROSPECTION_TYPE_FIELDS = frozenset({"name", "kind", "__typename"})
"""What `__type(name:)` may still select when introspection is off."""


class NoSchemaIntrospection(ValidationRule):
    """Refuses `__schema`, and any field of `__Type` but `name` and `kind`.

    `__type(name:)` is the only other way into the introspection types, and it stays open
    for `{ __type(name: "X") { name kind } }`: a client can learn whether a type exists (as
    the GraphQL-over-HTTP audit expects) but not its fields, arguments or descriptions.
    """

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        name = node.name.value
        if name == "__schema":
            self.report_error(
                GraphQLError(
                    "GraphQL introspection is turned off on this server: "
                    "'__schema' cannot be queried.",
                    node,
                )
            )
            return
        parent = self.context.get_parent_type()
        if parent is not None and parent.name == "__Type" and name not in INTROSPECTION_TYPE_FIELDS:
            self.report_error(
                GraphQLError(
                    "GraphQL introspection is turned off on this server: "
                    f"'__type' may only select 'name' and 'kind', not '{name}'.",
                    node,
                )
            )


@cache
def max_directives_rule(limit: int) -> type[ASTValidationRule]:
    """A rule refusing more than `limit` directives on one field, fragment or operation."""

    class MaxDirectivesPerLocation(ValidationRule):
        def enter(self, node: Node, *_args: Any) -> None:
            directives: Sequence[DirectiveNode] | None = getattr(node, "directives", None)
            if directives and len(directives) > limit:
                self.report_error(
                    GraphQLError(
                        f"Too many directives in one place: {len(directives)}; "
                        f"at most {limit} are allowed.",
                        directives[limit],
                    )
                )

    return MaxDirectivesPerLocation


@cache
def max_depth_rule(limit: int) -> type[ASTValidationRule]:
    """A rule refusing selections nested deeper than `limit` (introspection not counted)."""
    return _depth_validator(max_depth=limit, should_ignore=None)


@cache
def max_aliases_rule(limit: int) -> type[ASTValidationRule]:
    """A rule refusing documents with more than `limit` aliases."""
    return _alias_validator(max_alias_count=limit)


def validation_rules(
    settings: Settings, limits: Limits = DEFAULT_LIMITS
) -> list[type[ASTValidationRule]]:
    """The validation rules added to graphql-core's own, as stable classes (cacheable)."""
    rules = [
        max_depth_rule(limits.max_depth),
        max_aliases_rule(limits.max_aliases),
        max_directives_rule(limits.max_directives_per_location),
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospection)
    return rules


class MaxErrors(SchemaExtension):
    """Returns at most `limit` errors: the first `limit - 1` and one that counts the rest.

    graphql-core alone reports up to 100 validation errors (200 repeated directives give 101).
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 2)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors or len(errors) <= self.limit:
            return
        kept = list(errors[: self.limit - 1])
        left_out = len(errors) - len(kept)
        code = (kept[-1].extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
        kept.append(
            GraphQLError(
                f"{left_out} more errors were left out of this response.",
                extensions={"code": code},
            )
        )
        result.errors = kept


class CachedParsing(ParserCache):
    """Strawberry's `ParserCache`, except that a document that fails to parse is left to
    Strawberry's own parsing step, which reports the error where extensions see it (raised in
    `ParserCache`'s hook, it would bypass the error mapping and the error log)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class _ByIdentity:
    """A parsed document as a cache key: equal only to itself, hashed by identity.

    graphql-core's nodes are frozen dataclasses hashed by value, which walks the whole tree
    on every lookup (4.5 µs for `{ me { userName groups { … } } }`, more for a bigger query).
    The parser cache hands out the same object for the same text, so identity finds it; and
    the key holds the object, so its id is never another document's while it is cached.
    """

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode) -> None:
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and other.document is self.document


@cache
def _validate_cache(maxsize: int) -> Callable[..., list[GraphQLError]]:
    # One LRU per size, shared by every request, as Strawberry's own.
    @lru_cache(maxsize=maxsize)
    def validated(
        schema: GraphQLSchema, document: _ByIdentity, rules: tuple[type[ASTValidationRule], ...]
    ) -> list[GraphQLError]:
        return validate_document(schema, document.document, rules)

    return validated


class CachedValidation(ValidationCache):
    """Strawberry's `ValidationCache`, keyed by the parsed document's identity rather than
    its value (`_ByIdentity`): a document parsed again (not from the parser cache) is
    validated again, never confused with another."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.validated = _validate_cache(maxsize)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # validation follows a successful parse
        context.pre_execution_errors = self.validated(
            context.schema._schema,
            _ByIdentity(context.graphql_document),
            tuple(context.validation_rules),
        )
        yield


class OperationNameRequired(SchemaExtension):
    """GraphQL's GetOperation(): a document of several operations needs an `operationName`.

    Strawberry would silently run the first one; the spec makes it a request error.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        # Strawberry keeps the name the request gave apart from the one it infers.
        if document is None or getattr(context, "_provided_operation_name", None) is not None:
            return
        operations = sum(isinstance(node, OperationDefinitionNode) for node in document.definitions)
        if operations > 1:
            raise GraphQLError(
                "Must provide operation name if query contains multiple operations.",
                extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
            )


class GatewayOperation(GatewayErrors):
    """The gateway's per-operation hooks in one extension, since every extension object costs
    each request a few hook calls (together ~15% of a small query's time, measured):

    - before: the parser's token limit and the depth/alias/directive rules;
    - after parsing: a document of several operations needs an `operationName`;
    - after validation: every input within its cap (`gateway.graphql.input_caps`);
    - after the operation: errors mapped and masked (`GatewayErrors`), at most `max_errors`
      of them, and the operation's kind recorded for the metrics.
    """

    def __init__(
        self,
        limits: Limits,
        rules: Sequence[type[ASTValidationRule]],
        *,
        suggestions: bool = True,
    ) -> None:
        super().__init__(suggestions=suggestions)
        self.limits = limits
        self.rules = tuple(rules)
        self.max_errors = MaxErrors(limits.max_errors)
        self.operation_name = OperationNameRequired()
        self.observe = ObserveOperation()

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.limits.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        for part in (self.max_errors, self.observe):
            part.execution_context = context
        yield from super().on_operation()
        _finish(self.max_errors.on_operation())
        _finish(self.observe.on_operation())

    def on_parse(self) -> Iterator[None]:
        self.operation_name.execution_context = self.execution_context
        yield from self.operation_name.on_parse()

    def on_validate(self) -> Iterator[None]:
        yield from super().on_validate()
        refuse_oversized_inputs(self.execution_context)

    def on_execute(self) -> Iterator[None]:
        # Strawberry skips executing a query or mutation for which validation left a result,
        # but subscribes to a subscription regardless: raised here, the refusal is its answer.
        context = self.execution_context
        refused = context.result
        if (
            context.operation_type is OperationType.SUBSCRIPTION
            and refused is not None
            and refused.errors
        ):
            raise refused.errors[0]
        yield


def refuse_oversized_inputs(context: ExecutionContext) -> None:
    """After validation, before any field runs: an input over its cap (`input_caps`) becomes
    the operation's only result, so execution never starts (Strawberry runs nothing when an
    extension has set the result)."""
    document = context.graphql_document
    if context.pre_execution_errors or document is None:
        return
    try:
        input_caps.check_request(
            context.schema._schema, document, context.variables, context.operation_name
        )
    except GatewayError as error:
        context.result = GraphQLExecutionResult(
            data=None, errors=[GraphQLError(error.message, original_error=error)]
        )


def _finish(hook: Iterator[None]) -> None:
    """Run the part of a hook that follows its `yield`."""
    next(hook)
    for _ in hook:
        pass


def extensions(
    settings: Settings, limits: Limits = DEFAULT_LIMITS
) -> list[SchemaExtensionFactory | type[SchemaExtension]]:
    """The schema extensions of the gateway's schema, as per-request factories, in order."""
    rules = validation_rules(settings, limits)
    return [
        lambda: GatewayOperation(limits, rules, suggestions=settings.introspection),
        lambda: CachedParsing(maxsize=limits.cache_size),
        lambda: CachedValidation(maxsize=limits.cache_size),
    ]


def schema_config(settings: Settings, **options: Any) -> StrawberryConfig:
    """Strawberry's config for the gateway's schema: field suggestions follow introspection."""
    return StrawberryConfig(disable_field_suggestions=not settings.introspection, **options)


__all__ = [
    "DEFAULT_LIMITS",
    "CachedValidation",
    "Limits",
    "MaxErrors",
    "NoSchemaIntrospection",
    "extensions",
    "schema_config",
    "validation_rules",
]
