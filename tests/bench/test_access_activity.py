"""The access-activity benchmark keeps running: both servers measured, the recorder timed."""

from __future__ import annotations

from tests.helpers import run_bench


def test_quick_benchmark_run_measures_both_servers_and_the_recorder() -> None:
    output = run_bench("access_activity.py", "--quick", "--duration", "0.5", "--rounds", "2")
    for line in ("(a) recording", "(b) not recording", "note(), a new key every time"):
        assert line in output
    assert output.count("PASS") + output.count("FAIL") == 1  # reported, not asserted
