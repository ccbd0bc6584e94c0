"""Extension hooks looked up once per class (`gateway.graphql.extension_hooks`): every kind of
hook Strawberry accepts still runs, in the same order, on each request's own extension."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from gateway.graphql.errors import GatewaySchema
from gateway.graphql.extension_hooks import CachedHooksRunner

STAGES = ("operation", "parsing", "validation", "executing")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


class Recording(SchemaExtension):
    """Generator hooks at every stage; `calls` is shared by a request's extensions (and keeps
    each extension object alive, so that two requests' objects are never at one address)."""

    def __init__(self, calls: list[tuple[str, SchemaExtension]], name: str) -> None:
        self.calls = calls
        self.name = name

    def record(self, event: str) -> None:
        self.calls.append((f"{self.name}:{event}", self))

    def on_operation(self) -> Iterator[None]:
        self.record("operation in")
        yield
        self.record("operation out")

    def on_parse(self) -> Iterator[None]:
        self.record("parse in")
        yield
        self.record("parse out")

    def on_validate(self) -> Iterator[None]:
        self.record("validate in")
        yield
        self.record("validate out")

    def on_execute(self) -> Iterator[None]:
        self.record("execute in")
        yield
        self.record("execute out")


class AsyncHooks(Recording):
    """An async generator hook and plain (sync and async) function hooks."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        self.record("async operation in")
        yield
        self.record("async operation out")

    def on_parse(self) -> None:  # type: ignore[override]
        self.record("plain parse")

    async def on_validate(self) -> None:  # type: ignore[override]
        self.record("async plain validate")


class NoHooks(SchemaExtension):
    pass


def schema_with(calls: list[tuple[str, SchemaExtension]]) -> GatewaySchema:
    return GatewaySchema(
        query=Query,
        extensions=[
            lambda: Recording(calls, "first"),
            lambda: AsyncHooks(calls, "second"),
            NoHooks,
        ],
    )


async def test_every_kind_of_hook_runs_in_order_on_the_requests_own_extensions() -> None:
    calls: list[tuple[str, SchemaExtension]] = []
    schema = schema_with(calls)

    first = await schema.execute("{ hello }")
    first_calls = list(calls)
    calls.clear()
    second = await schema.execute("{ hello }")

    assert first.errors is None
    assert first.data == {"hello": "world"}
    assert second.data == {"hello": "world"}
    assert [event for event, _ in first_calls] == [
        "first:operation in",
        "second:async operation in",
        "first:parse in",
        "second:plain parse",
        "first:parse out",
        "first:validate in",
        "second:async plain validate",
        "first:validate out",
        "first:execute in",
        "second:execute in",
        "second:execute out",
        "first:execute out",
        "second:async operation out",
        "first:operation out",
    ]
    assert [event for event, _ in calls] == [event for event, _ in first_calls]
    # Each request's hooks ran on that request's extension objects, not on cached ones.
    for name in ("first", "second"):
        first_ids = {id(each) for event, each in first_calls if event.startswith(name)}
        second_ids = {id(each) for event, each in calls if event.startswith(name)}
        assert len(first_ids) == len(second_ids) == 1
        assert first_ids != second_ids


@pytest.mark.parametrize("stage", STAGES)
def test_the_runner_finds_the_same_hooks_as_strawberrys(stage: str) -> None:
    calls: list[tuple[str, SchemaExtension]] = []
    extensions = [Recording(calls, "first"), AsyncHooks(calls, "second"), NoHooks()]

    stock = getattr(SchemaExtensionsRunner(None, extensions), stage)()  # type: ignore[arg-type]
    cached = getattr(CachedHooksRunner(None, extensions), stage)()  # type: ignore[arg-type]

    assert [(hook.extension, hook.is_async) for hook in cached.hooks] == [
        (hook.extension, hook.is_async) for hook in stock.hooks
    ]


def test_the_gateway_schema_runs_its_extensions_through_the_cached_runner() -> None:
    schema = schema_with([])
    runner = schema.create_extensions_runner(None, [])  # type: ignore[arg-type]
    assert isinstance(runner, CachedHooksRunner)


def test_a_hook_that_is_not_callable_is_refused_as_strawberry_refuses_it() -> None:
    class Broken(SchemaExtension):
        on_execute = 42  # type: ignore[assignment]

    with pytest.raises(ValueError, match="must be callable"):
        CachedHooksRunner(None, [Broken()]).executing()  # type: ignore[arg-type]
