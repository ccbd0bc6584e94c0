"""What the GraphQL endpoint reports for its metrics (`gateway/graphql/observation.py`). The
counters themselves: tests/graphql/test_http.py (`/metrics`)."""

from __future__ import annotations

import pytest
import strawberry

from gateway.graphql.observation import ObserveOperation, current_operation, observed


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hello"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def wave(self) -> bool:
        return True


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation, extensions=[ObserveOperation])


def test_a_request_is_reported_once_with_its_outcome_and_duration() -> None:
    reports: list[tuple[str, str, float]] = []

    with observed(lambda *report: reports.append(report)) as record:
        assert current_operation() is record
        record.outcome = "rejected"

    assert current_operation() is None
    assert len(reports) == 1
    operation_type, outcome, seconds = reports[0]
    assert (operation_type, outcome) == ("unknown", "rejected")
    assert seconds >= 0


def test_a_request_that_ends_in_an_exception_is_not_reported() -> None:
    reports: list[tuple[str, str, float]] = []

    with pytest.raises(RuntimeError), observed(lambda *report: reports.append(report)):
        raise RuntimeError("the body was too large")

    assert reports == []
    assert current_operation() is None


def test_without_an_observer_nothing_is_reported() -> None:
    with observed(None) as record:
        record.outcome = "ok"

    assert current_operation() is None


@pytest.mark.parametrize(
    ("document", "operation_type"),
    [("{ hello }", "query"), ("mutation { wave }", "mutation"), ("{ hello", "unknown")],
)
async def test_the_schema_extension_records_the_kind_of_operation(
    document: str, operation_type: str
) -> None:
    with observed(None) as record:
        await SCHEMA.execute(document)

    assert record.operation_type == operation_type


async def test_outside_a_request_the_extension_records_nothing() -> None:
    result = await SCHEMA.execute("{ hello }")

    assert result.data == {"hello": "hello"}
    assert current_operation() is None
