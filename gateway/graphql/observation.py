"""What the GraphQL endpoint reports for its metrics: one `(operation_type, outcome, seconds)`
per HTTP request, to an `Observer` (`gateway.http.metrics.Metrics.observe` in the app).

The view opens `observed(observe)` around its answer and sets the outcome on the record it
yields; the schema's `ObserveOperation` extension fills in the kind of operation that ran,
which only execution knows. The labels' values are listed in `gateway.http.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension

Observer = Callable[[str, str, float], None]
"""Called as `observe(operation_type, outcome, seconds)` once per request."""


@dataclass(slots=True)
class OperationRecord:
    """What the view learns about the operation it ran (filled by `ObserveOperation`)."""

    operation_type: str = "unknown"
    outcome: str = "ok"


_current_operation: ContextVar[OperationRecord | None] = ContextVar(
    "gateway_graphql_operation", default=None
)


def current_operation() -> OperationRecord | None:
    """The record of the request being answered, if `observed` is open."""
    return _current_operation.get()


@contextmanager
def observed(observe: Observer | None) -> Iterator[OperationRecord]:
    """The record of one request, reported to `observe` with its duration when the block ends
    normally; a request that ends in an exception is not reported."""
    started = time.perf_counter()
    record = OperationRecord()
    token = _current_operation.set(record)
    try:
        yield record
    finally:
        _current_operation.reset(token)
    if observe is not None:
        observe(record.operation_type, record.outcome, time.perf_counter() - started)


class ObserveOperation(SchemaExtension):
    """Tells the view which kind of operation ran (query, mutation), for its metrics."""

    def on_operation(self) -> Iterator[None]:
        yield
        record = _current_operation.get()
        if record is None:
            return
        try:
            record.operation_type = self.execution_context.operation_type.value
        except Exception:  # no document, or no operation to run
            record.operation_type = "unknown"


__all__ = ["ObserveOperation", "Observer", "OperationRecord", "current_operation", "observed"]
