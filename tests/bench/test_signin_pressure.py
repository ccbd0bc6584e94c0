"""The sign-in pressure benchmark keeps running: both scenarios measured, every guess verified,
the target reported."""

from __future__ import annotations

from tests.helpers import run_bench


def test_quick_benchmark_run_measures_authorize_with_and_without_an_attacker() -> None:
    output = run_bench("signin_pressure.py", "--quick", "--duration", "0.5")
    for line in ("quiet", "under attack", "under attack / quiet, per round", "'Unauthenticated'"):
        assert line in output
    assert output.count("PASS") + output.count("FAIL") == 1  # reported, not asserted
