"""The GraphQL endpoint's metrics (gateway/http/metrics.py) in Prometheus' text format: counts,
sums and cumulative buckets as Prometheus' own Counter and Histogram would write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.http.metrics import DURATION, LABELS, LATENCY_BUCKETS, REQUESTS, Metrics

LABEL_PAIRS = [("query", "ok"), ("mutation", "error"), ("unknown", "rejected")]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample but the `_created` ones, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


@given(
    st.lists(
        st.tuples(
            st.sampled_from(LABEL_PAIRS),
            st.sampled_from(LATENCY_BUCKETS) | st.floats(min_value=0, max_value=10),
        ),
        max_size=30,
    )
)
def test_the_tallies_read_as_prometheus_own_counter_and_histogram(
    observed: list[tuple[tuple[str, str], float]],
) -> None:
    metrics = Metrics()
    registry = CollectorRegistry()
    counter = Counter(REQUESTS, "", LABELS, registry=registry)
    histogram = Histogram(DURATION, "", LABELS, buckets=LATENCY_BUCKETS, registry=registry)
    for (operation_type, outcome), seconds in observed:
        metrics.observe(operation_type, outcome, seconds)
        counter.labels(operation_type, outcome).inc()
        histogram.labels(operation_type, outcome).observe(seconds)
    ours = samples(generate_latest(metrics.registry).decode())
    theirs = samples(generate_latest(registry).decode())
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value), key


def test_a_latency_on_a_bound_counts_in_that_bucket() -> None:
    metrics = Metrics()
    metrics.observe("query", "ok", 0.001)
    metrics.observe("query", "ok", 7.0)
    found = samples(generate_latest(metrics.registry).decode())
    labels = (("operation_type", "query"), ("outcome", "ok"))
    assert found[(f"{DURATION}_bucket", (("le", "0.001"), *labels))] == 1
    assert found[(f"{DURATION}_bucket", (("le", "5.0"), *labels))] == 1
    assert found[(f"{DURATION}_bucket", (("le", "+Inf"), *labels))] == 2
    assert found[(f"{DURATION}_count", labels)] == 2
    assert found[(f"{DURATION}_sum", labels)] == pytest.approx(7.001)
    assert found[(f"{REQUESTS}_total", labels)] == 2
