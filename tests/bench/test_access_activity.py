"""The access-activity benchmark keeps running: both servers measured, the recorder timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "access_activity.py"


def test_quick_benchmark_run_measures_both_servers_and_the_recorder() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--duration", "0.5", "--rounds", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    for line in ("(a) recording", "(b) not recording", "note(), a new key every time"):
        assert line in output
    assert output.count("PASS") + output.count("FAIL") == 1  # reported, not asserted
