"""The GraphQL throughput benchmark keeps running: every load measured, answers checked, a table
and a PASS / FAIL line per target of issue 11."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import run_bench

BENCH = Path(__file__).resolve().parents[2] / "bench" / "graphql_throughput.py"


def test_quick_benchmark_run_measures_every_server_without_failures() -> None:
    # In its own process: the benchmark seeds its database through its own ORM context.
    output = run_bench("graphql_throughput.py", "--quick", "--duration", "0.5", "--no-postgres")
    for load in (
        "(a) gateway authorize",
        "(e) authorizeAll x50",
        "(m) gateway me+groups",
        "(u) users(first:20)",
        "(t) tagUser",
        "(b) strawberry",
        "(c) strawberry+caches",
        "(d) starlette",
        "(f) HTTP floor of (a)",
        "(g) starlette, as gateway",
    ):
        assert load in output
    assert "(a) gateway authorize ÷ (g) starlette, as gateway:" in output
    assert "accountAuthorizationDetails at 5000 users" in output
    assert "the gateway's own work costs" in output
    assert "OK: all" in output
    # targets reported, not asserted; the two workers ones (speedup, CPU per request) are
    # skipped without PostgreSQL
    assert output.count("\nPASS") + output.count("\nFAIL") == 8
    assert output.count("\nSKIP  2 workers") == 2


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("graphql_throughput", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


BURN = (
    "import sys, time\n"
    "start = time.process_time()\n"
    "while time.process_time() - start < 0.3:\n"
    "    pass\n"
    "print('burned', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_server_cpu_counts_the_workers_below_the_master() -> None:
    # The 1-vs-2-workers comparison rests on it: uvicorn's master idles, its workers work.
    bench = _bench_module()
    master = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BURN!r}])",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert master.stdout is not None
        assert master.stdout.readline() == "burned\n"  # the worker has spent its CPU
        workers = bench.descendants(master.pid)
        assert len(workers) == 1
        assert bench.cpu_seconds(master.pid) < 0.25
        assert bench.tree_cpu_seconds(master.pid) >= 0.29  # clock ticks: 10 ms
    finally:
        for pid in bench.descendants(master.pid):
            os.kill(pid, signal.SIGKILL)
        master.kill()
        master.wait()
        if master.stdout is not None:
            master.stdout.close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)")
def test_wrk_counts_every_answer_that_is_not_the_checked_one() -> None:
    # The workers run's load: a wrong answer must be a failure there as in the Python generator.
    bench = _bench_module()
    server = bench.Server("d", "starlette", "apps.bare:app", ("--app-dir", str(BENCH.parent)))
    args = argparse.Namespace(connections=4, warmup=0, duration=1.0)
    with bench.running([server]):
        load = bench.Load("d", "starlette", server, bench.HELLO_QUERY)
        bench.prepare(load, None, {})
        right = bench.measure_with_wrk(load, 0, args)
        load.expected_body = b'{"data":{"hello":"someone else"}}'
        wrong = bench.measure_with_wrk(load, 0, args)
    assert right.count > 0
    assert right.failures == 0
    assert len(right.latencies) == bench.WRK_QUANTILES
    assert right.latencies == sorted(right.latencies)
    assert wrong.count > 0
    assert wrong.failures == wrong.count
    assert wrong.failure_samples[0].startswith('200 {"data":{"hello":"world"}}')


def _row(bench: ModuleType, rps: float, server_cpu: float, generator_cpu: float) -> object:
    return bench.Row("load", rps, [rps], 1.0, 2.0, 1000, 0, generator_cpu, server_cpu, 1, 0.0)


@pytest.mark.parametrize(
    ("two_rps", "generator_cpu", "verdict"),
    [
        (1900, 0.05, True),  # 1.9x with the cores free: PASS
        (1700, 0.05, False),  # 1.7x with 1.95 cores left for the servers: FAIL
        (1700, 0.30, None),  # 1.7x with 1.7 cores left: the run cannot decide it
        (1850, 0.30, True),  # passing needs no excuse
    ],
)
def test_a_workers_speedup_is_undecided_only_when_the_servers_lacked_the_cores(
    two_rps: float, generator_cpu: float, verdict: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench_module()
    monkeypatch.setattr(bench, "cores", lambda: 2)
    one = _row(bench, 1000, 1.0, generator_cpu)
    two = _row(bench, two_rps, 1.9, generator_cpu)
    extra = bench.Extra(workers=(one, two), batch_workers=(one, two), batch_connections=64)

    targets = bench.workers_targets(extra)

    speedups = [(text, ok) for text, ok in targets if text.startswith("2 workers ≥")]
    assert [ok for _, ok in speedups] == [verdict, verdict]
    assert "authorizeAll x50, 64 connections" in speedups[1][0]
    assert ("cannot be decided" in speedups[0][0]) == (verdict is None)
