"""The GraphQL throughput benchmark keeps running: four servers up, answers checked, a table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "graphql_throughput.py"


def test_quick_benchmark_run_measures_every_server_without_failures() -> None:
    # In its own process: the benchmark seeds its database through its own ORM context.
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--duration", "0.5"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    for server in ("(a) gateway", "(b) strawberry", "(c) strawberry+caches", "(d) starlette"):
        assert server in output
    assert "OK: all" in output
    assert output.count("PASS") + output.count("FAIL") == 3  # targets reported, not asserted
