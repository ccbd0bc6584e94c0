"""The audit-lookup benchmark keeps running: a small PostgreSQL trail loaded, every query timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "audit_lookup.py"


def test_quick_benchmark_run_times_every_query_and_reports_the_target() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--events", "3000", "--samples", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    for query in (
        "principal + 24 h (service)",
        "principal + 24 h (GraphQL, in process)",
        "busiest principal + 24 h",
        "quiet principal + 24 h (empty)",
        "page 20 of one principal",
        "rare action, 30 days (scan)",
    ):
        assert query in output
    assert output.count("PASS") + output.count("FAIL") == 1  # reported, not asserted
