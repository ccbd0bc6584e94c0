"""The sign-in pressure benchmark keeps running: both scenarios measured, every guess verified,
the target reported, with either load generator."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import run_bench


@pytest.mark.parametrize("generator", ["python", "wrk"])
def test_quick_benchmark_run_measures_authorize_with_and_without_an_attacker(
    generator: str,
) -> None:
    if generator == "wrk" and shutil.which("wrk") is None:
        pytest.skip("wrk is not installed")
    output = run_bench(
        "signin_pressure.py", "--quick", "--duration", "0.5", "--generator", generator
    )
    for line in ("quiet", "under attack", "under attack / quiet, per round", "'Unauthenticated'"):
        assert line in output
    assert ("load from wrk" in output) == (generator == "wrk")
    assert output.count("PASS") + output.count("FAIL") == 1  # reported, not asserted
