"""Prometheus metrics of the GraphQL endpoint, served on `/metrics` in the text format.

- `gateway_graphql_requests_total{operation_type, outcome}`: requests handled.
- `gateway_graphql_request_duration_seconds{operation_type, outcome}`: their latency.

`operation_type` is `query`, `mutation`, `graphiql` (the IDE page) or `unknown` (the request
never reached a runnable operation); `outcome` is `ok`, `error` (ran, with field errors),
`rejected` (a request error: refused before running) or `failed` (an unexpected error).

Each app has its own registry (nothing module-global), so several apps can live in one process.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LABELS = ("operation_type", "outcome")
REQUESTS = "gateway_graphql_requests"
DURATION = "gateway_graphql_request_duration_seconds"
_BOUNDS = (*map(str, LATENCY_BUCKETS), "+Inf")


@dataclass(slots=True)
class _Tally:
    """One label pair's requests: how many, their total seconds, how many per bucket (not
    cumulative; the last one past the largest bound)."""

    count: int = 0
    seconds: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))


class Metrics(Collector):
    """The metrics of one app and the endpoint that exposes them.

    Requests are tallied in plain numbers and turned into Prometheus' families when scraped
    (a custom collector, as `prometheus_client` documents them): its `Counter` and `Histogram`
    take a lock per update, about 2 µs of every request. Tallies are only touched on the
    event loop's thread, so they need none."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._tallies: dict[tuple[str, str], _Tally] = {}
        self.registry.register(self)

    def observe(self, operation_type: str, outcome: str, seconds: float) -> None:
        """Count one request and its latency."""
        tally = self._tallies.get((operation_type, outcome))
        if tally is None:  # a few label pairs in all: the view's types and outcomes
            tally = self._tallies[(operation_type, outcome)] = _Tally()
        tally.count += 1
        tally.seconds += seconds
        tally.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def collect(self) -> Iterator[Metric]:
        """The families, from the tallies (called by the registry when scraped)."""
        requests = CounterMetricFamily(
            REQUESTS, "GraphQL requests handled, by operation type and outcome.", labels=LABELS
        )
        latency = HistogramMetricFamily(
            DURATION,
            "Time to answer a GraphQL request, by operation type and outcome.",
            labels=LABELS,
        )
        for labels, tally in sorted(self._tallies.items()):
            requests.add_metric(labels, tally.count)
            cumulative, buckets = 0, []
            for bound, count in zip(_BOUNDS, tally.buckets, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric(labels, buckets, tally.seconds)
        yield requests
        yield latency

    async def endpoint(self, request: Request) -> Response:
        """`GET /metrics`."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
