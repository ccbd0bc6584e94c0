"""Prometheus metrics of the GraphQL endpoint, served on `/metrics` in the text format.

- `gateway_graphql_requests_total{operation_type, outcome}`: requests handled.
- `gateway_graphql_request_duration_seconds{operation_type, outcome}`: their latency.

`operation_type` is `query`, `mutation`, `graphiql` (the IDE page) or `unknown` (the request
never reached a runnable operation); `outcome` is `ok`, `error` (ran, with field errors),
`rejected` (a request error: refused before running) or `failed` (an unexpected error).

Each app has its own registry (nothing module-global), so several apps can live in one process.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LABELS = ("operation_type", "outcome")


class Metrics:
    """The metrics of one app and the endpoint that exposes them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gateway_graphql_requests",
            "GraphQL requests handled, by operation type and outcome.",
            LABELS,
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation type and outcome.",
            LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def observe(self, operation_type: str, outcome: str, seconds: float) -> None:
        """Count one request and its latency."""
        children = self._children.get((operation_type, outcome))
        if children is None:  # a few label pairs in all: the view's types and outcomes
            children = (
                self.requests.labels(operation_type, outcome),
                self.latency.labels(operation_type, outcome),
            )
            self._children[(operation_type, outcome)] = children
        children[0].inc()
        children[1].observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        """`GET /metrics`."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
