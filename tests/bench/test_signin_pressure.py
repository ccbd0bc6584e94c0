"""The sign-in pressure benchmark keeps running: both scenarios measured, every guess verified,
the target reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "signin_pressure.py"


def test_quick_benchmark_run_measures_authorize_with_and_without_an_attacker() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--duration", "0.5"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    for line in ("quiet", "under attack", "under attack / quiet, per round", "'Unauthenticated'"):
        assert line in output
    assert output.count("PASS") + output.count("FAIL") == 1  # reported, not asserted
