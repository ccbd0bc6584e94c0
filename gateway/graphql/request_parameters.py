"""A root field's arguments become the `requestParameters` of the audit events it writes.

`RecordArguments` wraps every root field of the schema (`gateway.graphql.schema`); while the
field runs, its arguments are in `gateway.services.audit_events.request_arguments`, by their
API names (an `input` object's fields flattened into them, as AWS's request parameters are
flat), and `writes.record` stores them with every event, scrubbed of secrets. Nested fields
run after their root field is done, so they see none.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    FieldExtension,
    SyncExtensionResolver,
)
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.str_converters import to_camel_case

from gateway.services.audit_events import request_arguments


class RecordArguments(FieldExtension):
    """Puts the field's arguments where the audit trail finds them, for the field's duration."""

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        """Run a synchronous field with its arguments noted."""
        token = request_arguments.set(api_arguments(kwargs))
        try:
            return next_(source, info, **kwargs)
        finally:
            request_arguments.reset(token)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Run an asynchronous field with its arguments noted."""
        token = request_arguments.set(api_arguments(kwargs))
        try:
            result = next_(source, info, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            request_arguments.reset(token)


def record_arguments_of_root_fields(*types: Any) -> None:
    """Add `RecordArguments` (outermost, so that it also covers the `@authorize` check) to
    every field of the given root types, once."""
    for root in types:
        definition: StrawberryObjectDefinition = root.__strawberry_definition__
        for field in definition.fields:
            if not any(isinstance(e, RecordArguments) for e in field.extensions):
                field.extensions.append(RecordArguments())


def api_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Arguments by their GraphQL names, `input` objects flattened, unset ones left out."""
    arguments: dict[str, Any] = {}
    for name, value in kwargs.items():
        if value is None or value is strawberry.UNSET:
            continue
        if _is_input(value):
            arguments.update(_as_json(value))
        else:
            arguments[to_camel_case(name)] = _as_json(value)
    return arguments


def _is_input(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _as_json(value: Any) -> Any:
    if _is_input(value):
        return {
            to_camel_case(field.name): _as_json(item)
            for field in dataclasses.fields(value)
            if (item := getattr(value, field.name)) is not None and item is not strawberry.UNSET
        }
    if isinstance(value, list | tuple):
        return [_as_json(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str | int | float | bool):
        return value
    isoformat: Callable[[], str] | None = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)
